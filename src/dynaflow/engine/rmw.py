"""Read-modify-write operations: PutItem, UpdateItem and DeleteItem share one shape.

The constructor does everything that can fail on input, before any I/O: resolve the table,
validate the key and item, compile the expressions, check ReturnValues. What is left is
:meth:`apply`, a pure function ``apply(old) -> new | DELETE`` that never mutates the operation,
and :meth:`run`, the writer job: read the old item inside the write transaction, evaluate the
condition, apply, write. Because conditions are checked before anything is written, a failed
condition raises with nothing changed, which is the writer's job contract (see ``writer.py``);
and because ``apply`` is pure, the writer may retry a job.

Transactions (TransactWriteItems) reuse the same objects: they check every condition first and
then call :meth:`write` for each.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

from dynaflow.engine import capacity, errors, item_collections, records
from dynaflow.engine.catalog import Table
from dynaflow.engine.changes import write_change
from dynaflow.engine.expressions import Condition, RequestExpressions, compile_expressions
from dynaflow.engine.indexes import check_item
from dynaflow.engine.state import EngineState, Output
from dynaflow.engine.values import Item
from dynaflow.engine.writer import WriteContext

#: ``apply`` result meaning "delete the item".
DELETE: Final = object()


class RmwOperation:
    """Base of the single-item writes. Subclasses validate in ``__init__`` and define ``apply``."""

    operation: ClassVar[str]
    return_values_allowed: ClassVar[tuple[str, ...]] = ("NONE", "ALL_OLD")

    table: Table
    key: bytes
    condition: Condition | None
    #: The request's Key, for the operations that take one (UpdateItem, DeleteItem).
    key_item: Item | None = None

    def __init__(self, state: EngineState, request: dict[str, Any], out: Output) -> None:
        self.state = state
        self.request = request
        self.out = out
        self.return_values = request.get("ReturnValues") or "NONE"
        if self.return_values not in self.return_values_allowed:
            raise errors.validation(self._return_values_message())
        self.return_on_failure = request.get("ReturnValuesOnConditionCheckFailure") or "NONE"

    def _return_values_message(self) -> str:
        return "ReturnValues can only be ALL_OLD or NONE"

    # ------------------------------------------------------------ the pure part

    def apply(self, old: Item | None) -> Item | object:
        raise NotImplementedError

    def needs_old_item(self) -> bool:
        return self.condition is not None or self.return_values != "NONE"

    # ------------------------------------------------------------ the writer job

    def check(self, ctx: WriteContext) -> tuple[bytes | None, Item | None]:
        """Read the old item and evaluate the condition; raise before anything is written."""
        current = self.state.catalog.tables.get(self.table.name)
        if current is not self.table:
            # UpdateTable/UpdateTimeToLive swap the Table object; the table itself is the same one
            # as long as its id is, and the write must then use its current indexes and observers.
            if current is None or current.table_id != self.table.table_id:
                raise errors.table_not_found(self.table.name)
            self.table = current
        old_record: bytes | None = ctx.txn.get(self.key, db=ctx.env.items)
        old = records.decode_item(old_record) if old_record is not None and self._wants_old() else None
        if self.condition is not None and not self.condition.evaluate(old or {}):
            item = None
            if self.return_on_failure == "ALL_OLD" and old_record is not None:
                item = self.out.stored(old_record)
            raise errors.conditional_check_failed(item)
        return old_record, old

    def _wants_old(self) -> bool:
        return self.needs_old_item()

    def write(self, ctx: WriteContext, old_record: bytes | None, old: Item | None) -> tuple[Item | None, int]:
        """Apply and store; return the new item (None if deleted) and the consumed write units."""
        result = self.apply(old)
        old_size = records.item_size(old_record) if old_record is not None else 0
        if result is DELETE:
            write_change(ctx, self.table, self.key, old_record, None, old=old)
            return None, old_size
        assert isinstance(result, dict)
        new_size = self.new_size(result)
        if self.table.indexes:
            check_item(self.table.indexes, result)  # index key types, before anything is written
        write_change(ctx, self.table, self.key, old_record, result, new_size, old=old, record=self.encoded(result))
        return result, max(old_size, new_size)

    def new_size(self, item: Item) -> int:
        raise NotImplementedError

    def encoded(self, item: Item) -> bytes | None:
        """``item`` as stored, if this operation encoded it already (see ``changes.write_change``)."""
        return None

    def run(self, ctx: WriteContext) -> dict[str, Any]:
        if self.table.limited or self.state.capped:
            self.admit()
        old_record, old = self.check(ctx)
        new, size = self.write(ctx, old_record, old)
        response = self.response(old_record, old, new, size)
        if self.request.get("ReturnItemCollectionMetrics") == "SIZE":
            collection = item_collections.metrics(ctx.txn, ctx.env, self.table, self.collection_item(new, old))
            if collection is not None:
                collection["ItemCollectionKey"] = self.out.item(collection["ItemCollectionKey"])
                response["ItemCollectionMetrics"] = collection
        return response

    def collection_item(self, new: Item | None, old: Item | None) -> Item | None:
        """An item naming the written item's collection (its partition key value)."""
        if self.key_item is not None:
            return self.key_item
        return new if new is not None else old

    def response(self, old_record: bytes | None, old: Item | None, new: Item | None, size: int
                 ) -> dict[str, Any]:
        response: dict[str, Any] = {}
        attributes = self.returned(old_record, old, new)
        if attributes is not None:
            response["Attributes"] = attributes
        wants = self.request.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES")
        if wants or self.table.limited or self.state.capped:
            units, index_units = self.charge(old_record, old, new, size, wants=wants)
            if wants:
                response["ConsumedCapacity"] = capacity.consumed(self.request, self.table.name, units,
                                                                 indexes=index_units)
        return response

    # ------------------------------------------------------------ capacity (``capacity.py``, ``throttle.py``)

    def admit(self) -> None:
        """Raise ProvisionedThroughputExceededException if the table is out of write capacity."""
        denied = self.state.limiter.admit_write(self.table, self.key[4:8])
        if denied is not None:
            raise denied

    def charge(self, old_record: bytes | None, old: Item | None, new: Item | None, size: int, *,
               wants: bool) -> tuple[float, capacity.IndexUnits]:
        """The write's table and index units, charged to the table's buckets when it is limited."""
        units = capacity.write_units(size)
        table = self.table
        limited = table.limited or self.state.capped
        index_units: capacity.IndexUnits = []
        if getattr(table, "indexes", ()):
            if old is None and old_record is not None:
                old = records.decode_item(old_record)
            index_units = capacity.index_write_units(table, old, new)
        if limited:
            self.state.limiter.charge_write(table, self.key[4:8], units, index_units)
        return units, index_units

    def returned(self, old_record: bytes | None, old: Item | None, new: Item | None) -> Any:
        if self.return_values == "ALL_OLD" and old_record is not None:
            return self.out.stored(old_record)
        return None


def compile_for(request: dict[str, Any], operation: str, compiled: RequestExpressions | None = None
                ) -> RequestExpressions:
    """The request's compiled expressions: ``compiled`` when the caller has them already (a
    transaction compiles every action's before building any), else compiled now."""
    return compiled if compiled is not None else compile_expressions(request, operation=operation)
