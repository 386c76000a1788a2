"""DescribeStream input."""

from __future__ import annotations

from typing import Final

from dynaflow.engine.shapes.streams.common import SHARD_ID, STREAM_ARN
from dynaflow.engine.shapes.types import Enum, Integer, optional, required, struct

INPUT: Final = struct(
    "DescribeStreamInput",
    required("StreamArn", STREAM_ARN),
    optional("Limit", Integer(min=1, max=100)),
    optional("ExclusiveStartShardId", SHARD_ID),
    optional(
        "ShardFilter",
        struct("ShardFilter", optional("Type", Enum(("CHILD_SHARDS",))), optional("ShardId", SHARD_ID)),
    ),
)
