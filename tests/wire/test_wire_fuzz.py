"""Fuzzing the HTTP layer with hypothesis: bad input never crashes the server, never gets a 500,
and a rejected request never changes data."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wire_support import RunningServer, boto3_client, start_server

LIMIT = 64 * 1024
TABLE = "fuzzed"
OPS = ["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems", "CreateTable",
       "DeleteTable", "GetItem", "Query", "Scan", "Nope", ""]
AUTH = (b"Authorization: AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/dynamodb/aws4_request, "
        b"SignedHeaders=host, Signature=00\r\nX-Amz-Date: 20240101T000000Z\r\n")


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, Any, list[Any]]]:
    try:
        from dynaflow.dynamo.embedded import AsyncEmbeddedClient
    except ImportError:
        pytest.skip("the embedded engine is not available")
    tmp = tmp_path_factory.mktemp("fuzz")
    server = start_server(AsyncEmbeddedClient.open(tmp / "data", durability="os"), tmp, max_body=LIMIT)
    client = boto3_client(server.url)
    client.create_table(TableName=TABLE, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST")
    for i in range(5):
        client.put_item(TableName=TABLE, Item={"pk": {"S": f"k{i}"}, "v": {"N": str(i)}})
    try:
        yield server, client, snapshot(client)
    finally:
        server.shutdown()


def snapshot(client: Any) -> list[Any]:
    return sorted(client.scan(TableName=TABLE)["Items"], key=lambda i: i["pk"]["S"])


def exchange(port: int, data: bytes) -> list[int]:
    """Send ``data``; return the statuses of every response until the server closes or goes quiet."""
    statuses: list[int] = []
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may close early (413, 400) while we are still sending
        buf = b""
        try:
            while chunk := sock.recv(65536):
                buf += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    for part in buf.split(b"HTTP/1.1 ")[1:]:
        code = part[:3]
        if code.isdigit():
            statuses.append(int(code))
    return statuses


def request(body: bytes, *, target: bytes, content_type: bytes = b"application/x-amz-json-1.0",
            extra: bytes = b"") -> bytes:
    return (b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: " + content_type + b"\r\nX-Amz-Target: "
            + target + b"\r\n" + AUTH + extra + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


ints = st.integers(-(2**63), 2**63 - 1)  # orjson's range
json_scalars = st.none() | st.booleans() | ints | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(json_scalars, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(
    st.text(max_size=8), kids, max_size=4), max_leaves=20)


def malformed_json() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=200).filter(lambda b: not _is_json_object(b)),
        json_values.map(lambda v: orjson.dumps(v)[:-1] if orjson.dumps(v)[:-1] else b"{"),
        st.integers(min_value=500, max_value=20_000).map(lambda n: b'{"TableName":' + b"[" * n + b"]" * n + b"}"),
        st.integers(min_value=500, max_value=5_000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    )


def _is_json_object(data: bytes) -> bool:
    try:
        return isinstance(orjson.loads(data), dict)
    except orjson.JSONDecodeError:
        return False


def wrong_types() -> st.SearchStrategy[bytes]:
    """Valid JSON whose members have the wrong types for a write: always rejected by the engine."""
    bad = st.one_of(ints, st.lists(ints, max_size=3), st.booleans(), st.text(max_size=5))
    return st.builds(
        lambda item, key, extra: orjson.dumps({"TableName": TABLE, "Item": {"pk": item}, "Key": key, **extra}),
        bad, bad, st.dictionaries(st.sampled_from(["ReturnValues", "ConditionExpression", "Expected"]), bad,
                                  max_size=2),
    )


targets = st.sampled_from(OPS).map(lambda op: f"DynamoDB_20120810.{op}".encode()) | st.binary(max_size=40)
header_values = st.binary(max_size=60).filter(lambda b: b"\r" not in b and b"\n" not in b)


def assert_clean(server: RunningServer, client: Any, before: list[Any], statuses: list[int],
                 writes_possible: bool = False) -> None:
    assert 500 not in statuses, statuses
    assert all(s in (200, 400, 404, 413, 431) for s in statuses), statuses
    if not writes_possible or 200 not in statuses:
        assert snapshot(client) == before
    assert exchange(server.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n") == [200]


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])


# Random bytes instead of HTTP: answered 400 (or dropped), never a crash.
@FUZZ
@given(data=st.binary(min_size=1, max_size=2000))
def test_random_bytes(fuzz_server: Any, data: bytes) -> None:
    server, client, before = fuzz_server
    assert_clean(server, client, before, exchange(server.port, data))


# Malformed JSON, deep nesting and truncation on every target: SerializationException or earlier, nothing written.
@FUZZ
@given(body=malformed_json(), target=targets)
def test_malformed_json(fuzz_server: Any, body: bytes, target: bytes) -> None:
    server, client, before = fuzz_server
    statuses = exchange(server.port, request(body, target=target))
    assert statuses and statuses[0] in (400, 413)
    assert_clean(server, client, before, statuses)


# Well-formed JSON with wrong member types on write operations: rejected, nothing written.
@FUZZ
@given(body=wrong_types(), op=st.sampled_from(["PutItem", "UpdateItem", "DeleteItem"]))
def test_wrong_types(fuzz_server: Any, body: bytes, op: str) -> None:
    server, client, before = fuzz_server
    statuses = exchange(server.port, request(body, target=f"DynamoDB_20120810.{op}".encode()))
    assert statuses and statuses[0] == 400
    assert_clean(server, client, before, statuses)


# Wrong or random headers (content type, encoding, auth, target): DynamoDB-style rejections, never a 500.
@FUZZ
@given(content_type=header_values, encoding=header_values, auth=header_values, target=targets,
       body=st.sampled_from([b"{}", b'{"TableName": "fuzzed"}', b"\x1f\x8b\x08\x00garbage"]))
def test_wrong_headers(fuzz_server: Any, content_type: bytes, encoding: bytes, auth: bytes, target: bytes,
                       body: bytes) -> None:
    server, client, before = fuzz_server
    raw = (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: " + content_type + b"\r\nContent-Encoding: " + encoding
           + b"\r\nAuthorization: " + auth + b"\r\nX-Amz-Target: " + target + b"\r\nContent-Length: "
           + str(len(body)).encode() + b"\r\n\r\n" + body)
    assert_clean(server, client, before, exchange(server.port, raw), writes_possible=True)


# Bodies over the limit (declared, streamed chunked, or inflated from gzip) get 413 and write nothing.
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.integers(min_value=LIMIT + 1, max_value=4 * LIMIT), how=st.sampled_from(["length", "chunked", "gzip"]))
def test_huge_bodies(fuzz_server: Any, size: int, how: str) -> None:
    import gzip

    server, client, before = fuzz_server
    body = b'{"TableName": "fuzzed", "Item": {"pk": {"S": "' + b"x" * size + b'"}}}'
    if how == "length":
        raw = request(body, target=b"DynamoDB_20120810.PutItem")
    elif how == "gzip":
        raw = request(gzip.compress(body), target=b"DynamoDB_20120810.PutItem", extra=b"Content-Encoding: gzip\r\n")
    else:
        raw = (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: "
               b"DynamoDB_20120810.PutItem\r\n" + AUTH + b"Transfer-Encoding: chunked\r\n\r\n"
               + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
    statuses = exchange(server.port, raw)
    assert statuses == [413]
    assert_clean(server, client, before, statuses)
