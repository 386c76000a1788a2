"""Helpers for the wire server tests: a scriptable fake engine client, in-process servers, raw HTTP.

``start_server(client, tmp, **settings)`` runs :func:`dynaflow.wire.server.serve` on its own event
loop in a thread, on a free 127.0.0.1 port; ``RunningServer.shutdown()`` stops it gracefully.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dynaflow.engine import errors
from dynaflow.wire.accesslog import AccessLog
from dynaflow.wire.server import ServeSettings, serve


class FakeClient:
    """Answers ``call_wire`` from a script: a dict per operation, a DynamoError, or a callable."""

    def __init__(self, answers: dict[str, Any] | None = None) -> None:
        self.answers: dict[str, Any] = answers or {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.closed = False
        self.delay = 0.0

    async def call_wire(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((operation, request))
        if self.delay:
            await asyncio.sleep(self.delay)
        answer = self.answers.get(operation)
        if answer is None:
            raise errors.unknown_operation()
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer):
            result: dict[str, Any] = answer(request)
            return result
        return dict(answer)

    async def close(self) -> None:
        self.closed = True


@dataclass
class RunningServer:
    url: str
    host: str
    port: int
    loop: asyncio.AbstractEventLoop
    stop: asyncio.Event
    thread: threading.Thread
    log_lines: list[bytes] = field(default_factory=list)

    def shutdown(self) -> None:
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.stop.set)
            self.thread.join(30)


class _ListStream:
    """A binary stream that keeps written access-log lines in a list."""

    def __init__(self, lines: list[bytes]) -> None:
        self.lines = lines

    def write(self, data: bytes) -> int:
        self.lines.extend(data.splitlines())
        return len(data)

    def flush(self) -> None:
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(client: Any, tmp: Path, **overrides: Any) -> RunningServer:
    settings = ServeSettings(data=tmp, host="127.0.0.1", port=0, **overrides)
    ready = threading.Event()
    box: dict[str, Any] = {}
    lines: list[bytes] = []

    def main() -> None:
        import uvloop

        loop = uvloop.new_event_loop()
        asyncio.set_event_loop(loop)
        stop = asyncio.Event()
        box["loop"], box["stop"] = loop, stop

        def on_ready(url: str) -> None:
            box["url"] = url
            ready.set()

        try:
            loop.run_until_complete(serve(settings, client=client, stop=stop, ready=on_ready,
                                          access_log=AccessLog(_ListStream(lines))))  # type: ignore[arg-type]
        except BaseException as exc:  # surfaced to the test below
            box["error"] = exc
            ready.set()
        finally:
            loop.close()

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    if not ready.wait(30):
        raise RuntimeError("server did not start")
    if "error" in box:
        raise box["error"]
    url = box["url"]
    port = int(url.rsplit(":", 1)[1])
    return RunningServer(url, "127.0.0.1", port, box["loop"], box["stop"], thread, lines)


def boto3_client(url: str, key: str = "AKIDEXAMPLE", secret: str = "secret", *, verify: Any = None,
                 **kw: Any) -> Any:
    """A low-level boto3 DynamoDB client with validation and retries off."""
    import boto3
    from botocore.config import Config

    config = Config(parameter_validation=False, retries={"max_attempts": 0}, connect_timeout=5, read_timeout=30)
    return boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret, region_name="us-east-1",
                                 **kw).client("dynamodb", endpoint_url=url, config=config, verify=verify)


def raw_exchange(port: int, data: bytes, *, timeout: float = 10.0, until_close: bool = False) -> bytes:
    """Send raw bytes, return what the server answers (until it closes, or one response)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        return read_responses(sock, None if until_close else 1)


def read_responses(sock: socket.socket, count: int | None) -> bytes:
    """Read ``count`` complete HTTP responses (Content-Length framed), or until EOF if None."""
    buf = b""
    done = 0
    while count is None or done < count:
        # how many complete responses are in buf?
        done, end = 0, 0
        while True:
            head_end = buf.find(b"\r\n\r\n", end)
            if head_end < 0:
                break
            head = buf[end:head_end].lower()
            length = 0
            for line in head.split(b"\r\n"):
                if line.startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if head.startswith(b"http/1.1 100"):
                end = head_end + 4
                continue
            if len(buf) < head_end + 4 + length:
                break
            end = head_end + 4 + length
            done += 1
        if count is not None and done >= count:
            break
        chunk = sock.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf
