"""The DynamoDB JSON protocol's framing, independent of the HTTP server.

What a request must look like before it reaches an operation, in the order the checks run (the
order DynamoDB answers in, so a request with several faults gets DynamoDB's error):

1. ``OPTIONS`` is a CORS preflight; ``GET``/``HEAD`` is the health check.
2. Anything but ``POST``, or a non-empty body with a content type other than
   ``application/x-amz-json-1.0``/``1.1`` (or ``application/json``) -> 404 ``<UnknownOperationException/>``.
3. ``Content-Encoding: gzip``/``deflate`` bodies are inflated, never past :data:`MAX_REQUEST_BYTES`.
4. The body must be a JSON object -> otherwise ``SerializationException``.
5. ``X-Amz-Target`` must name a known service version and an operation -> ``UnknownOperationException``.
6. Authentication (:mod:`.sigv4`), then authorization (:mod:`.policy`).
7. An empty body -> ``SerializationException``; then the operation itself validates its input.

Size limit: DynamoDB's largest request is a 16 MB ``BatchWriteItem``; a body (raw or inflated)
over 16 MiB gets ``413``. Responses carry ``x-amzn-RequestId`` (52 characters from ``A-Z2-7``,
like DynamoDB's) and ``x-amz-crc32``, the CRC32 of the body bytes as sent, compressed or not (what
the AWS SDKs check). Responses of at least :data:`MIN_COMPRESS_BYTES` (DynamoDB's 4 KB) are
compressed with gzip or deflate when ``Accept-Encoding`` allows one (:func:`response_encoding`,
which follows DynamoDB's reading of the header, quirks included).
"""

from __future__ import annotations

import base64
import itertools
import os
import re
import zlib
from typing import Any, Final

import orjson

from dynaflow.engine import errors

MAX_REQUEST_BYTES: Final = 16 * 1024 * 1024
#: DynamoDB compresses answers from 4 KB on; smaller ones cost more to compress than to send.
MIN_COMPRESS_BYTES: Final = 4096

DYNAMODB_SERVICE: Final = "DynamoDB_20120810"
STREAMS_SERVICE: Final = "DynamoDBStreams_20120810"
STREAMS_OPERATIONS: Final = frozenset({"ListStreams", "DescribeStream", "GetShardIterator", "GetRecords"})

#: Media types accepted on requests; the response echoes the request's.
JSON_MEDIA_TYPES: Final = frozenset(
    {b"application/x-amz-json-1.0", b"application/x-amz-json-1.1", b"application/json"}
)
DEFAULT_MEDIA_TYPE: Final = b"application/x-amz-json-1.0"

#: DynamoDB's answer to a request that is not for the JSON protocol at all.
NOT_JSON_PROTOCOL_BODY: Final = b"<UnknownOperationException/>\n"

_OPERATION = re.compile(r"[A-Za-z]{1,64}")


class RequestTooLarge(Exception):
    """The request body, raw or inflated, is over :data:`MAX_REQUEST_BYTES`."""


_media_cache: dict[bytes, bytes] = {}


def media_type(content_type: bytes | None) -> bytes | None:
    """The bare, lower-case media type of a ``Content-Type`` value (parameters dropped)."""
    if not content_type:
        return None
    cached = _media_cache.get(content_type)
    if cached is None:
        cached = content_type.split(b";", 1)[0].strip().lower()
        if len(_media_cache) < 256:
            _media_cache[content_type] = cached
    return cached


_target_cache: dict[bytes, tuple[str, str]] = {}


def parse_target(target: bytes | None) -> tuple[str, str]:
    """``(service, operation)`` from ``X-Amz-Target``, or ``UnknownOperationException``.

    Streams operations exist only under the streams service and vice versa, as in DynamoDB;
    whether the operation is implemented is the engine's answer. Valid targets are remembered
    (a client uses a handful), so the common case is one dictionary lookup.
    """
    if target:
        cached = _target_cache.get(target)
        if cached is not None:
            return cached
        parsed = _parse_target(target)
        if len(_target_cache) < 256:
            _target_cache[target] = parsed
        return parsed
    raise errors.unknown_operation()


def _parse_target(target: bytes) -> tuple[str, str]:
    service, dot, operation = target.decode("latin-1").partition(".")
    if dot and _OPERATION.fullmatch(operation):
        if service == DYNAMODB_SERVICE and operation not in STREAMS_OPERATIONS:
            return service, operation
        if service == STREAMS_SERVICE and operation in STREAMS_OPERATIONS:
            return service, operation
    raise errors.unknown_operation()


