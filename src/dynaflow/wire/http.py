"""HTTP/1.1 server on ``asyncio.Protocol`` and ``httptools``: the wire server's transport.

Why not ASGI under uvicorn: on this machine a bare ``asyncio.Protocol`` + ``httptools`` server costs
~8 µs of CPU per request and uvicorn's raw ASGI ~37 µs; the wire server's budget for a whole GetItem
is 50 µs. The surface DynamoDB clients need is small - ``POST /`` with a JSON body, keep-alive,
pipelining, chunked bodies, ``Expect: 100-continue`` - so this module implements exactly that and
hands each complete request to a handler (``async (HttpRequest) -> HttpResponse``).

How a connection works:

* ``httptools`` parses; callbacks collect the URL, headers (names lower-cased, repeats joined with
  ``,`` as SigV4 canonicalizes them) and body chunks into an :class:`HttpRequest`.
* Complete requests queue per connection and one task answers them in order, so pipelined requests
  get their responses in request order. Reading pauses while too many requests are queued and while
  the transport's write buffer is full.
* A body over the size limit (by ``Content-Length`` before reading it, or while reading a chunked
  body) gets ``413`` and the connection closes; a request the parser rejects gets ``400`` and the
  connection closes. Neither reaches the handler.
* Shutdown (:meth:`HttpServerState.shutdown`) closes idle connections at once and lets busy ones
  finish the requests they have already received, answering them with ``Connection: close``.
* A sweeper closes connections idle longer than the keep-alive timeout, or stuck mid-request longer
  than the request timeout (slow-loris clients).

Per request the server does no system call besides the socket's read and write: timeouts are
checked against a clock the sweeper refreshes once a second (``HttpServerState.now``), and the
response goes out in one ``write`` of one buffer whose status line and ``Date`` line are
precomputed. Exact start times (for access logs) are taken only when ``timed`` is set.

Responses are written at the end of the event-loop pass, not as each is produced
(:meth:`HttpServerState.flush`, scheduled once per pass with ``call_soon``): the loop first
answers every request that arrived in its batch, then writes all the answers back to back, one
``write`` per connection (pipelined answers to the same connection are joined). Writing each
answer as soon as it is made interleaves the kernel's loopback delivery and the wake-up of a
sleeping client with the next request's work; batching them cut the server's CPU per GetItem
from ~80 µs to ~57 µs over 16 connections on this machine and raised throughput by ~50%
(a client that is woken once per batch answers in batches too). The delay it adds is one pass of
the loop; a lone connection, with nothing to batch with, skips it. Anything that closes a
connection writes that connection's pending answers first, so nothing is lost or reordered.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Coroutine
from email.utils import formatdate
from typing import Any, Final

import httptools

from dynaflow.wire.protocol import MAX_REQUEST_BYTES

MAX_PIPELINED: Final = 32
MAX_HEADER_BYTES: Final = 64 * 1024

REASONS: Final = {
    100: b"Continue", 200: b"OK", 204: b"No Content", 400: b"Bad Request", 404: b"Not Found",
    405: b"Method Not Allowed", 413: b"Request Entity Too Large", 431: b"Request Header Fields Too Large",
    500: b"Internal Server Error", 503: b"Service Unavailable",
}
_STATUS_LINES: Final = {status: b"HTTP/1.1 %d %s\r\nDate: " % (status, reason) for status, reason in REASONS.items()}


def _status_line(status: int) -> bytes:
    line = _STATUS_LINES.get(status)
    return line if line is not None else b"HTTP/1.1 %d Unknown\r\nDate: " % status


def render_headers(headers: list[tuple[bytes, bytes]]) -> bytes:
    """``name: value\\r\\n`` lines for :attr:`HttpResponse.headers`."""
    return b"".join(b"%s: %s\r\n" % pair for pair in headers)


class HttpRequest:
    """One complete HTTP request."""

    __slots__ = ("body", "client", "headers", "keep_alive", "method", "started", "url")

    def __init__(
        self,
        method: bytes,
        url: bytes,
        headers: dict[bytes, bytes],
        body: bytes,
        keep_alive: bool = True,
        client: str = "",
        started: float = 0.0,
    ) -> None:
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.keep_alive = keep_alive
        self.client = client
        self.started = started

    @property
    def path(self) -> bytes:
        return self.url.split(b"?", 1)[0]


class HttpResponse:
    """A complete HTTP response; ``Content-Length``, ``Date`` and ``Connection`` are added on write.

    ``headers`` is the rendered header block, ``name: value\\r\\n`` per header (see
    :func:`render_headers`), so that a handler can build it from precomputed pieces.
    """

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: bytes = b"", body: bytes = b"") -> None:
        self.status = status
        self.headers = headers
        self.body = body


Handler = Callable[[HttpRequest], Coroutine[Any, Any, HttpResponse]]


class HttpServerState:
    """What the connections of one server share: handler, limits, live connections, clock."""

    def __init__(
        self,
        handler: Handler,
        *,
        max_body: int = MAX_REQUEST_BYTES,
        keepalive_timeout: float = 75.0,
        request_timeout: float = 60.0,
    ) -> None:
        self.handler = handler
        self.max_body = max_body
        self.keepalive_timeout = keepalive_timeout
        self.request_timeout = request_timeout
        self.connections: set[HttpConnection] = set()
        self.shutting_down = False
        self.timed = False
        """Whether requests record their exact start (``HttpRequest.started``), for access logs."""
        self.date = b""
        self.date_block = b""
        self.now = 0.0
        self._outbox: list[HttpConnection] = []
        """Connections with answers waiting for the end of this loop pass (see :meth:`flush`)."""
        self.loop: asyncio.AbstractEventLoop | None = None
        """The serving loop, known from the first connection on (``get_running_loop`` costs a
        ``getpid`` system call each time)."""
        self.tick()

    def tick(self) -> None:
        """Refresh the cached ``Date`` line and the coarse clock (called about once a second)."""
        self.date = formatdate(usegmt=True).encode()
        # DynamoDB names itself in a Server header on every answer; ours rides in the cached block.
        self.date_block = self.date + b"\r\nServer: dynaflow\r\nContent-Length: "
        self.now = time.monotonic()

    def protocol_factory(self) -> HttpConnection:
        if self.loop is None:
            self.loop = asyncio.get_running_loop()
        return HttpConnection(self)

    def queue_output(self, conn: HttpConnection) -> None:
        """Write ``conn``'s answers at the end of this loop pass (its first pending answer calls this)."""
        if not self._outbox:
            (self.loop or asyncio.get_running_loop()).call_soon(self.flush)
        self._outbox.append(conn)

    def flush(self) -> None:
        """Write every pending answer: one ``write`` per connection, in the order they were made."""
        outbox, self._outbox = self._outbox, []
        for conn in outbox:
            conn.flush()

    def sweep(self) -> None:
        """Close connections idle past the keep-alive timeout or stuck mid-request."""
        now = time.monotonic()
        for conn in list(self.connections):
            conn.close_if_stale(now)

    def begin_shutdown(self) -> None:
        """Stop taking new requests: idle connections close now, busy ones after their answers."""
        self.shutting_down = True
        for conn in list(self.connections):
            conn.close_if_idle()

    async def drain(self, timeout: float) -> None:
        """Wait until every received request is answered (or ``timeout``), then close everything."""
        deadline = time.monotonic() + timeout
        while self.connections and time.monotonic() < deadline:
            busy = [c for c in self.connections if c.busy or c.has_output]
            if not busy:
                break
            await asyncio.sleep(0.01)
        for conn in list(self.connections):
            conn.abort()


