"""Stream and shard discovery through the DynamoDB Streams API.

``DescribeStream`` lists a stream's shards, paged by ``ExclusiveStartShardId``; a shard names its
``ParentShardId`` when it was split or rotated from another. A shard whose
``SequenceNumberRange`` has an ``EndingSequenceNumber`` is closed: reading it to its end yields a
null ``NextShardIterator``.

Order between shards follows the lineage, as in the KCL: a shard is processed only once each
parent still known to the pipeline is finished (checkpoint ``SHARD_END``). A parent that is no
longer in the stream (trimmed) and has no lease row does not block its children.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dynaflow.dynamo.client import DynamoClient


@dataclass(frozen=True)
class Shard:
    shard_id: str
    parent_id: str | None
    closed: bool


async def stream_arn_of(client: DynamoClient, table: str) -> tuple[str, str]:
    """``(stream ARN, view type)`` of the table's current stream; ValueError when it has none."""
    described = (await client.call("DescribeTable", {"TableName": table}))["Table"]
    arn = described.get("LatestStreamArn")
    spec = described.get("StreamSpecification") or {}
    if not arn or not spec.get("StreamEnabled", True):
        raise ValueError(f"table {table} has no stream: enable one with StreamViewType NEW_IMAGE or "
                         "NEW_AND_OLD_IMAGES (UpdateTable StreamSpecification)")
    return str(arn), str(spec.get("StreamViewType", "NEW_AND_OLD_IMAGES"))


async def list_shards(client: DynamoClient, stream_arn: str) -> list[Shard]:
    shards: list[Shard] = []
    request: dict[str, Any] = {"StreamArn": stream_arn}
    while True:
        description = (await client.call("DescribeStream", request))["StreamDescription"]
        for entry in description.get("Shards", ()):
            shards.append(Shard(
                shard_id=entry["ShardId"], parent_id=entry.get("ParentShardId"),
                closed="EndingSequenceNumber" in entry.get("SequenceNumberRange", {}),
            ))
        last = description.get("LastEvaluatedShardId")
        if not last:
            return shards
        request["ExclusiveStartShardId"] = last
