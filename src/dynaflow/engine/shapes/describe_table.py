"""DescribeTable input: just the table name."""

from __future__ import annotations

from typing import Final

from dynaflow.engine.shapes.common import TABLE_NAME
from dynaflow.engine.shapes.types import required, struct

INPUT: Final = struct("DescribeTableInput", required("TableName", TABLE_NAME))
