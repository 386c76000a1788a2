"""One page of Query or Scan: walk an LMDB key range and apply DynamoDB's page rules.

Both operations reduce to "walk the keys in ``[low, high)`` forwards or backwards", differing only
in how the range is computed (``ops/query.py``: a partition and a sort-key condition;
``ops/scan.py``: a hash range per segment). The rules shared here, in DynamoDB's order:

1. ``Limit`` counts items *read*, before the filter; reaching it ends the page.
2. A page also ends once the items read reach 1 MB.
3. The filter then drops items (they still count as scanned); ``Count`` is what passed.
4. Projection, or ``Select=COUNT`` which returns no items at all.
5. A page that ended early carries ``LastEvaluatedKey``: the key of the last item *read*
   (even if filtered out), with no look-ahead, exactly as DynamoDB does.

Read capacity is the total size read, rounded up to 4 KB once per page.

Fast path: a page with no key filter, no filter, no projection and not ``Select=COUNT`` (the
common Query) walks the cursor in :func:`_plain_page`, which keeps only what that case needs (the
size header and ``out.stored``) and never decodes an item itself. It applies rules 1, 2 and 5 the
same way, so both loops end on the same item with the same counts;
``tests/engine/test_fast_paths.py`` compares them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from dynaflow.engine import capacity, errors, keys, records
from dynaflow.engine.catalog import Table
from dynaflow.engine.expressions import Condition, Projection, RequestExpressions
from dynaflow.engine.expressions.request import _condition_heads
from dynaflow.engine.indexes import Index, find
from dynaflow.engine.state import EngineState, Output
from dynaflow.engine.values import Item, validate_item

PAGE_BYTES: Final = 1024 * 1024
SELECTS: Final = ("ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT")


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs ~1 µs more per page
class PageSpec:
    low: bytes
    high: bytes
    forward: bool
    limit: int | None
    filter: Condition | None
    projection: Projection | None
    count_only: bool
    consistent: bool
    #: For ranges widened around a cut key (``keys.bounded``): drops items outside the real range,
    #: which DynamoDB would not have read at all, so they count neither as scanned nor read.
    key_filter: Callable[[Item], bool] | None = None


def resolve_select(request: dict[str, Any], compiled: RequestExpressions, *, index: str | None,
                   query: bool) -> bool:
    """Validate Select against the projection; return True for ``Select=COUNT``.

    Query words these errors as a one-item validation list ("1 validation error detected: ..."),
    Scan without it (as moto's tests verified against AWS record them).
    """
    try:
        return _resolve_select(request, compiled, index)
    except errors.DynamoError as exc:
        if query:
            raise errors.validation(f"1 validation error detected: {exc.message}") from None
        raise


def _resolve_select(request: dict[str, Any], compiled: RequestExpressions, index: str | None) -> bool:
    select = request.get("Select")
    has_projection = compiled.projection is not None
    uses_expression = "ProjectionExpression" in request
    what = "ProjectionExpression" if uses_expression else "AttributesToGet"
    if select == "SPECIFIC_ATTRIBUTES" and not has_projection:
        raise errors.validation(
            "Must specify the AttributesToGet or ProjectionExpression when choosing to get "
            "SPECIFIC_ATTRIBUTES"
        )
    if select in ("ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "COUNT") and has_projection:
        wanted = "only the Count" if select == "COUNT" else select
        raise errors.validation(f"Cannot specify the {what} when choosing to get {wanted}")
    if select == "ALL_PROJECTED_ATTRIBUTES" and index is None:
        raise errors.validation("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
    return select == "COUNT"


def start_key(table: Table, request: dict[str, Any]) -> bytes | None:
    """LMDB key of ExclusiveStartKey, validated against the key schema."""
    esk = request.get("ExclusiveStartKey")
    if esk is None:
        return None
    esk = validate_item(esk)
    try:
        return table.key_from_key(esk)
    except errors.DynamoError:
        raise errors.validation(
            "The provided starting key is invalid: The provided key element does not match the schema"
        ) from None


def _walk(txn: Any, db: Any, low: bytes, high: bytes, forward: bool) -> Iterator[tuple[bytes, bytes]]:
    cursor = txn.cursor(db=db)
    if forward:
        if not cursor.set_range(low):
            return
        for key, value in cursor:
            if key >= high:
                return
            yield key, value
    else:
        positioned = cursor.prev() if cursor.set_range(high) else cursor.last()
        if not positioned:
            return
        for key, value in cursor.iterprev():
            if key < low:
                return
            yield key, value


def _plain_page(txn: Any, db: Any, spec: PageSpec, out: Output) -> tuple[list[Any], int, int, bytes | None]:
    """Items, scanned count, size read and last record read of a page that keeps every item as
    stored (see the module docstring); the same walk as :func:`_walk` with the page rules inlined."""
    items: list[Any] = []
    append = items.append
    stored = out.stored
    from_bytes = int.from_bytes
    limit = spec.limit if spec.limit is not None else 1 << 62
    size = 0
    high, low = spec.high, spec.low
    cursor = txn.cursor(db=db)
    if spec.forward:
        if not cursor.set_range(low):
            return items, 0, 0, None
        walk = cursor.iternext()
    else:
        positioned = cursor.prev() if cursor.set_range(high) else cursor.last()
        if not positioned:
            return items, 0, 0, None
        walk = cursor.iterprev()
    forward = spec.forward
    for key, record in walk:
        if (key >= high) if forward else (key < low):
            break
        size += from_bytes(record[1:records.HEADER_SIZE], "big")
        append(stored(record))
        if len(items) >= limit or size >= PAGE_BYTES:
            return items, len(items), size, record
    return items, len(items), size, None


def read_page(state: EngineState, table: Table, spec: PageSpec, request: dict[str, Any],
              out: Output) -> dict[str, Any]:
    items: list[Any] = []
    scanned = 0
    size = 0
    last: bytes | None = None
    limit = spec.limit
    flt, projection = spec.filter, spec.projection
    env = state.env
    plain = spec.key_filter is None and flt is None and projection is None and not spec.count_only
    with env.env.begin(db=env.items) as txn:
        if plain:
            items, scanned, size, last = _plain_page(txn, env.items, spec, out)
        for _, record in () if plain else _walk(txn, env.items, spec.low, spec.high, spec.forward):
            if spec.key_filter is not None and not spec.key_filter(records.decode_item(record)):
                continue
            scanned += 1
            size += records.item_size(record)
            item: Item | None = None
            keep = True
            if flt is not None:
                item = records.decode_item(record)
                keep = flt.evaluate(item)
            if keep:
                if spec.count_only:
                    items.append(None)
                elif projection is not None:
                    items.append(out.item(projection.apply(item or records.decode_item(record))))
                else:
                    items.append(out.stored(record))
            if (limit is not None and scanned >= limit) or size >= PAGE_BYTES:
                last = record
                break
    response: dict[str, Any] = {}
    if not spec.count_only:
        response["Items"] = items
    response["Count"] = len(items)
    response["ScannedCount"] = scanned
    if last is not None:
        response["LastEvaluatedKey"] = out.item(table.extract_key(records.decode_item(last)))
    if table.limited or state.capped:  # throttle.py; a Query's range lies in one partition
        partition = spec.low[4:8] if spec.low[:8] == spec.high[:8] else None
        state.limiter.read(table, partition, capacity.read_units(size, consistent=spec.consistent))
    if request.get("ReturnConsumedCapacity") not in (None, "NONE"):
        units = capacity.read_units(size, consistent=spec.consistent)
        response["ConsumedCapacity"] = capacity.consumed(request, table.name, units)
    return response


def positive_limit(request: dict[str, Any]) -> int | None:
    limit = request.get("Limit")
    return int(limit) if limit is not None else None


# ---------------------------------------------------------------- pages of a secondary index
#
# An index page walks the index's entries (``indexes.py``) instead of the items, with the same
# rules. Entries hold the projected attributes, so a GSI page never reads the table; an LSI page
# fetches the table item when the request needs attributes the index does not project, as DynamoDB
# does (Select=ALL_ATTRIBUTES, or a ProjectionExpression naming them). On a GSI those requests are
# errors instead, and so is a filter on unprojected attributes on either kind. LastEvaluatedKey
# carries the index keys and the table keys.


def resolve_index(table: Table, name: str) -> Index:
    index = find(table, name)
    if index is None:
        raise errors.validation(f"The table does not have the specified index: {name}")
    return index


def index_fetches(index: Index, request: dict[str, Any], compiled: RequestExpressions) -> bool:
    """Validate a read of ``index``; True when an LSI read must fetch table items."""
    if index.is_global and request.get("ConsistentRead"):
        raise errors.validation("Consistent reads are not supported on global secondary indexes")
    if index.state.status == "CREATING":
        raise errors.validation(f"Cannot read from backfilling global secondary index: {index.name}")
    projected = index.projected
    if projected is None:
        return False
    fetch = False
    if request.get("Select") == "ALL_ATTRIBUTES":
        if index.is_global:
            raise errors.invalid_parameters(
                f"Select type ALL_ATTRIBUTES is not supported for global secondary index {index.name} "
                "because its projection type is not ALL"
            )
        fetch = True
    if compiled.projection is not None:
        missing = _unprojected((p.head for p in compiled.projection.node.paths), projected)
        if missing:
            if index.is_global:
                raise errors.invalid_parameters(
                    f"Global secondary index {index.name} does not project [{', '.join(missing)}]"
                )
            fetch = True
    if compiled.filter is not None:
        heads: list[str] = []
        _condition_heads(compiled.filter.node, heads)
        missing = _unprojected(heads, projected)
        if missing:  # on LSIs too: a filter never fetches from the table
            raise errors.invalid_parameters(
                f"Secondary index {index.name} does not project one or more filter attributes: "
                f"[{', '.join(missing)}]"
            )
    return fetch


def _unprojected(names: Iterator[str] | list[str], projected: frozenset[str]) -> list[str]:
    missing: list[str] = []
    for name in names:
        if name not in projected and name not in missing:
            missing.append(name)
    return missing


def read_index_page(state: EngineState, table: Table, index: Index, spec: PageSpec, request: dict[str, Any],
                    out: Output, *, fetch: bool) -> dict[str, Any]:
    items: list[Any] = []
    scanned = 0
    size = 0  # what the page read: index entries and fetched items (its 1 MB limit)
    entry_bytes = 0
    fetch_units = 0.0
    last: bytes | None = None
    limit = spec.limit
    flt, projection = spec.filter, spec.projection
    env = state.env
    hash_name = table.hash_key[0]
    range_name = table.range_key[0] if table.range_key is not None else None
    with env.env.begin() as txn:
        for _, entry_record in _walk(txn, env.index, spec.low, spec.high, spec.forward):
            entry: Item | None = None
            if spec.key_filter is not None:
                entry = records.decode_item(entry_record)
                if not spec.key_filter(entry):
                    continue
            scanned += 1
            entry_size = records.item_size(entry_record)
            size += entry_size
            entry_bytes += entry_size
            record = entry_record
            if fetch:
                entry = entry or records.decode_item(entry_record)
                table_key = keys.item_key(table.prefix, entry[hash_name],
                                          entry[range_name] if range_name is not None else None)
                fetched = txn.get(table_key, db=env.items)
                if fetched is not None:
                    record = fetched
                    fetched_size = records.item_size(fetched)
                    size += fetched_size
                    # each item fetched from the table is a read of its own, rounded up alone
                    fetch_units += capacity.read_units(fetched_size, consistent=spec.consistent)
            item: Item | None = entry if record is entry_record else None
            keep = True
            if flt is not None:
                item = item or records.decode_item(record)
                keep = flt.evaluate(item)
            if keep:
                if spec.count_only:
                    items.append(None)
                elif projection is not None:
                    items.append(out.item(projection.apply(item or records.decode_item(record))))
                else:
                    items.append(out.stored(record))
            if (limit is not None and scanned >= limit) or size >= PAGE_BYTES:
                last = entry_record
                break
    response: dict[str, Any] = {}
    if not spec.count_only:
        response["Items"] = items
    response["Count"] = len(items)
    response["ScannedCount"] = scanned
    if last is not None:
        response["LastEvaluatedKey"] = out.item(index.entry_lmdb_keys(records.decode_item(last)))
    # The index read is charged on what the index held; items fetched from the table (attributes
    # an LSI does not project) each cost the table a read of their own.
    index_units = capacity.read_units(entry_bytes, consistent=spec.consistent)
    if table.limited or state.capped:  # throttle.py: a GSI read draws on the GSI's capacity
        state.limiter.read(table, None, index_units + fetch_units, index.name if index.is_global else None)
    if request.get("ReturnConsumedCapacity") not in (None, "NONE"):
        used = capacity.consumed(request, table.name, index_units + fetch_units)
        if used is not None and request.get("ReturnConsumedCapacity") == "INDEXES":
            used["Table"] = {"CapacityUnits": fetch_units}
            kind = "GlobalSecondaryIndexes" if index.is_global else "LocalSecondaryIndexes"
            used[kind] = {index.name: {"CapacityUnits": index_units}}
        response["ConsumedCapacity"] = used
    return response
