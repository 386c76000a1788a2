"""AWS Signature Version 4 verification of DynamoDB requests, on the raw body.

The verifier recomputes the signature the client made (canonical request -> string to sign ->
HMAC with the key derived from the secret) with ``hashlib``/``hmac`` directly: botocore's signer
costs ~60 µs a request, this ~10 µs; the derived signing key (as prepared HMAC states) is cached
per secret, day, region and service.

Checks run in the order DynamoDB answers them, each with DynamoDB's error type and wording:

1. no ``Authorization: AWS4-...`` header -> ``MissingAuthenticationTokenException``;
2. ``Credential``/``Signature``/``SignedHeaders`` or a date header missing -> ``IncompleteSignatureException``;
3. a malformed ``X-Amz-Date`` -> ``IncompleteSignatureException``; more than 15 minutes off the
   server clock -> ``InvalidSignatureException`` "Signature expired" / "Signature not yet current";
4. ``host`` not signed -> ``InvalidSignatureException``;
5. an algorithm other than ``AWS4-HMAC-SHA256`` or a credential without 5 parts -> ``IncompleteSignatureException``;
6. a credential scoped to another service, terminator or day -> ``InvalidSignatureException``;
7. an unknown access key id (or a session token that is not the key's) -> ``UnrecognizedClientException``;
8. a signature that does not match -> ``InvalidSignatureException``.

The mismatch message stops before the canonical request and string to sign that AWS appends: they
help a client debug its signer and help an attacker probe ours.

With no keys configured (:class:`SigV4Verifier` with ``keys=None``) only steps 1-2 run: any
credentials are accepted, as DynamoDB Local does.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_tz
from typing import Any, Final
from urllib.parse import quote, unquote

from dynaflow.engine import errors

ALGORITHM: Final = "AWS4-HMAC-SHA256"
SERVICE: Final = "dynamodb"
MAX_SKEW_SECONDS: Final = 15 * 60
DEFAULT_REGION: Final = "us-east-1"

_AMZ_DATE = re.compile(r"\d{8}T\d{6}Z")
_REGION = re.compile(r"[a-z0-9-]{1,64}")
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)


@dataclass(frozen=True, slots=True)
class AccessKey:
    """A configured access key: its secret, the principal it acts as, and its policy (if any)."""

    access_key_id: str
    secret_access_key: str
    principal: str
    policy: Any = None  # dynaflow.wire.policy.Policy | None; Any keeps this module standalone
    session_token: str | None = None


@dataclass(frozen=True, slots=True)
class Identity:
    """Who signed a request: the key, its principal ARN, the credential's region and the policy."""

    access_key_id: str
    principal: str
    region: str
    policy: Any = None


_auth_prefixes: dict[str, tuple[str, str, str]] = {}
_PARAMETER_SEPARATORS: Final = re.compile(r"[,\s]+")


def _parse_authorization(header: str) -> tuple[str, str, str, str]:
    """``(algorithm, Credential, SignedHeaders, Signature)``; a missing parameter is ``""``.

    SDKs write ``<algorithm> Credential=..., SignedHeaders=..., Signature=<hex>``, and only the
    signature changes from one request to the next: the part before it is parsed once and
    remembered. The split is taken only where it gives exactly what parsing the whole header
    gives (the algorithm's space is before it, the signature holds no comma or blank).
    """
    header = header.strip()
    prefix, sep, signature = header.rpartition(", Signature=")
    if sep and " " in prefix and "," not in signature and not signature[:1].isspace() and len(signature.split()) <= 1:
        parsed = _auth_prefixes.get(prefix)
        if parsed is None:
            # Parsed with its separator, as the whole header is: alone, the prefix would lose
            # trailing whitespace to strip() and change where the algorithm ends.
            parsed = _parse_authorization_text(prefix + sep)[:3]
            if len(_auth_prefixes) >= 1024:
                _auth_prefixes.clear()
            _auth_prefixes[prefix] = parsed
        return parsed[0], parsed[1], parsed[2], signature.strip()
    return _parse_authorization_text(header)


