"""The one place an item changes.

Every write path (PutItem, UpdateItem, DeleteItem, BatchWriteItem, transactions, TTL expiry)
ends here, inside the writer's transaction, so everything a change implies commits atomically
with it (style principle 7): the item itself, the table's counters, its secondary-index entries
and its stream record. A change that leaves the item as it was still rewrites it but emits no
stream record (DynamoDB's rule), which the stream module decides from the two images.

Callers pass the old stored record (or None) and the new item (or None for a delete); the old item
is decoded only when an index or the stream needs its image.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dynaflow.engine import records
from dynaflow.engine.catalog import Table
from dynaflow.engine.values import Item
from dynaflow.engine.writer import WriteContext


@dataclass(frozen=True, slots=True)
class Change:
    """One item change, as the index and stream maintainers see it."""

    table: Table
    key: bytes
    old: Item | None
    new: Item | None
    #: Set for deletes made by the service itself (TTL expiry), shown as userIdentity in streams.
    service_identity: dict[str, Any] | None = None
    #: ``old`` as it was stored (``records``), so a stream record splices its image and reads its
    #: size from the header instead of encoding and sizing the dict again.
    old_record: bytes | None = None


def write_change(
    ctx: WriteContext,
    table: Table,
    key: bytes,
    old_record: bytes | None,
    new: Item | None,
    new_size: int = 0,
    *,
    old: Item | None = None,
    service_identity: dict[str, Any] | None = None,
    record: bytes | None = None,
) -> None:
    """Store ``new`` (or delete when None) at ``key`` with everything the change implies.

    ``record``: ``new`` already encoded (``records.encode_item``), when the caller encoded it
    before the write transaction (PutItem does), so the transaction holds less work.
    """
    items_db = ctx.env.items
    old_size = records.item_size(old_record) if old_record is not None else 0
    if new is None:
        if old_record is None:
            return
        ctx.txn.delete(key, db=items_db)
        ctx.count(table.table_id, -1, -old_size)
    else:
        ctx.txn.put(key, record or records.encode_item(new, new_size), db=items_db)
        ctx.count(table.table_id, 0 if old_record is not None else 1, new_size - old_size)
    if not table.observed:
        return
    if old is None and old_record is not None:
        old = records.decode_item(old_record)
    change = Change(table, key, old, new, service_identity, old_record)
    for observer in table.observers:
        observer(ctx, change)


def write_puts(ctx: WriteContext, table: Table, puts: list[tuple[Any, bytes, Item, int, bytes]]) -> None:
    """Store whole items into ``table``: ``(_, key, item, size, record)`` each, ``record`` the item
    encoded. The same as :func:`write_change` for each in turn; for a table nothing observes (no
    index, no stream) without a call per item, and its counters are added once."""
    txn = ctx.txn
    items_db = ctx.env.items
    if table.observers:
        for _, key, item, size, record in puts:
            write_change(ctx, table, key, txn.get(key, db=items_db), item, size, record=record)
        return
    added = grown = 0
    replace = txn.cursor(db=items_db).replace  # store and hand back the old record: one B-tree descent
    for _, key, _item, size, record in puts:
        old_record = replace(key, record)
        if old_record is None:
            added += 1
            grown += size
        else:
            grown += size - records.item_size(old_record)
    ctx.count(table.table_id, added, grown)
