"""SigV4 verification (sigv4.py): signed by botocore's signer, verified by ours."""

from __future__ import annotations

import datetime as dt
import unittest.mock
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st

from dynaflow.engine.errors import DynamoError
from dynaflow.wire import sigv4
from dynaflow.wire.sigv4 import AccessKey, SigV4Verifier

KEY = AccessKey("AKIDTEST", "s3cr3t", "arn:aws:iam::000000000000:user/test")
NOW = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
BODY = b'{"TableName":"t","Key":{"pk":{"S":"a"}}}'


def signed(body: bytes = BODY, *, key: str = "AKIDTEST", secret: str = "s3cr3t", when: dt.datetime = NOW,
           url: str = "http://127.0.0.1:8000/", token: str | None = None, region: str = "us-east-1",
           service: str = "dynamodb") -> tuple[bytes, bytes, dict[bytes, bytes], bytes]:
    """(method, url path, lower-cased headers, body) as botocore signs them."""
    request = AWSRequest(method="POST", url=url, data=body, headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.GetItem"})
    auth = SigV4Auth(Credentials(key, secret, token), service, region)
    with unittest.mock.patch("botocore.auth.get_current_datetime", return_value=when.replace(tzinfo=None)):
        auth.add_auth(request)
    prepared = request.prepare()
    headers = {k.lower().encode(): v.encode() if isinstance(v, str) else v for k, v in prepared.headers.items()}
    headers.setdefault(b"host", url.split("/")[2].encode())
    path = "/" + url.split("/", 3)[3]
    return b"POST", path.encode(), headers, body


def verifier(**kw: Any) -> SigV4Verifier:
    return SigV4Verifier({KEY.access_key_id: KEY}, clock=lambda: NOW.timestamp(), **kw)


def error_of(*args: Any, v: SigV4Verifier | None = None) -> DynamoError:
    with pytest.raises(DynamoError) as info:
        (v or verifier()).verify(*args)
    return info.value


# A request signed correctly by botocore verifies and names its key and region.
def test_botocore_signature_verifies() -> None:
    identity = verifier().verify(*signed())
    assert identity.access_key_id == "AKIDTEST"
    assert identity.principal == KEY.principal
    assert identity.region == "us-east-1"


# Query strings and odd paths are canonicalized as botocore does.
def test_botocore_signature_with_path_and_query_verifies() -> None:
    assert verifier().verify(*signed(url="http://localhost:8000/a/b%20c?z=1&a=2&a=1")).region == "us-east-1"


# A body changed after signing fails with DynamoDB's mismatch message.
def test_tampered_body_is_invalid_signature() -> None:
    method, url, headers, _ = signed()
    err = error_of(method, url, headers, BODY.replace(b'"a"', b'"b"'))
    assert err.full_type == "com.amazon.coral.service#InvalidSignatureException"
    assert err.message.startswith("The request signature we calculated does not match")


# A signed header changed after signing (here the target) fails too.
def test_tampered_signed_header_is_invalid_signature() -> None:
    method, url, headers, body = signed()
    headers[b"x-amz-target"] = b"DynamoDB_20120810.DeleteItem"
    assert error_of(method, url, headers, body).type == "InvalidSignatureException"


# The right key id with the wrong secret fails as a signature mismatch.
def test_wrong_secret_is_invalid_signature() -> None:
    assert error_of(*signed(secret="wrong")).type == "InvalidSignatureException"


# An unknown key id is UnrecognizedClientException, worded like DynamoDB.
def test_unknown_key_is_unrecognized_client() -> None:
    err = error_of(*signed(key="AKIDOTHER"))
    assert err.type == "UnrecognizedClientException"
    assert err.message == "The security token included in the request is invalid."


# Signatures older than 15 minutes are expired, with AWS's wording and timestamps.
def test_expired_signature() -> None:
    err = error_of(*signed(when=NOW - dt.timedelta(minutes=16)))
    assert err.type == "InvalidSignatureException"
    assert err.message == ("Signature expired: 20240501T114400Z is now earlier than 20240501T114500Z "
                           "(20240501T120000Z - 15 min.)")


# Signatures more than 15 minutes in the future are not yet current.
def test_future_signature() -> None:
    err = error_of(*signed(when=NOW + dt.timedelta(minutes=16)))
    assert err.type == "InvalidSignatureException"
    assert err.message == ("Signature not yet current: 20240501T121600Z is still later than 20240501T121500Z "
                           "(20240501T120000Z + 15 min.)")


# Parameters separated by blanks instead of commas are read too, so such a request gets the answer
# its date calls for (as recorded by test suites run against AWS: ScyllaDB's Alternator tests).
@pytest.mark.parametrize(("when", "words"), [(dt.timedelta(minutes=-16), "Signature expired"),
                                             (dt.timedelta(minutes=16), "Signature not yet current")])
def test_parameters_separated_by_blanks(when: dt.timedelta, words: str) -> None:
    method, url, headers, body = signed(when=NOW + when)
    headers[b"authorization"] = headers[b"authorization"].replace(b", ", b" ")
    err = error_of(method, url, headers, body)
    assert err.type == "InvalidSignatureException" and err.message.startswith(words)
    method, url, headers, body = signed()
    headers[b"authorization"] = headers[b"authorization"].replace(b", ", b" ")
    assert verifier().verify(method, url, headers, body).access_key_id == "AKIDTEST"


# Small clock skew (within 15 minutes) is accepted.
def test_small_skew_is_accepted() -> None:
    assert verifier().verify(*signed(when=NOW - dt.timedelta(minutes=14))).access_key_id == "AKIDTEST"


# No Authorization header at all: MissingAuthenticationTokenException.
def test_missing_authorization() -> None:
    method, url, headers, body = signed()
    del headers[b"authorization"]
    err = error_of(method, url, headers, body)
    assert err.full_type == "com.amazon.coral.service#MissingAuthenticationTokenException"
    assert err.message == "Request is missing Authentication Token"


# Missing Credential/Signature/SignedHeaders: IncompleteSignatureException listing each.
def test_incomplete_authorization() -> None:
    method, url, headers, body = signed()
    headers[b"authorization"] = b"AWS4-HMAC-SHA256 Credential=AKIDTEST/20240501/us-east-1/dynamodb/aws4_request"
    err = error_of(method, url, headers, body)
    assert err.type == "IncompleteSignatureException"
    assert "Authorization header requires 'Signature' parameter." in err.message
    assert "Authorization header requires 'SignedHeaders' parameter." in err.message


# A malformed X-Amz-Date is an IncompleteSignatureException naming the value.
def test_bad_date_format() -> None:
    method, url, headers, body = signed()
    headers[b"x-amz-date"] = b"2024-05-01"
    err = error_of(method, url, headers, body)
    assert err.type == "IncompleteSignatureException"
    assert "Got '2024-05-01'" in err.message


# A credential scoped to another service is rejected before the key lookup.
def test_wrong_service_scope() -> None:
    err = error_of(*signed(service="s3"))
    assert err.type == "InvalidSignatureException"
    assert "Credential should be scoped to correct service: 'dynamodb'." in err.message


# Host must be signed (otherwise a signature could be replayed against another endpoint).
def test_host_must_be_signed() -> None:
    method, url, headers, body = signed()
    auth = headers[b"authorization"].decode()
    headers[b"authorization"] = auth.replace("SignedHeaders=content-type;host;", "SignedHeaders=content-type;").encode()
    assert error_of(method, url, headers, body).message == "'Host' must be a 'SignedHeader' in the AWS Authorization."


# A key configured with a session token requires it; a foreign token is rejected.
def test_session_token_rules() -> None:
    with_token = AccessKey("AKIDTOK", "s", "arn:aws:iam::000000000000:user/t", session_token="tok")
    v = SigV4Verifier({"AKIDTOK": with_token, "AKIDTEST": KEY}, clock=lambda: NOW.timestamp())
    assert v.verify(*signed(key="AKIDTOK", secret="s", token="tok")).access_key_id == "AKIDTOK"
    assert error_of(*signed(key="AKIDTOK", secret="s"), v=v).type == "UnrecognizedClientException"
    assert error_of(*signed(token="other"), v=v).type == "UnrecognizedClientException"


# With no keys configured any credentials pass (DynamoDB Local's behavior), but a header is required.
def test_open_mode_accepts_any_credentials() -> None:
    v = SigV4Verifier(None)
    identity = v.verify(*signed(key="anything", secret="whatever", when=NOW - dt.timedelta(days=400),
                                region="eu-west-3"))
    assert identity.access_key_id == "anything" and identity.region == "eu-west-3"
    method, url, headers, body = signed()
    del headers[b"authorization"]
    assert error_of(method, url, headers, body, v=v).type == "MissingAuthenticationTokenException"


# The derived signing key is cached, so repeated verification stays cheap and correct.
def test_signing_key_cache_reuse() -> None:
    v = verifier()
    for _ in range(3):
        assert v.verify(*signed()).access_key_id == "AKIDTEST"
    assert error_of(*signed(secret="wrong"), v=v).type == "InvalidSignatureException"


# The Authorization parser remembers the part before the signature; whatever the header looks like,
# it must answer exactly what parsing the whole header answers.
@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["AWS4-HMAC-SHA256", " ", "  ", "\t", ",", ", ", "=", "Credential", "Signature",
                                 "SignedHeaders", "Credential=AKID/20240101/us-east-1/dynamodb/aws4_request",
                                 "SignedHeaders=host;x-amz-date", ", Signature=", "Signature=", "ab12", "x=y"]),
                max_size=12))
