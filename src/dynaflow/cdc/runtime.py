"""The CDC worker: discovers shards, balances leases between workers, runs one task per lease.

A pipeline is a source table's stream, a sink, and a state table (leases and checkpoints, see
:mod:`dynaflow.cdc.leases`). Any number of :class:`Worker` processes may run the same pipeline;
they share its work through the lease rows:

* every ``discovery_interval`` a worker lists the stream's shards and adds a lease row for each new
  one (conditional put, so concurrent workers add it once), recording its parent;
* every ``lease_duration / 3`` it renews the rows it holds (a failed renewal means another worker
  took the row: its task is cancelled), then takes work: rows nobody holds or whose counter has not
  moved for ``lease_duration``, up to its fair share (work rows / live workers); when it holds
  less than its share and another worker holds more, it takes one row from that worker per round;
* a shard row is work only once its parents are finished (``SHARD_END``) — children after parents;
* snapshot segments are work once every shard has reached the tip of its stream once;
* the reconcile row is work while more reconciles were requested than completed.

Each held row runs one task: a :class:`~dynaflow.cdc.consumer.ShardConsumer`, a snapshot segment
copy, or a reconcile pass. A task that fails releases its row, so it is retried (here or elsewhere)
on the next round. ``kill -9`` of a worker is the same as a stall: its rows expire and are taken;
the new owner resumes from the last checkpoint, and replays are harmless because the sink is
idempotent per item.

While it runs, a worker applies the pipelines' collector settings
(:func:`dynaflow.pipelines.collector.tuned_collector`: startup objects frozen, young collections
every 10,000 allocations instead of 700): four shards' pages in flight (~100k containers) otherwise
made full collections take 15-18 % of a replication's wall time, for garbage that reference
counting frees anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from dynaflow.cdc.consumer import ConsumerSettings, ShardConsumer
from dynaflow.cdc.deadletter import DeadLetterStore, TableDeadLetters
from dynaflow.cdc.leases import ExpiryClock, Lease, LeaseTable
from dynaflow.cdc.metrics import CdcMetrics, MemoryMetrics
from dynaflow.cdc.model import SHARD_END, TRIM_HORIZON
from dynaflow.cdc.replica import ReplicaSink
from dynaflow.cdc.retry import error_code
from dynaflow.cdc.shards import list_shards, stream_arn_of
from dynaflow.cdc.sink import Sink
from dynaflow.cdc.snapshot import RECONCILE, SEGMENT_PREFIX, copy_segment, reconcile
from dynaflow.dynamo.client import DynamoClient
from dynaflow.pipelines.collector import tuned_collector

log = logging.getLogger("dynaflow.cdc")

SHARD_PREFIX = "shard#"
PIPELINE = "pipeline"


@dataclass(frozen=True)
class PipelineSettings:
    lease_duration: float = 10.0
    """Seconds without a renewal after which another worker may take a row."""
    discovery_interval: float = 5.0
    """Seconds between two listings of the stream's shards."""
    initial_position: Literal["TRIM_HORIZON", "LATEST"] = "TRIM_HORIZON"
    """Where a brand-new pipeline starts reading (new shards found later always start at TRIM_HORIZON)."""
    snapshot: bool = False
    """Copy the table's existing rows (parallel Scan) while consuming the stream."""
    snapshot_segments: int = 8
    """Scan segments of the snapshot; each is a lease any worker may take."""
    reconcile_segments: int = 8
    """Scan segments of a reconcile's parity comparison."""
    max_leases: int | None = None
    """At most this many rows per worker (None: its fair share)."""
    consumer: ConsumerSettings = field(default_factory=ConsumerSettings)


