"""Time to Live: an expiry schedule kept with the items, and a sweeper that deletes what is due.

**What expires.** An item of a table with TTL enabled expires when its TTL attribute is a Number
(epoch seconds, fractions allowed) less than the engine's clock, as DynamoDB documents. An item whose
attribute is missing or not a Number never expires, and neither does one whose time lies more than
five years in the past (DynamoDB ignores those too). DynamoDB deletes expired items within days;
dynaflow within one sweep interval (``Settings.ttl_interval``, one second by default).

**The schedule** lives in the ``ttl`` sub-database, one empty entry per item that has an expiry::

    table id (4) | expiry in milliseconds (8, big-endian, unsigned) | item key

so "what is due in table T" is one cursor walk of ``[T | now - 5 years, T | now)`` and the sweeper
never scans a table. The entries are written by a change observer (:class:`Scheduler`, installed by
``catalog._observers`` while TTL is enabled) inside the transaction of the item change itself, so
the schedule can never disagree with the items. When TTL is enabled on a table that already holds
items, a background backfill walks the table in short writer jobs and schedules the existing items,
exactly like an index backfill (``indexes.py``).

**Expiry** goes through the normal change path (``changes.write_change``) with DynamoDB's service
identity, so index entries, counters and the stream's REMOVE records (with ``userIdentity``) are
handled by their observers. The sweeper reads the due entries from a snapshot and then deletes in a
writer job that re-reads each item *inside* the write transaction: an update that extended the
TTL after the snapshot wins, because the job sees the new value and leaves the item alone.

Entries are never trusted: an entry whose item is gone or no longer carries that expiry is removed
when it comes due. That is what makes disabling TTL cheap (the observer goes away, the entries stay
and are cleaned when due or ignored while TTL is off) — rejected alternative: deleting a table's
whole schedule in the UpdateTimeToLive job, which would hold the writer for a large table.

**Clock.** Every decision reads ``EngineState.clock``; tests inject a clock and call
``Engine.expire_now()`` to run one pass deterministically.
"""

from __future__ import annotations

import logging
import struct
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from dynaflow.engine import keys, records
from dynaflow.engine.values import Item

if TYPE_CHECKING:
    from dynaflow.engine.catalog import Table
    from dynaflow.engine.changes import Change
    from dynaflow.engine.state import EngineState
    from dynaflow.engine.writer import WriteContext

log = logging.getLogger(__name__)

#: The stream ``userIdentity`` of a TTL delete, as the DynamoDB Streams API returns it (its
#: ``Identity`` shape: ``PrincipalId``, ``Type``; Lambda's event payloads spell them in lower case).
SERVICE_IDENTITY: Final = {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}
#: DynamoDB ignores expiry times more than five years in the past.
MAX_AGE: Final = 5 * 365 * 24 * 3600
#: Due entries handled per writer job: short jobs, so live writes never wait long.
CHUNK: Final = 512
#: Stored description field holding the TTL attribute name while TTL is enabled.
FIELD: Final = "_TimeToLive"

_MS: Final = struct.Struct(">Q")
_MAX_MS: Final = (1 << 64) - 1


def attribute(description: dict[str, Any]) -> str | None:
    """The table's TTL attribute name, or None when TTL is disabled."""
    spec = description.get(FIELD)
    return spec.get("AttributeName") if spec and spec.get("Enabled") else None


def expiry_of(item: Item | None, name: str) -> float | None:
    """The item's expiry time in epoch seconds, or None when it has none (absent, not a Number)."""
    if item is None:
        return None
    av = item.get(name)
    if av is None:
        return None
    text = av.get("N")
    if text is None or text.__class__ is not str:
        return None
    try:
        return float(text)
    except ValueError:  # pragma: no cover - stored numbers are validated
        return None


def _ms(seconds: float) -> bytes:
    ms = int(seconds * 1000)
    return _MS.pack(0 if ms < 0 else _MAX_MS if ms > _MAX_MS else ms)


def entry_key(table_id: int, expiry: float, item_key: bytes) -> bytes:
    return keys.table_prefix(table_id) + _ms(expiry) + item_key


def expired(expiry: float | None, now: float) -> bool:
    return expiry is not None and now - MAX_AGE <= expiry < now


