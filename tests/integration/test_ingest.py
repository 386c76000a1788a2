"""Kafka -> table ingestion against a real broker (Tansu) and dynaflow's embedded engine."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
import pytest

import dynaflow
from dynaflow.dynamo.embedded import AsyncEmbeddedClient
from dynaflow.engine.core import Engine
from dynaflow.engine.state import Settings
from dynaflow.pipelines.deadletter import DeadLetterTable
from dynaflow.pipelines.onboarding import onboard
from dynaflow.pipelines.registry import RuleRegistry
from dynaflow.pipelines.rules import parse_rule
from dynaflow.pipelines.runtime import Ingester, IngestStats

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
async def client(settings_factory: Callable[..., Any]) -> AsyncIterator[Any]:
    settings = settings_factory()
    c = dynaflow.connect_async(settings.engine.data, durability="os")
    yield c
    await c.close()


def rule_for(topic: str, table: str, **overrides: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "name": table.lower().replace(".", "-"), "topics": [topic], "table": table,
        "partition_key": {"attribute": "pk", "type": "S", "from": "{tenant}#{id}"},
        "stream": {"enabled": False},
    }
    rule.update(overrides)
    return rule


async def ingest(client: Any, settings: Any, done: Callable[[IngestStats], bool],
                 timeout_s: float = 60.0, **kwargs: Any) -> IngestStats:
    ingester = Ingester(client, settings.kafka, settings.ingest, registry=RuleRegistry(client),
                        dead_letters=DeadLetterTable(client), **kwargs)
    return await asyncio.wait_for(ingester.run(until=done), timeout_s)


def consumed(n: int) -> Callable[[IngestStats], bool]:
    """Done once offsets for ``n`` records (of fresh topics, so offsets start at 0) are committed."""
    return lambda stats: sum(stats.committed.values()) >= n


async def scan_all(client: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = await client.call("Scan", request)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


# Why: the key template, sort key, renames, drops and event-time TTL must land exactly as declared.
async def test_key_mapping_and_event_time_ttl_are_written_as_declared(
        client: Any, settings_factory: Callable[..., Any], topic_factory: Callable[..., str], produce_all: Any) -> None:
    settings = settings_factory()
    topic = topic_factory(partitions=2)
    rule = parse_rule(rule_for(
        topic, "Orders", sort_key={"attribute": "sk", "type": "N", "from": "order.seq"},
        ttl={"attribute": "expires_at", "after": "1d", "from": "event_time", "field": "ts", "unit": "ms"},
        rename={"customer_name": "name"}, drop=["secret"]))
    await onboard(client, rule)
    base_ms = int(time.time()) * 1000  # event times of now: the engine expires items whose TTL has passed
    values = [{"tenant": "acme", "id": f"u{i}", "order": {"seq": i}, "ts": base_ms + i * 1000,
               "customer_name": f"n{i}", "secret": "x", "price": 1.5} for i in range(50)]
    produce_all(topic, [(v["id"].encode(), orjson.dumps(v)) for v in values])
    await ingest(client, settings, consumed(50))
    items = {(i["pk"]["S"], i["sk"]["N"]): i for i in await scan_all(client, "Orders")}
    assert len(items) == 50
    item = items[("acme#u7", "7")]
    assert item["name"] == {"S": "n7"} and "customer_name" not in item and "secret" not in item
    assert item["expires_at"] == {"N": str(base_ms // 1000 + 7 + 86_400)}
    assert item["price"] == {"N": "1.5"} and item["order"] == {"M": {"seq": {"N": "7"}}}
    described = await client.call("DescribeTimeToLive", {"TableName": "Orders"})
    assert described["TimeToLiveDescription"]["AttributeName"] == "expires_at"


# Why: ingest-time TTL is "now + duration" at ingestion, and DynamoDB-JSON values keep their types.
async def test_dynamodb_json_values_and_ingest_time_ttl(
        client: Any, settings_factory: Callable[..., Any], topic_factory: Callable[..., str], produce_all: Any) -> None:
    settings = settings_factory()
    topic = topic_factory(partitions=1)
    rule = parse_rule(rule_for(topic, "Typed", format="dynamodb-json",
                               partition_key={"attribute": "pk", "type": "S", "from": "id"},
                               ttl={"attribute": "ttl", "after": 3600}))
    await onboard(client, rule)
    value = {"id": {"S": "a"}, "tags": {"SS": ["x", "y"]}, "blob": {"B": "AAEC"}, "n": {"N": "12.50"}}
    before = int(time.time())
    produce_all(topic, [(b"a", orjson.dumps(value))])
    await ingest(client, settings, consumed(1))
    (item,) = await scan_all(client, "Typed")
    assert item["tags"] == {"SS": ["x", "y"]} and item["blob"] == {"B": b"\x00\x01\x02"}
    assert item["n"] == {"N": "12.5"}
    assert before + 3600 <= int(item["ttl"]["N"]) <= int(time.time()) + 3600


# Why: a tombstone (null value) must delete the item its Kafka key names, after the earlier puts.
async def test_tombstones_delete_items_in_partition_order(
        client: Any, settings_factory: Callable[..., Any], topic_factory: Callable[..., str], produce_all: Any) -> None:
    settings = settings_factory(**{"ingest.batch_size": 7})
    topic = topic_factory(partitions=1)
    await onboard(client, parse_rule(rule_for(topic, "Deletes")))
    records: list[tuple[bytes | None, bytes | None]] = []
    for i in range(20):
        key = orjson.dumps({"tenant": "t", "id": i})
        records.append((key, orjson.dumps({"tenant": "t", "id": i, "v": 1})))
    for i in range(0, 20, 2):  # delete the even ones, then re-create 0
        records.append((orjson.dumps({"tenant": "t", "id": i}), None))
    records.append((orjson.dumps({"tenant": "t", "id": 0}), orjson.dumps({"tenant": "t", "id": 0, "v": 2})))
    produce_all(topic, records)
    await ingest(client, settings, consumed(len(records)))
    items = {i["pk"]["S"]: i for i in await scan_all(client, "Deletes")}
    assert sorted(items) == sorted(["t#0"] + [f"t#{i}" for i in range(1, 20, 2)])
    assert items["t#0"]["v"] == {"N": "2"}


# Why: poison records (bad JSON, missing key field, wrong key type, an item over 400 KB) are
# dead-lettered with their evidence, and every good record around them still lands.
async def test_poison_records_are_dead_lettered_and_nothing_else_is_lost(
        client: Any, settings_factory: Callable[..., Any], topic_factory: Callable[..., str], produce_all: Any) -> None:
    settings = settings_factory(**{"ingest.batch_size": 50})
    topic = topic_factory(partitions=1)
    await onboard(client, parse_rule(rule_for(
        topic, "Poison", partition_key={"attribute": "pk", "type": "N", "from": "id"})))
    records: list[tuple[bytes | None, bytes | None]] = []
    poison = {}
    for i in range(300):
        records.append((None, orjson.dumps({"id": i, "v": "ok"})))
        if i % 60 == 5:
            poison[len(records)] = ("MalformedValue", b"{not json")
            records.append((None, b"{not json"))
            poison[len(records)] = ("BadKeyType", b'{"id": "abc"}')
            records.append((None, b'{"id": "abc"}'))
            poison[len(records)] = ("MissingKeyField", b'{"other": 1}')
            records.append((None, b'{"other": 1}'))
            big = orjson.dumps({"id": 10_000 + i, "blob": "x" * 420_000})
            poison[len(records)] = ("ValidationException", big)
            records.append((None, big))
    produce_all(topic, records)
    stats = await ingest(client, settings, consumed(len(records)))
    items = await scan_all(client, "Poison")
    assert sorted(int(i["pk"]["N"]) for i in items) == list(range(300))
    letters = [letter async for letter in DeadLetterTable(client).list()]
    assert stats.dead_lettered == len(poison) == len(letters)
    for letter in letters:
        error_type, original = poison[letter.offset]
        assert (letter.error_type, letter.value, letter.topic, letter.partition) == (error_type, original, topic, 0)
        assert letter.attempts >= 1 and letter.error_message


# Why: a provisioned table that throttles must still end with every record: the ingester backs off
# and pauses consumption instead of dropping or dead-lettering records.
@pytest.fixture
async def cold_client(settings_factory: Callable[..., Any]) -> AsyncIterator[Any]:
    """A client whose new provisioned tables start without their burst, so they throttle at once."""
    engine = Engine(settings_factory().engine.data, durability="os",
                    settings=Settings(initial_burst_seconds=1.0))
    yield AsyncEmbeddedClient(engine)
    engine.close()


async def test_throttled_provisioned_table_ends_with_every_record(
        cold_client: Any, settings_factory: Callable[..., Any], topic_factory: Callable[..., str],
        produce_all: Any) -> None:
    client = cold_client
    settings = settings_factory(**{"ingest.batch_size": 1000})
    topic = topic_factory(partitions=2)
    rule = parse_rule(rule_for(topic, "Throttled", billing={"mode": "PROVISIONED", "read_capacity": 5,
                                                            "write_capacity": 400}))
    await onboard(client, rule)
    n = 3000
    produce_all(topic, [(str(i).encode(), orjson.dumps({"tenant": "t", "id": i})) for i in range(n)])
    stats = await ingest(client, settings, consumed(n), timeout_s=120)
    if stats.throttled == 0:
        pytest.xfail("the engine did not throttle the provisioned table (no ProvisionedThroughputExceeded)")
    assert len(await scan_all(client, "Throttled")) == n
    assert stats.dead_lettered == 0 and stats.pauses > 0


# Why: a rule change picked up by a running ingester loses no record: earlier records keep the old
# mapping, later ones get the new, and every offset is accounted for.
async def test_rule_change_mid_stream_loses_nothing(
        client: Any, settings_factory: Callable[..., Any], topic_factory: Callable[..., str], produce_all: Any) -> None:
    settings = settings_factory(**{"ingest.batch_size": 20, "ingest.rules_refresh_s": 0.05})
    topic = topic_factory(partitions=1)
    await onboard(client, parse_rule(rule_for(topic, "Versioned")))
    ingester = Ingester(client, settings.kafka, settings.ingest, registry=RuleRegistry(client),
                        dead_letters=DeadLetterTable(client))
    running = asyncio.create_task(ingester.run(until=consumed(400)))
    produce_all(topic, [(None, orjson.dumps({"tenant": "t", "id": i})) for i in range(200)])
    while sum(ingester.stats.committed.values()) < 200:
        await asyncio.sleep(0.02)
    await onboard(client, parse_rule(rule_for(topic, "Versioned", rename={"id": "ident"})))
    await asyncio.sleep(0.3)
    produce_all(topic, [(None, orjson.dumps({"tenant": "t", "id": i})) for i in range(200, 400)])
    await asyncio.wait_for(running, 60)
    items = {i["pk"]["S"]: i for i in await scan_all(client, "Versioned")}
    assert len(items) == 400
    assert "id" in items["t#5"] and "ident" in items["t#395"] and "id" not in items["t#395"]


class Counting:
    """The client, counting calls per operation and table, and conditional writes."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: dict[tuple[str, str], int] = {}
        self.conditional = 0

    async def call(self, operation: str, request: Any) -> dict[str, Any]:
        for table in request.get("RequestItems") or [request.get("TableName", "")]:
            self.calls[(operation, table)] = self.calls.get((operation, table), 0) + 1
        self.conditional += "ConditionExpression" in request
        result: dict[str, Any] = await self.inner.call(operation, request)
        return result


