"""BatchWriteItem: up to 25 puts and deletes over any tables, applied in one transaction.

DynamoDB applies a batch's requests independently and may hand some back as UnprocessedItems.
dynaflow validates every request up front (any invalid request rejects the whole batch, as
DynamoDB does) and then applies all of them in a single group-commit transaction, so a batch is
never partially visible and UnprocessedItems is empty unless throughput limits defer requests.
"""

from __future__ import annotations

from typing import Any

from dynaflow.engine import capacity, errors
from dynaflow.engine.ops.delete_item import DeleteItem
from dynaflow.engine.ops.put_item import PutItem
from dynaflow.engine.rmw import RmwOperation
from dynaflow.engine.state import Deferred, EngineState, Output
from dynaflow.engine.writer import WriteContext

MAX_REQUESTS = 25


def run(state: EngineState, request: dict[str, Any], out: Output) -> Deferred:
    request_items: dict[str, list[dict[str, Any]]] = request.get("RequestItems") or {}
    total = sum(len(reqs) for reqs in request_items.values())
    if total > MAX_REQUESTS:
        raise errors.validation(
            "Too many items requested for the BatchWriteItem call"
        )
    ops: list[RmwOperation] = []
    seen: set[tuple[str, bytes]] = set()
    for table_name, reqs in request_items.items():
        for entry in reqs:
            put, delete = entry.get("PutRequest"), entry.get("DeleteRequest")
            if (put is None) == (delete is None):
                raise errors.validation(
                    "Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
                    "the supported datatypes" if put is not None else
                    "1 validation error detected: Value null at 'requestItems."
                    f"{table_name}.member.deleteRequest' failed to satisfy constraint: Member must not be null"
                )
            op: RmwOperation
            if put is not None:
                op = PutItem(state, {"TableName": table_name, "Item": put.get("Item")}, out)
            else:
                op = DeleteItem(state, {"TableName": table_name, "Key": delete.get("Key")}, out)
            marker = (table_name, op.key)
            if marker in seen:
                raise errors.validation("Provided list of item keys contains duplicates")
            seen.add(marker)
            ops.append(op)

    def apply(ctx: WriteContext) -> dict[str, Any]:
        units: dict[str, float] = {}
        for op in ops:
            old_record, old = op.check(ctx)
            _, size = op.write(ctx, old_record, old)
            units[op.table.name] = units.get(op.table.name, 0.0) + capacity.write_units(size)
        response: dict[str, Any] = {"UnprocessedItems": {}}
        if request.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
            response["ConsumedCapacity"] = [
                capacity.consumed(request, name, used) for name, used in units.items()
            ]
        return response

    return Deferred(apply)
