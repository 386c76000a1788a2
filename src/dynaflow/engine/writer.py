"""The single writer: every change goes through one LMDB write transaction at a time, grouped.

LMDB allows one write transaction at a time, and a durable commit costs ~0.4 ms whatever it holds.
So writes are *grouped*: requests that arrive while a commit is in progress wait in ``pending``;
the next commit applies all of them in order inside one transaction and acknowledges them together
once it is durable. Throughput then scales with concurrency instead of being capped at one fsync
per write.

Who commits (leader/follower): a blocking caller that finds no commit in progress becomes the
*leader*: it drains ``pending`` (its own job included) and commits. Every other blocking caller
sleeps on its own job's lock, which the leader releases once that job is durable, so a commit
wakes exactly the callers it acknowledged (no thundering herd on a shared condition). After its
own group the leader hands leadership to the oldest waiting blocking caller, or, if only async
jobs wait, to the background thread that leads for them. A lone caller thus commits in its own
thread with no hand-off at all, and no caller leads for longer than one group of its own.

Job contract: a job is ``fn(ctx) -> result``. It may raise :class:`DynamoError` only *before* it
writes anything (validation and conditions first, then writes: see ``rmw.py``), so one failed job
never disturbs the others in its group. Any other exception aborts the whole group, which is then
re-run one job per transaction so only the faulty job fails.

Commit order for a group: apply jobs → save the tables' figures if due (``table_counts.py``) →
commit (fsync in ``fsync`` mode) → keep the group's changes to the figures → run ``after_commit``
hooks (catalog cache swaps, stream wake-ups) → acknowledge callers.

Throughput under concurrency (what is tuned here, and why it is safe):

* **Gathering in fsync mode.** A durable commit costs two fsyncs whatever it holds, and once a
  group is acknowledged its callers come back one by one: the first to return would lead a group
  of one and make the others wait a whole commit for the next. So a new leader that saw a group of
  several jobs recently waits briefly for the callers of that group (at most half the last commit's
  duration, never more than ``MAX_GATHER`` seconds, and only while they keep arriving) before it
  drains ``pending``. A lone writer's last group has one job, so it never waits. This only decides
  *when* a group starts; what it holds and when it is acknowledged (after its durable commit) are
  unchanged.
* **Async callers lead in ``os`` mode.** A durable commit blocks for an fsync (~0.4–1 ms), so in
  ``fsync`` mode async jobs are committed by the background thread and the event loop goes on
  serving meanwhile. In ``os`` mode a commit costs microseconds, and handing every job to another
  thread costs more: each py-lmdb write call releases the interpreter lock, so the background
  thread and the busy event loop trade it (and the CPU) several times per job; measured, a
  BatchWriteItem item cost ~2x its blocking-caller figure. So in ``os`` mode an async caller that
  finds no commit in progress leads like a blocking one, on its own thread: its write is committed
  before ``submit_async`` returns, without a thread hand-off. It still yields to the event loop
  once afterwards, so a task writing in a loop does not starve the loop's other tasks (lease
  renewals, consumers). Jobs that arrive while another thread leads still wait on their futures.
* **A lone write commits alone.** In ``os`` mode a caller (blocking or async) that finds no commit
  in progress has nothing to group with, since nobody gathers (``_solo``). Its job runs in its
  own transaction without a job object or a batch, with the same counters, hooks and error rules
  as a group, and leadership is then handed on as after a group (~6% of a put's instructions).
* **One wake-up per event loop per group.** Async jobs are acknowledged with one
  ``call_soon_threadsafe`` per event loop per group (which resolves all of that loop's futures)
  instead of one per job: each call writes to the loop's wake-up pipe and costs a GIL hand-off.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from dynaflow.engine import errors
from dynaflow.engine.errors import DynamoError
from dynaflow.engine.lmdb_env import LmdbEnv
from dynaflow.engine.table_counts import TableCounts

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Longest a new fsync-mode leader waits for the callers of the previous group (seconds).
MAX_GATHER = 0.002
_GATHER_STEP = 0.0001


class WriteContext:
    """What a job sees: the open write transaction and the group's bookkeeping."""

    __slots__ = ("after_commit", "counts", "dropped", "env", "txn")

    def __init__(self, txn: Any, env: LmdbEnv) -> None:
        self.txn = txn
        self.env = env
        #: Run after the group's commit, before its callers are acknowledged.
        self.after_commit: list[Callable[[], None]] = []
        #: table id -> [items added, bytes added] over the group (``table_counts.py``).
        self.counts: dict[int, list[int]] = {}
        #: Ids of the tables the group deleted, whose figures must not be saved again.
        self.dropped: list[int] | None = None

    def drop_counts(self, table_id: int) -> None:
        """The group deletes the table: forget its figures once the group commits."""
        if self.dropped is None:
            self.dropped = []
        self.dropped.append(table_id)

    def count(self, table_id: int, d_items: int, d_bytes: int) -> None:
        entry = self.counts.get(table_id)
        if entry is None:
            self.counts[table_id] = [d_items, d_bytes]
        else:
            entry[0] += d_items
            entry[1] += d_bytes


