"""Keys longer than LMDB's 511-byte limit: stored, found, and queried with exact results."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

import dynaflow


@pytest.fixture
def client(tmp_path: Path) -> Any:
    with dynaflow.connect(tmp_path, durability="os") as client:
        client.create_table(
            TableName="long",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def _query(client: Any, pk: str, cond: str, values: dict[str, Any], forward: bool = True) -> list[str]:
    found: list[str] = []
    request: dict[str, Any] = {
        "TableName": "long", "KeyConditionExpression": f"pk = :pk AND {cond}",
        "ExpressionAttributeValues": {":pk": {"S": pk}, **values}, "ScanIndexForward": forward, "Limit": 7,
    }
    while True:
        page = client.query(**request)
        found += [item["sk"]["S"] for item in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return found
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_long_partition_and_sort_keys_round_trip_and_order(client: Any) -> None:
    # Why: DynamoDB allows 2048-byte partition and 1024-byte sort keys; LMDB keys stop at 511 bytes.
    rng = random.Random(7)
    pk = "p" * 2048
    # Distinct 12-character heads: keys differ early, so even cut keys keep DynamoDB's order.
    heads = {"".join(rng.choice("ab") for _ in range(12)) for _ in range(60)}
    sks = sorted(head + "z" * rng.randint(0, 1000) for head in heads)
    for sk in sks:
        client.put_item(TableName="long", Item={"pk": {"S": pk}, "sk": {"S": sk}, "v": {"S": sk[:5]}})
    assert client.get_item(TableName="long", Key={"pk": {"S": pk}, "sk": {"S": sks[3]}})["Item"]["v"]["S"] \
        == sks[3][:5]
    assert _query(client, pk, "sk > :a", {":a": {"S": "a"}}) == \
        [s for s in sks if s > "a"]
    bound = sks[30]
    assert _query(client, pk, "sk < :b", {":b": {"S": bound}}) == [s for s in sks if s < bound]
    assert _query(client, pk, "sk >= :b", {":b": {"S": bound}}, forward=False) == \
        [s for s in reversed(sks) if s >= bound]
    low, high = sks[10], sks[40]
    assert _query(client, pk, "sk BETWEEN :l AND :h", {":l": {"S": low}, ":h": {"S": high}}) == \
        [s for s in sks if low <= s <= high]
    prefix = sks[20][:600]
    assert _query(client, pk, "begins_with(sk, :p)", {":p": {"S": prefix}}) == \
        [s for s in sks if s.startswith(prefix)]


def test_long_sort_keys_sharing_a_long_prefix_are_all_found(client: Any) -> None:
    # Why: keys equal in their first ~500 bytes share a cut LMDB key prefix; none may be lost.
    shared = "s" * 700
    sks = [shared + suffix for suffix in ("a", "b", "c", "d")]
    for sk in sks:
        client.put_item(TableName="long", Item={"pk": {"S": "x"}, "sk": {"S": sk}})
    assert sorted(_query(client, "x", "sk > :a", {":a": {"S": shared}})) == sks
    assert _query(client, "x", "sk = :a", {":a": {"S": sks[2]}}) == [sks[2]]
    assert sorted(_query(client, "x", "sk < :a", {":a": {"S": sks[2]}})) == sks[:2]
    client.delete_item(TableName="long", Key={"pk": {"S": "x"}, "sk": {"S": sks[1]}})
    assert sorted(_query(client, "x", "begins_with(sk, :a)", {":a": {"S": shared}})) == [sks[0], *sks[2:]]
