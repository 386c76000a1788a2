"""BatchWriteItem: up to 25 puts and deletes over any tables, applied in one transaction.

DynamoDB applies a batch's requests independently and may hand some back as UnprocessedItems.
dynaflow validates every request up front (any invalid request rejects the whole batch, as
DynamoDB does) and then applies all of them in a single group-commit transaction, so a batch is
never partially visible and UnprocessedItems is empty unless throughput limits defer requests.
"""

from __future__ import annotations

from typing import Any

from dynaflow.engine import capacity, errors, item_collections, proven_puts
from dynaflow.engine.ops.delete_item import DeleteItem
from dynaflow.engine.ops.put_item import PutItem
from dynaflow.engine.rmw import RmwOperation
from dynaflow.engine.state import Deferred, EngineState, Output
from dynaflow.engine.values import prove_item
from dynaflow.engine.writer import WriteContext

MAX_REQUESTS = 25


def shortcut(state: EngineState, request: dict[str, Any], out: Output) -> Deferred | None:
    """A batch of puts of proven items into existing tables, ``RequestItems`` only; else None.

    The bulk write of ingest and replication. Each table is known by name (its name passed the
    naming rules when it was created), each list holds 1..25 requests of exactly one
    ``PutRequest`` whose ``Item`` ``values.prove_item`` proves valid, 25 at most in all: the shape
    check could then only pass (as for ``put_item.shortcut``), so the request goes straight to
    :func:`run`. Deletes, other members and anything unproven take the checked path.
    """
    if len(request) != 1:
        return None
    request_items = request.get("RequestItems")
    if request_items.__class__ is not dict or not request_items:
        return None
    tables = state.catalog.tables
    total = 0
    #: The batch as proven plain puts (``proven_puts``), while every one so far is one.
    puts: list[proven_puts.ProvenPut] | None = []
    keys: set[tuple[str, bytes]] = set()
    for name, entries in request_items.items():
        if name.__class__ is not str or entries.__class__ is not list or not entries:
            return None
        table = tables.get(name)
        if table is None:
            return None
        total += len(entries)
        if total > MAX_REQUESTS:
            return None
        if puts is not None:  # the whole list at once where it is all plain puts
            prepared = proven_puts.prepare_all(table, entries)
            if prepared is not None:
                puts += prepared
                continue
        for entry in entries:
            if entry.__class__ is not dict or len(entry) != 1:
                return None
            put = entry.get("PutRequest")
            if put.__class__ is not dict or len(put) != 1:
                return None
            item = put.get("Item")
            if puts is not None:
                plain = proven_puts.prepare(table, item)
                if plain is not None and (name, plain[1]) not in keys:
                    keys.add((name, plain[1]))
                    puts.append(plain)
                    continue
                puts = None  # the general path then answers, duplicates included
            if item.__class__ is not dict or not prove_item(item):
                return None
    if puts is None:
        return run(state, request, out)
    return proven_puts.job(state, puts, True, lambda: run(state, request, out))


def run(state: EngineState, request: dict[str, Any], out: Output) -> Deferred:
    request_items: dict[str, list[dict[str, Any]]] = request.get("RequestItems") or {}
    total = sum(len(reqs) for reqs in request_items.values())
    if total > MAX_REQUESTS:
        raise errors.validation(
            "Too many items requested for the BatchWriteItem call"
        )
    ops: list[RmwOperation] = []
    entries: list[tuple[str, dict[str, Any]]] = []
    seen: set[tuple[str, bytes]] = set()
    for table_name, reqs in request_items.items():
        for entry in reqs:
            put, delete = entry.get("PutRequest"), entry.get("DeleteRequest")
            op: RmwOperation
            if put is not None and delete is not None:
                raise errors.validation(
                    "Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
                    "the supported datatypes"
                )
            if put is not None:
                op = PutItem(state, {"TableName": table_name, "Item": put.get("Item")}, out)
            elif delete is not None:
                op = DeleteItem(state, {"TableName": table_name, "Key": delete.get("Key")}, out)
            else:
                raise errors.validation(
                    "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
                )
            marker = (table_name, op.key)
            if marker in seen:
                raise errors.validation("Provided list of item keys contains duplicates")
            seen.add(marker)
            ops.append(op)
            entries.append((table_name, entry))

    wants = request.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES")

    def apply(ctx: WriteContext) -> dict[str, Any]:
        # Throttled requests are handed back as UnprocessedItems; if all of them are, DynamoDB
        # raises instead. Admission is decided before anything is written (the job contract).
        # Each request is admitted just before it is applied, so it sees what the previous ones used.
        throttled: dict[str, list[dict[str, Any]]] = {}
        error: errors.DynamoError | None = None
        units: dict[str, tuple[float, capacity.IndexUnits]] = {}
        collections = item_collections.Touched() if request.get("ReturnItemCollectionMetrics") == "SIZE" else None
        for op, (table_name, entry) in zip(ops, entries, strict=True):
            if op.table.limited or state.capped:
                denied = state.limiter.admit_write(op.table, op.key[4:8])
                if denied is not None:
                    error = error or denied
                    throttled.setdefault(table_name, []).append(entry)
                    continue
            old_record, old = op.check(ctx)
            new, size = op.write(ctx, old_record, old)
            if collections is not None:
                collections.note(op.table, op.collection_item(new, old))
            if wants or op.table.limited or state.capped:
                used, index_units = op.charge(old_record, old, new, size, wants=wants)
                capacity.merge(units, op.table.name, used, index_units)
        if error is not None and sum(len(v) for v in throttled.values()) == len(ops):
            raise error  # nothing was written: every request was throttled
        response: dict[str, Any] = {"UnprocessedItems": throttled}
        if collections is not None:
            reported = collections.report(ctx.txn, ctx.env, out)
            if reported:
                response["ItemCollectionMetrics"] = reported
        if wants:
            response["ConsumedCapacity"] = [
                capacity.consumed(request, name, used, indexes=index_units)
                for name, (used, index_units) in units.items()
            ]
        return response

    return Deferred(apply)
