"""Fixtures for pipeline unit tests: the embedded engine behind the client interface."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pipeline_support import FaultyClient

import dynaflow


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[Any]:
    c = dynaflow.connect_async(tmp_path / "data", durability="os")
    yield c
    await c.close()


@pytest.fixture
def faulty(client: Any) -> FaultyClient:
    return FaultyClient(client)
