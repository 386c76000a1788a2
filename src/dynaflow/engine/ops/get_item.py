"""GetItem: read one item by key from a consistent snapshot.

Reads never wait for writers: LMDB gives each read transaction a snapshot of the last commit.
Every commit is acknowledged only after it is visible, so eventually and strongly consistent
reads both see every acknowledged write; ConsistentRead only changes the capacity consumed.

Fast path: when the table exists and ``Table.fast_key`` accepts the ``Key`` as it is (exactly the
schema's attributes, S or canonical N values within the size limits), the key is valid and needs
no normalizing, so ``validate_item`` and ``key_from_key`` could only return that same key and raise
nothing: both are skipped. Any other request takes the checked path, in DynamoDB's check order.
"""

from __future__ import annotations

from typing import Any

from dynaflow.engine import capacity, records
from dynaflow.engine.expressions import compile_expressions
from dynaflow.engine.state import EngineState, Output
from dynaflow.engine.values import validate_item


def shortcut(state: EngineState, request: dict[str, Any], out: Output) -> dict[str, Any] | None:
    """The whole GetItem for the commonest request, ``TableName`` and ``Key`` only; None otherwise.

    It answers only when every member is proven valid without the shape check: a table of that
    name exists (so the name passed the naming rules when it was created) and ``Table.fast_key``
    accepts the key (it accepts only keys the checked path returns unchanged). The shape check and
    the key validation could then only pass, so they are skipped (see ``core.SHORTCUTS``).
    """
    if len(request) != 2:
        return None
    name = request.get("TableName")
    table = state.catalog.tables.get(name) if name.__class__ is str else None
    if table is None or table.limited or state.capped:
        return None
    key = request.get("Key")
    if key.__class__ is not dict or len(key) != len(table.key_names):
        return None
    lmdb_key = table.fast_key(key)
    if lmdb_key is None:
        return None
    record = _read(state, lmdb_key)
    return {} if record is None else {"Item": out.stored(record)}


def _read(state: EngineState, lmdb_key: bytes) -> bytes | None:
    env = state.env
    with env.env.begin(db=env.items) as txn:
        record: bytes | None = txn.get(lmdb_key)
    return record


def run(state: EngineState, request: dict[str, Any], out: Output) -> dict[str, Any]:
    table = state.catalog.tables.get(request["TableName"])
    key = request.get("Key")
    lmdb_key = (table.fast_key(key) if table is not None and key.__class__ is dict
                and len(key) == len(table.key_names) else None)
    if lmdb_key is None:
        key = validate_item(key)
        projection = compile_expressions(request, operation="GetItem").projection
        table = state.catalog.get(request["TableName"])
        lmdb_key = table.key_from_key(key)
    else:
        projection = compile_expressions(request, operation="GetItem").projection
    assert table is not None
    record = _read(state, lmdb_key)
    response: dict[str, Any] = {}
    if record is not None:
        if projection is None:
            response["Item"] = out.stored(record)
        else:
            response["Item"] = out.item(projection.apply(records.decode_item(record)))
    if table.limited or state.capped:  # throttle.py: raises when out of read capacity
        size = records.item_size(record) if record is not None else 0
        units = capacity.read_units(size, consistent=bool(request.get("ConsistentRead")))
        state.limiter.read(table, lmdb_key[4:8], units)
    if request.get("ReturnConsumedCapacity") not in (None, "NONE"):
        size = records.item_size(record) if record is not None else 0
        units = capacity.read_units(size, consistent=bool(request.get("ConsistentRead")))
        response["ConsumedCapacity"] = capacity.consumed(request, table.name, units)
    return response
