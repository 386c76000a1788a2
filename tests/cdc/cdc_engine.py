"""A real engine stream as the CDC runtime's source, with the test in control of time.

The source table lives in an :class:`~dynaflow.engine.core.Engine` whose clock the test moves
(``Settings`` turns the background stream and TTL passes off; :meth:`EngineSource.rotate`,
:meth:`trim_all` and TTL deletes run them on demand), so shard rotation, trimming past a checkpoint
and TTL expiry happen exactly when a test asks, through the engine's own Streams API and in-process
wake-up — the path a pipeline reading an embedded table takes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dynaflow.dynamo.embedded import AsyncEmbeddedClient, EmbeddedClient
from dynaflow.engine import ttl as ttl_pass
from dynaflow.engine.core import Engine
from dynaflow.engine.state import Settings

ROTATION = 3600.0
RETENTION = 24 * 3600.0
EXPIRES = "expires"


class Clock:
    """Wall-clock time plus an offset the test advances (record times stay close to real time)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class ShardView:
    shard_id: str
    parent: str | None
    closed: bool
    records: list[dict[str, Any]] = field(default_factory=list)


class EngineSource:
    """The source table in an engine with a movable clock; ``client`` is what the pipeline reads."""

    def __init__(self, path: Path, table: str, *, shards: int = 2) -> None:
        self.clock = Clock()
        self.engine = Engine(path, durability="os", clock=self.clock, settings=Settings(
            stream_shards=shards, stream_rotation=ROTATION, stream_retention=RETENTION,
            stream_maintenance_interval=0, ttl_interval=0))
        self.client = AsyncEmbeddedClient(self.engine)
        self._sync = EmbeddedClient(self.engine)
        self.table = table

    async def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        return await self.client.call(operation, request)

    async def enable(self) -> None:
        """Turn on the table's stream (NEW_AND_OLD_IMAGES) and TTL on ``expires``."""
        await self.client.call("UpdateTable", {"TableName": self.table, "StreamSpecification": {
            "StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}})
        await self.client.call("UpdateTimeToLive", {"TableName": self.table, "TimeToLiveSpecification": {
            "Enabled": True, "AttributeName": EXPIRES}})

    # ------------------------------------------------------------ writes (each one a stream record)

    async def put(self, item: dict[str, Any]) -> None:
        await self.client.call("PutItem", {"TableName": self.table, "Item": item})

    async def update(self, keys: dict[str, Any], expression: str, values: dict[str, Any]) -> None:
        await self.client.call("UpdateItem", {"TableName": self.table, "Key": keys, "UpdateExpression": expression,
                                              "ExpressionAttributeValues": values})

    async def delete(self, keys: dict[str, Any], *, ttl: bool = False) -> None:
        if not ttl:
            await self.client.call("DeleteItem", {"TableName": self.table, "Key": keys})
            return
        found = await self.client.call("GetItem", {"TableName": self.table, "Key": keys, "ConsistentRead": True})
        if "Item" not in found:
            return
        await self.update(keys, f"SET {EXPIRES} = :e", {":e": {"N": str(int(self.clock()) - 60)}})
        ttl_pass.sweep(self.engine.state)  # the expiry pass deletes it, as the TTL service

    # ------------------------------------------------------------ time

    def rotate(self) -> None:
        """Close every open shard and open children, as DynamoDB does every few hours."""
        self.clock.offset += ROTATION
        self.engine.streams.maintain()

    def trim_all(self) -> None:
        """Let the retention pass over every record written so far."""
        self.clock.offset += RETENTION + ROTATION
        self.engine.streams.maintain()

    # ------------------------------------------------------------ reading the stream back

    @property
    def shards(self) -> list[ShardView]:
        """Every shard of the stream with its retained records, read through the Streams API."""
        arn = self._sync.describe_table(TableName=self.table)["Table"]["LatestStreamArn"]
        views: list[ShardView] = []
        for shard in self._sync.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            view = ShardView(shard["ShardId"], shard.get("ParentShardId"),
                             "EndingSequenceNumber" in shard["SequenceNumberRange"])
            iterator = self._sync.get_shard_iterator(StreamArn=arn, ShardId=view.shard_id,
                                                     ShardIteratorType="TRIM_HORIZON").get("ShardIterator")
            while iterator:
                response = self._sync.get_records(ShardIterator=iterator)
                view.records += response["Records"]
                iterator = response.get("NextShardIterator") if response["Records"] or view.closed else None
            views.append(view)
        return views

    async def close(self) -> None:
        self.engine.close()
