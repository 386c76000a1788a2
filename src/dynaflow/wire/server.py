"""Running the wire server: settings, safety checks, binding, TLS, signals, graceful shutdown.

Safety rules checked before anything binds:

* with no keys file, any credentials are accepted (as DynamoDB Local does), so the server binds
  only loopback addresses unless ``allow_non_loopback_without_auth`` says otherwise;
* a keys file must be readable by its owner only (:mod:`.keys`);
* TLS needs both a certificate and a key.

Shutdown (SIGINT/SIGTERM, or the ``stop`` event): stop listening, close idle connections, let
in-flight requests finish (up to ``shutdown_timeout``), then close the engine client - which is
what makes LMDB close cleanly - and flush the access log.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import ipaddress
import signal
import socket
import ssl
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from dynaflow.wire.accesslog import AccessLog
from dynaflow.wire.app import WireApp, WireClient
from dynaflow.wire.http import HttpServerState, sweep_forever
from dynaflow.wire.keys import load_keys
from dynaflow.wire.protocol import MAX_REQUEST_BYTES
from dynaflow.wire.sigv4 import SigV4Verifier


class ServeError(RuntimeError):
    """The server refuses to start with these settings; the message says why and what to do."""


@dataclass(frozen=True, kw_only=True)
class ServeSettings:
    """Settings of ``dynaflow serve`` (flags, or ``DYNAFLOW_SERVE__<NAME>`` environment variables)."""

    data: Path
    """Data directory of the embedded engine (``--data``, ``DYNAFLOW_DATA``)."""
    host: str = "127.0.0.1"
    """Address to bind; non-loopback addresses need a keys file or the explicit override."""
    port: int = 8000
    """TCP port; 0 picks a free one."""
    tls_cert: Path | None = None
    """PEM certificate chain; with ``tls_key`` the server speaks HTTPS."""
    tls_key: Path | None = None
    """PEM private key for ``tls_cert``."""
    keys_file: Path | None = None
    """Access keys and policies (see :mod:`dynaflow.wire.keys`); without it any credentials pass."""
    allow_non_loopback_without_auth: bool = False
    """Bind a non-loopback address with no keys file (anyone who can connect can read and write)."""
    durability: Literal["fsync", "os"] = "fsync"
    """``fsync``: acknowledged writes are on disk; ``os``: faster, for tests and benchmarks."""
    access_log: bool = True
    """Write one JSON line per request to stderr."""
    shutdown_timeout: float = 30.0
    """Seconds to let in-flight requests finish on shutdown."""
    max_body: int = MAX_REQUEST_BYTES
    """Largest request body accepted (raw or inflated), in bytes."""


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` names is a loopback address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    if not host:
        return False
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(str(info[4][0])).is_loopback for info in infos)


def build_verifier(settings: ServeSettings) -> tuple[SigV4Verifier, str]:
    """The signature verifier for ``settings`` after the safety checks, and the account id."""
    if settings.keys_file is not None:
        try:
            keys, account = load_keys(settings.keys_file)
        except ValueError as exc:
            raise ServeError(str(exc)) from None
        return SigV4Verifier(keys, account_id=account), account
    if not is_loopback(settings.host) and not settings.allow_non_loopback_without_auth:
        raise ServeError(
            f"refusing to bind {settings.host!r} without access keys: anyone who can reach it could read and "
            "write every table. Give --keys-file, bind 127.0.0.1, or pass --allow-non-loopback-without-auth."
        )
    return SigV4Verifier(None), "000000000000"


def build_ssl(settings: ServeSettings) -> ssl.SSLContext | None:
    if settings.tls_cert is None and settings.tls_key is None:
        return None
    if settings.tls_cert is None or settings.tls_key is None:
        raise ServeError("TLS needs both --tls-cert and --tls-key")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(str(settings.tls_cert), str(settings.tls_key))
    except (OSError, ssl.SSLError) as exc:
        raise ServeError(f"cannot load TLS certificate/key: {exc}") from None
    return context


async def serve(
    settings: ServeSettings,
    *,
    client: WireClient | None = None,
    stop: asyncio.Event | None = None,
    ready: Callable[[str], None] | None = None,
    access_log: AccessLog | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM or ``stop`` is set; ``ready(url)`` is called once listening.

    A ``client`` passed in is closed on shutdown like one opened here on ``settings.data``.
    """
    verifier, account = build_verifier(settings)
    ssl_context = build_ssl(settings)
    loop = asyncio.get_running_loop()
    stop = stop if stop is not None else asyncio.Event()
    if client is None:
        from dynaflow.dynamo.embedded import AsyncEmbeddedClient

        client = AsyncEmbeddedClient.open(settings.data, durability=settings.durability)
    if access_log is None and settings.access_log:
        access_log = AccessLog()
    app = WireApp(client, verifier=verifier, account_id=account, access_log=access_log,
                  max_body=settings.max_body)
    state = HttpServerState(app, max_body=settings.max_body)
    state.timed = access_log is not None  # exact request start times only for the access log
    installed: list[signal.Signals] = []
    server: asyncio.Server | None = None
    sweeper: asyncio.Task[None] | None = None
    try:
        try:
            server = await loop.create_server(
                state.protocol_factory, settings.host, settings.port, ssl=ssl_context, backlog=1024,
                reuse_address=True,
            )
        except OSError as exc:
            raise ServeError(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}") from None
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(sig, stop.set)
                    installed.append(sig)
        sweeper = loop.create_task(sweep_forever(state, on_tick=access_log.flush if access_log else None))
        port = server.sockets[0].getsockname()[1]
        scheme = "https" if ssl_context else "http"
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        if ready is not None:
            ready(f"{scheme}://{host}:{port}")
        await stop.wait()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        if server is not None:
            server.close()
        state.begin_shutdown()
        await state.drain(settings.shutdown_timeout)
        if sweeper is not None:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
        if server is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(server.wait_closed(), 5)
        await client.close()
        if access_log is not None:
            access_log.flush()


#: How long (seconds) the event loop may keep the interpreter lock while the writer thread waits
#: for it. CPython's default, 5 ms, is the wait a finished group commit can sit through before it
#: acknowledges its writes and starts the next group while requests keep the loop busy.
SWITCH_INTERVAL = 0.0005


def run(settings: ServeSettings, *, ready: Callable[[str], None] | None = None) -> None:
    """Serve on a fresh event loop (uvloop when installed) until SIGINT/SIGTERM."""
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    try:
        import uvloop

        loop_factory = uvloop.new_event_loop
    except ImportError:  # pragma: no cover - uvloop is a dependency on POSIX
        loop_factory = None

    def started(url: str) -> None:
        # Everything alive now (modules, the engine's catalog, shape tables) lives as long as the
        # process: move it out of the collector's generations, so that the full collections that
        # request garbage eventually triggers never traverse it again.
        gc.freeze()
        if ready is not None:
            ready(url)

    sys.setswitchinterval(SWITCH_INTERVAL)
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(serve(settings, ready=started))


def announce(url: str, settings: ServeSettings, auth: str) -> None:
    print(f"dynaflow serve: listening on {url} (data {settings.data}, {auth})", file=sys.stderr, flush=True)
