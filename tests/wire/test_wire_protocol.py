"""Unit tests of the protocol framing (protocol.py) and error rendering (errors.py)."""

from __future__ import annotations

import gzip
import re
import zlib

import orjson
import pytest

from dynaflow.engine import errors
from dynaflow.engine.errors import DynamoError
from dynaflow.wire import protocol
from dynaflow.wire.errors import as_dynamo_error, render


# Clients send parameters (charset) and mixed case; the media type alone decides.
def test_media_type_drops_parameters_and_case() -> None:
    assert protocol.media_type(b"Application/X-Amz-Json-1.0; charset=utf-8") == b"application/x-amz-json-1.0"
    assert protocol.media_type(None) is None


# Dispatch accepts exactly DynamoDB's and DynamoDB Streams' targets.
@pytest.mark.parametrize(
    ("amz_target", "expected"),
    [
        (b"DynamoDB_20120810.GetItem", ("DynamoDB_20120810", "GetItem")),
        (b"DynamoDBStreams_20120810.GetRecords", ("DynamoDBStreams_20120810", "GetRecords")),
        (b"DynamoDB_20120810.FutureOperation", ("DynamoDB_20120810", "FutureOperation")),
    ],
)
def test_parse_target_accepts_known_services(amz_target: bytes, expected: tuple[str, str]) -> None:
    assert protocol.parse_target(amz_target) == expected


# Wrong service versions, cross-service operations and junk are UnknownOperationException.
@pytest.mark.parametrize(
    "amz_target",
    [None, b"", b"DynamoDB_20111205.GetItem", b"DynamoDB_20120810", b"DynamoDB_20120810.",
     b"DynamoDB_20120810.GetRecords", b"DynamoDBStreams_20120810.GetItem", b"DynamoDB_20120810.Get-Item",
     b"\xff\xfe.GetItem"],
)
def test_parse_target_rejects_unknown(amz_target: bytes | None) -> None:
    with pytest.raises(DynamoError) as info:
        protocol.parse_target(amz_target)
    assert info.value.full_type == "com.amazon.coral.service#UnknownOperationException"


# gzip and deflate request bodies are inflated; identity passes through.
def test_decode_body_inflates_gzip_and_deflate() -> None:
    body = b'{"TableName": "t"}'
    assert protocol.decode_body(gzip.compress(body), b"gzip") == body
    assert protocol.decode_body(zlib.compress(body), b"deflate") == body
    assert protocol.decode_body(body, None) == body
    assert protocol.decode_body(body, b"identity") == body


# A small gzip bomb must not inflate past the limit (memory safety).
def test_decode_body_stops_gzip_bomb_at_limit() -> None:
    bomb = gzip.compress(b"0" * 10_000_000)
    with pytest.raises(protocol.RequestTooLarge):
        protocol.decode_body(bomb, b"gzip", limit=1_000_000)


# Corrupt, truncated or unknown encodings are the client's fault, never a 500.
@pytest.mark.parametrize(("raw", "encoding"), [(b"not gzip", b"gzip"), (gzip.compress(b"{}" * 100)[:-10], b"gzip"),
                                               (b"{}", b"br")])
def test_decode_body_rejects_bad_encodings(raw: bytes, encoding: bytes) -> None:
    with pytest.raises(DynamoError) as info:
        protocol.decode_body(raw, encoding)
    assert info.value.type == "SerializationException"


# JSON that is not an object is a SerializationException, as DynamoDB answers.
@pytest.mark.parametrize("body", [b"{", b"[1]", b"12", b'"x"', b"\xff", b"[" * 5000 + b"]" * 5000])
def test_parse_json_rejects_non_objects(body: bytes) -> None:
    with pytest.raises(DynamoError) as info:
        protocol.parse_json(body)
    assert info.value.full_type == "com.amazon.coral.service#SerializationException"


# The CRC header is the unsigned decimal CRC32 the SDKs recompute.
def test_crc32_is_unsigned_decimal() -> None:
    assert protocol.crc32(b"{}") == str(zlib.crc32(b"{}")).encode()
    assert protocol.crc32(b"<UnknownOperationException/>\n") == b"3552371480"


# Request ids look like DynamoDB's (52 upper-case alphanumerics) and do not repeat.
def test_request_ids_are_52_chars_and_unique() -> None:
    ids = {protocol.new_request_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"[A-Z0-9]{52}", i) for i in ids)


