"""TransactGetItems: up to 100 Gets over any tables, read from one snapshot.

Every Get is validated first (projection, key, table, the one-item-once rule); then all items are
read in a single LMDB read transaction, which is a serializable snapshot: no write can be seen
half-applied, and a TransactWriteItems is either entirely visible or not at all. Because a
snapshot never conflicts with writers, the TransactionCanceledException DynamoDB raises for a read
racing a write never happens here.

Responses are in request order, ``{}`` for a missing item. The items returned may total at most
4 MB (DynamoDB's aggregate limit for transactions), counted by stored item size. Each Get costs
twice the strongly consistent read units of its item (a missing item costs the minimum), per table.
"""

from __future__ import annotations

from typing import Any, Final

from dynaflow.engine import capacity, errors, records
from dynaflow.engine.catalog import Table
from dynaflow.engine.expressions import Projection, compile_expressions
from dynaflow.engine.state import EngineState, Output
from dynaflow.engine.values import validate_item

MAX_RESPONSE: Final = 4 * 1024 * 1024


def run(state: EngineState, request: dict[str, Any], out: Output) -> dict[str, Any]:
    gets = [element["Get"] for element in request["TransactItems"]]
    projections = [compile_expressions(get, operation="Get").projection for get in gets]
    plan: list[tuple[Table, bytes, Projection | None]] = []
    seen: set[tuple[int, bytes]] = set()
    tables = state.catalog.tables
    for get, projection in zip(gets, projections, strict=True):
        table = tables.get(get["TableName"])
        if table is None:
            raise errors.resource_not_found()
        key = table.key_from_key(validate_item(get.get("Key")))
        marker = (table.table_id, key)
        if marker in seen:
            raise errors.validation("Transaction request cannot include multiple operations on one item")
        seen.add(marker)
        plan.append((table, key, projection))

    responses: list[dict[str, Any]] = []
    units: dict[str, float] = {}
    total = 0
    env = state.env
    with env.env.begin(db=env.items) as txn:
        for table, key, projection in plan:
            record = txn.get(key)
            size = records.item_size(record) if record is not None else 0
            units[table.name] = units.get(table.name, 0.0) + 2 * capacity.read_units(size, consistent=True)
            if record is None:
                responses.append({})
                continue
            total += size
            if total > MAX_RESPONSE:
                raise errors.validation(f"Payload in response is too large.{total}")
            if projection is None:
                responses.append({"Item": out.stored(record)})
            else:
                responses.append({"Item": out.item(projection.apply(records.decode_item(record)))})
    response: dict[str, Any] = {"Responses": responses}
    if request.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
        response["ConsumedCapacity"] = [capacity.consumed(request, name, used) for name, used in units.items()]
    return response
