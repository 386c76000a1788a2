"""Fixtures for the CDC runtime tests: a source table in an engine with a real stream, and a replica."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cdc_engine import EngineSource
from cdc_support import REPLICA, TABLE, MakePipeline, Pipeline, create

import dynaflow


@pytest.fixture
async def make_pipeline(tmp_path: Path) -> AsyncIterator[MakePipeline]:
    made: list[tuple[Pipeline, EngineSource, object]] = []

    async def factory(*, shards: int = 2) -> Pipeline:
        source = EngineSource(tmp_path / "source", TABLE, shards=shards)
        target = dynaflow.connect_async(tmp_path / "target", durability="os")
        await create(source.client, TABLE)
        await source.enable()
        await create(target, REPLICA)
        pipeline = Pipeline(source, target)
        made.append((pipeline, source, target))
        return pipeline

    yield factory
    for pipeline, source, target in made:
        await pipeline.close()
        await source.close()
        await target.close()  # type: ignore[attr-defined]


@pytest.fixture
async def pipeline(make_pipeline: MakePipeline) -> Pipeline:
    return await make_pipeline()
