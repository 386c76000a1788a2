"""ListTables input."""

from __future__ import annotations

from typing import Final

from dynaflow.engine.shapes.common import INDEX_NAME
from dynaflow.engine.shapes.types import Integer, optional, struct

INPUT: Final = struct(
    "ListTablesInput",
    optional("ExclusiveStartTableName", INDEX_NAME),
    optional("Limit", Integer(min=1, max=100)),
)
