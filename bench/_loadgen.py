"""A raw-HTTP keep-alive load generator for DynamoDB's JSON 1.0 protocol.

Request bytes are built before timing: ``POST /`` with ``X-Amz-Target``, ``Content-Type:
application/x-amz-json-1.0`` and a static ``Authorization`` header in SigV4's shape (every server
benchmarked here accepts any credentials on loopback; none is asked to verify a signature). The
client is an ``asyncio.Protocol`` driven by callbacks - no coroutine switch per request - that
parses responses with httptools, on uvloop when available. Each connection sends its next request
as soon as the previous response is complete (one request in flight per connection, like an SDK).

A run is bounded by a request count and by a time limit, whichever comes first; a server that
stops answering fails the run instead of hanging it. Any non-200
answer is counted and the first one kept, so a benchmark never times error paths unnoticed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httptools
import orjson

LOOP_FACTORY: Callable[[], asyncio.AbstractEventLoop] | None
try:
    import uvloop

    LOOP_FACTORY = uvloop.new_event_loop
except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
    LOOP_FACTORY = None

ACCESS_KEY = "AKIDBENCHMARK"
STALL_SECONDS = 30.0
REGION = "us-east-1"


def _auth_headers() -> bytes:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    return (f"X-Amz-Date: {stamp}\r\n"
            f"Authorization: AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{stamp[:8]}/{REGION}/dynamodb/aws4_request, "
            f"SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={'0' * 64}\r\n").encode()


def build(endpoint: str, operation: str, body: dict[str, Any] | bytes, auth: bytes | None = None) -> bytes:
    """The full HTTP/1.1 request for one DynamoDB call."""
    payload = body if isinstance(body, bytes) else orjson.dumps(body)
    host = endpoint.split("//", 1)[1]
    head = (f"POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-amz-json-1.0\r\n"
            f"X-Amz-Target: DynamoDB_20120810.{operation}\r\nContent-Length: {len(payload)}\r\n").encode()
    return head + (auth or _auth_headers()) + b"\r\n" + payload


def build_all(endpoint: str, requests: Sequence[tuple[str, dict[str, Any]]]) -> list[bytes]:
    auth = _auth_headers()
    return [build(endpoint, op, body, auth) for op, body in requests]


@dataclass
class Result:
    done: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, sorted
    errors: int = 0
    first_error: str = ""

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else float("nan")


class _Run:
    """Shared state of one run: the requests still to send and what came back."""

    def __init__(self, requests: Sequence[bytes], deadline: float, capture: bool) -> None:
        self.requests = requests
        self.next = 0
        self.deadline = deadline
        self.capture = capture
        self.latencies: list[float] = []
        self.bodies: list[bytes] = []
        self.errors = 0
        self.first_error = ""
        self.open = 0
        self.finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def take(self) -> bytes | None:
        if self.next >= len(self.requests) or time.perf_counter() >= self.deadline:
            return None
        request = self.requests[self.next]
        self.next += 1
        return request

    def close_one(self) -> None:
        self.open -= 1
        if self.open == 0 and not self.finished.done():
            self.finished.set_result(None)


class _Connection(asyncio.Protocol):
    def __init__(self, run: _Run) -> None:
        self.run = run
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.sent_at = 0.0
        self.body: list[bytes] = []
        self.keep = False

    # asyncio callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's transports are not subclasses

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.fail(f"unparsable response: {exc}")

    def connection_lost(self, exc: Exception | None) -> None:
        if self.transport is not None:
            self.fail(f"connection lost: {exc}")

    # httptools callbacks
    def on_headers_complete(self) -> None:
        self.keep = self.run.capture or self.parser.get_status_code() != 200
        self.body.clear()

    def on_body(self, chunk: bytes) -> None:
        if self.keep:
            self.body.append(chunk)

    def on_message_complete(self) -> None:
        run = self.run
        run.latencies.append(time.perf_counter() - self.sent_at)
        status = self.parser.get_status_code()
        if status != 200:
            run.errors += 1
            if not run.first_error:
                run.first_error = f"HTTP {status}: {b''.join(self.body)[:300].decode(errors='replace')}"
        if run.capture:
            run.bodies.append(b"".join(self.body))
        self.send()

    def send(self) -> None:
        request = self.run.take()
        if request is None:
            self.stop()
            return
        assert self.transport is not None
        self.sent_at = time.perf_counter()
        self.transport.write(request)

    def stop(self) -> None:
        if self.transport is not None:
            transport, self.transport = self.transport, None
            transport.close()
            self.run.close_one()

    def fail(self, why: str) -> None:
        self.run.errors += 1
        self.run.first_error = self.run.first_error or why
        self.stop()


async def _drive(port: int, requests: Sequence[bytes], connections: int, seconds: float,
                 capture: bool) -> tuple[Result, list[bytes]]:
    loop = asyncio.get_running_loop()
    run = _Run(requests, deadline=float("inf"), capture=capture)
    # Connect first, then start the clock: connection setup is not part of the workload.
    protocols = [(await loop.create_connection(lambda: _Connection(run), "127.0.0.1", port))[1]
                 for _ in range(connections)]
    run.open = connections
    start = time.perf_counter()
    run.deadline = start + seconds
    for proto in protocols:
        proto.send()
    try:  # a request in flight at the deadline gets STALL_SECONDS more to finish, then counts as failed
        await asyncio.wait_for(asyncio.shield(run.finished), seconds + STALL_SECONDS)
    except TimeoutError:
        for proto in protocols:
            if proto.transport is not None:
                proto.fail(f"no answer within {seconds + STALL_SECONDS:.0f} s")
    elapsed = time.perf_counter() - start
    result = Result(done=len(run.latencies), seconds=elapsed, latencies=sorted(run.latencies),
                    errors=run.errors, first_error=run.first_error)
    return result, run.bodies


def run(endpoint: str, requests: Sequence[bytes], *, connections: int = 1, seconds: float = 30.0,
        capture: bool = False) -> tuple[Result, list[bytes]]:
    """Send ``requests`` over ``connections`` keep-alive connections; stop early after ``seconds``."""
    port = int(endpoint.rsplit(":", 1)[1])
    connections = max(1, min(connections, len(requests)))
    with asyncio.Runner(loop_factory=LOOP_FACTORY) as runner:
        return runner.run(_drive(port, requests, connections, seconds, capture))


def call(endpoint: str, operation: str, body: dict[str, Any]) -> dict[str, Any]:
    """One request, answer decoded; raises on a non-200 answer (for setup and sanity checks)."""
    result, bodies = run(endpoint, [build(endpoint, operation, body)], capture=True)
    if result.errors:
        raise RuntimeError(f"{operation} failed: {result.first_error}")
    answer: dict[str, Any] = orjson.loads(bodies[0]) if bodies and bodies[0] else {}
    return answer