# Accept-Encoding is read as DynamoDB reads it (as recorded by test suites run against AWS):
# q-values, the * wildcard, ties, and its treatment of malformed entries.
@pytest.mark.parametrize(("header", "chosen"), [
    (None, None), (b"", None), (b"identity", None), (b"br", None), (b"zstd", None), (b"compress", None),
    (b"x-gzip", None), (b"gzip", b"gzip"), (b"deflate", b"deflate"), (b"gzip, deflate", b"gzip"),
    (b"br, identity, deflate, gzip", b"deflate"), (b"GZIP, identity", b"gzip"), (b"dog, gzip ,, cat", b"gzip"),
    (b"gzip;q=0.8, deflate;q=0.5", b"gzip"), (b"br, gzip;q=0, deflate; q = 0.5 , identity;q=0", b"deflate"),
    (b"*", b"gzip"), (b"*, deflate;q=0.5", b"gzip"), (b"*, deflate", b"deflate"), (b"*, identity", b"gzip"),
    (b"*, gzip;q=0.5", b"deflate"), (b"gzip ;q=0", None), (b"identity;q=0", None), (b"*;q=0", None),
    (b"*;q=0.5,identity", b"gzip"), (b"gzip;q=0.5,identity;q=0.8", b"gzip"), (b"br;q=0.8,identity;q=0.5,*;q=0", None),
    (b'"gzip"', None), (b"gzip br", None), (b"gzip:q=1", None), (b"deflate;q=0.5, gzip;q=31", b"gzip"),
    (b"gzip;q=31,deflate;q=51", b"gzip"), (b"deflate;q=0.5, gzip;q=0.2", b"deflate"),
    (b"deflate;q=0.5, gzip;q=1;q=0.2", b"gzip"), (b"deflate;q=0.5,gzip;q=0.", b"deflate"),
    (b"deflate;q=0.5,gzip;q=0.x", b"gzip"), (b"deflate;q=-0.5,gzip;q=0.2", b"gzip"), (b"gzip;nq=1;q=0 ", None),
    (b"gzip;q=0, gzip;q=1, gzip;q=0", b"gzip"), (b"br,identity;q=0.5,gzip;q=0.0001", b"gzip"),
])
def test_response_encoding(header: bytes | None, chosen: bytes | None) -> None:
    assert protocol.response_encoding(header) == chosen


# Compressed responses round-trip through gzip and deflate (zlib-wrapped, as HTTP defines it).
def test_compress_round_trips() -> None:
    body = orjson.dumps({"Items": [{"pk": {"S": "x" * 100}}] * 50})
    assert gzip.decompress(protocol.compress(body)) == body
    assert zlib.decompress(protocol.compress(body, b"deflate")) == body


# A gzip request body may hold several members; they are one body, and junk after them is ignored.
def test_multi_member_gzip_bodies() -> None:
    body = protocol.decode_body(gzip.compress(b'{"a":') + gzip.compress(b"1}"), b"gzip")
    assert body == b'{"a":1}'
    assert protocol.decode_body(gzip.compress(b"{}") + b"junk", b"gzip") == b"{}"
    with pytest.raises(errors.DynamoError):
        protocol.decode_body(gzip.compress(b"{}")[:-1], b"gzip")


# DynamoDB capitalizes Message for SerializationException and AccessDeniedException only.
def test_render_message_capitalization() -> None:
    status, body = render(errors.serialization("Start of list found where not expected"))
    assert status == 400
    assert orjson.loads(body) == {"__type": "com.amazon.coral.service#SerializationException",
                                  "Message": "Start of list found where not expected"}
    assert "Message" in orjson.loads(render(errors.access_denied("no"))[1])
    assert orjson.loads(render(errors.validation("bad"))[1]) == {
        "__type": "com.amazon.coral.validate#ValidationException", "message": "bad"}
    assert orjson.loads(render(errors.table_not_found("t"))[1])["__type"] == (
        "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException")


# A type without a message (UnknownOperationException) has no message key at all.
def test_render_omits_empty_message() -> None:
    assert orjson.loads(render(errors.unknown_operation())[1]) == {
        "__type": "com.amazon.coral.service#UnknownOperationException"}


# Extra members (CancellationReasons, Item) go into the body where botocore reads them.
def test_render_includes_extra_members() -> None:
    err = errors.transaction_canceled([{"Code": "ConditionalCheckFailed", "Message": "x"}, {"Code": "None"}])
    body = orjson.loads(render(err)[1])
    assert body["CancellationReasons"][1] == {"Code": "None"}
    assert body["message"].startswith("Transaction cancelled")


# Anything that is not a DynamoError becomes a counted InternalServerError 500.
def test_non_dynamo_exceptions_are_internal_errors() -> None:
    err, system = as_dynamo_error(KeyError("boom"))
    assert system and err.type == "InternalServerError" and render(err)[0] == 500
    err, system = as_dynamo_error(errors.validation("x"))
    assert not system and err.type == "ValidationException"
