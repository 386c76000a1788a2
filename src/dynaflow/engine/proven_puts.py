"""Proven puts: the plain write of PutItem and BatchWriteItem without an operation object per item.

Most writes are puts of a whole item with nothing around them: no condition, no ReturnValues, no
capacity report. For such a put of an item that ``values.canonical_size`` proves valid and canonical,
into an existing table that has no secondary index and no throughput limit, the general path
(``PutItem`` on ``RmwOperation``, then ``run_plain`` in the writer) checks nothing more: it computes
the key and the stored record, reads the old record in the write transaction and stores through
``changes.write_change``. Here the same steps run on a plain tuple per item, stored a table at a
time through ``changes.write_puts``, which saves building the per-item request dict, the operation
object and its checks (ingest and replication write 25-item batches of exactly these puts).

:func:`prepare` answers None for anything it cannot prove plain (a key the fast builder does not
build, an oversized item, an indexed or limited table); the caller then takes the general path,
which words any error exactly as before. :func:`store` writes nothing and answers False if the
engine changed between preparing and writing (a table swapped by UpdateTable, deleted or
recreated, or throughput caps set); the caller then runs the general path inside the same job.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from dynaflow.engine import records
from dynaflow.engine.catalog import Table
from dynaflow.engine.changes import write_puts
from dynaflow.engine.state import Deferred, EngineState
from dynaflow.engine.values import MAX_ITEM_SIZE, Item, canonical_size, canonical_walk
from dynaflow.engine.writer import WriteContext

#: ``(table, key, item, size, record)``: a put ready to store.
ProvenPut = tuple[Table, bytes, Item, int, bytes]


def _load_native() -> tuple[Callable[..., Any], Callable[..., Any]] | tuple[None, None]:
    """The C builds of :func:`prepare` and :func:`prepare_all` (``_proven_puts.c``, which need the
    C item walk too), or None when the install had no C compiler."""
    if canonical_walk is None:  # pragma: no cover - an install without a C compiler
        return None, None
    try:
        from dynaflow.engine._proven_puts import prepare, prepare_all
    except ImportError:  # pragma: no cover - an install without a C compiler
        return None, None
    return prepare, prepare_all


_native_prepare, _native_prepare_all = _load_native()


def prepare(table: Table, item: Any) -> ProvenPut | None:
    """The put of ``item`` into ``table``, if it is proven plain; else None (take the general path)."""
    if table.indexes or table.limited or item.__class__ is not dict:
        return None
    native = _native_prepare
    if native is not None:  # the steps below in one C call (``_proven_puts.c``)
        put: ProvenPut | None = native(item, table, canonical_walk, table.fast_key, orjson.dumps, MAX_ITEM_SIZE)
        return put
    size = canonical_size(item)  # no proof kept: a plain put is stored here, not validated again
    if size < 0 or size > MAX_ITEM_SIZE:
        return None
    key = table.fast_key(item)
    if key is None:
        return None
    return table, key, item, size, records.encode_item(item, size, False)


def prepare_all(table: Table, entries: list[Any]) -> list[ProvenPut] | None:
    """:func:`prepare` for each of a batch's ``entries`` into ``table``, each exactly
    ``{"PutRequest": {"Item": item}}``, when every one is a plain put and no key repeats; else None
    (the caller then decides entry by entry). One C call for the whole list where installed."""
    native = _native_prepare_all
    if native is None or table.indexes or table.limited:
        return None
    puts: list[ProvenPut] | None = native(entries, table, canonical_walk, table.fast_key, orjson.dumps, MAX_ITEM_SIZE)
    return puts


def store(ctx: WriteContext, state: EngineState, puts: list[ProvenPut]) -> bool:
    """Store ``puts`` in the writer's transaction, in order; False, with nothing written, if any of
    their tables is no longer the one they were prepared for or throughput caps are now set."""
    if state.capped:
        return False
    tables = state.catalog.tables
    checked = None
    for put in puts:  # a batch's puts come a table at a time: check each run's table once
        table = put[0]
        if table is not checked:
            if tables.get(table.name) is not table:
                return False
            checked = table
    start, end = 0, len(puts)
    while start < end:  # a run of puts into one table at a time (a batch names each table once)
        table = puts[start][0]
        stop = start + 1
        while stop < end and puts[stop][0] is table:
            stop += 1
        write_puts(ctx, table, puts[start:stop] if start or stop < end else puts)
        start = stop
    return True


def job(state: EngineState, puts: list[ProvenPut], batch: bool, general: Callable[[], Deferred]) -> Deferred:
    """The writer job of prepared puts: PutItem's answer (``{}``) or, for a ``batch``, BatchWriteItem's;
    ``general()`` builds the request's general job, run instead if :func:`store` declines."""
    def run(ctx: WriteContext) -> dict[str, Any]:
        if store(ctx, state, puts):
            return {"UnprocessedItems": {}} if batch else {}
        return general().fn(ctx)  # the engine changed since the puts were prepared
    return Deferred(run)
