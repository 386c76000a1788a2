"""The CDC runtime replicating through a stream: ordering, shards, leases, failures, snapshot, gaps."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from cdc_support import FAST, REPLICA, TABLE, MakePipeline, Pipeline, eventually, item, key, rows

from dynaflow.cdc import BOOKKEEPING, MemoryDeadLetters, PipelineSettings, ReplicaSink
from dynaflow.cdc.consumer import ConsumerSettings
from dynaflow.cdc.model import Change
from dynaflow.engine.errors import DynamoError
from dynaflow.parity import TableRef, check_parity
from dynaflow.parity.compare import DEFAULT_IGNORED


async def _mixed_writes(p: Pipeline, count: int = 200) -> None:
    for n in range(count):
        await p.source.put(item(n))
    for n in range(0, count, 3):
        await p.source.update(key(n), "SET v = :v, extra = :e", {":v": {"N": "7"}, ":e": {"S": "x"}})
    for n in range(0, count, 5):
        await p.source.delete(key(n))
    for n in range(1, count, 7):
        await p.source.delete(key(n), ttl=True)


async def test_mixed_changes_reach_the_replica_and_parity_is_full(pipeline: Pipeline) -> None:
    # Why: puts, updates, deletes and TTL deletes must all be replicated, with parity proving it.
    await _mixed_writes(pipeline)
    pipeline.worker()
    await eventually(pipeline.in_sync)
    report = await check_parity(TableRef(pipeline.source, TABLE), TableRef(pipeline.target, REPLICA))
    assert report.differing_rows == 0 and report.source_rows == len(await rows(pipeline.source, TABLE))


async def test_a_polled_source_replicates_the_same(pipeline: Pipeline) -> None:
    # Why: remote endpoints offer no wake-up; idle shards must then be polled and still catch every change.
    pipeline.worker(polled=True)
    await _mixed_writes(pipeline, 60)
    await eventually(pipeline.in_sync)


async def test_transact_mode_replicates_the_same(pipeline: Pipeline) -> None:
    # Why: the batched TransactWriteItems path must give the same replica, stale items included.
    await _mixed_writes(pipeline)
    sink = ReplicaSink(pipeline.target, REPLICA, mode="transact")
    await sink.apply([Change.from_record(r) for s in pipeline.source.shards for r in s.records])
    pipeline.worker(sink=sink)  # replays everything: every write is now stale

    async def replayed() -> bool:
        return sink.stale >= 200

    await eventually(replayed)
    assert await pipeline.in_sync()


async def test_a_failed_transaction_of_a_batch_fails_the_whole_apply(pipeline: Pipeline) -> None:
    # Why: a batch's transactions are in flight together; one that fails must fail the batch (so it
    # is retried whole, which the sequence guards make harmless), not vanish among the others.
    class FailingSecond:
        def __init__(self, client: Any) -> None:
            self.client, self.transactions = client, 0

        async def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
            if operation == "TransactWriteItems":
                self.transactions += 1
                if self.transactions == 2:
                    raise DynamoError("InternalServerError", "injected")
            return await self.client.call(operation, request)  # type: ignore[no-any-return]

    for n in range(250):
        await pipeline.source.put(item(n))
    changes = [Change.from_record(r) for s in pipeline.source.shards for r in s.records]
    failing = FailingSecond(pipeline.target)
    sink = ReplicaSink(failing, REPLICA, mode="transact")  # type: ignore[arg-type]
    try:
        await sink.apply(changes)
    except DynamoError as exc:
        assert exc.message == "injected"
    else:
        raise AssertionError("the failed transaction was lost")
    assert failing.transactions == 3
    await sink.apply(changes)  # the retry of the batch completes it
    assert len(await rows(pipeline.target, REPLICA)) == 250


async def test_a_checkpoint_never_passes_a_change_not_yet_applied(pipeline: Pipeline) -> None:
    # Why: a page's checkpoint is written while the next page is applied; it must still name only
    # changes the sink has finished, and each shard's checkpoints must only move forward.
    applied: set[str] = set()
    slow_pages = 0

    class Recording(ReplicaSink):
        async def apply(self, changes: Sequence[Change]) -> None:
            nonlocal slow_pages
            await super().apply(changes)
            slow_pages += 1
            if slow_pages % 2:
                await asyncio.sleep(0.01)  # let a checkpoint write overtake the next page's apply
            applied.update(c.sequence_number for c in changes)

    written: list[tuple[str, str, bool]] = []
    update = pipeline.leases.update

    async def recorded(key: str, owner: str, values: dict[str, dict[str, Any]], remove: Any = ()) -> bool:
        checkpoint = values.get("checkpoint", {}).get("S")
        if checkpoint is not None and checkpoint.isdigit():
            shard = key.removeprefix("shard#")
            records = next(s.records for s in pipeline.source.shards if s.shard_id == shard)
            done = all(r["dynamodb"]["SequenceNumber"] in applied for r in records
                       if int(r["dynamodb"]["SequenceNumber"]) <= int(checkpoint))
            written.append((shard, checkpoint, done))
        return await update(key, owner, values, remove)

    pipeline.leases.update = recorded  # type: ignore[method-assign]
    for n in range(120):
        await pipeline.source.put(item(n))
    settings = PipelineSettings(lease_duration=0.6, discovery_interval=0.1,
                                consumer=ConsumerSettings(poll_interval=0.01, batch_limit=7))
    pipeline.worker(sink=Recording(pipeline.target, REPLICA), settings=settings)
    await eventually(pipeline.in_sync)
    assert len(written) > 10 and all(done for _, _, done in written)
    for shard in {s for s, _, _ in written}:
        mine = [int(c) for s, c, _ in written if s == shard]
        assert mine == sorted(mine)


async def test_older_changes_never_overwrite_newer_ones_or_resurrect_deletes(pipeline: Pipeline) -> None:
    # Why: replays and reordering must leave the newest state; a deleted row must stay deleted.
    await pipeline.source.put(item(1, 1))
    await pipeline.source.put(item(1, 2))
    await pipeline.source.put(item(2, 1))
    await pipeline.source.delete(key(2))
    changes = [Change.from_record(r) for s in pipeline.source.shards for r in s.records]
    changes.sort(key=lambda c: c.seq)
    sink = ReplicaSink(pipeline.target, REPLICA)
    for change in changes:
        await sink.apply([change])
    for change in reversed(changes):  # replay in the worst order
        await sink.apply([change])
    await sink.copy([item(2, 0), item(1, 0)])  # a late snapshot row must lose too
    assert await rows(pipeline.target, REPLICA) == {("p1", "1"): item(1, 2)}
    assert sink.stale == len(changes) + 2


async def test_parents_are_applied_before_children_after_rotation(pipeline: Pipeline) -> None:
    # Why: a shard's children hold later changes of the same items; reading them first would regress items.
    applied: list[str] = []

    class Recording(ReplicaSink):
        async def apply(self, changes: Sequence[Change]) -> None:
            applied.extend(c.sequence_number for c in changes)
            await super().apply(changes)

    for n in range(40):
        await pipeline.source.put(item(n, 1))
    pipeline.source.rotate()
    for n in range(40):
        await pipeline.source.put(item(n, 2))
    pipeline.worker(sink=Recording(pipeline.target, REPLICA))
    await eventually(pipeline.in_sync)
    parents = {s.shard_id for s in pipeline.source.shards if s.closed}
    parent_seqs = {r["dynamodb"]["SequenceNumber"] for s in pipeline.source.shards if s.shard_id in parents
                   for r in s.records}
    last_parent = max(applied.index(s) for s in parent_seqs)
    first_child = min(applied.index(s) for s in applied if s not in parent_seqs)
    assert last_parent < first_child
    assert all(v["v"]["N"] == "2" for v in (await rows(pipeline.target, REPLICA)).values())


async def test_new_shards_are_discovered_while_running(pipeline: Pipeline) -> None:
    # Why: shards rotate while a pipeline runs; changes in the new shards must be picked up.
    pipeline.worker()
    await pipeline.source.put(item(1))
    await eventually(pipeline.in_sync)
    pipeline.source.rotate()
    for n in range(30):
        await pipeline.source.put(item(n, 5))
    await eventually(pipeline.in_sync)


async def test_workers_share_shards_and_take_over_from_a_crashed_one(make_pipeline: MakePipeline) -> None:
    # Why: several workers split the shards; a dead worker's shards must be taken over after expiry.
    pipeline = await make_pipeline(shards=4)
    first = pipeline.worker()
    second = pipeline.worker()

    async def balanced() -> bool:
        return len(first.held) == 2 and len(second.held) == 2

    await eventually(balanced)
    pipeline.crash(first)
    for n in range(100):
        await pipeline.source.put(item(n, 3))

    async def taken_over() -> bool:
        return len(second.held) == 4 and await pipeline.in_sync()

    await eventually(taken_over)


async def test_a_poison_record_is_dead_lettered_and_the_shard_moves_on(pipeline: Pipeline) -> None:
    # Why: one record the target rejects must not stall its shard; it lands in the dead-letter store.
    class Picky(ReplicaSink):
        async def apply(self, changes: Sequence[Change]) -> None:
            if any(c.keys["sk"]["N"] == "13" for c in changes):
                raise DynamoError("ValidationException", "Item size has exceeded the maximum allowed size")
            await super().apply(changes)

    for n in range(60):
        await pipeline.source.put(item(n))
    letters = MemoryDeadLetters()
    pipeline.worker(sink=Picky(pipeline.target, REPLICA), dead_letters=letters)

    async def all_but_poison() -> bool:
        return len(await rows(pipeline.target, REPLICA)) == 59

    await eventually(all_but_poison)
    assert [(letter.error_type, b'"13"' in letter.payload) for letter in letters.letters] == [
        ("ValidationException", True)]


async def test_transient_failures_are_retried_not_dead_lettered(pipeline: Pipeline) -> None:
    # Why: throttling or an outage of the target must pause the shard, never lose or park records.
    failures = {"left": 12}

    class Flaky(ReplicaSink):
        async def apply(self, changes: Sequence[Change]) -> None:
            if failures["left"] > 0:
                failures["left"] -= 1
                raise DynamoError("ProvisionedThroughputExceededException", "slow down")
            await super().apply(changes)

    for n in range(50):
        await pipeline.source.put(item(n))
    letters = MemoryDeadLetters()
    pipeline.worker(sink=Flaky(pipeline.target, REPLICA), dead_letters=letters)
    await eventually(pipeline.in_sync)
    assert letters.letters == [] and failures["left"] == 0


async def test_snapshot_copies_rows_written_before_the_stream_and_stream_changes_win(pipeline: Pipeline) -> None:
    # Why: a new pipeline must copy existing rows, while changes made during the copy stay newest.
    for n in range(300):  # rows whose records the retention then drops: only a snapshot can copy them
        await pipeline.source.client.call("PutItem", {"TableName": TABLE, "Item": item(n, 0)})
    pipeline.source.trim_all()
    settings = PipelineSettings(lease_duration=0.6, discovery_interval=0.1, snapshot=True, snapshot_segments=4,
                                consumer=FAST.consumer)
    worker = pipeline.worker(settings=settings)
    for n in range(0, 300, 4):
        await pipeline.source.put(item(n, 9))
    for n in range(1, 300, 9):
        await pipeline.source.delete(key(n))

    async def copied() -> bool:  # a segment is marked done just after its last page lands
        segments = [lease for lease in await worker.status() if lease.key.startswith("segment#")]
        return len(segments) == 4 and all(s.done for s in segments)

    await eventually(copied)
    await eventually(pipeline.in_sync)


async def test_a_snapshot_resumes_from_its_segment_checkpoints(pipeline: Pipeline) -> None:
    # Why: a crash mid-snapshot must resume each segment after its last applied page, not restart it.
    for n in range(2000):
        await pipeline.source.client.call("PutItem", {"TableName": TABLE, "Item": item(n)})
    pipeline.source.trim_all()  # only the snapshot can copy these rows now
    copied: list[int] = []

    class Counting(ReplicaSink):
        async def copy(self, items: Sequence[dict[str, Any]]) -> None:
            copied.append(len(items))
            await super().copy(items)

    settings = PipelineSettings(lease_duration=0.6, discovery_interval=0.1, snapshot=True, snapshot_segments=2,
                                consumer=FAST.consumer)
    first = pipeline.worker(sink=Counting(pipeline.target, REPLICA), settings=settings)

    async def checkpointed() -> bool:
        segments = [lease for lease in await first.status() if lease.key.startswith("segment#")] if copied else []
        return any(lease.position for lease in segments)

    await eventually(checkpointed)
    pipeline.crash(first)
    copied.clear()
    pipeline.worker(sink=Counting(pipeline.target, REPLICA), settings=settings)
    await eventually(pipeline.in_sync)
    assert sum(copied) <= 2000 - 500  # resumed after the checkpointed page instead of starting over


async def test_a_trimmed_checkpoint_triggers_a_reconcile_instead_of_skipping(pipeline: Pipeline) -> None:
    # Why: changes lost to retention must be recovered by re-copying only what differs, never skipped.
    for n in range(100):
        await pipeline.source.put(item(n))
    worker = pipeline.worker()
    await eventually(pipeline.in_sync)
    await pipeline.stop(worker)
    for n in range(0, 100, 2):  # changes made while the pipeline is down, then lost to retention
        await pipeline.source.put(item(n, 4))
    for n in range(1, 100, 10):
        await pipeline.source.delete(key(n))
    pipeline.source.trim_all()
    await pipeline.source.put(item(500, 1))  # and one change still in the stream
    pipeline.worker()

    async def reconciled() -> bool:
        row = next(lease for lease in await worker.status() if lease.key == "reconcile")
        return int(row.extra["requested"]["N"]) >= 1 and row.extra["completed"] == row.extra["requested"]

    await eventually(reconciled)
    assert await pipeline.in_sync()


async def test_lag_and_counts_are_reported_per_shard(pipeline: Pipeline) -> None:
    # Why: operators watch per-shard lag (age of the last applied change) and applied counts.
    worker = pipeline.worker()
    for n in range(40):
        await pipeline.source.put(item(n))
    await eventually(pipeline.in_sync)
    stats = worker.metrics.shards  # type: ignore[attr-defined]

    async def counted() -> bool:  # metrics hear of a batch after its checkpoint, just after the replica has it
        return sum(s.applied for s in stats.values()) >= 40

    await eventually(counted)
    assert set(stats) <= {s.shard_id for s in pipeline.source.shards}
    await asyncio.sleep(0.1)
    assert all(s.lag_seconds < 5 for s in stats.values())


def test_parity_ignores_every_bookkeeping_attribute_of_the_replica() -> None:
    # Why: parity must not report replica rows as different because of the sink's own attributes.
    assert BOOKKEEPING <= DEFAULT_IGNORED
