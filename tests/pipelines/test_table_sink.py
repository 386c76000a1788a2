"""The table sink: coalescing, batching, retries, poison isolation and conditional replays."""

from __future__ import annotations

from typing import Any

import pytest
from pipeline_support import FaultyClient, make_table

from dynaflow.engine.errors import DynamoError
from dynaflow.pipelines.model import Delete, Put, Record
from dynaflow.pipelines.retry import Backoff, FatalStoreError
from dynaflow.pipelines.sinks.table import TableSink, coalesce

FAST = Backoff(max_attempts=4, base_s=0.001, cap_s=0.005, throttle_budget_s=0.5)


def put(pk: str, offset: int, table: str = "Items", **attrs: Any) -> Put:
    item = {"pk": {"S": pk}, "_offset": {"N": str(offset)}, **attrs}
    return Put(table, ("pk", "S", pk), item, Record("t", 0, offset, None, b"{}"), offset, "_offset")


def delete(pk: str, offset: int) -> Delete:
    return Delete("Items", ("pk", "S", pk), {"pk": {"S": pk}}, Record("t", 0, offset, None, None), offset, "_offset")


async def get(client: Any, pk: str) -> dict[str, Any] | None:
    response = await client.call("GetItem", {"TableName": "Items", "Key": {"pk": {"S": pk}}, "ConsistentRead": True})
    item: dict[str, Any] | None = response.get("Item")
    return item


# Why: the latest record per key wins within a batch, and no call names a key twice or holds > 25.
async def test_batches_are_coalesced_to_the_latest_per_key_in_calls_of_25(faulty: FaultyClient) -> None:
    await make_table(faulty.inner)
    mutations = [put(f"k{i % 40}", i, v={"N": str(i)}) for i in range(100)] + [delete("k3", 100)]
    tables, superseded = coalesce(mutations)
    assert superseded == 61 and len(tables["Items"]) == 40
    outcome = await TableSink(faulty, backoff=FAST).write(mutations)
    assert (outcome.written, outcome.superseded, outcome.failed) == (40, 61, [])
    batches = [r for op, r in faulty.calls if op == "BatchWriteItem"]
    assert len(batches) == 2 and all(len(b["RequestItems"]["Items"]) <= 25 for b in batches)
    for b in batches:
        keys = [next(iter(r.values()))["Item" if "PutRequest" in r else "Key"]["pk"]["S"]
                for r in b["RequestItems"]["Items"]]
        assert len(keys) == len(set(keys))
    assert (await get(faulty.inner, "k7"))["v"] == {"N": "87"}  # type: ignore[index]
    assert await get(faulty.inner, "k3") is None


# Why: UnprocessedItems and throttling errors are retried until everything is written.
async def test_unprocessed_items_and_throttling_are_retried(faulty: FaultyClient) -> None:
    await make_table(faulty.inner)
    answers = iter([DynamoError("ProvisionedThroughputExceededException", "slow down"), "unprocessed"])

    def inject(operation: str, request: dict[str, Any]) -> Any:
        if operation != "BatchWriteItem":
            return None
        answer = next(answers, None)
        if answer == "unprocessed":  # a partial write: all but the last 5 land
            requests = request["RequestItems"]["Items"]
            return {"UnprocessedItems": {"Items": requests[-5:]}, "_write": {"Items": requests[:-5]}}
        return answer

    faulty.inject = inject
    sink = TableSink(faulty, backoff=FAST)
    outcome = await sink.write([put(f"k{i}", i) for i in range(10)])
    retried = [r for op, r in faulty.calls if op == "BatchWriteItem"][2]["RequestItems"]["Items"]
    assert len(retried) == 5
    assert outcome.throttled == 2 and outcome.retries == 2 and outcome.written == 10 and not outcome.failed
    assert all([await get(faulty.inner, f"k{i}") for i in range(10)])


# Why: one poison item must not take its 24 neighbours down: the call is retried item by item.
async def test_a_terminal_error_isolates_the_poison_item(faulty: FaultyClient) -> None:
    await make_table(faulty.inner)
    mutations = [put(f"k{i}", i) for i in range(25)]
    mutations[7] = put("k7", 7, blob={"S": "x" * 410_000})
    outcome = await TableSink(faulty, backoff=FAST).write(mutations)
    assert [f.mutation.record.offset for f in outcome.failed] == [7]
    assert outcome.failed[0].error_type == "ValidationException" and outcome.written == 24
    assert await get(faulty.inner, "k7") is None and await get(faulty.inner, "k8")


# Why: replayed records are conditional on the version: an older one never overwrites a newer item.
async def test_conditional_replays_never_overwrite_newer_items(faulty: FaultyClient) -> None:
    await make_table(faulty.inner)
    sink = TableSink(faulty, backoff=FAST)
    await sink.write([put("a", 10, v={"S": "new"}), put("b", 3, v={"S": "old"})])
    replay = [put("a", 5, v={"S": "stale"}), put("b", 4, v={"S": "newer"}), delete("c", 1)]
    for m in replay:
        m.conditional = True
    outcome = await sink.write(replay)
    assert (outcome.written, outcome.superseded) == (2, 1)
    assert (await get(faulty.inner, "a"))["v"] == {"S": "new"}  # type: ignore[index]
    assert (await get(faulty.inner, "b"))["v"] == {"S": "newer"}  # type: ignore[index]


# Why: transient errors that outlast the attempt bound are reported (for dead-lettering), not looped on.
async def test_exhausted_retries_are_reported_as_failures(faulty: FaultyClient) -> None:
    await make_table(faulty.inner)
    faulty.inject = lambda op, r: DynamoError("InternalServerError", "boom", status=500) \
        if op == "BatchWriteItem" else None
    outcome = await TableSink(faulty, backoff=FAST).write([put("a", 1), put("b", 2)])
    assert sorted(f.mutation.record.offset for f in outcome.failed) == [1, 2]
    assert {f.attempts for f in outcome.failed} == {4}


# Why: a missing table is fatal: the ingester must stop without committing, not dead-letter everything.
async def test_missing_table_is_fatal(faulty: FaultyClient) -> None:
    with pytest.raises(FatalStoreError, match="ResourceNotFoundException"):
        await TableSink(faulty, backoff=FAST).write([put("a", 1, table="Nope")])