# Why: in a fresh group nothing can have been written before, so with several batches in flight
# every record still takes the batched unconditional path (no batch may mistake another batch's
# write intent for the previous owner's), and intents are written ahead, not once per batch.
async def test_fresh_group_writes_unconditionally_with_few_intent_writes(
        client: Any, settings_factory: Callable[..., Any], topic_factory: Callable[..., str], produce_all: Any) -> None:
    settings = settings_factory(**{"ingest.batch_size": 250, "ingest.max_batches_in_flight": 4})
    topic = topic_factory(partitions=2)
    await onboard(client, parse_rule(rule_for(topic, "Fresh")))
    n = 6000
    produce_all(topic, [(str(i).encode(), orjson.dumps({"tenant": "t", "id": i})) for i in range(n)])
    counting = Counting(client)
    stats = await ingest(counting, settings, consumed(n))
    assert len(await scan_all(client, "Fresh")) == n
    assert counting.conditional == 0 and counting.calls.get(("PutItem", "Fresh"), 0) == 0
    intent_writes = counting.calls[("BatchWriteItem", settings.ingest.progress_table)]
    # A mark covers `ahead` (= batch size) records past a partition's highest offset, so a write
    # of marks serves about two batches when, as here, batches carry both partitions; how often a
    # write covers one partition only depends on timing, hence the margin. One intent write per
    # batch (the behaviour this guards against) gives intent_writes == batches.
    assert stats.batches >= n // 250 and intent_writes <= stats.batches * 3 / 4, (intent_writes, stats.batches)


