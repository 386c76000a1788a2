"""Streams inside the engine: retention, iterator expiry, shard rotation, restarts and
subscriptions, driven by an injected clock (``Settings`` turns the background pass off and
``engine.streams.maintain()`` runs it on demand)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dynaflow.dynamo.embedded import EmbeddedClient
from dynaflow.engine.core import Engine
from dynaflow.engine.errors import DynamoError
from dynaflow.engine.state import Settings

T0 = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def open_engine(path: Path, clock: Clock, **settings: Any) -> Engine:
    options: dict[str, Any] = {"ttl_interval": 0, "stream_maintenance_interval": 0}
    options.update(settings)
    return Engine(path, durability="os", settings=Settings(**options), clock=clock)


@pytest.fixture
def make(tmp_path: Path, clock: Clock) -> Iterator[Any]:
    opened: list[Engine] = []

    def factory(**settings: Any) -> tuple[Engine, EmbeddedClient]:
        engine = open_engine(tmp_path / "data", clock, **settings)
        opened.append(engine)
        return engine, EmbeddedClient(engine)

    yield factory
    for engine in opened:
        engine.close()


def create(client: EmbeddedClient, name: str = "tab", view: str = "NEW_AND_OLD_IMAGES", **extra: Any) -> str:
    response = client.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view}, **extra)
    arn: str = response["TableDescription"]["LatestStreamArn"]
    return arn


def put(client: EmbeddedClient, pk: str, v: int, table: str = "tab") -> None:
    client.put_item(TableName=table, Item={"pk": {"S": pk}, "v": {"N": str(v)}})


def shards(client: EmbeddedClient, arn: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    return result


def read_shard(client: EmbeddedClient, arn: str, shard_id: str, kind: str = "TRIM_HORIZON"
               ) -> tuple[list[dict[str, Any]], str | None]:
    iterator = client.get_shard_iterator(StreamArn=arn, ShardId=shard_id, ShardIteratorType=kind)["ShardIterator"]
    found: list[dict[str, Any]] = []
    while True:
        response = client.get_records(ShardIterator=iterator)
        found.extend(response["Records"])
        following = response.get("NextShardIterator")
        if following is None or not response["Records"]:
            return found, following
        iterator = following


def read_all(client: EmbeddedClient, arn: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for shard in shards(client, arn):
        found.extend(read_shard(client, arn, shard["ShardId"])[0])
    return found


def error_type(call: Any) -> str:
    with pytest.raises(DynamoError) as info:
        call()
    return info.value.type


# ---------------------------------------------------------------- the 100,000-change consumer proof


def test_concurrent_mixed_changes_arrive_exactly_once_in_item_order(make: Any) -> None:
    # Why: the stream must hold exactly the committed changes (none missed, none invented, no-ops
    # skipped), each item's changes in order with correct images, under concurrent group commits.
    _, client = make()
    arn = create(client)
    threads, per_thread, keys_per_thread, hot_keys = 8, 12_500, 400, 4
    expected: dict[str, list[tuple[str, dict[str, Any] | None, dict[str, Any] | None]]] = {}
    lock = threading.Lock()

    def writer(n: int) -> None:
        import random

        rng = random.Random(n)
        state: dict[str, dict[str, Any] | None] = {}
        log: dict[str, list[tuple[str, dict[str, Any] | None, dict[str, Any] | None]]] = {}
        for i in range(per_thread):
            if i % 10 == 0:  # a shared hot item, incremented by every thread
                pk = f"hot-{rng.randrange(hot_keys)}"
                client.update_item(TableName="tab", Key={"pk": {"S": pk}}, UpdateExpression="ADD c :one",
                                   ExpressionAttributeValues={":one": {"N": "1"}})
                continue
            pk = f"w{n}-{rng.randrange(keys_per_thread)}"
            old = state.get(pk)
            roll = rng.random()
            if roll < 0.4:
                new: dict[str, Any] | None = {"pk": {"S": pk}, "v": {"N": str(rng.randrange(3))}}
                client.put_item(TableName="tab", Item=new)
            elif roll < 0.75:
                value = str(rng.randrange(3))
                client.update_item(TableName="tab", Key={"pk": {"S": pk}}, UpdateExpression="SET v = :v",
                                   ExpressionAttributeValues={":v": {"N": value}})
                new = {**(old or {"pk": {"S": pk}}), "v": {"N": value}}
            else:
                client.delete_item(TableName="tab", Key={"pk": {"S": pk}})
                new = None
            state[pk] = new
            if (old is None and new is None) or old == new:
                continue  # deleting a missing item, or writing what is there: no record
            event = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
            log.setdefault(pk, []).append((event, old, new))
        with lock:
            expected.update(log)

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    records = read_all(client, arn)
    by_key: dict[str, list[dict[str, Any]]] = {}
    shard_of: dict[str, str] = {}
    for shard in shards(client, arn):
        numbers = []
        for record in read_shard(client, arn, shard["ShardId"])[0]:
            numbers.append(int(record["dynamodb"]["SequenceNumber"]))
            pk = record["dynamodb"]["Keys"]["pk"]["S"]
            assert shard_of.setdefault(pk, shard["ShardId"]) == shard["ShardId"], "an item spans shards"
        assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    for record in records:
        by_key.setdefault(record["dynamodb"]["Keys"]["pk"]["S"], []).append(record)

    hot_total = 0
    for pk, got in by_key.items():
        if pk.startswith("hot-"):
            counts = [int(r["dynamodb"]["NewImage"]["c"]["N"]) for r in got]
            assert counts == list(range(1, len(counts) + 1))  # every increment, in commit order
            olds = [int(r["dynamodb"]["OldImage"]["c"]["N"]) for r in got[1:]]
            assert olds == counts[:-1]
            hot_total += len(counts)
            continue
        want = expected.get(pk, [])
        assert [(r["eventName"], r["dynamodb"].get("OldImage"), r["dynamodb"].get("NewImage")) for r in got] == want
    assert hot_total == threads * per_thread // 10
    assert set(expected) <= set(by_key)
    assert len(records) == hot_total + sum(len(v) for v in expected.values())


# ---------------------------------------------------------------- records


def test_no_op_writes_emit_nothing(make: Any) -> None:
    # Why: DynamoDB writes no record for a write that changes no data (sets compare unordered).
    _, client = make()
    arn = create(client)
    client.put_item(TableName="tab", Item={"pk": {"S": "a"}, "s": {"SS": ["x", "y"]}})
    client.put_item(TableName="tab", Item={"pk": {"S": "a"}, "s": {"SS": ["y", "x"]}})
    client.update_item(TableName="tab", Key={"pk": {"S": "a"}}, UpdateExpression="SET s = :s",
                       ExpressionAttributeValues={":s": {"SS": ["x", "y"]}})
    client.delete_item(TableName="tab", Key={"pk": {"S": "missing"}})
    assert [r["eventName"] for r in read_all(client, arn)] == ["INSERT"]


@pytest.mark.parametrize("view,images", [("KEYS_ONLY", set()), ("NEW_IMAGE", {"NewImage"}),
                                         ("OLD_IMAGE", {"OldImage"}),
                                         ("NEW_AND_OLD_IMAGES", {"NewImage", "OldImage"})])
def test_view_types_choose_the_images(make: Any, view: str, images: set[str]) -> None:
    # Why: each StreamViewType includes exactly its images, and SizeBytes counts what is included.
    _, client = make()
    arn = create(client, view=view)
    put(client, "a", 1)
    put(client, "a", 2)
    modify = read_all(client, arn)[1]["dynamodb"]
    assert set(modify) - {"ApproximateCreationDateTime", "Keys", "SequenceNumber", "SizeBytes",
                          "StreamViewType"} == images
    assert modify["SizeBytes"] == 3 + 6 * len(images)  # keys: pk "a" (3); each image: pk and v (3 + 3)


def test_ttl_deletes_carry_the_service_identity(make: Any, clock: Clock) -> None:
    # Why: consumers tell TTL expiry from user deletes by userIdentity, as in DynamoDB.
    engine, client = make()
    arn = create(client)
    client.update_time_to_live(TableName="tab", TimeToLiveSpecification={"AttributeName": "exp", "Enabled": True})
    client.put_item(TableName="tab", Item={"pk": {"S": "a"}, "exp": {"N": str(int(T0) + 10)}})
    clock.now += 60
    assert engine.expire_now() == 1
    remove = read_all(client, arn)[-1]
    assert remove["eventName"] == "REMOVE"
    assert remove["userIdentity"] == {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}


def test_sequence_numbers_keep_growing_across_a_restart(make: Any, tmp_path: Path, clock: Clock) -> None:
    # Why: a reopened data directory must never reuse a sequence number a consumer may have seen.
    engine, client = make()
    arn = create(client)
    put(client, "a", 1)
    first = int(read_all(client, arn)[0]["dynamodb"]["SequenceNumber"])
    engine.close()
    _, client2 = make()
    put(client2, "a", 2)
    numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in read_all(client2, arn)]
    assert numbers[0] == first and numbers[1] > first


def test_table_without_stream_writes_no_records(make: Any) -> None:
    # Why: tables without a stream must not pay for one (no observer, nothing stored).
    engine, client = make()
    client.create_table(TableName="plain", BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    put(client, "a", 1, table="plain")
    assert not engine.state.catalog.get("plain").observed
    with engine.state.env.read() as txn:
        assert not any(key.startswith(b"r") for key, _ in txn.cursor(db=engine.state.env.stream))


# ---------------------------------------------------------------- retention and expiry


def test_trimming_removes_old_records_and_reports_trimmed_positions(make: Any, clock: Clock) -> None:
    # Why: records older than the retention are trimmed, TRIM_HORIZON moves past them, and a
    # position inside the trimmed range is TrimmedDataAccessException instead of a silent gap.
    engine, client = make(stream_shards=1, stream_retention=100)
    arn = create(client)
    (shard,) = shards(client, arn)
    old_iterator = client.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                             ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    put(client, "a", 1)
    first_seq = read_all(client, arn)[0]["dynamodb"]["SequenceNumber"]
    clock.now += 60
    put(client, "b", 1)
    clock.now += 50  # "a"'s record is 110 s old, "b"'s 50 s
    engine.streams.maintain()
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in read_all(client, arn)] == ["b"]
    assert error_type(lambda: client.get_records(ShardIterator=old_iterator)) == "TrimmedDataAccessException"
    assert error_type(lambda: client.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=first_seq)) == "TrimmedDataAccessException"


def test_iterators_expire_after_fifteen_minutes(make: Any, clock: Clock) -> None:
    # Why: DynamoDB's iterators expire after 15 minutes; consumers must handle it, so tests need it.
    _, client = make(stream_shards=1)
    arn = create(client)
    (shard,) = shards(client, arn)
    iterator = client.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                         ShardIteratorType="LATEST")["ShardIterator"]
    clock.now += 14 * 60
    following = client.get_records(ShardIterator=iterator)["NextShardIterator"]
    clock.now += 2 * 60
    assert error_type(lambda: client.get_records(ShardIterator=iterator)) == "ExpiredIteratorException"
    assert client.get_records(ShardIterator=following)["Records"] == []  # a fresh one is still good


# ---------------------------------------------------------------- rotation and lineage


def test_rotation_closes_shards_and_opens_children(make: Any, clock: Clock) -> None:
    # Why: consumers must follow lineage: closed parents end (no NextShardIterator once read),
    # children name their parent, and an item's later changes continue in its child shard.
    engine, client = make(stream_shards=2, stream_rotation=60)
    arn = create(client)
    for i in range(20):
        put(client, f"k{i}", 1)
    clock.now += 61
    engine.streams.maintain()
    for i in range(20):
        put(client, f"k{i}", 2)
    described = shards(client, arn)
    parents = [s for s in described if "ParentShardId" not in s]
    children = [s for s in described if "ParentShardId" in s]
    assert len(parents) == 2 and len(children) == 2
    assert {c["ParentShardId"] for c in children} == {p["ShardId"] for p in parents}
    for parent in parents:
        records, following = read_shard(client, arn, parent["ShardId"])
        assert following is None
        assert records[-1]["dynamodb"]["SequenceNumber"] == parent["SequenceNumberRange"]["EndingSequenceNumber"]
        child = next(c for c in children if c["ParentShardId"] == parent["ShardId"])
        later = read_shard(client, arn, child["ShardId"])[0]
        assert {r["dynamodb"]["Keys"]["pk"]["S"] for r in later} == {r["dynamodb"]["Keys"]["pk"]["S"] for r in records}
        assert all("EndingSequenceNumber" not in c["SequenceNumberRange"] for c in children)


def test_expired_closed_shards_and_disabled_streams_disappear(make: Any, clock: Clock) -> None:
    # Why: DynamoDB drops shards and disabled streams once their records are past retention.
    engine, client = make(stream_shards=1, stream_retention=100, stream_rotation=30)
    arn = create(client)
    put(client, "a", 1)
    clock.now += 31
    engine.streams.maintain()
    _, second = shards(client, arn)
    clock.now += 101
    engine.streams.maintain()  # trims the first shard's record, forgets it, rotates the second
    assert [s["ShardId"] for s in shards(client, arn)][:1] == [second["ShardId"]]
    client.update_table(TableName="tab", StreamSpecification={"StreamEnabled": False})
    assert client.describe_stream(StreamArn=arn)["StreamDescription"]["StreamStatus"] == "DISABLED"
    clock.now += 101
    engine.streams.maintain()
    assert client.list_streams(TableName="tab")["Streams"] == []


def test_deleting_the_table_disables_its_stream(make: Any) -> None:
    # Why: after DeleteTable the stream stays readable, DISABLED, with its shards closed.
    engine, client = make(stream_shards=1)
    arn = create(client)
    put(client, "a", 1)
    client.delete_table(TableName="tab")
    engine.streams.maintain()
    description = client.describe_stream(StreamArn=arn)["StreamDescription"]
    assert description["StreamStatus"] == "DISABLED"
    records, following = read_shard(client, arn, description["Shards"][0]["ShardId"])
    assert [r["eventName"] for r in records] == ["INSERT"] and following is None


# ---------------------------------------------------------------- subscriptions


def test_subscription_wakes_on_commit_and_follows_rotation(make: Any, clock: Clock) -> None:
    # Why: in-process consumers wait without polling and see every change in commit order,
    # including changes written to child shards after a rotation.
    engine, client = make(stream_shards=2, stream_rotation=60)
    create(client)
    put(client, "before", 1)
    with engine.streams.subscribe("tab") as subscription:
        assert subscription.get(timeout=0.05) == []
        got: list[dict[str, Any]] = []
        reader = threading.Thread(target=lambda: got.extend(subscription.get(timeout=10)))
        reader.start()
        put(client, "a", 1)
        reader.join()
        assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in got] == ["a"]
        clock.now += 61
        engine.streams.maintain()
        for i in range(5):
            put(client, "a", i + 2)
        seen = []
        while len(seen) < 5:
            seen.extend(subscription.get(timeout=5))
        assert [int(r["dynamodb"]["NewImage"]["v"]["N"]) for r in seen] == [2, 3, 4, 5, 6]


def test_async_subscription_and_wait_for_records(make: Any) -> None:
    # Why: the asyncio flavor must wake on commit too (the CDC runtime awaits it).
    engine, client = make(stream_shards=1)
    arn = create(client)
    (shard,) = shards(client, arn)

    async def scenario() -> tuple[list[dict[str, Any]], bool]:
        subscription = engine.streams.subscribe("tab")
        loop = asyncio.get_running_loop()
        pending = asyncio.ensure_future(subscription.get_async(timeout=10))
        waiting = asyncio.ensure_future(engine.streams.wait_for_records_async(arn, shard["ShardId"], 10))
        await asyncio.sleep(0.01)
        await loop.run_in_executor(None, put, client, "a", 1)
        records = await pending
        woke = await waiting
        subscription.close()
        return records, woke

    records, woke = asyncio.run(scenario())
    assert [r["eventName"] for r in records] == ["INSERT"] and woke