def decode_body(raw: bytes, content_encoding: bytes | None, *, limit: int = MAX_REQUEST_BYTES) -> bytes:
    """The request body with its ``Content-Encoding`` removed, never inflated past ``limit``."""
    if not content_encoding:
        return raw
    encoding = content_encoding.strip().lower()
    if encoding in (b"identity", b""):
        return raw
    if encoding in (b"gzip", b"x-gzip"):
        wbits = 16 + zlib.MAX_WBITS
    elif encoding == b"deflate":
        wbits = zlib.MAX_WBITS
    else:
        raise errors.serialization(f"Unsupported Content-Encoding: {encoding.decode('latin-1')}")
    parts: list[bytes] = []
    size = 0
    rest = raw
    while True:  # a gzip body may hold several members, one after another (RFC 1952)
        inflater = zlib.decompressobj(wbits)
        try:
            part = inflater.decompress(rest, limit + 1 - size)
        except zlib.error:
            raise errors.serialization("The request body could not be decompressed") from None
        size += len(part)
        if size > limit:
            raise RequestTooLarge
        if not inflater.eof:
            raise errors.serialization("The request body could not be decompressed")
        parts.append(part)
        rest = inflater.unused_data
        if wbits == zlib.MAX_WBITS or rest[:2] != b"\x1f\x8b":  # junk after the last member is ignored
            return parts[0] if len(parts) == 1 else b"".join(parts)


def parse_json(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object, or ``SerializationException`` as DynamoDB words it."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise errors.serialization("") from None
    if isinstance(data, dict):
        return data
    if isinstance(data, list):
        raise errors.serialization("Start of list found where not expected")
    raise errors.serialization("Expected null")


def dump_json(value: Any) -> bytes:
    """Serialize a response (which may hold ``orjson.Fragment`` item bytes)."""
    return orjson.dumps(value)


def crc32(body: bytes) -> bytes:
    """The ``x-amz-crc32`` header value: unsigned CRC32 in decimal."""
    return str(zlib.crc32(body)).encode()


_ID_PREFIX = base64.b32encode(os.urandom(25))[:36].decode()  # per process: 180 random bits
_id_counter = itertools.count()


_ID_PREFIX_BYTES = _ID_PREFIX.encode()


def new_request_id() -> str:
    """A 52-character request id from ``A-Z0-9``: a random per-process prefix and a counter.

    Unique without a system call per request (``os.urandom`` + base32 cost ~5 µs); ids are for
    correlating logs, not secrets.
    """
    return f"{_ID_PREFIX}{next(_id_counter):016X}"


def new_request_id_bytes() -> bytes:
    """:func:`new_request_id` as the bytes of the response header (same sequence, same counter)."""
    return b"%s%016X" % (_ID_PREFIX_BYTES, next(_id_counter))


def response_encoding(accept_encoding: bytes | None) -> bytes | None:
    """``b"gzip"``, ``b"deflate"`` or None: how to encode an answer for this ``Accept-Encoding``.

    DynamoDB's reading of the header: entries are ``coding;q=value``, case-insensitive, blanks
    around them ignored; a coding that is not a plain token is ignored (``"gzip"``, ``gzip br``);
    the first ``q`` of an entry counts, one that does not parse counts as 1, and it is clamped to
    0..1; a coding listed twice takes its highest ``q``; ``*`` stands for every coding not listed;
    ``identity`` is ignored. The highest positive ``q`` wins; on a tie a listed coding beats one
    that ``*`` stands for, the first listed wins among listed ones, and gzip among the others.
    Answers are remembered per header value.
    """
    if not accept_encoding:
        return None
    if accept_encoding in _encoding_cache:
        return _encoding_cache[accept_encoding]
    chosen = _response_encoding(accept_encoding)
    if len(_encoding_cache) < 256:
        _encoding_cache[accept_encoding] = chosen
    return chosen


_encoding_cache: dict[bytes, bytes | None] = {}
_TOKEN: Final = re.compile(rb"[A-Za-z0-9!#$%&'*+.^_`|~-]+")
_CODINGS: Final = (b"gzip", b"deflate")


def _response_encoding(accept_encoding: bytes) -> bytes | None:
    listed: dict[bytes, float] = {}  # coding -> q, in the order first listed
    wildcard: float | None = None
    for entry in accept_encoding.split(b","):
        coding, *params = entry.split(b";")
        coding = coding.strip().lower()
        if not _TOKEN.fullmatch(coding):
            continue
        q = 1.0
        for param in params:
            name, equals, value = param.partition(b"=")
            if equals and name.strip().lower() == b"q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 1.0
                break
        if coding == b"*":
            wildcard = q if wildcard is None else max(wildcard, q)
        elif coding in _CODINGS:
            listed[coding] = max(listed.get(coding, q), q)
    best: tuple[float, int, int] | None = None
    choice: bytes | None = None
    order = list(listed)
    for preference, coding in enumerate(_CODINGS):
        if coding in listed:
            rank = (listed[coding], 1, -order.index(coding))
        elif wildcard is not None:
            rank = (wildcard, 0, -preference)
        else:
            continue
        if rank[0] > 0 and (best is None or rank > best):
            best, choice = rank, coding
    return choice


def compress(body: bytes, encoding: bytes = b"gzip") -> bytes:
    """``body`` in ``encoding`` (gzip, or zlib-wrapped deflate as HTTP defines it), at a level that
    favors CPU over ratio (level 1 is ~5x cheaper than 9)."""
    return zlib.compress(body, 1, wbits=16 + zlib.MAX_WBITS if encoding == b"gzip" else zlib.MAX_WBITS)
