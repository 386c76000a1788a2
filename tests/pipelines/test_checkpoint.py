"""Write intents (``ProgressStore``): marked ahead, never lowered, read once per assignment."""

from __future__ import annotations

from typing import Any

from pipeline_support import FaultyClient

from dynaflow.pipelines.checkpoint import Checkpoint, ProgressStore
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