class Job(Generic[T]):
    __slots__ = ("done", "error", "fn", "future", "lead", "lock", "loop", "result")

    def __init__(self, fn: Callable[[WriteContext], T], loop: asyncio.AbstractEventLoop | None = None,
                 future: asyncio.Future[None] | None = None) -> None:
        self.fn = fn
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None
        #: Async jobs are acknowledged by resolving ``future`` on ``loop``; blocking callers sleep
        #: on ``lock``.
        self.loop = loop
        self.future = future
        self.lock: threading.Lock | None = None
        #: Set when leadership is handed to this job's (sleeping) caller.
        self.lead = False

    def value(self) -> T:
        if self.error is not None:
            raise self.error
        result: T = self.result
        return result


class Writer:
    """Group-commit writer over one :class:`LmdbEnv`."""

    def __init__(self, env: LmdbEnv) -> None:
        self._env = env
        #: Tables' item counts and sizes: every commit adds its changes, one a second saves them.
        self.counts = TableCounts(env)
        self._mutex = threading.Lock()
        self._pending: list[Job[Any]] = []
        self._leader_active = False
        self._closed = False
        #: Wake-ups for the background leader. A C-level queue: one lock operation per wake-up,
        #: where ``threading.Event`` builds a new lock per wait. A wake-up that finds nothing
        #: pending is harmless.
        self._wake_background: queue.SimpleQueue[None] = queue.SimpleQueue()
        #: Size and duration of the last group (``_gather``); only fsync mode gathers.
        self._gather = env.durability == "fsync"
        #: In ``os`` mode a commit costs microseconds, so an async caller that finds no commit in
        #: progress leads on its own event loop thread (see the module docstring).
        self._lead_inline = env.durability == "os"
        self._last_size = 0
        self._last_duration = 0.0
        self._thread = threading.Thread(target=self._background_leader, name="dynaflow-writer", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------ submission

    def submit(self, fn: Callable[[WriteContext], T]) -> T:
        """Run ``fn`` in a write transaction; return once its commit is durable."""
        with self._mutex:
            if self._closed:
                raise errors.internal("the engine is closed")
            lead = not self._leader_active
            if lead:
                self._leader_active = True
                solo = self._lead_inline  # os mode, nobody committing: nothing to group with
            if not (lead and solo):
                job: Job[T] = Job(fn)
                self._pending.append(job)
                if not lead:
                    lock = job.lock = threading.Lock()
                    lock.acquire()
        if lead and solo:
            return self._solo(fn)
        if not lead:
            lock.acquire()  # released by the leader: acknowledged, or handed leadership
            if not job.lead:
                return job.value()
        self._lead(until=job)
        return job.value()

    async def submit_async(self, fn: Callable[[WriteContext], T]) -> T:
        with self._mutex:
            if self._closed:
                raise errors.internal("the engine is closed")
            lead = not self._leader_active
            if lead:
                self._leader_active = True
            if not (lead and self._lead_inline):
                loop = asyncio.get_running_loop()
                future: asyncio.Future[None] = loop.create_future()
                job: Job[T] = Job(fn, loop, future)
                self._pending.append(job)
                if lead:
                    self._wake_background.put(None)
        if lead and self._lead_inline:
            try:
                return self._solo(fn)
            finally:
                await asyncio.sleep(0)  # a write still lets the loop's other tasks run, as awaiting its future did
        await future
        return job.value()

    # ------------------------------------------------------------ leading

    def _solo(self, fn: Callable[[WriteContext], T]) -> T:
        """Commit ``fn`` alone, as its caller's leadership (``os`` mode; see the module docstring),
        then hand leadership on. A group of one without the group's bookkeeping: no job object,
        no batch, the same transaction, counters, hooks and error rules as ``_commit``."""
        env = self._env
        counts = self.counts
        error: BaseException | None = None
        result: Any = None
        saving = False
        try:
            with env.env.begin(write=True) as txn:
                ctx = WriteContext(txn, env)
                try:
                    result = fn(ctx)
                except DynamoError as exc:  # raised before writing anything (the job contract)
                    error = exc
                saving = counts.save_due(txn, ctx.dropped)
        except Exception as exc:  # the transaction was aborted: nothing of this job was written
            if saving:
                counts.saved(False)
            log.exception("write job failed")
            error = exc if isinstance(exc, DynamoError) else errors.internal()
        except BaseException:  # interrupted: let readers of the figures go on
            if saving:
                counts.saved(False)
            raise
        else:  # committed: the hooks run before anyone else may lead, as in ``_finish``
            if saving:
                counts.saved(True)
            if ctx.counts or ctx.dropped:
                counts.add(ctx.counts, ctx.dropped)
            for hook in ctx.after_commit:
                try:
                    hook()
                except Exception:
                    log.exception("after-commit hook failed")
        finally:
            self._hand_on()
        if error is not None:
            raise error
        solo: T = result
        return solo

    def _lead(self, until: Job[Any] | None) -> None:
        """Commit groups while leader: until ``until`` is acknowledged (a blocking caller) or
        nothing is pending (the background thread); then hand leadership on or give it up."""
        if self._gather and self._last_size > 1:
            self._wait_for_group()
        while True:
            with self._mutex:
                batch, self._pending = self._pending, []
                if not batch:
                    self._leader_active = False
                    return
            if self._gather:
                started = time.monotonic()
                self._run_group(batch)
                self._last_size, self._last_duration = len(batch), time.monotonic() - started
            else:
                self._run_group(batch)
            if until is not None and until.done:
                break
        self._hand_on()

    def _hand_on(self) -> None:
        """Leadership's end: to the oldest waiting blocking caller, else to the background thread
        if async jobs wait, else nobody."""
        with self._mutex:
            successor = next((job for job in self._pending if job.lock is not None), None) if self._pending else None
            if successor is not None:
                successor.lead = True
                successor.lock.release()  # type: ignore[union-attr]
            elif self._pending:
                self._wake_background.put(None)
            else:
                self._leader_active = False

    def _wait_for_group(self) -> None:
        """Let the callers of the last group rejoin before committing (see the module docstring):
        wait while they keep arriving, up to half the last commit's duration."""
        deadline = time.monotonic() + min(self._last_duration / 2, MAX_GATHER)
        target = self._last_size
        seen = len(self._pending)
        while seen < target and time.monotonic() < deadline:
            time.sleep(_GATHER_STEP)
            now = len(self._pending)
            if now == seen:  # nobody arrived during a whole step: they are not coming soon
                return
            seen = now

    def _background_leader(self) -> None:
        while True:
            self._wake_background.get()
            with self._mutex:
                if self._closed and not self._pending and not self._leader_active:
                    return
            self._lead(until=None)
            if self._closed:
                with self._mutex:
                    if not self._pending:
                        return

    def _run_group(self, batch: list[Job[Any]]) -> None:
        try:
            hooks = self._commit(batch)
        except Exception:
            log.exception("write group failed; retrying its jobs one by one")
            for job in batch:
                job.result, job.error = None, None
                try:
                    hooks = self._commit([job])
                except Exception as exc:
                    log.exception("write job failed")
                    job.error = errors.internal() if not isinstance(exc, DynamoError) else exc
                    hooks = []
                self._finish([job], hooks)
            return
        self._finish(batch, hooks)

    def _commit(self, batch: list[Job[Any]]) -> list[Callable[[], None]]:
        env = self._env
        counts = self.counts
        saving = False
        try:
            with env.env.begin(write=True) as txn:
                ctx = WriteContext(txn, env)
                for job in batch:
                    try:
                        job.result = job.fn(ctx)
                    except DynamoError as exc:
                        job.error = exc
                saving = counts.save_due(txn, ctx.dropped)
        except BaseException:
            if saving:
                counts.saved(False)
            raise
        if saving:
            counts.saved(True)
        if ctx.counts or ctx.dropped:
            counts.add(ctx.counts, ctx.dropped)
        return ctx.after_commit

    @staticmethod
    def _finish(batch: list[Job[Any]], hooks: list[Callable[[], None]]) -> None:
        for hook in hooks:
            hook()
        futures: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] | None = None
        for job in batch:
            job.done = True
            if job.future is not None:
                if futures is None:
                    futures = {}
                futures.setdefault(job.loop, []).append(job.future)  # type: ignore[arg-type]
            elif job.lock is not None:
                job.lock.release()
        if futures is not None:
            for loop, waiting in futures.items():
                try:
                    loop.call_soon_threadsafe(_resolve_all, waiting)
                except RuntimeError:  # the loop was closed: nobody is waiting any more
                    log.debug("write acknowledged to a closed event loop")

    def close(self) -> None:
        """Refuse new jobs, let in-flight ones commit, and stop the background thread."""
        deadline = time.monotonic() + 10
        while True:
            with self._mutex:
                self._closed = True
                idle = not self._leader_active
                if idle:
                    self._leader_active = True
            if idle or time.monotonic() > deadline:
                break
            time.sleep(0.001)
        self._wake_background.put(None)
        self._thread.join(timeout=10)


def _resolve_all(futures: list[asyncio.Future[None]]) -> None:
    for future in futures:
        if not future.done():
            future.set_result(None)