class Worker:
    """One worker process's share of a pipeline. ``await worker.run(stop)`` until ``stop`` is set."""

    def __init__(self, *, source: DynamoClient, table: str, sink: Sink, leases: LeaseTable,
                 settings: PipelineSettings | None = None, dead_letters: DeadLetterStore | None = None,
                 metrics: CdcMetrics | None = None, worker_id: str | None = None,
                 tune_collector: bool = True) -> None:
        self.source, self.table, self.sink, self.leases = source, table, sink, leases
        #: Apply ``tuned_collector`` while running (process-wide garbage-collector settings).
        self.tune_collector = tune_collector
        self.settings = settings or PipelineSettings()
        self.dead_letters = dead_letters or TableDeadLetters(leases.client, leases.table)
        self.metrics: CdcMetrics = metrics if metrics is not None else MemoryMetrics()
        self.worker_id = worker_id or f"worker-{uuid.uuid4().hex[:12]}"
        self.expiry = ExpiryClock(self.settings.lease_duration)
        self.held: dict[str, Lease] = {}
        self.tasks: dict[str, asyncio.Task[Any]] = {}
        self.stream_arn = ""
        self._initial: str = TRIM_HORIZON

    # ------------------------------------------------------------ lifecycle

    async def run(self, stop: asyncio.Event | None = None) -> None:
        if not self.tune_collector:
            await self._run(stop)
            return
        with tuned_collector():
            await self._run(stop)

    async def _run(self, stop: asyncio.Event | None) -> None:
        stop = stop or asyncio.Event()
        await self.leases.ensure()
        self.stream_arn, view = await stream_arn_of(self.source, self.table)
        if view not in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"):
            raise ValueError(f"table {self.table}'s stream has view type {view}; replication needs NEW_IMAGE "
                             "or NEW_AND_OLD_IMAGES")
        await self._create_pipeline()
        tick = self.settings.lease_duration / 3
        next_discovery = 0.0
        try:
            while not stop.is_set():
                if time.monotonic() >= next_discovery:
                    await self._discover()
                    next_discovery = time.monotonic() + self.settings.discovery_interval
                await self._renew()
                await self._reap()
                await self._acquire()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), tick)
        finally:
            await self._shutdown()

    async def _shutdown(self) -> None:
        for task in self.tasks.values():
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        for lease in list(self.held.values()):
            with contextlib.suppress(Exception):
                await self.leases.release(lease, self.worker_id)
        self.tasks.clear()
        self.held.clear()

    async def _create_pipeline(self) -> None:
        created = await self.leases.create(PIPELINE, stream={"S": self.stream_arn})
        if created and self.settings.snapshot:
            for n in range(self.settings.snapshot_segments):
                await self.leases.create(f"{SEGMENT_PREFIX}{n}", total={"N": str(self.settings.snapshot_segments)})
        await self.leases.create(RECONCILE, requested={"N": "0"}, completed={"N": "0"})
        self._initial = self.settings.initial_position if created else TRIM_HORIZON

    # ------------------------------------------------------------ shards

    async def _discover(self) -> None:
        shards = await list_shards(self.source, self.stream_arn)
        existing = {lease.key for lease in await self.leases.list(SHARD_PREFIX)}
        listed = {s.shard_id for s in shards}
        for shard in shards:
            key = SHARD_PREFIX + shard.shard_id
            if key in existing:
                continue
            # A brand-new pipeline starts where it was told; a shard born later starts at its beginning.
            start = self._initial if shard.parent_id is None or shard.parent_id not in listed else TRIM_HORIZON
            parents = [shard.parent_id] if shard.parent_id else []
            if await self.leases.create(key, checkpoint=start, parents=parents):
                log.info("new shard %s (parent %s) starts at %s", shard.shard_id, shard.parent_id, start)
        self._initial = TRIM_HORIZON

    async def request_reconcile(self, why: str) -> None:
        log.warning("stream position lost, reconcile requested: %s", why)
        await self.leases.add(RECONCILE, "requested")

    # ------------------------------------------------------------ leases

    async def _renew(self) -> None:
        for key, lease in list(self.held.items()):
            try:
                kept = await self.leases.renew(lease, self.worker_id)
            except Exception as exc:  # the state table is unreachable: keep trying, the lease may expire
                log.warning("renewing %s failed: %s", key, exc)
                continue
            if not kept:
                log.info("lease %s was taken by another worker", key)
                self._drop(key)

    def _drop(self, key: str) -> None:
        self.held.pop(key, None)
        task = self.tasks.pop(key, None)
        if task is not None:
            task.cancel()

    async def _reap(self) -> None:
        for key, task in list(self.tasks.items()):
            if not task.done():
                continue
            self.tasks.pop(key)
            lease = self.held.pop(key, None)
            if task.cancelled():
                continue
            exc = task.exception()
            if exc is not None:
                log.error("work on %s failed; its lease is released for a retry: %r", key, exc)
                if lease is not None:
                    await self._release_quietly(lease)
            elif lease is not None and task.result() in ("finished", True):
                await self._release_quietly(lease)

    async def _release_quietly(self, lease: Lease) -> None:
        with contextlib.suppress(Exception):
            await self.leases.release(lease, self.worker_id)

    def _work(self, rows: list[Lease]) -> list[Lease]:
        shards = [r for r in rows if r.key.startswith(SHARD_PREFIX)]
        finished = {r.key for r in shards if r.checkpoint == SHARD_END}
        known = {r.key for r in shards}

        def parents_done(row: Lease) -> bool:
            return all(SHARD_PREFIX + p not in known or SHARD_PREFIX + p in finished for p in row.parents)

        work = [r for r in shards if r.key not in finished and parents_done(r)]
        if all(r.tip or r.key in finished for r in shards):
            work += [r for r in rows if r.key.startswith(SEGMENT_PREFIX) and not r.done]
        for row in rows:
            if row.key == RECONCILE and _number(row, "requested") > _number(row, "completed"):
                work.append(row)
        return work

    async def _acquire(self) -> None:
        rows = await self.leases.list()
        live = {r.key: not self.expiry.expired(r) for r in rows}
        work = self._work(rows)
        owners: dict[str, int] = {self.worker_id: 0}
        for row in work:
            if row.owner and live[row.key]:
                owners[row.owner] = owners.get(row.owner, 0) + 1
        share = math.ceil(len(work) / len(owners))
        if self.settings.max_leases is not None:
            share = min(share, self.settings.max_leases)
        for row in work:
            if len(self.held) >= share:
                break
            if row.key in self.held or (row.owner and row.owner != self.worker_id and live[row.key]):
                continue
            await self._take(row)
        if len(self.held) < share:  # steal one row from the busiest worker
            busiest = max((o for o in owners if o != self.worker_id), key=lambda o: owners[o], default=None)
            if busiest is not None and owners[busiest] > share:
                victim = next(r for r in work if r.owner == busiest)
                log.info("taking %s from %s to balance", victim.key, busiest)
                await self._take(victim)

    async def _take(self, row: Lease) -> None:
        taken = await self.leases.take(row, self.worker_id)
        if taken is None:
            return
        self.held[taken.key] = taken
        self.tasks[taken.key] = asyncio.create_task(self._task(taken), name=f"cdc:{taken.key}")

    async def _task(self, lease: Lease) -> Any:
        if lease.key.startswith(SHARD_PREFIX):
            consumer = ShardConsumer(
                source=self.source, stream_arn=self.stream_arn, lease=lease, owner=self.worker_id,
                leases=self.leases, sink=self.sink, dead_letters=self.dead_letters, metrics=self.metrics,
                settings=self.settings.consumer, request_reconcile=self.request_reconcile)
            return await consumer.run()
        if lease.key.startswith(SEGMENT_PREFIX):
            return await copy_segment(source=self.source, table=self.table, lease=lease, owner=self.worker_id,
                                      total=int(lease.extra.get("total", {"N": "1"})["N"]),
                                      leases=self.leases, sink=self.sink)
        if lease.key == RECONCILE:
            if not isinstance(self.sink, ReplicaSink):
                raise RuntimeError("reconcile needs a replica sink (a table to compare with)")
            covered = _number(lease, "requested")
            repaired = await reconcile(source=self.source, source_table=self.table, target=self.sink.client,
                                       target_table=self.sink.table, sink=self.sink,
                                       segments=self.settings.reconcile_segments)
            log.warning("reconcile repaired %d rows", repaired)
            return await self.leases.update(RECONCILE, self.worker_id, {"completed": {"N": str(covered)}})
        raise ValueError(f"unknown lease row {lease.key}")

    # ------------------------------------------------------------ status

    async def status(self) -> list[Lease]:
        """The pipeline's lease rows; none before a worker has created its state table."""
        try:
            return await self.leases.list()
        except Exception as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return []
            raise


def _number(row: Lease, name: str) -> int:
    value = row.extra.get(name)
    return int(value["N"]) if value else 0


async def replicate(*, source: DynamoClient, source_table: str, target: DynamoClient, target_table: str,
                    pipeline: str | None = None, state: DynamoClient | None = None,
                    settings: PipelineSettings | None = None, sink_mode: Literal["single", "transact"] = "single",
                    metrics: CdcMetrics | None = None, stop: asyncio.Event | None = None) -> None:
    """Run one replication worker until ``stop``: ``source_table``'s changes applied to ``target_table``.

    The state table (``dynaflow_cdc_<pipeline>``, on ``state`` — by default the target's endpoint, as
    the KCL keeps its lease table with the consumer) is created on first use.
    """
    name = pipeline or f"{source_table}-to-{target_table}"
    leases = LeaseTable(state or target, f"dynaflow_cdc_{name}")
    sink = ReplicaSink(target, target_table, mode=sink_mode)
    worker = Worker(source=source, table=source_table, sink=sink, leases=leases, settings=settings, metrics=metrics)
    await worker.run(stop)
