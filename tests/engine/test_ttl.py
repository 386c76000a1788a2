"""TTL expiry with a stepped clock: what expires, what does not, and races with live writes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from dynaflow.engine import changes, ttl
from dynaflow.engine.core import Engine, Settings
from dynaflow.engine.errors import DynamoError
from dynaflow.engine.state import PYTHON_OUTPUT

T0 = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(tmp_path: Any, clock: Clock) -> Iterator[Engine]:
    eng = Engine(tmp_path / "data", durability="os", settings=Settings(ttl_interval=0), clock=clock)
    yield eng
    eng.close()


def call(engine: Engine, operation: str, **request: Any) -> dict[str, Any]:
    return engine.execute(operation, request, PYTHON_OUTPUT)


def make_table(engine: Engine, name: str = "ttl-table", **extra: Any) -> str:
    request: dict[str, Any] = {
        "TableName": name, "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST",
    }
    request.update(extra)
    call(engine, "CreateTable", **request)
    return name


def enable(engine: Engine, table: str, attribute: str = "exp") -> None:
    call(engine, "UpdateTimeToLive", TableName=table,
         TimeToLiveSpecification={"AttributeName": attribute, "Enabled": True})


def put(engine: Engine, table: str, pk: str, **attrs: dict[str, str]) -> None:
    call(engine, "PutItem", TableName=table, Item={"pk": {"S": pk}, **attrs})


def keys_of(engine: Engine, table: str) -> list[str]:
    return sorted(item["pk"]["S"] for item in call(engine, "Scan", TableName=table)["Items"])


def test_only_items_past_their_number_expiry_are_deleted(engine: Engine, clock: Clock) -> None:
    # Why: the core TTL rule — a Number in epoch seconds below now expires; nothing else does.
    table = make_table(engine)
    enable(engine, table)
    put(engine, table, "due", exp={"N": str(int(T0) + 10)})
    put(engine, table, "later", exp={"N": str(int(T0) + 1000)})
    put(engine, table, "fraction", exp={"N": str(T0 + 10.5)})
    put(engine, table, "string", exp={"S": str(int(T0) - 10)})
    put(engine, table, "missing")
    put(engine, table, "ancient", exp={"N": str(int(T0) - 6 * 365 * 24 * 3600)})
    assert engine.expire_now() == 0
    clock.now = T0 + 11
    assert engine.expire_now() == 2
    assert keys_of(engine, table) == ["ancient", "later", "missing", "string"]
    clock.now = T0 + 2000
    assert engine.expire_now() == 1
    assert keys_of(engine, table) == ["ancient", "missing", "string"]
    assert call(engine, "DescribeTable", TableName=table)["Table"]["ItemCount"] == 3


def test_items_written_before_ttl_was_enabled_expire(engine: Engine, clock: Clock) -> None:
    # Why: enabling TTL schedules the items already in the table (the backfill), not just new writes.
    table = make_table(engine)
    for i in range(700):  # more than one backfill chunk
        put(engine, table, f"k{i:04}", exp={"N": str(int(T0) + (5 if i % 2 else 5000))})
    enable(engine, table)
    clock.now = T0 + 6
    assert engine.expire_now() == 350
    assert len(keys_of(engine, table)) == 350


def test_extending_the_ttl_after_the_sweep_read_it_wins(engine: Engine, clock: Clock) -> None:
    # Why: the sweeper re-checks inside the write transaction, so a concurrent extension is never lost.
    table = make_table(engine)
    enable(engine, table)
    put(engine, table, "a", exp={"N": str(int(T0) + 5)})
    clock.now = T0 + 10
    live = engine.state.catalog.get(table)
    entries = ttl.due(engine.state, live, clock.now)
    assert len(entries) == 1
    call(engine, "UpdateItem", TableName=table, Key={"pk": {"S": "a"}}, UpdateExpression="SET exp = :e",
         ExpressionAttributeValues={":e": {"N": str(int(T0) + 100)}})
    assert ttl.expire(engine.state, table, live.table_id, entries) == 0
    assert keys_of(engine, table) == ["a"]
    clock.now = T0 + 101
    assert engine.expire_now() == 1
    assert keys_of(engine, table) == []


def test_removing_the_attribute_stops_expiry(engine: Engine, clock: Clock) -> None:
    # Why: the schedule follows updates; an item whose TTL attribute is removed never expires.
    table = make_table(engine)
    enable(engine, table)
    put(engine, table, "a", exp={"N": str(int(T0) + 5)})
    call(engine, "UpdateItem", TableName=table, Key={"pk": {"S": "a"}}, UpdateExpression="REMOVE exp")
    clock.now = T0 + 10
    assert engine.expire_now() == 0
    assert keys_of(engine, table) == ["a"]


def test_disabled_ttl_expires_nothing(engine: Engine, clock: Clock) -> None:
    # Why: turning TTL off stops deletions at once, even for items scheduled while it was on.
    table = make_table(engine)
    enable(engine, table)
    put(engine, table, "a", exp={"N": str(int(T0) + 5)})
    call(engine, "UpdateTimeToLive", TableName=table,
         TimeToLiveSpecification={"AttributeName": "exp", "Enabled": False})
    clock.now = T0 + 10
    assert engine.expire_now() == 0
    assert keys_of(engine, table) == ["a"]


def test_expiry_is_a_service_delete_through_the_change_path(engine: Engine, clock: Clock,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # Why: index and stream maintenance hook the change path; TTL deletes carry DynamoDB's identity.
    table = make_table(engine)
    enable(engine, table)
    put(engine, table, "a", exp={"N": str(int(T0) + 5)})
    seen: list[Any] = []
    original = changes.write_change

    def spy(*args: Any, **kwargs: Any) -> None:
        seen.append(kwargs.get("service_identity"))
        original(*args, **kwargs)

    monkeypatch.setattr(changes, "write_change", spy)
    clock.now = T0 + 10
    assert engine.expire_now() == 1
    assert seen == [{"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}]


def test_expired_item_leaves_its_secondary_index(engine: Engine, clock: Clock) -> None:
    # Why: an expired item must disappear from every index of the table, like any delete.
    try:
        table = make_table(
            engine, AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                          {"AttributeName": "g", "AttributeType": "S"}],
            GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                     "Projection": {"ProjectionType": "ALL"}}])
    except DynamoError as exc:  # secondary indexes not available in this build
        pytest.skip(str(exc))
    enable(engine, table)
    put(engine, table, "a", g={"S": "x"}, exp={"N": str(int(T0) + 5)})

    def in_index() -> int:
        return int(call(engine, "Query", TableName=table, IndexName="by-g", KeyConditionExpression="g = :g",
                        ExpressionAttributeValues={":g": {"S": "x"}})["Count"])

    assert in_index() == 1
    clock.now = T0 + 10
    assert engine.expire_now() == 1
    assert in_index() == 0


def test_background_sweeper_expires_items_within_its_interval(tmp_path: Any) -> None:
    # Why: without any call, expired items go away within about one sweep interval.
    eng = Engine(tmp_path / "bg", durability="os", settings=Settings(ttl_interval=0.05))
    try:
        table = make_table(eng)
        enable(eng, table)
        put(eng, table, "a", exp={"N": str(int(time.time()) - 1)})
        deadline = time.monotonic() + 5
        while keys_of(eng, table) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert keys_of(eng, table) == []
    finally:
        eng.close()


def test_ttl_state_survives_reopening(tmp_path: Any, clock: Clock) -> None:
    # Why: the TTL setting and the schedule are on disk, not only in memory.
    eng = Engine(tmp_path / "re", durability="os", settings=Settings(ttl_interval=0), clock=clock)
    table = make_table(eng)
    enable(eng, table)
    put(eng, table, "a", exp={"N": str(int(T0) + 5)})
    eng.close()
    eng = Engine(tmp_path / "re", durability="os", settings=Settings(ttl_interval=0), clock=clock)
    try:
        described = call(eng, "DescribeTimeToLive", TableName=table)["TimeToLiveDescription"]
        assert described["TimeToLiveStatus"] == "ENABLED"
        clock.now = T0 + 10
        assert eng.expire_now() == 1
    finally:
        eng.close()
