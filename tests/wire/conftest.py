"""Fixtures for the wire server tests: in-process servers on free ports, always stopped."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from wire_support import FakeClient, RunningServer, start_server


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., RunningServer]]:
    """Start in-process servers (``server_factory(client, **settings)``); all stop at teardown."""
    started: list[RunningServer] = []

    def make(client: Any, **overrides: Any) -> RunningServer:
        server = start_server(client, tmp_path, **overrides)
        started.append(server)
        return server

    yield make
    for server in started:
        server.shutdown()


@pytest.fixture
def fake() -> FakeClient:
    return FakeClient({"ListTables": {"TableNames": []}})


@pytest.fixture
def engine_client_factory(tmp_path: Path) -> Callable[[], Any]:
    """Open the real embedded engine on a fresh directory (skips while the engine is missing)."""
    try:
        from dynaflow.dynamo.embedded import AsyncEmbeddedClient
    except ImportError:
        pytest.skip("the embedded engine is not available")
    counter = iter(range(1000))

    def make() -> Any:
        return AsyncEmbeddedClient.open(tmp_path / f"engine-{next(counter)}", durability="os")

    return make