class Scheduler:
    """Change observer keeping a table's TTL schedule equal to its items' expiry times."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, ctx: WriteContext, change: Change) -> None:
        old = expiry_of(change.old, self.name)
        new = expiry_of(change.new, self.name)
        if old == new:
            return
        db = ctx.env.ttl
        table_id = change.table.table_id
        if old is not None:
            ctx.txn.delete(entry_key(table_id, old, change.key), db=db)
        if new is not None:
            ctx.txn.put(entry_key(table_id, new, change.key), b"", db=db)


def observers(description: dict[str, Any]) -> tuple[Scheduler, ...]:
    """The TTL observer a table description calls for: one while TTL is enabled, else none."""
    name = attribute(description)
    return () if name is None else (Scheduler(name),)


# ---------------------------------------------------------------- the sweep


def due(state: EngineState, table: Table, now: float, limit: int = CHUNK) -> list[bytes]:
    """Schedule entries of ``table`` due at ``now`` (read from a snapshot), oldest first."""
    prefix = keys.table_prefix(table.table_id)
    low = prefix + _ms(now - MAX_AGE)
    high = prefix + _ms(now)
    found: list[bytes] = []
    env = state.env
    with env.env.begin(db=env.ttl) as txn:
        cursor = txn.cursor()
        if not cursor.set_range(low):
            return found
        for key in cursor.iternext(values=False):
            if key >= high or len(found) >= limit:
                break
            found.append(bytes(key))
    return found


def expire(state: EngineState, table_name: str, table_id: int, entries: list[bytes]) -> int:
    """Delete the items behind ``entries`` that are still expired; return how many were deleted.

    Runs as one writer job. Each item is re-read inside the write transaction and deleted only if
    its *current* expiry has passed, so a concurrent update extending the TTL wins.
    """
    from dynaflow.engine.changes import write_change

    def job(ctx: WriteContext) -> int:
        table = state.catalog.tables.get(table_name)
        if table is None or table.table_id != table_id:
            return 0
        name = attribute(table.description)
        now = state.clock()
        deleted = 0
        items_db, ttl_db = ctx.env.items, ctx.env.ttl
        txn = ctx.txn
        for entry in entries:
            item_key = entry[12:]
            record = txn.get(item_key, db=items_db)
            item = records.decode_item(record) if record is not None else None
            expiry = expiry_of(item, name) if name is not None else None
            if name is not None and record is not None and expired(expiry, now):
                write_change(ctx, table, item_key, record, None, old=item, service_identity=dict(SERVICE_IDENTITY))
                deleted += 1
                txn.delete(entry, db=ttl_db)  # already gone if the scheduler observed the delete
            elif expiry is None or entry_key(table_id, expiry, item_key) != entry:
                txn.delete(entry, db=ttl_db)  # stale: the item is gone or expires at another time
        return deleted

    result: int = state.writer.submit(job)
    return result


def sweep(state: EngineState) -> int:
    """One expiry pass over every table with TTL enabled; return the number of items deleted."""
    deleted = 0
    for table in list(state.catalog.tables.values()):
        if attribute(table.description) is None:
            continue
        while True:
            entries = due(state, table, state.clock())
            if not entries:
                break
            deleted += expire(state, table.name, table.table_id, entries)
            if len(entries) < CHUNK:
                break
    return deleted


class Sweeper:
    """Background thread running :func:`sweep` every ``interval`` seconds until stopped."""

    def __init__(self, state: EngineState, interval: float) -> None:
        self._state = state
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dynaflow-ttl", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                sweep(self._state)
            except Exception:
                if self._stop.is_set():
                    return
                log.exception("TTL sweep failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=10)


# ---------------------------------------------------------------- backfill after enabling


def _backfill_chunk(state: EngineState, name: str, table_id: int, attr: str, start: bytes
                    ) -> Callable[[WriteContext], bytes | None]:
    def job(ctx: WriteContext) -> bytes | None:
        table = state.catalog.tables.get(name)
        if table is None or table.table_id != table_id or attribute(table.description) != attr:
            return None  # dropped, or TTL changed again: a newer backfill (if any) takes over
        end = keys.next_prefix(table.prefix)
        cursor = ctx.txn.cursor(db=ctx.env.items)
        if not cursor.set_range(start):
            return None
        for count, (key, record) in enumerate(cursor):
            if key >= end:
                return None
            if count >= CHUNK:
                return bytes(key)
            expiry = expiry_of(records.decode_item(record), attr)
            if expiry is not None:
                ctx.txn.put(entry_key(table_id, expiry, bytes(key)), b"", db=ctx.env.ttl)
        return None

    return job


def start_backfill(state: EngineState, name: str, table_id: int, attr: str) -> None:
    """Schedule the items a table held before TTL was enabled, in short writer jobs."""

    def run() -> None:
        start: bytes | None = keys.table_prefix(table_id)
        try:
            while start is not None:
                start = state.writer.submit(_backfill_chunk(state, name, table_id, attr, start))
        except Exception:
            log.exception("TTL backfill of %s failed", name)

    thread = threading.Thread(target=run, name=f"dynaflow-ttl-backfill-{name}", daemon=True)
    thread.start()
    state.ttl_backfills.append(thread)
