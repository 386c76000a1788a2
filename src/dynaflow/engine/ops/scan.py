"""Scan: every item of a table, or of one parallel segment of it.

Keys start with a 4-byte partition hash (``keys.py``), so segment *i* of *n* is a contiguous hash
range: segments are disjoint, cover the table exactly once, and are evenly sized.
"""

from __future__ import annotations

from typing import Any

from dynaflow.engine import errors, indexes, keys
from dynaflow.engine.expressions import compile_expressions
from dynaflow.engine.pages import (
    PageSpec,
    index_fetches,
    positive_limit,
    read_index_page,
    read_page,
    resolve_index,
    resolve_select,
    start_key,
)
from dynaflow.engine.state import EngineState, Output
from dynaflow.engine.values import validate_item


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
    index_name = request.get("IndexName")
    index = resolve_index(table, index_name) if index_name is not None else None
    count_only = resolve_select(request, compiled, index=index_name, query=False)
    fetch = index_fetches(index, request, compiled) if index is not None else False
    prefix = table.prefix if index is None else index.prefix  # index entries split by hash too
    if total is None:
        low, high = prefix, keys.next_prefix(prefix)
    else:
        low, high = keys.segment_bounds(prefix, int(segment or 0), int(total))
    if index is None:
        esk = start_key(table, request)
    else:
        given = request.get("ExclusiveStartKey")
        esk = None if given is None else indexes.start_entry_key(index, validate_item(given))
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
    if index is not None:
        return read_index_page(state, table, index, spec, request, out, fetch=fetch)
    return read_page(state, table, spec, request, out)