def _parse_authorization_text(header: str) -> tuple[str, str, str, str]:
    # Parameters are separated by commas, by blanks, or both: DynamoDB reads
    # "Credential=... SignedHeaders=... Signature=..." too (no value holds either).
    algorithm, _, rest = header.strip().partition(" ")
    credential = signed_headers = signature = ""
    for part in _PARAMETER_SEPARATORS.split(rest):
        key, eq, value = part.partition("=")
        if eq:
            key = key.strip()
            if key == "Credential":
                credential = value.strip()
            elif key == "Signature":
                signature = value.strip()
            elif key == "SignedHeaders":
                signed_headers = value.strip()
    return algorithm, credential, signed_headers, signature


def _format_amz(ts: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(ts))


_date_cache: dict[bytes, tuple[str, float]] = {}


def _parse_date(headers: Mapping[bytes, bytes]) -> tuple[str, float]:
    """``(X-Amz-Date text, epoch seconds)`` from ``X-Amz-Date`` or ``Date``.

    Valid ``X-Amz-Date`` values are remembered: a busy client signs many requests per second.
    """
    raw = headers.get(b"x-amz-date")
    if raw is not None:
        cached = _date_cache.get(raw)
        if cached is not None:
            return cached
        parsed = _parse_amz_date(raw)
        if len(_date_cache) >= 4096:
            _date_cache.clear()
        _date_cache[raw] = parsed
        return parsed
    text = headers.get(b"date", b"").decode("latin-1").strip()
    fields = parsedate_tz(text)
    if fields is None:
        raise errors.incomplete_signature(
            f"Date must be in ISO-8601 'basic format'. Got '{text}'. See http://en.wikipedia.org/wiki/ISO_8601"
        )
    epoch = float(calendar.timegm(fields[:9]) - (fields[9] or 0))
    return _format_amz(epoch), epoch


def _parse_amz_date(raw: bytes) -> tuple[str, float]:
    text = raw.decode("latin-1").strip()
    if not _AMZ_DATE.fullmatch(text):
        raise errors.incomplete_signature(
            f"Date must be in ISO-8601 'basic format'. Got '{text}'. See http://en.wikipedia.org/wiki/ISO_8601"
        )
    parts = (int(text[0:4]), int(text[4:6]), int(text[6:8]), int(text[9:11]), int(text[11:13]),
             int(text[13:15]))  # time.strptime costs ~10 µs; this ~1 µs
    if not (1 <= parts[1] <= 12 and 1 <= parts[2] <= 31 and parts[3] < 24 and parts[4] < 60
            and parts[5] < 61):
        raise errors.incomplete_signature(
            f"Date must be in ISO-8601 'basic format'. Got '{text}'. See http://en.wikipedia.org/wiki/ISO_8601"
        )
    return text, float(calendar.timegm((*parts, 0, 0, 0)))


def canonical_uri(raw_path: str) -> str:
    """The SigV4 canonical URI of a non-S3 request: dot segments removed, then encoded again."""
    if raw_path in ("/", ""):
        return "/"
    segments: list[str] = []
    for segment in raw_path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in (".", ""):
            segments.append(segment)
    path = "/" + "/".join(segments)
    if raw_path.endswith("/") and path != "/":
        path += "/"
    return quote(path, safe="/~")


def canonical_query(query: str) -> str:
    """The SigV4 canonical query string: pairs encoded and sorted."""
    if not query:
        return ""
    pairs = []
    for part in query.split("&"):
        key, _, value = part.partition("=")
        pairs.append((quote(unquote(key), safe="-_.~"), quote(unquote(value), safe="-_.~")))
    pairs.sort()
    return "&".join(f"{k}={v}" for k, v in pairs)


def canonical_request(
    method: bytes, url: bytes, headers: Mapping[bytes, bytes], signed_headers: str, payload_hash: str
) -> str:
    if url == b"/":  # every SDK's DynamoDB request
        lines = [method.decode("latin-1"), "/", ""]
    else:
        path, _, query = url.decode("latin-1").partition("?")
        lines = [method.decode("latin-1"), canonical_uri(path), canonical_query(query)]
    get = headers.get
    for name in signed_headers.split(";"):
        value = get(name.encode("latin-1"), b"").decode("latin-1")
        lines.append(f"{name}:{' '.join(value.split())}")
    lines += ("", signed_headers, payload_hash)
    return "\n".join(lines)


