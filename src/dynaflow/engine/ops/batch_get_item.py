"""BatchGetItem: up to 100 keys over any tables, read from one consistent snapshot."""

from __future__ import annotations

from typing import Any

from dynaflow.engine import capacity, errors, records
from dynaflow.engine.catalog import Table
from dynaflow.engine.expressions import Projection, compile_expressions
from dynaflow.engine.state import EngineState, Output
from dynaflow.engine.values import validate_item

MAX_KEYS = 100
#: DynamoDB returns at most 16 MB per call; keys past that are handed back as UnprocessedKeys.
MAX_RESPONSE_BYTES = 16 * 1024 * 1024


def run(state: EngineState, request: dict[str, Any], out: Output) -> dict[str, Any]:
    request_items: dict[str, dict[str, Any]] = request.get("RequestItems") or {}
    if sum(len(block.get("Keys") or ()) for block in request_items.values()) > MAX_KEYS:
        raise errors.validation("Too many items requested for the BatchGetItem call")
    plan: list[tuple[Table, Projection | None, list[tuple[bytes, dict[str, Any]]], bool, dict[str, Any]]] = []
    for table_name, block in request_items.items():
        projection = compile_expressions(block, operation="BatchGetItem").projection
        table = state.catalog.get(table_name)
        lmdb_keys = [(table.key_from_key(validate_item(key)), key) for key in block.get("Keys") or ()]
        if len({k for k, _ in lmdb_keys}) != len(lmdb_keys):
            raise errors.validation("Provided list of item keys contains duplicates")
        plan.append((table, projection, lmdb_keys, bool(block.get("ConsistentRead")), block))
    responses: dict[str, list[Any]] = {}
    unprocessed: dict[str, dict[str, Any]] = {}
    used: list[dict[str, Any]] = []
    total = 0
    full = False
    throttled: errors.DynamoError | None = None
    served = 0
    env = state.env
    with env.env.begin(db=env.items) as txn:
        for table, projection, lmdb_keys, consistent, block in plan:
            found = responses.setdefault(table.name, [])
            units = 0.0
            for key, original in lmdb_keys:
                record = None if full else txn.get(key)
                size = records.item_size(record) if record is not None else 0
                if full or total + size > MAX_RESPONSE_BYTES:  # the item that would not fit, and all after it
                    full = True
                    left = unprocessed.setdefault(table.name, {**block, "Keys": []})
                    left["Keys"].append(out.item(original))
                    continue
                cost = capacity.read_units(size, consistent=consistent)
                if table.limited or state.capped:  # throttled keys go back as UnprocessedKeys
                    denied = state.limiter.try_read(table, key[4:8], cost)
                    if denied is not None:
                        throttled = throttled or denied
                        left = unprocessed.setdefault(table.name, {**block, "Keys": []})
                        left["Keys"].append(out.item(original))
                        continue
                served += 1
                units += cost
                if record is None:
                    continue
                total += size
                if projection is None:
                    found.append(out.stored(record))
                else:
                    found.append(out.item(projection.apply(records.decode_item(record))))
            entry = capacity.consumed(request, table.name, units)
            if entry is not None:
                used.append(entry)
    if throttled is not None and not served:
        raise throttled  # DynamoDB raises when no key at all could be read
    response: dict[str, Any] = {"Responses": responses, "UnprocessedKeys": unprocessed}
    if used:
        response["ConsumedCapacity"] = used
    return response