def test_authorization_parse_matches_the_full_parse(pieces: list[str]) -> None:
    header = "".join(pieces)
    assert sigv4._parse_authorization(header) == sigv4._parse_authorization_text(header)
    assert sigv4._parse_authorization(header) == sigv4._parse_authorization_text(header)  # remembered prefix


def _outcome(verifier: SigV4Verifier, headers: dict[bytes, bytes]) -> object:
    try:
        return verifier.verify(b"POST", b"/", headers, b"{}")
    except DynamoError as exc:
        return (exc.type, exc.message)


_VALID_PREFIX = ["AWS4-HMAC-SHA256", " ", "Credential=AKID/20240101/us-east-1/dynamodb/aws4_request", ", ",
                 "SignedHeaders=host;x-amz-date"]


# With no keys configured, a header whose part before the signature passed before is let through
# without parsing it again; the answer must be what checking it from scratch gives.
@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["AWS4-HMAC-SHA256", " ", "\xa0", ",", ", ", "=", "Credential=", "SignedHeaders=",
                              "Credential=AKID/20240101/us-east-1/dynamodb/aws4_request", "Signature=",
                              "SignedHeaders=host;x-amz-date", ", Signature=", "x"]), max_size=10)
    | st.builds(lambda extra, at: _VALID_PREFIX[:at] + extra + _VALID_PREFIX[at:],
                st.lists(st.sampled_from([" ", "\xa0", ",", "x", "Signature=ab"]), max_size=2),
                st.integers(0, len(_VALID_PREFIX))),
    st.lists(st.sampled_from(["ab12", "", " ", "\xa0", ",", "=", "x y", "ff"]), max_size=3),
    st.lists(st.sampled_from(["ab12", "", " ", "\xa0", ",", "=", "x y", "ff"]), max_size=3),
    st.booleans(),
)
def test_keyless_verification_of_a_known_prefix_matches_a_fresh_check(
        prefix: list[str], first: list[str], second: list[str], dated: bool) -> None:
    date = {b"x-amz-date": b"20240101T000000Z"}
    warm, fresh = SigV4Verifier(None), SigV4Verifier(None)
    header = "".join(prefix) + ", Signature="
    _outcome(warm, {b"authorization": (header + "".join(first)).encode("latin-1"), **date})
    later = {b"authorization": (header + "".join(second)).encode("latin-1"), **(date if dated else {})}
    assert _outcome(warm, later) == _outcome(fresh, later)
