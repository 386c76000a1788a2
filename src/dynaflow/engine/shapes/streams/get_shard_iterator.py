"""GetShardIterator input. "SequenceNumber is required for AT/AFTER_SEQUENCE_NUMBER" is semantic."""

from __future__ import annotations

from typing import Final

from dynaflow.engine.shapes.streams.common import SHARD_ID, STREAM_ARN
from dynaflow.engine.shapes.types import Enum, String, Timestamp, optional, required, struct

SHARD_ITERATOR_TYPE: Final = Enum(
    ("TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "AT_TIMESTAMP")
)

INPUT: Final = struct(
    "GetShardIteratorInput",
    required("StreamArn", STREAM_ARN),
    required("ShardId", SHARD_ID),
    required("ShardIteratorType", SHARD_ITERATOR_TYPE),
    optional("SequenceNumber", String(min=21, max=40)),
    optional("Timestamp", Timestamp()),
)
