"""Scan: every item of a table, or of one parallel segment of it.

Keys start with a 4-byte partition hash (``keys.py``), so segment *i* of *n* is a contiguous hash
range: segments are disjoint, cover the table exactly once, and are evenly sized.
"""

from __future__ import annotations

from typing import Any

from dynaflow.engine import errors, keys
from dynaflow.engine.expressions import compile_expressions
from dynaflow.engine.pages import PageSpec, positive_limit, read_page, resolve_select, start_key
from dynaflow.engine.state import EngineState, Output


def run(state: EngineState, request: dict[str, Any], out: Output) -> dict[str, Any]:
    segment, total = request.get("Segment"), request.get("TotalSegments")
    if segment is not None and total is None:
        raise errors.validation(
            "The TotalSegments parameter is required but was not present in the request when "
            "Segment parameter is present"
        )
    if total is not None and segment is None:
        raise errors.validation(
            "The Segment parameter is required but was not present in the request when parameter "
            "TotalSegments is present"
        )
    if segment is not None and total is not None and segment >= total:
        raise errors.validation(
            f"The Segment parameter is zero-based and must be less than parameter TotalSegments: "
            f"Segment: {segment} is not less than TotalSegments: {total}"
        )
    compiled = compile_expressions(request, operation="Scan")
    table = state.catalog.get(request["TableName"])
    index = request.get("IndexName")
    if index is not None:
        raise errors.validation(f"The table does not have the specified index: {index}")
    count_only = resolve_select(request, compiled, index=index)
    if total is None:
        low, high = table.prefix, keys.next_prefix(table.prefix)
    else:
        low, high = keys.segment_bounds(table.prefix, int(segment), int(total))
    esk = start_key(table, request)
    if esk is not None:
        if not low <= esk < high:
            raise errors.validation(
                "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use "
                f"ExclusiveStartKey with correct Segment. TotalSegments: {total} Segment: {segment}"
            )
        low = esk + b"\x00"
    spec = PageSpec(
        low=low, high=high, forward=True, limit=positive_limit(request),
        filter=compiled.filter, projection=compiled.projection, count_only=count_only,
        consistent=bool(request.get("ConsistentRead")),
    )
    return read_page(state, table, spec, request, out)
