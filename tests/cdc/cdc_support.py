"""Helpers for the CDC runtime tests: tables, row comparison, a pipeline of workers under test control.

The source is a real engine stream (``cdc_engine.py``). An in-memory fake of the Streams API served
these tests before the engine had streams; it is gone because the engine can be made to do everything
it did (rotation, trimming, TTL deletes, shard counts) with its clock and on-demand passes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from cdc_engine import EngineSource

from dynaflow.cdc import BOOKKEEPING, TOMBSTONE_ATTRIBUTE, ConsumerSettings, LeaseTable, PipelineSettings, Worker
from dynaflow.cdc.replica import ReplicaSink

TABLE = "source"
REPLICA = "replica"
FAST = PipelineSettings(lease_duration=0.6, discovery_interval=0.1,
                        consumer=ConsumerSettings(poll_interval=0.01))


async def create(client: Any, name: str) -> None:
    await client.call("CreateTable", {
        "TableName": name, "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": "N"}],
    })


async def rows(client: Any, table: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Every live row of a table, bookkeeping attributes removed, tombstones skipped."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    request: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = await client.call("Scan", request)
        for item in page.get("Items", ()):
            if TOMBSTONE_ATTRIBUTE in item:
                continue
            found[(item["pk"]["S"], item["sk"]["N"])] = {k: v for k, v in item.items() if k not in BOOKKEEPING}
        if not page.get("LastEvaluatedKey"):
            return found
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


class Polled:
    """A client that is only a client: no engine behind it to wait on."""

    def __init__(self, client: Any) -> None:
        self.client = client

    async def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self.client.call(operation, request)
        return result


class Pipeline:
    def __init__(self, source: EngineSource, target: Any) -> None:
        self.source, self.target = source, target
        self.leases = LeaseTable(target, "dynaflow_cdc_test")
        self.running: list[tuple[asyncio.Task[None], asyncio.Event, Worker]] = []

    def worker(self, *, sink: Any = None, settings: PipelineSettings = FAST, polled: bool = False, **kw: Any
               ) -> Worker:
        """A running worker; ``polled`` hides the engine so idle shards are polled as on a remote endpoint."""
        sink = sink or ReplicaSink(self.target, REPLICA)
        source = Polled(self.source.client) if polled else self.source.client
        worker = Worker(source=source, table=TABLE, sink=sink, leases=self.leases, settings=settings, **kw)
        stop = asyncio.Event()
        self.running.append((asyncio.create_task(worker.run(stop)), stop, worker))
        return worker

    async def stop(self, worker: Worker) -> None:
        for task, stop, w in self.running:
            if w is worker:
                stop.set()
                await task

    def crash(self, worker: Worker) -> None:
        """Stop a worker the way kill -9 does: no release of its leases, no final checkpoint."""
        for task, _, w in self.running:
            if w is worker:
                w.held.clear()
                for t in w.tasks.values():
                    t.cancel()
                task.cancel()

    async def in_sync(self) -> bool:
        return await rows(self.source, TABLE) == await rows(self.target, REPLICA)

    async def close(self) -> None:
        for _task, stop, _ in self.running:
            stop.set()
        await asyncio.gather(*(t for t, _, _ in self.running), return_exceptions=True)


def item(n: int, version: int = 0, **extra: Any) -> dict[str, Any]:
    return {"pk": {"S": f"p{n % 13}"}, "sk": {"N": str(n)}, "v": {"N": str(version)},
            "blob": {"B": bytes([n % 256])}, "tags": {"SS": [f"t{version}", "x"]}, **extra}


def key(n: int) -> dict[str, Any]:
    return {"pk": {"S": f"p{n % 13}"}, "sk": {"N": str(n)}}


MakePipeline = Callable[..., Awaitable[Pipeline]]
