"""GetRecords input."""

from __future__ import annotations

from typing import Final

from dynaflow.engine.shapes.types import Integer, String, optional, required, struct

INPUT: Final = struct(
    "GetRecordsInput",
    required("ShardIterator", String(min=1, max=2048)),
    optional("Limit", Integer(min=1, max=1000)),
)
