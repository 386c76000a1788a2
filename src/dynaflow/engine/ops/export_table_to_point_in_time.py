"""ExportTableToPointInTime: validated as DynamoDB validates it, then refused for want of point-in-
time recovery, which dynaflow does not keep (``describe_continuous_backups.py``).

An export reads the table as it was at ``ExportTime`` from its point-in-time recovery history;
DynamoDB refuses one for a table without that history with PointInTimeRecoveryUnavailableException,
and so does dynaflow, after the same checks in the same order: the request's shape, the export
time, the table ARN, the table's existence. (A snapshot of a dynaflow table is a copy of its data
directory, or a Scan.)
"""

from __future__ import annotations

import re
from typing import Any, Final

from dynaflow.engine import errors
from dynaflow.engine.state import EngineState, Output

_TABLE_ARN: Final = re.compile(r"arn:aws[a-z-]*:dynamodb:[a-z0-9-]*:\d{12}:table/([A-Za-z0-9_.-]{3,255})")


def run(state: EngineState, request: dict[str, Any], out: Output) -> dict[str, Any]:
    export_time = request.get("ExportTime")
    if export_time is not None and not 0 <= float(export_time) <= state.clock():
        raise errors.DynamoError("InvalidExportTimeException", "Export Time is invalid")
    arn = request["TableArn"]
    match = _TABLE_ARN.fullmatch(arn)
    if match is None:
        raise errors.validation(f"Invalid TableArn: {arn}")
    name = match.group(1)
    if arn != state.table_arn(name) or name not in state.catalog.tables:
        raise errors.DynamoError("TableNotFoundException", f"Table not found: {arn}")
    raise errors.DynamoError("PointInTimeRecoveryUnavailableException",
                             f"Point in time recovery is not enabled for table '{name}'")
