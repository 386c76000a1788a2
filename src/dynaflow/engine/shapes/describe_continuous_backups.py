"""DescribeContinuousBackups input: just the table name (or ARN)."""

from __future__ import annotations

from typing import Final

from dynaflow.engine.shapes.common import TABLE_NAME
from dynaflow.engine.shapes.types import required, struct

INPUT: Final = struct("DescribeContinuousBackupsInput", required("TableName", TABLE_NAME))