class HttpConnection(asyncio.Protocol):
    """One client connection: parse, queue, answer in order."""

    def __init__(self, state: HttpServerState) -> None:
        self._state = state
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpRequestParser(self)
        self._client = ""
        self._queue: deque[HttpRequest] = deque()
        self._task: asyncio.Task[None] | None = None
        # A handler started inline that suspended on a future: resumed by the future's callback
        # (no task), and while it is pending later requests queue behind it.
        self._suspended: tuple[HttpRequest, Coroutine[Any, Any, HttpResponse]] | None = None
        self._closed = False
        self._out: list[bytes] = []  # answers made this loop pass, written by flush()
        self._reading_paused = False
        self._writable = asyncio.Event()
        self._writable.set()
        self._last_activity = state.now
        # the request being parsed
        self._in_message = False
        self._started = 0.0
        self._url = b""
        self._headers: dict[bytes, bytes] = {}
        self._header_bytes = 0
        self._body: list[bytes] = []
        self._body_size = 0
        self._reject = 0
        self._failed = 0

    # --- asyncio.Protocol -------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # uvloop's transports don't subclass it
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and len(peer) >= 2:
            self._client = f"{peer[0]}:{peer[1]}"
        self._state.connections.add(self)
        if self._state.shutting_down:
            self.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._state.connections.discard(self)
        self._queue.clear()
        self._out.clear()
        self._writable.set()

    def data_received(self, data: bytes) -> None:
        if self._failed:
            return
        self._last_activity = self._state.now
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(400)
        except httptools.HttpParserError:
            self._fail(self._reject or 400)

    def eof_received(self) -> bool | None:
        return None

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    # --- httptools callbacks ----------------------------------------------------------------
    def on_message_begin(self) -> None:
        self._in_message = True
        state = self._state
        self._started = time.monotonic() if state.timed else state.now
        self._url = b""
        self._headers = {}
        self._header_bytes = 0
        self._body = []
        self._body_size = 0

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._header_bytes += len(url)
        if self._header_bytes > MAX_HEADER_BYTES:
            self._reject = 431
            raise ValueError("request line too long")

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value)
        if self._header_bytes > MAX_HEADER_BYTES:
            self._reject = 431
            raise ValueError("headers too long")
        name = name.lower()
        headers = self._headers
        if name in headers:
            headers[name] += b"," + value
        else:
            headers[name] = value

    def on_headers_complete(self) -> None:
        length = self._headers.get(b"content-length")
        if length is not None:
            try:
                too_large = int(length) > self._state.max_body
            except ValueError:
                too_large = False  # the parser rejects a malformed length itself
            if too_large:
                self._reject = 413
                raise ValueError("body too large")
        expect = self._headers.get(b"expect")
        if expect is not None and expect.lower() == b"100-continue":
            self._output(b"HTTP/1.1 100 Continue\r\n\r\n")  # after any answers still pending

    def on_body(self, body: bytes) -> None:
        self._body_size += len(body)
        if self._body_size > self._state.max_body:
            self._reject = 413
            raise ValueError("body too large")
        self._body.append(body)

    def on_message_complete(self) -> None:
        self._in_message = False
        parser = self._parser
        body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
        request = HttpRequest(
            parser.get_method(), self._url, self._headers, body, parser.should_keep_alive(), self._client,
            self._started,
        )
        if self._task is None and self._suspended is None and not self._queue and not self._closed:
            # Fast path: run the handler right here; most reads finish without suspending, which
            # saves a task and an event-loop iteration per request. A handler that suspends on a
            # future (a write awaiting its commit) is resumed by that future's done-callback, as a
            # task would be, without creating one; anything else gets a task.
            coro = self._state.handler(request)
            try:
                yielded = coro.send(None)
            except StopIteration as done:
                self._respond(request, done.value)
                return
            self._suspend(request, coro, yielded)
            return
        self._queue.append(request)
        if self._task is None and self._suspended is None:
            self._task = asyncio.get_running_loop().create_task(self._answer(None))
        if len(self._queue) >= MAX_PIPELINED and self._transport is not None and not self._reading_paused:
            self._reading_paused = True
            self._transport.pause_reading()

    # --- answering --------------------------------------------------------------------------
    def _suspend(self, request: HttpRequest, coro: Coroutine[Any, Any, HttpResponse], yielded: Any) -> None:
        if yielded is not None and asyncio.isfuture(yielded):
            yielded._asyncio_future_blocking = False  # as Task.__step does before waiting on it
            self._suspended = (request, coro)
            yielded.add_done_callback(self._wake)
        else:
            self._task = asyncio.get_running_loop().create_task(self._answer((request, coro, yielded)))

    def _wake(self, _: Any) -> None:
        """Step the suspended handler again: its ``await`` reads the future's outcome itself."""
        suspended = self._suspended
        assert suspended is not None
        request, coro = suspended
        try:
            yielded = coro.send(None)
        except StopIteration as done:
            self._suspended = None
            if not self._is_closed() and self._respond(request, done.value) and (
                self._queue or not self._writable.is_set()
            ):
                self._task = asyncio.get_running_loop().create_task(self._answer(None))
                return
            self._after_answers()
            return
        except BaseException:
            self._suspended = None  # the handler itself failed (it answers every Exception): drop the line
            self.abort()
            raise
        self._suspended = None
        self._suspend(request, coro, yielded)

    async def _answer(self, started: tuple[HttpRequest, Coroutine[Any, Any, HttpResponse], Any] | None) -> None:
        try:
            if started is not None:
                request, coro, yielded = started
                response = await _resume(coro, yielded)
                if self._is_closed() or not self._respond(request, response):
                    return
            if not self._writable.is_set():
                await self._writable.wait()
            while self._queue and not self._is_closed():
                request = self._queue.popleft()
                response = await self._state.handler(request)
                if self._is_closed() or not self._respond(request, response):
                    break
                if not self._writable.is_set():
                    await self._writable.wait()
                if self._reading_paused and len(self._queue) < MAX_PIPELINED // 2 and self._transport:
                    self._reading_paused = False
                    self._transport.resume_reading()
        finally:
            self._task = None
        self._after_answers()

    def _after_answers(self) -> None:
        """Every received request is answered: finish a failed or shutting-down connection."""
        if self._failed:
            self._write(HttpResponse(self._failed), keep_alive=False)
            self._close_after_write()
        elif self._state.shutting_down and not self._in_message:
            self._close_after_write()

    def _respond(self, request: HttpRequest, response: HttpResponse) -> bool:
        """Write ``response``; False when the connection closes after it."""
        keep_alive = request.keep_alive and not self._state.shutting_down
        self._write(response, keep_alive, request.method == b"HEAD")
        self._last_activity = self._state.now
        if not keep_alive:
            self._close_after_write()
        return keep_alive

    def _write(self, response: HttpResponse, keep_alive: bool, head: bool = False) -> None:
        body = response.body
        self._output(b"%s%s%d\r\n%s%s\r\n%s" % (
            _status_line(response.status), self._state.date_block, len(body), response.headers,
            b"" if keep_alive else b"Connection: close\r\n", b"" if head else body,
        ))

    def _output(self, data: bytes) -> None:
        """Queue ``data`` for this loop pass's :meth:`HttpServerState.flush`.

        A lone connection has nothing to be batched with, and the extra loop pass would cost it
        ~5-10 µs a request: its answers are written at once (after any still pending).
        """
        transport = self._transport
        if transport is None or self._closed:
            return
        out = self._out
        if not out:
            if len(self._state.connections) <= 1:
                transport.write(data)
                return
            self._state.queue_output(self)
        out.append(data)

    @property
    def has_output(self) -> bool:
        return bool(self._out)

    def flush(self) -> None:
        """Write the pending answers now (the server's end-of-pass flush, or before a close)."""
        out = self._out
        if not out:
            return
        data = out[0] if len(out) == 1 else b"".join(out)
        out.clear()
        transport = self._transport
        if transport is not None and not self._closed:
            transport.write(data)

    def _fail(self, status: int) -> None:
        """Answer a request that never reaches the handler, then close the connection.

        Requests received completely before it are answered first, in order.
        """
        self._in_message = False
        self._failed = status
        if self._transport is not None:
            self._transport.pause_reading()
        if self._task is None and self._suspended is None:
            self._write(HttpResponse(status), keep_alive=False)
            self._close_after_write()

    # --- lifecycle --------------------------------------------------------------------------
    def _is_closed(self) -> bool:
        return self._closed  # re-read after an await: connection_lost may have run meanwhile

    @property
    def busy(self) -> bool:
        return self._task is not None or self._suspended is not None or bool(self._queue)

    def close_if_idle(self) -> None:
        if not self.busy and not self._in_message:
            self._close_after_write()

    def close_if_stale(self, now: float) -> None:
        if self.busy:
            return
        if self._in_message:
            if now - self._started > self._state.request_timeout:
                self.abort()
        elif now - self._last_activity > self._state.keepalive_timeout:
            self._close_after_write()

    def _close_after_write(self) -> None:
        self.flush()  # the transport sends what it was given before closing
        if self._transport is not None and not self._transport.is_closing():
            self._transport.close()

    def abort(self) -> None:
        self._out.clear()
        if self._transport is not None:
            with contextlib.suppress(Exception):
                self._transport.abort()


async def _resume(coro: Coroutine[Any, Any, HttpResponse], yielded: Any) -> HttpResponse:
    """Drive a coroutine that was started outside a task and suspended, yielding ``yielded``.

    It suspended on a future (``yielded``, as ``await future`` does) or on a bare yield (None, as
    ``asyncio.sleep(0)`` does). Wait for that, then step it again; the coroutine reads the
    future's outcome itself (``Future.__await__`` returns ``result()``), so errors reach it there.
    """
    while True:
        if yielded is None:
            await asyncio.sleep(0)
        else:
            yielded._asyncio_future_blocking = False  # as Task.__step does before waiting on it
            with contextlib.suppress(BaseException):
                await yielded
        try:
            yielded = coro.send(None)
        except StopIteration as done:
            result: HttpResponse = done.value
            return result


async def sweep_forever(
    state: HttpServerState, interval: float = 1.0, on_tick: Callable[[], None] | None = None
) -> None:
    """Refresh the Date header and sweep stale connections, forever (cancel to stop)."""
    while True:
        await asyncio.sleep(interval)
        state.tick()
        state.sweep()
        if on_tick is not None:
            on_tick()


__all__ = ["Handler", "HttpConnection", "HttpRequest", "HttpResponse", "HttpServerState"]
