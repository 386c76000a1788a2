"""Fixtures for the CDC runtime tests: a source table behind a fake stream and a replica."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cdc_fakes import FakeStreams
from cdc_support import REPLICA, TABLE, Pipeline, create

import dynaflow


@pytest.fixture
async def pipeline(tmp_path: Path) -> AsyncIterator[Pipeline]:
    source_client = dynaflow.connect_async(tmp_path / "source", durability="os")
    target = dynaflow.connect_async(tmp_path / "target", durability="os")
    await create(source_client, TABLE)
    await create(target, REPLICA)
    made = Pipeline(FakeStreams(source_client, TABLE), target)
    yield made
    await made.close()
    await source_client.close()
    await target.close()
