"""The HTTP layer and dispatch (http.py, app.py) over real sockets, against a scripted fake client."""

from __future__ import annotations

import asyncio
import gzip
import socket
import threading
import time
import zlib
from typing import Any

import orjson
import pytest
from wire_support import FakeClient, raw_exchange, read_responses

AUTH = (b"Authorization: AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/dynamodb/aws4_request, "
        b"SignedHeaders=host;x-amz-date, Signature=00\r\nX-Amz-Date: 20240101T000000Z\r\n")


def post(body: bytes, *, target: bytes = b"DynamoDB_20120810.ListTables", extra: bytes = b"",
         content_type: bytes = b"application/x-amz-json-1.0", auth: bytes = AUTH) -> bytes:
    return (b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: " + content_type + b"\r\nX-Amz-Target: " + target
            + b"\r\n" + auth + extra + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def parse(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


# A valid request reaches the client and comes back with the protocol's headers and a correct CRC.
def test_round_trip_headers(server_factory: Any, fake: FakeClient) -> None:
    server = server_factory(fake)
    status, headers, body = parse(raw_exchange(server.port, post(b"{}")))
    assert status == 200 and orjson.loads(body) == {"TableNames": []}
    assert headers["content-type"] == "application/x-amz-json-1.0"
    assert len(headers["x-amzn-requestid"]) == 52
    assert int(headers["x-amz-crc32"]) == zlib.crc32(body)
    assert fake.calls == [("ListTables", {})]


# Operations without an output shape (TagResource, UntagResource) answer 200 with an empty body,
# as DynamoDB does; every other success carries a JSON document, even an empty one.
@pytest.mark.parametrize(("operation", "empty"), [("TagResource", True), ("UntagResource", True),
                                                  ("DeleteItem", False)])
def test_operations_without_output_have_an_empty_body(server_factory: Any, operation: str, empty: bool) -> None:
    server = server_factory(FakeClient({operation: {}}))
    request = post(b"{}", target=b"DynamoDB_20120810." + operation.encode())
    status, headers, body = parse(raw_exchange(server.port, request))
    assert status == 200
    assert body == (b"" if empty else b"{}")
    assert int(headers["content-length"]) == len(body) and int(headers["x-amz-crc32"]) == zlib.crc32(body)


# JSON 1.1 requests are answered in 1.1.
def test_json_11_content_type_echoed(server_factory: Any, fake: FakeClient) -> None:
    server = server_factory(fake)
    _, headers, _ = parse(raw_exchange(server.port, post(b"{}", content_type=b"application/x-amz-json-1.1")))
    assert headers["content-type"] == "application/x-amz-json-1.1"


# Error precedence: bad JSON before unknown target before auth; none of them reach the client.
@pytest.mark.parametrize(
    ("request_bytes", "status", "type_"),
    [
        (post(b"{bad"), 400, "com.amazon.coral.service#SerializationException"),
        (post(b"{}", target=b"DynamoDB_20120810.Nope!"), 400, "com.amazon.coral.service#UnknownOperationException"),
        (post(b"{}", auth=b""), 400, "com.amazon.coral.service#MissingAuthenticationTokenException"),
        (post(b"", target=b"DynamoDB_20120810.GetItem"), 400, "com.amazon.coral.service#SerializationException"),
        (post(b"[]"), 400, "com.amazon.coral.service#SerializationException"),
    ],
)
def test_rejections(server_factory: Any, fake: FakeClient, request_bytes: bytes, status: int, type_: str) -> None:
    server = server_factory(fake)
    got, _, body = parse(raw_exchange(server.port, request_bytes))
    assert got == status and orjson.loads(body)["__type"] == type_
    assert fake.calls == []


# Not the JSON protocol at all (wrong method or content type): DynamoDB's 404 XML body.
@pytest.mark.parametrize("request_bytes", [
    post(b"{}", content_type=b"text/plain"),
    b"PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
])
def test_not_json_protocol_is_404(server_factory: Any, fake: FakeClient, request_bytes: bytes) -> None:
    server = server_factory(fake)
    status, headers, body = parse(raw_exchange(server.port, request_bytes))
    assert status == 404 and body == b"<UnknownOperationException/>\n" and headers["x-amz-crc32"] == "3552371480"


# Engine errors keep their type, status and message key; unknown operations are never a 500.
def test_engine_errors_rendered(server_factory: Any, fake: FakeClient) -> None:
    server = server_factory(fake)
    status, _, body = parse(raw_exchange(server.port, post(b"{}", target=b"DynamoDB_20120810.ExecuteStatement")))
    assert status == 400 and orjson.loads(body) == {"__type": "com.amazon.coral.service#UnknownOperationException"}


# A bug in the client (non-DynamoError) is InternalServerError 500, logged and counted, and the server lives on.
def test_internal_error_is_500_and_counted(server_factory: Any, fake: FakeClient) -> None:
    fake.answers["ListTables"] = RuntimeError("bug")
    server = server_factory(fake)
    status, _, body = parse(raw_exchange(server.port, post(b"{}")))
    assert status == 500 and orjson.loads(body)["__type"].endswith("#InternalServerError")
    fake.answers["ListTables"] = {"TableNames": ["t"]}
    assert parse(raw_exchange(server.port, post(b"{}")))[0] == 200


# GET / is the health check; OPTIONS is a CORS preflight echoing what the browser asks for.
def test_health_and_cors_preflight(server_factory: Any, fake: FakeClient) -> None:
    server = server_factory(fake)
    status, headers, body = parse(raw_exchange(server.port, b"GET / HTTP/1.1\r\nHost: db.example:8000\r\n\r\n"))
    assert status == 200 and body == b"healthy: db.example:8000"  # DynamoDB names the host it was reached at
    assert headers["server"]  # every answer names the server, as DynamoDB's do
    for path in (b"/abc", b"/health", b"/index.htm"):  # only the root is the health check
        status, _, _ = parse(raw_exchange(server.port, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n"))
        assert 400 <= status <= 404
    status, headers, _ = parse(raw_exchange(server.port, b"OPTIONS / HTTP/1.1\r\nHost: x\r\n\r\n"))
    assert status == 200 and not any(name.startswith("access-control-") for name in headers)  # no Origin: not CORS
    preflight = (b"OPTIONS / HTTP/1.1\r\nHost: x\r\nOrigin: http://localhost:8001\r\n"
                 b"Access-Control-Request-Method: POST\r\n"
                 b"Access-Control-Request-Headers: content-type,x-amz-target,authorization\r\n\r\n")
    status, headers, _ = parse(raw_exchange(server.port, preflight))
    assert status == 200
    assert headers["access-control-allow-origin"] == "*"
    assert headers["access-control-allow-methods"] == "POST"
    assert headers["access-control-allow-headers"] == "content-type,x-amz-target,authorization"
    _, headers, _ = parse(raw_exchange(server.port, post(b"{}", extra=b"Origin: http://localhost:8001\r\n")))
    assert headers["access-control-allow-origin"] == "*" and "x-amz-crc32" in headers["access-control-expose-headers"]


# gzip request bodies are inflated; large responses are gzipped when accepted, with the CRC over the wire bytes.
def test_gzip_both_ways(server_factory: Any, fake: FakeClient) -> None:
    fake.answers["Scan"] = lambda req: {"Items": [{"pk": {"S": "x" * 100}}] * 50, "Echo": req}
    server = server_factory(fake)
    body = gzip.compress(b'{"TableName": "t"}')
    raw = raw_exchange(server.port, post(body, target=b"DynamoDB_20120810.Scan",
                                         extra=b"Content-Encoding: gzip\r\nAccept-Encoding: gzip\r\n"))
    status, headers, wire = parse(raw)
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert int(headers["x-amz-crc32"]) == zlib.crc32(wire)
    assert orjson.loads(gzip.decompress(wire))["Echo"] == {"TableName": "t"}


# Keep-alive and pipelining: several requests on one connection get answers in order.
def test_pipelined_requests_answered_in_order(server_factory: Any, fake: FakeClient) -> None:
    fake.answers["GetItem"] = lambda req: {"Item": {"n": {"N": str(req["n"])}}}
    server = server_factory(fake)
    batch = b"".join(post(orjson.dumps({"n": i}), target=b"DynamoDB_20120810.GetItem") for i in range(50))
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(batch)
        raw = read_responses(sock, 50)
    bodies = [orjson.loads(part.split(b"\r\n\r\n", 1)[1][: part.find(b"}}}") + 3]) for part in
              raw.split(b"HTTP/1.1 ")[1:]]
    assert [int(b["Item"]["n"]["N"]) for b in bodies] == list(range(50))


# Handlers that suspend (as writes awaiting their commit do), some more than once, are resumed without
# a task and still answer pipelined requests behind them in order.
def test_suspending_handlers_answer_pipelined_requests_in_order(server_factory: Any) -> None:
    async def answer(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        for _ in range(request["n"] % 3):
            await asyncio.sleep(0.001 * (request["n"] % 2))  # a future, or a bare yield
        return {"Item": {"n": {"N": str(request["n"])}}}

    class Suspending(FakeClient):
        async def call_wire(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
            return await answer(operation, request)

    server = server_factory(Suspending())
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        for start in (0, 20):  # one by one, then pipelined
            if start == 0:
                raw = b""
                for i in range(20):
                    sock.sendall(post(orjson.dumps({"n": i}), target=b"DynamoDB_20120810.PutItem"))
                    raw += read_responses(sock, 1)
            else:
                sock.sendall(b"".join(post(orjson.dumps({"n": i}), target=b"DynamoDB_20120810.PutItem")
                                      for i in range(20, 40)))
                raw = read_responses(sock, 20)
            numbers = [int(orjson.loads(part.split(b"\r\n\r\n", 1)[1][: part.find(b"}}}") + 3])["Item"]["n"]["N"])
                       for part in raw.split(b"HTTP/1.1 ")[1:]]
            assert numbers == list(range(start, start + 20))


# A malformed request arriving while a handler is suspended is answered 400 after that handler's answer.
def test_malformed_request_behind_suspended_handler(server_factory: Any, fake: FakeClient) -> None:
    fake.delay = 0.05
    server = server_factory(fake)
    raw = raw_exchange(server.port, post(b"{}") + b"\x16garbage\r\n\r\n", until_close=True)
    assert raw.startswith(b"HTTP/1.1 200") and b"HTTP/1.1 400" in raw


# Chunked request bodies are reassembled.
def test_chunked_body(server_factory: Any, fake: FakeClient) -> None:
    fake.answers["PutItem"] = lambda req: {"Echo": req}
    server = server_factory(fake)
    body = b'{"TableName": "t", "Item": {"pk": {"S": "a"}}}'
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 7]), body[i:i + 7]) for i in range(0, len(body), 7))
    request = (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: "
               b"DynamoDB_20120810.PutItem\r\n" + AUTH + b"Transfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n")
    status, _, out = parse(raw_exchange(server.port, request))
    assert status == 200 and orjson.loads(out)["Echo"] == orjson.loads(body)


# Expect: 100-continue gets an interim 100 before the body is sent.
def test_expect_100_continue(server_factory: Any, fake: FakeClient) -> None:
    server = server_factory(fake)
    head = post(b"{}", extra=b"Expect: 100-continue\r\n")[:-2]
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head)
        assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(b"{}")
        assert read_responses(sock, 1).startswith(b"HTTP/1.1 200")


# Bodies over the limit are refused with 413 before being read (by length) or while streaming (chunked).
def test_body_limit(server_factory: Any, fake: FakeClient) -> None:
    server = server_factory(fake, max_body=1000)
    huge = post(b"{}").replace(b"Content-Length: 2", b"Content-Length: 5000000")
    assert raw_exchange(server.port, huge, until_close=True).startswith(b"HTTP/1.1 413")
    chunked = (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + b"400\r\n" + b"x" * 1024
               + b"\r\n" + b"400\r\n" + b"x" * 1024 + b"\r\n0\r\n\r\n")
    assert raw_exchange(server.port, chunked, until_close=True).startswith(b"HTTP/1.1 413")
    bomb = gzip.compress(b"{" + b" " * 100_000 + b"}")
    assert parse(raw_exchange(server.port, post(bomb, extra=b"Content-Encoding: gzip\r\n")))[0] == 413
    assert fake.calls == []


# Garbage that is not HTTP gets 400 and a closed connection, not a crash.
def test_malformed_http(server_factory: Any, fake: FakeClient) -> None:
    server = server_factory(fake)
    assert raw_exchange(server.port, b"\x16\x03\x01garbage\r\n\r\n", until_close=True).startswith(b"HTTP/1.1 400")
    assert parse(raw_exchange(server.port, post(b"{}")))[0] == 200


# Shutdown lets an in-flight request finish, answers it, and closes the client.
def test_graceful_shutdown_finishes_in_flight(server_factory: Any, fake: FakeClient) -> None:
    fake.delay = 0.5
    server = server_factory(fake)
    result: dict[str, bytes] = {}

    def call() -> None:
        result["raw"] = raw_exchange(server.port, post(b"{}"))

    caller = threading.Thread(target=call)
    caller.start()
    time.sleep(0.2)
    server.shutdown()
    caller.join(10)
    status, headers, _ = parse(result["raw"])
    assert status == 200 and headers.get("connection") == "close"
    assert fake.closed
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()


# Every request leaves one structured JSON access-log line.
def test_access_log_lines(server_factory: Any, fake: FakeClient) -> None:
    server = server_factory(fake)
    raw_exchange(server.port, post(b"{}"))
    raw_exchange(server.port, post(b"{bad"))
    server.shutdown()
    records = [orjson.loads(line) for line in server.log_lines]
    assert [(r["op"], r["status"], r["error"]) for r in records] == [
        ("ListTables", 200, None), (None, 400, "SerializationException")]
    assert all(len(r["request_id"]) == 52 and r["duration_us"] >= 0 for r in records)


# With several connections open, answers are written at the end of the loop pass, batched: pipelined
# answers (immediate and suspended ones) still come back in order, an interim 100 still precedes its
# answer, and a request asking to close gets every earlier answer before the close.
def test_batched_answers_keep_order_and_reach_the_client_before_a_close(server_factory: Any) -> None:
    async def answer(request: dict[str, Any]) -> dict[str, Any]:
        for _ in range(request["n"] % 3):
            await asyncio.sleep(0.001 * (request["n"] % 2))
        return {"Item": {"n": {"N": str(request["n"])}}}

    class Mixed(FakeClient):
        async def call_wire(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
            if operation == "GetItem":
                return {"Item": {"n": {"N": str(request["n"])}}}
            return await answer(request)

    def numbers(raw: bytes) -> list[int]:
        return [int(orjson.loads(part.split(b"\r\n\r\n", 1)[1][: part.find(b"}}}") + 3])["Item"]["n"]["N"])
                for part in raw.split(b"HTTP/1.1 ")[1:] if not part.startswith(b"100")]

    server = server_factory(Mixed())
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as other, \
            socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        other.sendall(post(orjson.dumps({"n": 0}), target=b"DynamoDB_20120810.GetItem"))
        assert numbers(read_responses(other, 1)) == [0]
        targets = [b"DynamoDB_20120810.GetItem", b"DynamoDB_20120810.PutItem"]
        sock.sendall(b"".join(post(orjson.dumps({"n": i}), target=targets[i % 4 == 3]) for i in range(40)))
        assert numbers(read_responses(sock, 40)) == list(range(40))
        head = post(b'{"n": 40}', target=targets[0], extra=b"Expect: 100-continue\r\n")[:-9]
        sock.sendall(head)
        assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(b'{"n": 40}')
        assert numbers(read_responses(sock, 1)) == [40]
        sock.sendall(b"".join(post(orjson.dumps({"n": i}), target=targets[0]) for i in range(41, 45))
                     + post(orjson.dumps({"n": 45}), target=targets[0], extra=b"Connection: close\r\n"))
        raw = read_responses(sock, None)
        assert numbers(raw) == list(range(41, 46)) and raw.count(b"Connection: close") == 1
