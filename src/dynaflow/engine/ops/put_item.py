"""PutItem: create or replace a whole item, optionally under a condition.

Fast path: a put with no condition, ``ReturnValues`` NONE, no ``ReturnConsumedCapacity`` and no
throughput accounting (the common write) runs :meth:`PutItem.run_plain` in the writer instead of
the general ``RmwOperation.run``. For such a put the general path reads nothing but the old record,
evaluates nothing, charges nothing and answers ``{}``; ``run_plain`` does exactly the store
(``changes.write_change``, with the same index key check first) and nothing else. A table swapped
by UpdateTable since validation, or any other case, takes the general path.
"""

from __future__ import annotations

from typing import Any

from dynaflow.engine import errors, proven_puts, records
from dynaflow.engine.changes import write_change
from dynaflow.engine.expressions import RequestExpressions
from dynaflow.engine.indexes import check_item
from dynaflow.engine.rmw import RmwOperation, compile_for
from dynaflow.engine.state import Deferred, EngineState, Output
from dynaflow.engine.values import MAX_ITEM_SIZE, Item, prove_item, validate_item_stored
from dynaflow.engine.writer import WriteContext


class PutItem(RmwOperation):
    operation = "PutItem"

    def __init__(self, state: EngineState, request: dict[str, Any], out: Output,
                 compiled: RequestExpressions | None = None) -> None:
        super().__init__(state, request, out)
        self.item, self.size, binary = validate_item_stored(request.get("Item"))
        self.condition = compile_for(request, "PutItem", compiled).condition
        self.table = state.catalog.get(request["TableName"])
        self.key = self.table.key_from_item(self.item)
        if self.size > MAX_ITEM_SIZE:
            raise errors.validation("Item size has exceeded the maximum allowed size")
        #: The stored form, encoded here, outside the writer's transaction.
        self.record = records.encode_item(self.item, self.size, binary)

    def apply(self, old: Item | None) -> Item:
        return self.item

    def run_plain(self, ctx: WriteContext) -> dict[str, Any]:
        table = self.table
        if self.state.capped or self.state.catalog.tables.get(table.name) is not table:
            return self.run(ctx)
        if table.indexes:
            check_item(table.indexes, self.item)
        write_change(ctx, table, self.key, ctx.txn.get(self.key, db=ctx.env.items), self.item, self.size,
                     record=self.record)
        return {}

    def encoded(self, item: Item) -> bytes | None:
        return self.record if item is self.item else None

    def new_size(self, item: Item) -> int:
        return self.size


def shortcut(state: EngineState, request: dict[str, Any], out: Output) -> Deferred | None:
    """PutItem of ``TableName`` and ``Item`` only, proven valid without the shape check; else None.

    A table of that name exists (its name passed the naming rules when it was created) and
    ``values.prove_item`` proves the item valid: the shape check could then only pass, so the
    request goes straight to :func:`run` (which finds the item's proof and does not walk it again),
    or, when the put is plain (``proven_puts``), to a writer job that stores it without building a
    :class:`PutItem`.
    """
    if len(request) != 2:
        return None
    name = request.get("TableName")
    table = state.catalog.tables.get(name) if name.__class__ is str else None
    if table is None:
        return None
    item = request.get("Item")
    put = proven_puts.prepare(table, item)
    if put is not None:
        return proven_puts.job(state, [put], False, lambda: run(state, request, out))
    if item.__class__ is not dict or not prove_item(item):
        return None
    return run(state, request, out)


def run(state: EngineState, request: dict[str, Any], out: Output) -> Deferred:
    op = PutItem(state, request, out)
    plain = (op.condition is None and op.return_values == "NONE" and not op.table.limited
             and request.get("ReturnConsumedCapacity") in (None, "NONE")
             and request.get("ReturnItemCollectionMetrics") in (None, "NONE"))
    return Deferred(op.run_plain if plain else op.run)
