"""Tables' item counts and sizes (DescribeTable's ItemCount and TableSizeBytes), saved once a second.

DynamoDB refreshes these two figures about every six hours; dynaflow keeps them exact while it
runs. Saving them in every commit, as it once did, cost a single PutItem ~16% of its instructions:
a get and a put of the counter, and one more database page copied and written by each commit.
So each commit's changes to them wait in memory (:meth:`TableCounts.add`, after the commit), and
a commit adds them to the stored figures only once the last save is ``SAVE_INTERVAL`` old
(:meth:`TableCounts.save_due`, inside the transaction), and at close. An aborted transaction
changes nothing: its changes are added only once it has committed.

Readers (:meth:`TableCounts.figures`) add what waits to what is stored. A save holds ``lock``
from before its commit until what it saved stops waiting, and a reader holds it while it reads
both, so a reader sees each change once: waiting or stored, never both or neither.

Crashes: changes not saved yet die with the process, but never silently. :meth:`open` stores a
marker that only a clean :meth:`close` removes; an open that finds it recounts every table from
its items (one scan of the data) before anything else runs.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Final

from dynaflow.engine import records
from dynaflow.engine.catalog import Catalog
from dynaflow.engine.keys import table_prefix
from dynaflow.engine.lmdb_env import LmdbEnv

log = logging.getLogger(__name__)

#: Seconds between two saves of the figures while tables are written.
SAVE_INTERVAL: Final = 1.0
#: In the meta database while a process holds figures it may not have saved.
_OPEN_MARK: Final = b"n/counts-unsaved"

Counts = tuple[int, int]  # (items, bytes)


class TableCounts:
    """Changes to the tables' figures not saved yet; the writer's leader is their only writer."""

    def __init__(self, env: LmdbEnv) -> None:
        self._env = env
        #: table id -> (items, bytes) changed by committed transactions since the last save
        #: (tuples, replaced whole: a reader on another thread sees a pair whole).
        self._waiting: dict[int, Counts] = {}
        self._save_at = time.monotonic() + SAVE_INTERVAL
        #: Tables deleted since open: their figures are never saved again.
        self._deleted: set[int] = set()
        #: Held by a save from before its commit until its changes stop waiting, and by readers.
        self.lock = threading.Lock()
        #: Recounted at open because the previous process left figures unsaved.
        self.recounted = False

    # ------------------------------------------------------------ open and close

    def open(self, table_ids: list[int]) -> None:
        """Mark the figures as held in memory; recount first if the last holder did not close."""
        env = self._env
        with env.write() as txn:
            if txn.get(_OPEN_MARK, db=env.meta) is not None:
                for table_id in table_ids:
                    Catalog.set_counts(txn, env.meta, table_id, *recount(txn, env, table_id))
                self.recounted = True
                log.info("item counts recounted for %d tables: the last process did not close cleanly",
                         len(table_ids))
            txn.put(_OPEN_MARK, b"1", db=env.meta)

    def close(self) -> None:
        """Save what waits and remove the marker (the writer has stopped)."""
        env = self._env
        with env.write() as txn:
            self._save(txn, None)
            txn.delete(_OPEN_MARK, db=env.meta)
        self._waiting.clear()

    # ------------------------------------------------------------ the writer's side

    def save_due(self, txn: Any, dropped: list[int] | None) -> bool:
        """Inside a write transaction after its jobs: if a save is due, add what waits to the
        stored figures in it and take ``lock`` (the caller calls :meth:`saved` after the
        commit, whether it succeeded or not). ``dropped``: the tables it deleted."""
        if not self._waiting or time.monotonic() < self._save_at:
            return False
        self._save(txn, dropped)
        self.lock.acquire()
        return True

    def saved(self, committed: bool) -> None:
        """The end of a save (:meth:`save_due`): what it saved stops waiting if it committed."""
        if committed:
            self._waiting.clear()
            self._save_at = time.monotonic() + SAVE_INTERVAL
        self.lock.release()

    def add(self, deltas: dict[int, list[int]], dropped: list[int] | None) -> None:
        """After a commit: its changes wait for the next save; the tables it deleted go."""
        waiting = self._waiting
        for table_id, (d_items, d_bytes) in deltas.items():
            before = waiting.get(table_id)
            waiting[table_id] = (d_items, d_bytes) if before is None else (before[0] + d_items, before[1] + d_bytes)
        if dropped:
            for table_id in dropped:
                self._deleted.add(table_id)
                waiting.pop(table_id, None)

    def _save(self, txn: Any, dropped: list[int] | None) -> None:
        meta = self._env.meta
        deleted = self._deleted
        for table_id, (d_items, d_bytes) in self._waiting.items():
            if table_id not in deleted and not (dropped and table_id in dropped):
                items, size = Catalog.counts(txn, meta, table_id)
                Catalog.set_counts(txn, meta, table_id, items + d_items, size + d_bytes)

    # ------------------------------------------------------------ readers

    def figures(self, txn: Any | None, table_id: int) -> Counts:
        """The table's figures: stored (in ``txn``, else in a new read transaction) plus waiting."""
        env = self._env
        with self.lock:
            if txn is None:
                with env.read() as read:
                    items, size = Catalog.counts(read, env.meta, table_id)
            else:
                items, size = Catalog.counts(txn, env.meta, table_id)
            waiting = self._waiting.get(table_id)
        if waiting is not None:
            return items + waiting[0], size + waiting[1]
        return items, size


def recount(txn: Any, env: LmdbEnv, table_id: int) -> Counts:
    """A table's figures counted from its items."""
    prefix = table_prefix(table_id)
    items = size = 0
    cursor = txn.cursor(db=env.items)
    if cursor.set_range(prefix):
        for key, record in cursor.iternext():
            if not key.startswith(prefix):
                break
            items += 1
            size += records.item_size(record)
    return items, size
