"""ListStreams input."""

from __future__ import annotations

from typing import Final

from dynaflow.engine.shapes.common import NAME_PATTERN
from dynaflow.engine.shapes.streams.common import STREAM_ARN
from dynaflow.engine.shapes.types import Integer, String, optional, struct

INPUT: Final = struct(
    "ListStreamsInput",
    optional("TableName", String(min=3, max=255, pattern=NAME_PATTERN)),
    optional("Limit", Integer(min=1, max=100)),
    optional("ExclusiveStartStreamArn", STREAM_ARN),
)