class _Hmac:
    """HMAC-SHA256 under one key with the padded key blocks hashed once (RFC 2104).

    ``hmac.digest`` sets the key up again on every call (~2.5 µs here); copying the two prepared
    SHA-256 states costs ~1 µs for a whole signature.
    """

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        block = key.ljust(64, b"\0")  # SHA-256 keys are 32 bytes, shorter than its 64-byte block
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def hexdigest(self, message: bytes) -> str:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


class SigV4Verifier:
    """Verifies SigV4-signed requests against ``keys`` (``None``: accept any credentials)."""

    def __init__(
        self,
        keys: Mapping[str, AccessKey] | None,
        *,
        account_id: str = "000000000000",
        clock: Callable[[], float] = time.time,
        max_skew: float = MAX_SKEW_SECONDS,
    ) -> None:
        self._keys = keys
        self._account_id = account_id
        self._clock = clock
        self._max_skew = max_skew
        self._signing_keys: dict[tuple[str, str, str, str, str], _Hmac] = {}
        self._open_identities: dict[str, Identity] = {}
        self._open_prefixes: dict[bytes, Identity] = {}
        self._identities: dict[tuple[str, str], tuple[AccessKey, Identity]] = {}
        self._valid_regions: set[str] = set()

    @property
    def open(self) -> bool:
        """Whether any credentials are accepted (no keys configured)."""
        return self._keys is None

    def verify(self, method: bytes, url: bytes, headers: Mapping[bytes, bytes], body: bytes) -> Identity:
        """The signer's identity, or the DynamoDB error for the request's authentication fault."""
        raw = headers.get(b"authorization")
        if raw is not None and self._keys is None:
            # With no keys, only the header's shape is checked: a header whose part before the
            # signature passed before (see _open_prefix) passes again if it still has a signature
            # and a date header.
            signed_part, sep, raw_signature = raw.rpartition(b", Signature=")
            open_hit = self._open_prefixes.get(signed_part)
            if (open_hit is not None and sep and raw_signature.isalnum()
                    and (b"x-amz-date" in headers or b"date" in headers)):
                return open_hit
        header = raw.decode("latin-1") if raw is not None else ""
        if not header.lstrip().startswith("AWS4-"):
            raise errors.missing_authentication_token("Request is missing Authentication Token")
        algorithm, credential, signed_headers, signature = _parse_authorization(header)
        if not (credential and signature and signed_headers
                and (b"x-amz-date" in headers or b"date" in headers)):
            missing = "".join(
                f"Authorization header requires '{name}' parameter. "
                for name, value in (
                    ("Credential", credential), ("Signature", signature), ("SignedHeaders", signed_headers),
                )
                if not value
            )
            if b"x-amz-date" not in headers and b"date" not in headers:
                missing += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
            raise errors.incomplete_signature(f"{missing}Authorization={header}")

        if self._keys is None:
            identity = self._open_identities.get(credential)
            if identity is None:
                identity = self._open_identity(credential)
            if raw is not None:
                self._open_prefix(raw, identity)
            return identity
        parts = credential.rstrip("/").split("/")

        amz_date, signed_at = _parse_date(headers)
        now = self._clock()
        if signed_at < now - self._max_skew:
            minutes = int(self._max_skew // 60)
            raise errors.invalid_signature(
                f"Signature expired: {amz_date} is now earlier than {_format_amz(now - self._max_skew)} "
                f"({_format_amz(now)} - {minutes} min.)"
            )
        if signed_at > now + self._max_skew:
            minutes = int(self._max_skew // 60)
            raise errors.invalid_signature(
                f"Signature not yet current: {amz_date} is still later than "
                f"{_format_amz(now + self._max_skew)} ({_format_amz(now)} + {minutes} min.)"
            )
        if "host" not in signed_headers.lower().split(";"):
            raise errors.invalid_signature("'Host' must be a 'SignedHeader' in the AWS Authorization.")
        if algorithm != ALGORITHM:
            raise errors.incomplete_signature(
                f"Unsupported AWS 'algorithm': '{algorithm}' (only {ALGORITHM} for now). "
            )
        if len(parts) != 5:
            raise errors.incomplete_signature(
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term,"
                f" got '{credential}'"
            )
        key_id, day, region, service, terminator = parts
        if (region in self._valid_regions and service == SERVICE and terminator == "aws4_request"
                and day == amz_date[:8]):
            pass  # the usual case: a scope seen before
        else:
            self._check_scope(day, region, service, terminator, amz_date)

        key = self._keys.get(key_id)
        if key is None:
            raise errors.unrecognized_client()
        token = headers.get(b"x-amz-security-token")
        if token is not None and (key.session_token is None or token.decode("latin-1") != key.session_token):
            raise errors.unrecognized_client("The security token included in the request is invalid")
        if token is None and key.session_token is not None:
            raise errors.unrecognized_client("The security token included in the request is invalid")

        payload_hash = hashlib.sha256(body).hexdigest()
        request = canonical_request(method, url, headers, signed_headers, payload_hash)
        to_sign = (f"{ALGORITHM}\n{amz_date}\n{day}/{region}/{service}/{terminator}\n"
                   f"{hashlib.sha256(request.encode()).hexdigest()}")
        expected = self._signing_key(key, day, region, service).hexdigest(to_sign.encode())
        if not hmac.compare_digest(expected, signature):
            raise errors.invalid_signature(_MISMATCH)
        known = self._identities.get((key_id, region))
        if known is not None and known[0] is key:
            return known[1]  # a frozen dataclass costs ~1 µs to build
        identity = Identity(key_id, key.principal, region, key.policy)
        if len(self._identities) >= 4096:
            self._identities.clear()
        self._identities[key_id, region] = (key, identity)
        return identity

    def _open_prefix(self, raw: bytes, identity: Identity) -> None:
        """Remember that headers made of ``raw``'s part before the signature pass (keys-less mode).

        Only where that part decides everything the full check looks at besides the signature's
        presence and the date header (the split rules of :func:`_parse_authorization`).
        """
        prefix, sep, signature = raw.rpartition(b", Signature=")
        if sep and b"," not in signature and b" " in prefix.strip():
            if len(self._open_prefixes) >= 1024:
                self._open_prefixes.clear()
            self._open_prefixes[prefix] = identity

    def _open_identity(self, credential: str) -> Identity:
        """The identity of any credentials when no keys are configured (remembered per credential)."""
        parts = credential.rstrip("/").split("/")
        key_id = parts[0]
        region = parts[2] if len(parts) == 5 and _REGION.fullmatch(parts[2]) else DEFAULT_REGION
        identity = Identity(key_id, f"arn:aws:iam::{self._account_id}:user/{key_id}", region)
        if len(self._open_identities) >= 4096:
            self._open_identities.clear()
        self._open_identities[credential] = identity
        return identity

    def _check_scope(self, day: str, region: str, service: str, terminator: str, amz_date: str) -> None:
        problems = []
        if not _REGION.fullmatch(region):
            problems.append(f"Credential should be scoped to a valid region, not '{region}'. ")
        if service != SERVICE:
            problems.append(f"Credential should be scoped to correct service: '{SERVICE}'. ")
        if terminator != "aws4_request":
            problems.append(
                f"Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'. "
            )
        if day != amz_date[:8]:
            problems.append(
                f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                f"'{day}' != '{amz_date[:8]}', from '{amz_date}'."
            )
        if problems:
            raise errors.invalid_signature("".join(problems).rstrip())
        if len(self._valid_regions) < 256:
            self._valid_regions.add(region)

    def _signing_key(self, key: AccessKey, day: str, region: str, service: str) -> _Hmac:
        cache_key = (key.access_key_id, key.secret_access_key, day, region, service)
        cached = self._signing_keys.get(cache_key)
        if cached is not None:
            return cached
        secret = ("AWS4" + key.secret_access_key).encode()
        for part in (day, region, service, "aws4_request"):
            secret = hmac.digest(secret, part.encode(), "sha256")
        derived = _Hmac(secret)
        if len(self._signing_keys) > 4096:
            self._signing_keys.clear()
        self._signing_keys[cache_key] = derived
        return derived
