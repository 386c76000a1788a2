"""The ingest runtime: Kafka micro-batches through write rules into tables, losing nothing.

One :class:`Ingester` is one member of a consumer group; run more processes to scale out
(partitions are the unit of parallelism). Its loop::

    records = poll()                                # up to batch_size records, linger_ms wait
    loop:
        start process(records)                       # map -> intent -> write -> dead-letter -> hand over
        records = poll()                             # meanwhile: fetch the next batch
        if max_batches_in_flight are running         # bounded: wait for the oldest; if it is throttled
            or the store throttles:                  #   or takes > 10 s, pause the partitions and keep
            wait for the oldest batch                #   polling (group liveness) but fetch nothing more
        drop records polled before a rebalance       # the new assignment re-reads from committed offsets

``process`` follows the checkpoint commit order (``checkpoint.py``): the sink writes every
mutation or reports it failed; failed and unparseable records go to the dead-letter store; only
then, and only after the previous batch did the same, is the batch's checkpoint handed to the
:class:`~dynaflow.pipelines.checkpoint.OffsetCommitter`, which commits it with its next commit (one
commit in flight at a time, merging the batches written meanwhile) — the batch no longer waits for
the commit round trip. A batch that writes an item an earlier in-flight batch also writes waits for
that batch before writing, so a later record of a partition is never overtaken by an earlier one —
also across retries, which happen inside ``process``.

**Replays.** After a restart or a rebalance, a partition is read again from its committed offset;
the previous owner may already have written records past it. Before writing a batch the ingester
makes sure a durable *write intent* covers the batch's highest offset per partition
(``checkpoint.ProgressStore``, which marks ahead, so most batches find theirs covered already);
on a new assignment it reads the partition's intent once, for all the batches in flight, and
records at or below it are written conditionally on the rule's version attribute (the source
offset), so an older record never overwrites a newer one already in the table. Records beyond it
take unconditional BatchWriteItem.

**Rule changes** are picked up between batches (``rules_refresh_s``): in-flight records finish
under the version they started with, and nothing is skipped, because offsets move only by commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dynaflow.config import IngestSettings, KafkaSettings
from dynaflow.dynamo.client import DynamoClient
from dynaflow.pipelines.checkpoint import Checkpoint, OffsetCommitter, ProgressStore
from dynaflow.pipelines.collector import tuned_collector
from dynaflow.pipelines.deadletter import DeadLetter, DeadLetterStore
from dynaflow.pipelines.model import Mutation, Record
from dynaflow.pipelines.registry import RuleRegistry
from dynaflow.pipelines.retry import Backoff
from dynaflow.pipelines.rules import CompiledRule, RecordError, WriteRule
from dynaflow.pipelines.sinks.table import Coalesced, TableSink, WriteOutcome, coalesce
from dynaflow.pipelines.sources.kafka import KafkaSource, Partitions
from dynaflow.pipelines.switching import quick_handoff

__all__ = ["IngestStats", "Ingester"]

log = logging.getLogger(__name__)

#: How long a batch may take before the consumer is paused while we wait for it (a throttled batch
#: pauses at once). Until then librdkafka's bounded prefetch queue is all that fills up. Pausing
#: discards the records fetched for the partitions, which are fetched again on resume: a slow
#: (not throttled) batch under CPU contention is no reason to pay that; group liveness
#: (``max.poll.interval.ms``, 5 min by default) is.
_PAUSE_AFTER_S = 10.0


#: Longest a partition revocation waits for the offset commit in flight (seconds).
REVOKE_COMMIT_WAIT = 2.0


@dataclass
class IngestStats:
    records: int = 0
    batches: int = 0
    written: int = 0
    superseded: int = 0
    dead_lettered: int = 0
    throttled: int = 0
    retries: int = 0
    pauses: int = 0
    revocations: int = 0
    committed: dict[tuple[str, int], int] = field(default_factory=dict)


#: Called when a batch is durably written and dead-lettered, before its offsets are committed.
BatchHook = Callable[[list[Record], WriteOutcome], None]
#: Records returned by one poll, with the rebalance generation they were polled in.
Chunk = tuple[int, list[Record]]


class Ingester:
    """Consume the topics of the registered rules and write their records to the tables."""

    def __init__(self, client: DynamoClient, kafka: KafkaSettings, ingest: IngestSettings, *,
                 rules: Sequence[WriteRule] | None = None, registry: RuleRegistry | None = None,
                 dead_letters: DeadLetterStore, on_batch: BatchHook | None = None,
                 consumer_config: dict[str, Any] | None = None, group_id: str | None = None,
                 tune_interpreter: bool = True) -> None:
        if rules is None and registry is None:
            raise ValueError("give rules, a registry, or both")
        self.client = client
        self.kafka = kafka
        self.settings = ingest
        self.registry = registry
        self.dead_letters = dead_letters
        self.on_batch = on_batch
        #: Apply ``collector.tuned_collector`` and ``switching.quick_handoff`` while running
        #: (process-wide settings of the garbage collector and the thread switch interval).
        self.tune_interpreter = tune_interpreter
        self.stats = IngestStats()
        self._consumer_config = consumer_config or {}
        self._static = list(rules or [])
        self._by_topic: dict[str, list[CompiledRule]] = {}
        self._versions: dict[str, int] = {}
        self._refreshed = 0.0
        self._throttled_now = False
        self.sink = TableSink(client, concurrency=ingest.concurrency, on_throttle=self._throttle_seen, backoff=Backoff(
            max_attempts=ingest.max_attempts, base_s=ingest.backoff_base_ms / 1000,
            cap_s=ingest.backoff_max_ms / 1000, throttle_budget_s=ingest.throttle_budget_s))
        #: Per partition: the read of its write intent since it was assigned; offsets at or below the
        #: intent may be in the table already (written conditionally). One read per assignment,
        #: shared by the batches in flight, so it never sees this process's own later marks.
        self._intents: dict[tuple[str, int], asyncio.Future[dict[tuple[str, int], int]]] = {}
        self.progress = ProgressStore(client, group_id or kafka.group_id, ingest.progress_table,
                                      ahead=ingest.batch_size)
        self._revoked: set[tuple[str, int]] = set()
        #: Bumped by every rebalance callback. Records polled before a rebalance are dropped: the
        #: consumer resets positions to the committed offsets on assignment and fetches them again.
        self._generation = 0
        #: Batches being written, oldest first; they commit in this order.
        self._inflight: deque[asyncio.Task[None]] = deque()
        #: Items each in-flight batch writes (per table, by identity): a later batch waits for the
        #: earlier ones that share an item.
        self._keys: dict[asyncio.Task[None] | None, Coalesced] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._source: KafkaSource | None = None
        self._committer: OffsetCommitter | None = None
        self._stop = asyncio.Event()

    def _throttle_seen(self) -> None:
        self._throttled_now = True

    # ------------------------------------------------------------ rules

    def _install(self, rules: Sequence[WriteRule]) -> None:
        by_topic: dict[str, list[CompiledRule]] = {}
        for rule in rules:
            compiled = CompiledRule(rule)
            for topic in rule.topics:
                by_topic.setdefault(topic, []).append(compiled)
        self._by_topic = by_topic
        self._versions = {rule.name: rule.version for rule in rules}

    async def _refresh(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._refreshed < self.settings.rules_refresh_s:
            return
        self._refreshed = now
        rules = list(self._static)
        if self.registry is not None:
            names = {r.name for r in rules}
            rules += [r for r in await self.registry.all_latest() if r.name not in names]
        versions = {rule.name: rule.version for rule in rules}
        if versions != self._versions or force:
            if not force:
                log.info("write rules changed: %s", versions)
            self._install(rules)
            if self._source is not None:
                self._source.subscribe(sorted(self._by_topic))

    @property
    def topics(self) -> list[str]:
        return sorted(self._by_topic)

    # ------------------------------------------------------------ rebalance (consumer thread)

    def _assigned(self, partitions: Partitions) -> None:
        self._generation += 1
        for tp in partitions:
            self._intents.pop(tp, None)  # read from the progress store before the next write
            self._revoked.discard(tp)

    def _revoked_cb(self, partitions: Partitions) -> None:
        """Runs in the polling thread: let the batch in flight finish and commit before giving up."""
        self._generation += 1
        self.stats.revocations += 1
        self._revoked.update(partitions)
        tasks, loop, committer = [t for t in list(self._inflight) if not t.done()], self._loop, self._committer
        if loop is not None and (tasks or committer is not None):
            async def settle() -> None:
                if tasks:
                    await asyncio.wait(tasks)
                if committer is not None:  # let the commit in flight land before the handover
                    # Bounded: a synchronous commit may itself wait for this rebalance callback to
                    # return (librdkafka serves both from the poll), and waiting for it without a
                    # bound deadlocked. Past the bound the commit lands after the handover; it only
                    # commits offsets already durable, so at worst the new owner replays them.
                    flushing = asyncio.ensure_future(committer.flush())
                    await asyncio.wait({flushing}, timeout=REVOKE_COMMIT_WAIT)
            asyncio.run_coroutine_threadsafe(settle(), loop).result()

    # ------------------------------------------------------------ the loop

    def stop(self) -> None:
        self._stop.set()

    async def run(self, *, until: Callable[[IngestStats], bool] | None = None) -> IngestStats:
        """Run until :meth:`stop` (or ``until(stats)`` is true after a batch); return the stats."""
        self._loop = asyncio.get_running_loop()
        await self._refresh(force=True)
        if not self._by_topic:
            raise RuntimeError("no write rules to run: onboard one first (dynaflow onboard rule.yaml)")
        ensure = getattr(self.dead_letters, "ensure", None)
        if ensure is not None:
            await ensure()
        await self.progress.ensure()  # before consuming: table creation is no record's latency
        if self.tune_interpreter:
            with tuned_collector(), quick_handoff():
                return await self._consume(until)
        return await self._consume(until)

    async def _consume(self, until: Callable[[IngestStats], bool] | None) -> IngestStats:
        source = KafkaSource(self.kafka, self.topics, on_assign=self._assigned, on_revoke=self._revoked_cb,
                             extra=self._consumer_config, group_id=self.progress.group)
        self._source = source
        committer = self._committer = OffsetCommitter(source.commit, exclude=self._revoked,
                                                      on_committed=self.stats.committed.update)
        batch, linger = self.settings.batch_size, self.settings.linger_ms / 1000

        async def poll() -> Chunk:
            records = await asyncio.to_thread(source.poll_batch, batch, linger)
            return self._generation, records

        inflight = self._inflight
        depth = self.settings.max_batches_in_flight
        try:
            chunks = [await poll()]
            while not self._stop.is_set():
                while inflight and inflight[0].done():  # reap in order; a failed batch stops the loop
                    await inflight.popleft()
                    if until is not None and until(self.stats):
                        return self.stats
                records = self._current(chunks)
                if not records:
                    if until is not None and until(self.stats):  # offsets are committed after the batch
                        return self.stats
                    if not inflight:
                        await self._refresh()
                    chunks = [await poll()]
                    continue
                previous = inflight[-1] if inflight else None
                inflight.append(asyncio.create_task(self._process(records, previous)))
                chunks = [await poll()]  # the next batch, fetched while this one is written
                if inflight and (len(inflight) >= depth or self._throttled_now):
                    chunks += await self._await_write(source, inflight[0])
            while inflight:
                await inflight.popleft()
            await committer.flush()
        finally:
            if inflight:
                await asyncio.wait(list(inflight))
                inflight.clear()
            with contextlib.suppress(Exception):  # already failing: commit what was written, if we can
                await committer.flush()
            await asyncio.to_thread(source.close)
            self._source = None
            self._committer = None
        return self.stats

    def _current(self, chunks: list[Chunk]) -> list[Record]:
        """The records of ``chunks`` polled since the last rebalance."""
        generation = self._generation
        records: list[Record] = []
        for polled_in, polled in chunks:
            if polled_in == generation:
                records += polled
        return records

    async def _await_write(self, source: KafkaSource, task: asyncio.Task[None]) -> list[Chunk]:
        """Wait for the batch in flight; pause the consumer if the store throttles or it takes long."""
        started = time.monotonic()
        while not task.done():
            if self._throttled_now or time.monotonic() - started > _PAUSE_AFTER_S:
                return await self._wait_paused(source, task)
            await asyncio.wait([task], timeout=0.02)
        return []

    async def _wait_paused(self, source: KafkaSource, task: asyncio.Task[None]) -> list[Chunk]:
        """Backpressure: fetch nothing more until ``task`` is done, but keep the consumer polled."""
        self.stats.pauses += 1
        stray: list[Chunk] = []
        await asyncio.to_thread(source.pause)
        try:
            while not task.done():
                polled = await asyncio.to_thread(source.poll_batch, 1000, 0.05)
                if polled:  # librdkafka drops fetched records of paused partitions; keep any that slip through
                    stray.append((self._generation, polled))
        finally:
            await asyncio.to_thread(source.resume)
            self._throttled_now = False
        return stray

    def _mutations(self, records: list[Record], dead: list[DeadLetter]) -> list[Mutation]:
        mutations: list[Mutation] = []
        append = mutations.append
        by_topic = self._by_topic
        for record in records:
            for rule in by_topic.get(record.topic, ()):
                try:
                    mutation = rule.apply(record)
                except RecordError as exc:
                    dead.append(DeadLetter.of(record, rule.name, rule.rule.version, exc.type, exc.message, 1))
                    continue
                if mutation is not None:
                    append(mutation)
        return mutations

    async def _replay_bounds(self, partitions: list[tuple[str, int]]) -> dict[tuple[str, int], int]:
        """Per partition, the write intent recorded before this assignment (read once, shared)."""
        intents = self._intents
        reads: dict[tuple[str, int], asyncio.Future[dict[tuple[str, int], int]]] = {}
        missing = []
        for tp in partitions:
            read = intents.get(tp)
            if read is None:
                missing.append(tp)
            else:
                reads[tp] = read
        if missing:
            read = asyncio.ensure_future(self.progress.intents(missing))
            for tp in missing:
                intents[tp] = reads[tp] = read
        return {tp: (await asyncio.shield(read))[tp] for tp, read in reads.items()}

    def _overlapping(self, tables: Coalesced) -> list[asyncio.Task[None]]:
        """The in-flight batches that write an item of ``tables``."""
        earlier = []
        for task, written in self._keys.items():
            if task is None or task.done():
                continue
            for table, latest in tables.items():
                other = written.get(table)
                if other is not None and not latest.keys().isdisjoint(other.keys()):
                    earlier.append(task)
                    break
        return earlier

    async def _process(self, records: list[Record], previous: asyncio.Task[None] | None) -> None:
        """One batch through the commit order; ``previous`` is the batch that must commit first."""
        if self._revoked:  # records fetched before a revocation belong to the new owner now
            records = [r for r in records if (r.topic, r.partition) not in self._revoked]
        checkpoint = Checkpoint()
        checkpoint.add(records)
        dead: list[DeadLetter] = []
        me = asyncio.current_task()
        # Mapping and key registration run before the first await, so batches register in order.
        mutations = self._mutations(records, dead)
        tables, superseded = coalesce(mutations)
        earlier = self._overlapping(tables)
        self._keys[me] = tables
        try:
            if earlier:  # per-key order: wait for the earlier batches writing the same items
                await asyncio.wait(earlier)
            bounds = await self._replay_bounds(list(checkpoint.offsets))
            replaying = {tp for tp, lowest in checkpoint.lowest.items() if lowest <= bounds[tp]}
            if replaying:
                for latest in tables.values():
                    for m in latest.values():
                        record = m.record
                        if m.version is not None and (record.topic, record.partition) in replaying \
                                and record.offset <= bounds[(record.topic, record.partition)]:
                            m.conditional = True
            # 0. make sure the write intent covers the batch, then 1. flush the sink
            await self.progress.cover({tp: offset - 1 for tp, offset in checkpoint.offsets.items()})
            outcome = await self.sink.write_coalesced(tables, superseded)
            for failure in outcome.failed:
                m = failure.mutation
                dead.append(DeadLetter.of(m.record, m.rule, m.rule_version, failure.error_type,
                                          failure.error_message, failure.attempts))
            # 2. flush the dead-letter store
            if dead:
                await self.dead_letters.put(dead)
            checkpoint.written()
            if self.on_batch is not None:  # every record is readable (or dead-lettered) from here on
                self.on_batch(records, outcome)
            if previous is not None:  # commits go in batch order; a failed earlier batch fails this one
                await previous
            # 3. commit offsets: with the committer's next commit (revoked partitions are dropped)
            if self._committer is not None:
                self._committer.add(checkpoint)
        except BaseException:
            checkpoint.failed()
            raise
        finally:
            self._keys.pop(me, None)
        stats = self.stats
        stats.records += len(records)
        stats.batches += 1
        stats.written += outcome.written
        stats.superseded += outcome.superseded
        stats.dead_lettered += len(dead)
        stats.throttled += outcome.throttled
        stats.retries += outcome.retries
