"""Consumed capacity by DynamoDB's rules.

A write consumes one WCU per 1 KB (rounded up) of the larger of the old and new item; a strongly
consistent read one RCU per 4 KB, an eventually consistent read half that; a transactional
operation twice the standard amount. Query and Scan add the sizes of all items they read and
round once at the end.

Secondary indexes add their own writes, per index, by the rules of DynamoDB's developer guide
("Provisioned throughput considerations" for GSIs and LSIs), with the index entry's size:

* an item that enters the index (new item, or a newly defined index key): one write;
* an item that leaves it (deleted, or an index key removed): one write;
* an index key that changes value: two writes (delete the old entry, put the new one);
* the same key but a different projection: one write; nothing projected changed: none.

``CapacityUnits`` is the table's units plus every index's; ``ReturnConsumedCapacity=INDEXES``
breaks it down into ``Table``, ``LocalSecondaryIndexes`` and ``GlobalSecondaryIndexes`` (indexes
that consumed nothing are left out), as DynamoDB reports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dynaflow.engine.values import Item, item_size

if TYPE_CHECKING:
    from dynaflow.engine.catalog import Table

_KB = 1024

#: ``(index name, is_global, units)`` for each index a write consumed capacity on.
IndexUnits = list[tuple[str, bool, float]]


def write_units(size: int) -> float:
    return float(max(1, -(-size // _KB)))


def read_units(size: int, *, consistent: bool) -> float:
    units = max(1, -(-size // (4 * _KB)))
    return float(units) if consistent else units / 2


def _entry_units(index: Any, item: Item) -> tuple[bytes | None, Item | None, float]:
    key = index.entry_key(item)
    if key is None:
        return None, None, 0.0
    projected = index.project(item)
    return key, projected, write_units(item_size(projected))


def index_write_units(table: Table, old: Item | None, new: Item | None) -> IndexUnits:
    """The index writes of one item change (empty for tables without indexes)."""
    indexes = getattr(table, "indexes", ())
    if not indexes:
        return []
    used: IndexUnits = []
    for index in indexes:
        if getattr(getattr(index, "state", None), "status", "ACTIVE") not in ("CREATING", "ACTIVE", "UPDATING"):
            continue
        old_key, old_entry, old_units = _entry_units(index, old) if old is not None else (None, None, 0.0)
        new_key, new_entry, new_units = _entry_units(index, new) if new is not None else (None, None, 0.0)
        if old_key is None and new_key is None:
            continue
        same_key = old_key == new_key
        units = (0.0 if old_entry == new_entry else new_units) if same_key else old_units + new_units
        if units:
            used.append((index.name, bool(index.is_global), units))
    return used


def consumed(request: dict[str, Any], table: str, units: float, *, read: bool | None = None,
             indexes: IndexUnits | None = None) -> dict[str, Any] | None:
    """The ``ConsumedCapacity`` entry, or None when the request did not ask for it."""
    mode = request.get("ReturnConsumedCapacity")
    if mode not in ("TOTAL", "INDEXES"):
        return None
    total = units + sum(u for _, _, u in indexes) if indexes else units
    entry: dict[str, Any] = {"TableName": table, "CapacityUnits": total}
    if read is not None:
        entry["ReadCapacityUnits" if read else "WriteCapacityUnits"] = total
    if mode == "INDEXES":
        entry["Table"] = {"CapacityUnits": units}
        if read is not None:
            entry["Table"]["ReadCapacityUnits" if read else "WriteCapacityUnits"] = units
        for name, is_global, used in indexes or ():
            kind = "GlobalSecondaryIndexes" if is_global else "LocalSecondaryIndexes"
            slot = entry.setdefault(kind, {}).setdefault(name, {"CapacityUnits": 0.0})
            slot["CapacityUnits"] += used
    return entry


def merge(into: dict[str, tuple[float, IndexUnits]], table: str, units: float, indexes: IndexUnits) -> None:
    """Add one write's units to a per-table tally (BatchWriteItem)."""
    total, so_far = into.get(table, (0.0, []))
    into[table] = (total + units, so_far + indexes)
