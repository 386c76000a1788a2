"""Dead-letter table: evidence kept byte for byte, listing, and replay through the rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from dynaflow.config import load_settings
from dynaflow.pipelines.deadletter import DeadLetter, DeadLetterTable, parts_of
from dynaflow.pipelines.model import Record
from dynaflow.pipelines.onboarding import onboard
from dynaflow.pipelines.rules import parse_rule
from dynaflow.pipelines.service import dlq_list, dlq_replay


def letter(offset: int, value: bytes | None, error: str = "MalformedValue") -> DeadLetter:
    return DeadLetter.of(Record("orders", 2, offset, b"k\x00", value, 1_700_000_000_000), "orders", 1,
                         error, f"bad record at {offset}", 3)


# Why: the store keeps the original bytes (also tombstones and values over one item's size) and the evidence.
async def test_dead_letters_round_trip_with_their_evidence(client: Any) -> None:
    store = DeadLetterTable(client)
    big = bytes(range(256)) * 4000  # ~1 MB, split over several items
    letters = [letter(5, b"{oops"), letter(6, None), letter(7, big)]
    await store.put(letters)
    listed = [x async for x in store.list("orders")]
    assert [(x.offset, x.value, x.key, x.attempts, x.error_type) for x in listed] == [
        (5, b"{oops", b"k\x00", 3, "MalformedValue"), (6, None, b"k\x00", 3, "MalformedValue"),
        (7, big, b"k\x00", 3, "MalformedValue")]
    assert listed[0].position == ("orders", 2, 5) and listed[0].timestamp_ms == 1_700_000_000_000
    await store.delete(listed[2], parts_of(listed[2]))
    assert [x.offset async for x in store.list()] == [5, 6]


# Why: replay re-drives letters through the latest rule, keeps those that still fail, and never
# overwrites a record that arrived after the dead-lettered one.
async def test_replay_writes_fixed_records_and_keeps_failing_ones(client: Any, tmp_path: Path) -> None:
    rule = parse_rule({"name": "orders", "topics": ["orders"], "table": "Orders", "stream": {"enabled": False},
                       "partition_key": {"attribute": "pk", "from": "id"}})
    await onboard(client, rule)
    await client.call("PutItem", {"TableName": "Orders", "Item": {
        "pk": {"S": "newer"}, "v": {"S": "kept"}, "_offset": {"N": "99"}}})
    store = DeadLetterTable(client)
    await store.put([letter(10, orjson.dumps({"id": "a", "v": "fixed"}), "ThrottlingException"),
                     letter(11, b"{still bad"),
                     letter(12, orjson.dumps({"id": "newer", "v": "stale"}), "ThrottlingException")])
    settings = load_settings(env={}, flags={"engine.data": str(tmp_path / "data"), "engine.durability": "os"})
    result = await dlq_replay(settings)
    assert (result.replayed, result.superseded, result.failed) == (2, 1, 1)
    a = await client.call("GetItem", {"TableName": "Orders", "Key": {"pk": {"S": "a"}}})
    assert a["Item"]["v"] == {"S": "fixed"}
    newer = await client.call("GetItem", {"TableName": "Orders", "Key": {"pk": {"S": "newer"}}})
    assert newer["Item"]["v"] == {"S": "kept"}
    (left,) = await dlq_list(settings)
    assert left.offset == 11 and left.attempts == 4
