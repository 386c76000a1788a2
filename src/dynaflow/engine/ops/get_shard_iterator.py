"""GetShardIterator (DynamoDB Streams): see ``stream_read.py``."""

from __future__ import annotations

from typing import Any

from dynaflow.engine import stream_read
from dynaflow.engine.shape_check import check_stream_request
from dynaflow.engine.state import EngineState, Output


def run(state: EngineState, request: dict[str, Any], out: Output) -> dict[str, Any]:
    check_stream_request("GetShardIterator", request)
    return stream_read.get_shard_iterator(state, request)
