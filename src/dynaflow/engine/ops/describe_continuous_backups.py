"""DescribeContinuousBackups: continuous backups and point-in-time recovery are DISABLED.

dynaflow keeps no restorable history of a table (LMDB holds its current state, and the data
directory is what to back up), so it reports both as DynamoDB reports them for a table that never
enabled them, rather than claiming a recovery window it could not restore. A missing table is
DynamoDB's TableNotFoundException here, not the ResourceNotFoundException of other operations.
"""

from __future__ import annotations

from typing import Any

from dynaflow.engine import errors
from dynaflow.engine.state import EngineState, Output


def run(state: EngineState, request: dict[str, Any], out: Output) -> dict[str, Any]:
    name = request["TableName"]
    if name not in state.catalog.tables:
        raise errors.DynamoError("TableNotFoundException", f"Table not found: {name}")
    return {"ContinuousBackupsDescription": {
        "ContinuousBackupsStatus": "DISABLED",
        "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"},
    }}
