"""ExportTableToPointInTime: validated as DynamoDB validates it, then refused for want of point-in-
time recovery, which dynaflow does not keep (``describe_continuous_backups.py``).

An export reads the table as it was at ``ExportTime`` from its point-in-time recovery history;
DynamoDB refuses one for a table without that history with PointInTimeRecoveryUnavailableException,
and so does dynaflow, after the same checks in the same order: the request's shape, the export
time, the table ARN, the table's existence. (A snapshot of a dynaflow table is a copy of its data
directory, or a Scan.)
"""

from __future__ import annotations

from typing import Any

from dynaflow.engine import errors, table_arns
from dynaflow.engine.state import EngineState, Output


def run(state: EngineState, request: dict[str, Any], out: Output) -> dict[str, Any]:
    export_time = request.get("ExportTime")
    if export_time is not None and not 0 <= float(export_time) <= state.clock():
        raise errors.DynamoError("InvalidExportTimeException", "Export Time is invalid")
    arn = request["TableArn"]
    if not table_arns.is_table_arn(arn):
        raise errors.validation(f"Invalid TableArn: {arn}")
    name = table_arns.table_of(state, arn)
    if name is None or name not in state.catalog.tables:
        raise errors.DynamoError("TableNotFoundException", f"Table not found: {arn}")
    raise errors.DynamoError("PointInTimeRecoveryUnavailableException",
                             f"Point in time recovery is not enabled for table '{name}'")
