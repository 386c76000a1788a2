"""Inputs of the legacy (2017.11.29) global tables operations (``ops/legacy_global_tables.py``)."""

from __future__ import annotations

from typing import Final

from dynaflow.engine.shapes.common import NAME_PATTERN
from dynaflow.engine.shapes.types import Integer, List, String, optional, required, struct

GLOBAL_TABLE_NAME: Final = String(min=3, max=255, pattern=NAME_PATTERN)
_REGION: Final = struct("Replica", optional("RegionName", String()))

CREATE: Final = struct(
    "CreateGlobalTableInput",
    required("GlobalTableName", GLOBAL_TABLE_NAME),
    required("ReplicationGroup", List(_REGION)),
)
UPDATE: Final = struct(
    "UpdateGlobalTableInput",
    required("GlobalTableName", GLOBAL_TABLE_NAME),
    required("ReplicaUpdates", List(struct("ReplicaUpdate", optional("Create", _REGION), optional("Delete", _REGION)))),
)
DESCRIBE: Final = struct("DescribeGlobalTableInput", required("GlobalTableName", GLOBAL_TABLE_NAME))
DESCRIBE_SETTINGS: Final = struct("DescribeGlobalTableSettingsInput",
                                  required("GlobalTableName", GLOBAL_TABLE_NAME))
UPDATE_SETTINGS: Final = struct("UpdateGlobalTableSettingsInput", required("GlobalTableName", GLOBAL_TABLE_NAME))
LIST: Final = struct(
    "ListGlobalTablesInput",
    optional("ExclusiveStartGlobalTableName", GLOBAL_TABLE_NAME),
    optional("Limit", Integer(min=1)),
    optional("RegionName", String()),
)
