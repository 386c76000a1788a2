"""Query: the items of one partition, in sort-key order, within a sort-key condition."""

from __future__ import annotations

from typing import Any

from dynaflow.engine import errors, indexes, keys
from dynaflow.engine.catalog import Table
from dynaflow.engine.expressions import KeyCondition, compile_expressions
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


def key_range(prefix: bytes, cond: KeyCondition) -> tuple[bytes, bytes, bool]:
    """``[low, high)`` of the LMDB keys matching a key condition (see ``keys.py``), and whether the
    range is exact. A bound too long for an exact LMDB key is widened to its cut prefix; the range
    then also holds non-matching items, which the page filters out by their real sort key."""
    part = keys.partition_prefix(prefix, cond.hash_value)
    end = keys.next_prefix(part)
    op, values = cond.range_op, cond.range_values
    if op is None:
        return part, end, True
    cut = keys.MAX_EXACT
    if op == "BEGINS_WITH":
        start = part + keys.prefix_of(values[0])
        if len(start) > cut:
            return start[:cut], keys.next_prefix(start[:cut]), False
        return start, keys.next_prefix(start), True
    enc = part + keys.encode_value(values[0])
    if op == "EQ":
        exact = keys.bounded(enc)
        return exact, exact + b"\x00", True
    if len(enc) > cut or (op == "BETWEEN" and len(part + keys.encode_value(values[1])) > cut):
        low = part if op in ("LT", "LE") else enc[:cut]
        high = end if op in ("GT", "GE") else keys.next_prefix(
            (part + keys.encode_value(values[1]) if op == "BETWEEN" else enc)[:cut])
        return low, high, False
    if op == "LT":
        return part, enc, True
    if op == "LE":
        return part, enc + b"\x00", True
    if op == "GT":
        return enc + b"\x00", end, True
    if op == "GE":
        return enc, end, True
    assert op == "BETWEEN"
    return enc, part + keys.encode_value(values[1]) + b"\x00", True


def run(state: EngineState, request: dict[str, Any], out: Output) -> dict[str, Any]:
    name = request["TableName"]
    table = state.catalog.get(name)
    index = request.get("IndexName")
    if index is not None:
        return _query_index(state, table, resolve_index(table, index), request, out)
    compiled = compile_expressions(request, operation="Query", key_schema=table.schema)
    if compiled.key_condition is None:
        raise errors.validation(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."
        )
    count_only = resolve_select(request, compiled, index=index, query=True)
    cond = compiled.key_condition
    low, high, exact = key_range(table.prefix, cond)
    forward = request.get("ScanIndexForward", True) is not False
    esk = start_key(table, request)
    if esk is not None:
        part = keys.partition_prefix(table.prefix, compiled.key_condition.hash_value)
        low, high = _after_start(esk, part, low, high, forward, cond, validate_item(request["ExclusiveStartKey"]))
    spec = PageSpec(
        low=low, high=high, forward=forward, limit=positive_limit(request),
        filter=compiled.filter, projection=compiled.projection, count_only=count_only,
        consistent=bool(request.get("ConsistentRead")),
        key_filter=None if exact else (lambda item: cond.range_matches(item.get(cond.range_name or ""))),
    )
    return read_page(state, table, spec, request, out)


def _after_start(esk: bytes, partition: bytes, low: bytes, high: bytes, forward: bool,
                 cond: KeyCondition, start: dict[str, Any]) -> tuple[bytes, bytes]:
    """Narrow ``[low, high)`` to what follows ExclusiveStartKey in the walk's direction, after
    checking the start key against the key condition as DynamoDB does (its order and wording,
    as recorded against AWS by dynalite's suite): a sort key the sort-key condition rejects
    first; then a start key in another partition — which a query with a sort-key condition
    reports as a query that "can return at most one row".
    """
    if cond.range_name is not None and not cond.range_matches(start.get(cond.range_name)):
        raise errors.validation("The provided starting key does not match the range key predicate")
    if not esk.startswith(partition):
        if cond.range_op is not None:
            raise errors.validation("The query can return at most one row and cannot be restarted")
        raise errors.validation("The provided starting key is outside query boundaries based on provided conditions")
    return (max(low, esk + b"\x00"), high) if forward else (low, min(high, esk))


def _query_index(state: EngineState, table: Table, index: indexes.Index, request: dict[str, Any],
                 out: Output) -> dict[str, Any]:
    """Query one partition of a secondary index (``indexes.py`` has the entry layout)."""
    compiled = compile_expressions(request, operation="Query", key_schema=index.schema, index_name=index.name)
    if compiled.key_condition is None:
        raise errors.validation(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."
        )
    count_only = resolve_select(request, compiled, index=index.name, query=True)
    fetch = index_fetches(index, request, compiled)
    cond = compiled.key_condition
    low, high, exact = indexes.key_range(index, cond)
    forward = request.get("ScanIndexForward", True) is not False
    esk_item = request.get("ExclusiveStartKey")
    if esk_item is not None:
        start = validate_item(esk_item)
        esk = indexes.start_entry_key(index, start)
        low, high = _after_start(esk, index.partition_prefix(cond.hash_value), low, high, forward, cond, start)
    spec = PageSpec(
        low=low, high=high, forward=forward, limit=positive_limit(request),
        filter=compiled.filter, projection=compiled.projection, count_only=count_only,
        consistent=bool(request.get("ConsistentRead")),
        key_filter=None if exact else (lambda item: cond.range_matches(item.get(cond.range_name or ""))),
    )
    return read_index_page(state, table, index, spec, request, out, fetch=fetch)
