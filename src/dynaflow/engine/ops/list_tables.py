"""ListTables: table names in order, paginated by ExclusiveStartTableName and Limit."""

from __future__ import annotations

import bisect
from typing import Any

from dynaflow.engine.state import EngineState, Output

DEFAULT_LIMIT = 100


def run(state: EngineState, request: dict[str, Any], out: Output) -> dict[str, Any]:
    names = sorted(state.catalog.tables)
    start = request.get("ExclusiveStartTableName")
    first = bisect.bisect_right(names, start) if start is not None else 0
    limit = int(request.get("Limit") or DEFAULT_LIMIT)
    page = names[first:first + limit]
    response: dict[str, Any] = {"TableNames": page}
    if first + limit < len(names):
        response["LastEvaluatedTableName"] = page[-1]
    return response