# Why: partitions are the unit of parallelism — two members of one group split them and together
# write every record exactly where it belongs.
async def test_two_ingesters_in_one_group_share_the_partitions(
        client: Any, settings_factory: Callable[..., Any], topic_factory: Callable[..., str], produce_all: Any) -> None:
    settings = settings_factory(**{"ingest.batch_size": 100})
    topic = topic_factory(partitions=4)
    await onboard(client, parse_rule(rule_for(topic, "Shared")))
    n = 4000
    produce_all(topic, [(str(i).encode(), orjson.dumps({"tenant": "t", "id": i})) for i in range(n)])
    members = [Ingester(client, settings.kafka, settings.ingest, registry=RuleRegistry(client),
                        dead_letters=DeadLetterTable(client)) for _ in range(2)]
    tasks = [asyncio.create_task(m.run()) for m in members]
    deadline = time.monotonic() + 60
    while len(await scan_all(client, "Shared")) < n and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    for m in members:
        m.stop()
    await asyncio.wait_for(asyncio.gather(*tasks), 30)
    assert len(await scan_all(client, "Shared")) == n
    assert all(m.stats.records > 0 for m in members), [m.stats.records for m in members]


# Why: a member joining mid-stream revokes partitions while batches are in flight; the handover must
# lose nothing and keep every key at its latest record.
async def test_rebalance_mid_stream_keeps_the_latest_record_per_key(
        client: Any, settings_factory: Callable[..., Any], topic_factory: Callable[..., str], produce_all: Any) -> None:
    settings = settings_factory(**{"ingest.batch_size": 200})
    topic = topic_factory(partitions=4)
    await onboard(client, parse_rule(rule_for(topic, "Handover",
                                              partition_key={"attribute": "pk", "type": "S", "from": "$key"})))
    n, keys = 20_000, 500
    records = [(f"k{i % keys}".encode(), orjson.dumps({"seq": i})) for i in range(n)]
    produce_all(topic, records[:n // 2])
    first = Ingester(client, settings.kafka, settings.ingest, registry=RuleRegistry(client),
                     dead_letters=DeadLetterTable(client))
    tasks = [asyncio.create_task(first.run())]
    while first.stats.records < 2000:
        await asyncio.sleep(0.01)
    second = Ingester(client, settings.kafka, settings.ingest, registry=RuleRegistry(client),
                      dead_letters=DeadLetterTable(client))
    tasks.append(asyncio.create_task(second.run()))
    deadline = time.monotonic() + 60
    while first.stats.revocations < 1 and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    # The rest of the stream arrives after the handover (however fast the first member drained the
    # first half), so both members take part in it.
    await asyncio.to_thread(produce_all, topic, records[n // 2:])
    expected = {f"k{k}": max(i for i in range(k, n, keys)) for k in range(keys)}
    while time.monotonic() < deadline:
        items = {i["pk"]["S"]: int(i["seq"]["N"]) for i in await scan_all(client, "Handover")}
        if items == expected:
            break
        await asyncio.sleep(0.2)
    first.stop()
    second.stop()
    await asyncio.wait_for(asyncio.gather(*tasks), 30)
    assert items == expected
    assert first.stats.revocations >= 1 and second.stats.records > 0


# Why: with a dead-letter topic configured, poison records are produced there byte for byte with
# their evidence in headers, before the offset is committed.
async def test_dead_letter_topic_receives_original_bytes_and_evidence(
        client: Any, settings_factory: Callable[..., Any], topic_factory: Callable[..., str], produce_all: Any,
        kafka_bootstrap: str) -> None:
    from confluent_kafka import Consumer

    from dynaflow.pipelines.service import dead_letter_store

    dlq = topic_factory(partitions=1, prefix="dlq")
    settings = settings_factory(**{"ingest.dead_letter_topic": dlq, "ingest.dead_letter_table": None})
    topic = topic_factory(partitions=1)
    await onboard(client, parse_rule(rule_for(topic, "ToTopic")))
    produce_all(topic, [(b"k1", orjson.dumps({"tenant": "t", "id": 1})), (b"k2", b"\xffnot json"),
                        (b"k3", orjson.dumps({"tenant": "t", "id": 3}))])
    ingester = Ingester(client, settings.kafka, settings.ingest, registry=RuleRegistry(client),
                        dead_letters=dead_letter_store(settings, client))
    stats = await asyncio.wait_for(ingester.run(until=consumed(3)), 60)
    assert stats.dead_lettered == 1 and len(await scan_all(client, "ToTopic")) == 2
    consumer = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": "dlq-reader",
                         "auto.offset.reset": "earliest", "session.timeout.ms": 2000, "heartbeat.interval.ms": 300})
    consumer.subscribe([dlq])
    try:
        messages: list[Any] = []
        deadline = time.monotonic() + 30
        while not messages and time.monotonic() < deadline:
            messages = [m for m in consumer.consume(10, 0.5) if m.error() is None]
    finally:
        consumer.close()
    (message,) = messages
    headers = dict(message.headers())
    assert (message.key(), message.value()) == (b"k2", b"\xffnot json")
    assert headers["dynaflow.error_type"] == b"MalformedValue" and headers["dynaflow.offset"] == b"1"
    assert headers["dynaflow.topic"] == topic.encode() and headers["dynaflow.attempts"] == b"1"


# Why: the pipeline runs unchanged against any DynamoDB endpoint: here DynamoDB Local through the
# remote client, with the registry, progress and dead-letter tables on that endpoint too.
async def test_ingest_into_dynamodb_local_through_the_remote_client(
        settings_factory: Callable[..., Any], topic_factory: Callable[..., str], produce_all: Any,
        dynamodb_local_endpoint: str) -> None:
    from dynaflow.dynamo.remote import connect_remote

    remote = await connect_remote(dynamodb_local_endpoint, access_key_id="AKIDEXAMPLE", secret_access_key="secret")
    try:
        settings = settings_factory(**{"ingest.batch_size": 100})
        topic = topic_factory(partitions=2)
        table = f"Remote-{topic}"
        await onboard(remote, parse_rule(rule_for(topic, table, ttl={"after": "1d"})))
        produce_all(topic, [(None, orjson.dumps({"tenant": "t", "id": i})) for i in range(500)]
                    + [(None, b"poison")])
        stats = await ingest(remote, settings, consumed(501))
        assert len(await scan_all(remote, table)) == 500 and stats.dead_lettered == 1
    finally:
        await remote.close()
