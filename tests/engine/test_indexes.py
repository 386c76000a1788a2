"""Secondary-index maintenance: after any sequence of writes, every index holds exactly what a
from-scratch computation over the table gives (entries, projections, counters), including while a
GSI is backfilled under live writes."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import pytest

import dynaflow

ATTRS = [
    {"AttributeName": n, "AttributeType": t} for n, t in [("pk", "S"), ("sk", "N"), ("g", "S"), ("gr", "N"), ("l", "S")]
]
INDEXES = {
    "GlobalSecondaryIndexes": [
        {
            "IndexName": "g_keys",
            "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "gr", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        },
        {
            "IndexName": "g_include",
            "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a"]},
        },
        {
            "IndexName": "g_all",
            "KeySchema": [{"AttributeName": "gr", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
        },
    ],
    "LocalSecondaryIndexes": [
        {
            "IndexName": "l_all",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "l", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        },
    ],
}
KEYS = {"g_keys": ("g", "gr"), "g_include": ("g", None), "g_all": ("gr", None), "l_all": ("pk", "l")}
PROJECTED = {"g_keys": set(), "g_include": {"a"}, "g_all": None, "l_all": None}


@pytest.fixture
def client(tmp_path: Any) -> Any:
    c = dynaflow.connect(tmp_path, durability="os")
    yield c
    c.close()


def all_pages(call: Any, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        response = call(**kwargs)
        items.extend(response["Items"])
        if "LastEvaluatedKey" not in response:
            return items
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def expected_entries(items: list[dict[str, Any]], index: str) -> dict[tuple[str, str], dict[str, Any]]:
    hash_name, range_name = KEYS[index]
    out = {}
    for item in items:
        if hash_name not in item or (range_name is not None and range_name not in item):
            continue
        projected = PROJECTED[index]
        keep = {"pk", "sk", hash_name} | ({range_name} if range_name else set())
        entry = item if projected is None else {k: v for k, v in item.items() if k in keep | projected}
        out[(item["pk"]["S"], item["sk"]["N"])] = entry
    return out


def check_indexes(client: Any, name: str, indexes: list[str]) -> None:
    table = all_pages(client.scan, TableName=name)
    described = client.describe_table(TableName=name)["Table"]
    counts = {
        i["IndexName"]: i["ItemCount"]
        for f in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")
        for i in described.get(f, ())
    }
    for index in indexes:
        got = {(e["pk"]["S"], e["sk"]["N"]): e for e in all_pages(client.scan, TableName=name, IndexName=index)}
        want = expected_entries(table, index)
        assert got == want, index
        assert counts[index] == len(want), index


def random_item(rng: random.Random, pk: str, sk: int) -> dict[str, Any]:
    item: dict[str, Any] = {"pk": {"S": pk}, "sk": {"N": str(sk)}}
    for name, make in (
        ("g", lambda: {"S": rng.choice("xyz")}),
        ("gr", lambda: {"N": str(rng.randint(-3, 3))}),
        ("l", lambda: {"S": rng.choice(["a", "b", "c\x00"])}),
        ("a", lambda: {"S": "A" * rng.randint(0, 3)}),
        ("b", lambda: {"BOOL": rng.random() < 0.5}),
    ):
        if rng.random() < 0.7:
            item[name] = make()
    return item


@pytest.mark.parametrize("seed", range(5))
def test_random_writes_leave_every_index_equal_to_a_recomputation(client: Any, seed: int) -> None:
    # Why: index entries are maintained incrementally; any missed delete or stale projection shows here.
    rng = random.Random(seed)
    client.create_table(
        TableName="t-random",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=ATTRS,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        **INDEXES,
    )
    for _ in range(400):
        pk, sk = rng.choice(["p1", "p2", "p3"]), rng.randint(0, 15)
        key = {"pk": {"S": pk}, "sk": {"N": str(sk)}}
        roll = rng.random()
        if roll < 0.45:
            client.put_item(TableName="t-random", Item=random_item(rng, pk, sk))
        elif roll < 0.75:
            sets = {"#g": "g", "#a": "a"}
            client.update_item(
                TableName="t-random",
                Key=key,
                UpdateExpression="SET #g = :g, #a = :a REMOVE gr",
                ExpressionAttributeNames=sets,
                ExpressionAttributeValues={":g": {"S": rng.choice("xyz")}, ":a": {"S": "new"}},
            )
        elif roll < 0.85:
            with pytest.raises(dynaflow.DynamoError, match="Type mismatch for Index Key"):
                client.update_item(
                    TableName="t-random",
                    Key=key,
                    UpdateExpression="SET g = :bad",
                    ExpressionAttributeValues={":bad": {"N": "1"}},
                )
        else:
            client.delete_item(TableName="t-random", Key=key)
    check_indexes(client, "t-random", list(KEYS))


def test_backfill_under_live_writes_matches_the_table(client: Any) -> None:
    # Why: a GSI created on a live table must end equal to the table although writes ran throughout.
    client.create_table(
        TableName="t-backfill",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    )
    rng = random.Random(7)
    for i in range(1500):
        client.put_item(TableName="t-backfill", Item=random_item(rng, f"p{i % 40}", i))
    stop = threading.Event()

    def write() -> None:
        local = random.Random(8)
        while not stop.is_set():
            i = local.randint(0, 1600)
            if local.random() < 0.2:
                client.delete_item(TableName="t-backfill", Key={"pk": {"S": f"p{i % 40}"}, "sk": {"N": str(i)}})
            else:
                client.put_item(TableName="t-backfill", Item=random_item(local, f"p{i % 40}", i))

    thread = threading.Thread(target=write)
    thread.start()
    try:
        client.update_table(
            TableName="t-backfill",
            AttributeDefinitions=[
                {"AttributeName": "g", "AttributeType": "S"},
                {"AttributeName": "gr", "AttributeType": "N"},
            ],
            GlobalSecondaryIndexUpdates=[{"Create": INDEXES["GlobalSecondaryIndexes"][0]}],
        )
        deadline = time.monotonic() + 60
        while (
            client.describe_table(TableName="t-backfill")["Table"]["GlobalSecondaryIndexes"][0]["IndexStatus"]
            != "ACTIVE"
        ):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(0.05)  # a few more live writes on the now ACTIVE index
    finally:
        stop.set()
        thread.join()
    check_indexes(client, "t-backfill", ["g_keys"])


def test_drop_removes_entries_and_counters_and_delete_table_clears_the_rest(client: Any, tmp_path: Any) -> None:
    # Why: dropped indexes and deleted tables must leave no index entries behind in LMDB.
    client.create_table(
        TableName="t-drop",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=ATTRS,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        **INDEXES,
    )
    rng = random.Random(3)
    for i in range(600):
        client.put_item(TableName="t-drop", Item=random_item(rng, f"p{i % 5}", i))
    client.update_table(TableName="t-drop", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "g_all"}}])
    deadline = time.monotonic() + 30
    while any(
        g["IndexName"] == "g_all" for g in client.describe_table(TableName="t-drop")["Table"]["GlobalSecondaryIndexes"]
    ):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    check_indexes(client, "t-drop", ["g_keys", "g_include", "l_all"])
    engine = client.engine
    table = engine.state.catalog.get("t-drop")
    client.delete_table(TableName="t-drop")
    with engine.state.env.read() as txn:
        cursor = txn.cursor(db=engine.state.env.index)
        assert not cursor.set_range(table.prefix) or not cursor.key().startswith(table.prefix)
