"""An in-memory DynamoDB Streams in front of an embedded table, for testing the CDC runtime alone.

The runtime must work on any endpoint's Streams API; this fake gives tests control over what real
endpoints do only on their own schedule: shard rotation (closed parents, children), trimming past
a checkpoint, and TTL deletes. Writes made through ``put``/``update``/``delete`` go to the embedded
table and append a NEW_AND_OLD_IMAGES record to the shard the partition key hashes to.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dynaflow.engine.errors import DynamoError

STREAM_ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/source/stream/2024-01-01T00:00:00.000"


@dataclass
class FakeShard:
    shard_id: str
    parent: str | None
    records: list[dict[str, Any]] = field(default_factory=list)
    closed: bool = False
    trimmed: int = 0  # records before this index are gone


class FakeStreams:
    """A DynamoClient: table operations go to ``client``; streams operations are answered here."""

    def __init__(self, client: Any, table: str, *, shards: int = 2) -> None:
        self.client, self.table = client, table
        self._ids = itertools.count(1)
        self._seq = itertools.count(100)
        self.shards: list[FakeShard] = [self._new_shard(None) for _ in range(shards)]
        self.reads = 0

    def _new_shard(self, parent: str | None) -> FakeShard:
        return FakeShard(f"shardId-{next(self._ids):08d}", parent)

    # ------------------------------------------------------------ writes that produce records

    def _shard_for(self, keys: Mapping[str, Any]) -> FakeShard:
        open_shards = [s for s in self.shards if not s.closed]
        digest = hashlib.md5(repr(sorted(keys.items())).encode()).digest()
        return open_shards[digest[0] % len(open_shards)]

    def _record(self, event: str, keys: dict[str, Any], old: Any, new: Any, ttl: bool = False) -> None:
        data: dict[str, Any] = {"Keys": keys, "SequenceNumber": f"{next(self._seq):021d}", "SizeBytes": 10,
                                "StreamViewType": "NEW_AND_OLD_IMAGES", "ApproximateCreationDateTime": time.time()}
        if new is not None:
            data["NewImage"] = new
        if old is not None:
            data["OldImage"] = old
        record: dict[str, Any] = {"eventID": data["SequenceNumber"], "eventName": event, "eventVersion": "1.1",
                                  "eventSource": "aws:dynamodb", "awsRegion": "us-east-1", "dynamodb": data}
        if ttl:
            record["userIdentity"] = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
        self._shard_for(keys).records.append(record)

    def _keys(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {k: item[k] for k in ("pk", "sk") if k in item}

    async def put(self, item: dict[str, Any]) -> None:
        old = (await self.client.call("PutItem", {"TableName": self.table, "Item": item,
                                                  "ReturnValues": "ALL_OLD"})).get("Attributes")
        self._record("MODIFY" if old else "INSERT", self._keys(item), old, item)

    async def update(self, keys: dict[str, Any], expression: str, values: dict[str, Any]) -> None:
        got = await self.client.call("UpdateItem", {"TableName": self.table, "Key": keys,
                                                    "UpdateExpression": expression,
                                                    "ExpressionAttributeValues": values, "ReturnValues": "ALL_NEW"})
        self._record("MODIFY", keys, None, got["Attributes"])

    async def delete(self, keys: dict[str, Any], *, ttl: bool = False) -> None:
        old = (await self.client.call("DeleteItem", {"TableName": self.table, "Key": keys,
                                                     "ReturnValues": "ALL_OLD"})).get("Attributes")
        if old:
            self._record("REMOVE", keys, old, None, ttl)

    # ------------------------------------------------------------ stream control

    def rotate(self) -> None:
        """Close every open shard and open one child per parent, as DynamoDB does every few hours."""
        for shard in [s for s in self.shards if not s.closed]:
            shard.closed = True
            self.shards.append(self._new_shard(shard.shard_id))

    def trim_all(self) -> None:
        """Drop every record written so far (as if retention had passed)."""
        for shard in self.shards:
            shard.trimmed = len(shard.records)

    def forget_closed(self) -> None:
        """Closed shards whose records are all trimmed leave the stream."""
        self.shards = [s for s in self.shards if not (s.closed and s.trimmed == len(s.records))]

    # ------------------------------------------------------------ the Streams API

    def _shard(self, shard_id: str) -> FakeShard:
        for shard in self.shards:
            if shard.shard_id == shard_id:
                return shard
        raise DynamoError("ResourceNotFoundException", f"shard {shard_id} not found")

    async def call(self, operation: str, request: Mapping[str, Any]) -> dict[str, Any]:
        if operation == "DescribeTable":
            response = await self.client.call(operation, request)
            response["Table"]["LatestStreamArn"] = STREAM_ARN
            response["Table"]["StreamSpecification"] = {"StreamEnabled": True,
                                                        "StreamViewType": "NEW_AND_OLD_IMAGES"}
            return response
        if operation == "DescribeStream":
            shards = []
            for s in self.shards:
                entry: dict[str, Any] = {"ShardId": s.shard_id, "SequenceNumberRange": {
                    "StartingSequenceNumber": "0" * 21}}
                if s.parent:
                    entry["ParentShardId"] = s.parent
                if s.closed:
                    entry["SequenceNumberRange"]["EndingSequenceNumber"] = "9" * 21
                shards.append(entry)
            return {"StreamDescription": {"StreamArn": STREAM_ARN, "StreamStatus": "ENABLED",
                                          "StreamViewType": "NEW_AND_OLD_IMAGES", "Shards": shards}}
        if operation == "GetShardIterator":
            shard = self._shard(request["ShardId"])
            kind = request["ShardIteratorType"]
            if kind == "TRIM_HORIZON":
                index = shard.trimmed
            elif kind == "LATEST":
                index = len(shard.records)
            else:
                seqs = [r["dynamodb"]["SequenceNumber"] for r in shard.records]
                wanted = request["SequenceNumber"]
                index = seqs.index(wanted) + 1 if wanted in seqs else len([s for s in seqs if s <= wanted])
                if index < shard.trimmed:
                    raise DynamoError("TrimmedDataAccessException", "the position was trimmed")
            return {"ShardIterator": f"{shard.shard_id}:{index}"}
        if operation == "GetRecords":
            self.reads += 1
            shard_id, _, index_text = request["ShardIterator"].rpartition(":")
            shard, index = self._shard(shard_id), int(index_text)
            if index < shard.trimmed:
                raise DynamoError("TrimmedDataAccessException", "the position was trimmed")
            end = min(len(shard.records), index + request.get("Limit", 1000))
            records = shard.records[index:end]
            response = {"Records": records}
            if not (shard.closed and end >= len(shard.records)):
                response["NextShardIterator"] = f"{shard.shard_id}:{end}"
            return response
        return await self.client.call(operation, request)

    async def close(self) -> None:
        await self.client.close()
