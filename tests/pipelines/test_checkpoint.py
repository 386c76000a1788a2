"""Checkpoints: write intents marked ahead and read once per assignment; offsets committed in the background."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from confluent_kafka import KafkaException
from pipeline_support import FaultyClient

from dynaflow.pipelines.checkpoint import Checkpoint, CheckpointState, OffsetCommitter, ProgressStore
from dynaflow.pipelines.model import Record

TP = ("orders", 0)


def intent_writes(faulty: FaultyClient) -> list[int]:
    return [int(r["PutRequest"]["Item"]["intent"]["N"])
            for op, request in faulty.calls if op == "BatchWriteItem"
            for r in request["RequestItems"]["_dynaflow_progress"]]


# Why: an intent is written ahead of the batch, so the batches after it write without a mark of
# their own; one past the covered range writes the next mark.
async def test_cover_marks_ahead_and_skips_covered_batches(faulty: FaultyClient) -> None:
    store = ProgressStore(faulty, "g", ahead=100)
    await store.cover({TP: 10})
    await store.cover({TP: 60})
    await store.cover({TP: 110})
    assert intent_writes(faulty) == [110]
    await store.cover({TP: 111})
    assert intent_writes(faulty) == [110, 211]


# Why: a process assigned the partition later must see the highest intent recorded, and its own
# marks start from there (an intent may overstate what was written, never understate it).
async def test_a_new_owner_reads_the_intent_and_marks_beyond_it(faulty: FaultyClient, client: Any) -> None:
    first = ProgressStore(client, "g", ahead=100)
    await first.cover({TP: 10, ("orders", 1): 5})
    second = ProgressStore(faulty, "g", ahead=100)
    assert await second.intents([TP, ("orders", 1), ("orders", 2)]) == {TP: 110, ("orders", 1): 105,
                                                                       ("orders", 2): -1}
    await second.cover({TP: 50})
    assert intent_writes(faulty) == []
    await second.cover({TP: 150, ("orders", 2): 0})
    assert sorted(intent_writes(faulty)) == [100, 250]


# Why: the replay check compares each partition's lowest offset in the batch with its intent.
def test_checkpoint_keeps_the_lowest_and_the_next_offset_per_partition() -> None:
    checkpoint = Checkpoint()
    checkpoint.add([Record("t", p, o, None, b"{}") for p, o in [(0, 5), (1, 7), (0, 6), (1, 9)]])
    assert checkpoint.lowest == {("t", 0): 5, ("t", 1): 7}
    assert checkpoint.offsets == {("t", 0): 7, ("t", 1): 10}


def written(offsets: dict[tuple[str, int], int]) -> Checkpoint:
    checkpoint = Checkpoint()
    checkpoint.add([Record(t, p, o - 1, None, b"{}") for (t, p), o in offsets.items()])
    checkpoint.written()
    return checkpoint


# Why: one commit is in flight at a time; checkpoints handed over meanwhile are merged into the
# next commit with the later offset per partition, and revoked partitions are never committed.
async def test_committer_merges_checkpoints_written_during_a_commit() -> None:
    commits: list[dict[tuple[str, int], int]] = []
    release = threading.Event()

    def commit(offsets: dict[tuple[str, int], int]) -> None:
        release.wait(5)
        commits.append(dict(offsets))

    revoked: set[tuple[str, int]] = set()
    seen: dict[tuple[str, int], int] = {}
    committer = OffsetCommitter(commit, exclude=revoked, on_committed=seen.update)
    first = written({("t", 0): 10})
    committer.add(first)
    await asyncio.sleep(0.05)  # the first commit is in flight now
    later = [written({("t", 0): 20, ("t", 1): 5}), written({("t", 0): 30, ("t", 2): 7})]
    for checkpoint in later:
        committer.add(checkpoint)
    revoked.add(("t", 2))
    release.set()
    await committer.flush()
    assert commits == [{("t", 0): 10}, {("t", 0): 30, ("t", 1): 5}]
    assert seen == {("t", 0): 30, ("t", 1): 5}
    assert all(c.state is CheckpointState.COMMITTED for c in [first, *later])


# Why: a commit refused by the broker (partitions lost) is no error of the ingester: the records are
# replayed by the new owner; the checkpoints fail and later commits go on.
async def test_a_refused_commit_fails_its_checkpoints_only() -> None:
    answers = iter([KafkaException("lost"), None])

    def commit(offsets: dict[tuple[str, int], int]) -> None:
        answer = next(answers)
        if answer is not None:
            raise answer

    committer = OffsetCommitter(commit)
    refused = written({("t", 0): 1})
    committer.add(refused)
    await committer.flush()
    accepted = written({("t", 0): 2})
    committer.add(accepted)
    await committer.flush()
    assert (refused.state, accepted.state) == (CheckpointState.FAILED, CheckpointState.COMMITTED)
