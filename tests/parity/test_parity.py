"""Parity finds exactly the rows that differ between two tables, and repair fixes them."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import dynaflow
from dynaflow.parity import TableRef, check_parity, repair

TABLE = "parity"


async def _open(path: Path) -> Any:
    client = dynaflow.connect_async(path, durability="os")
    await client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return client


def _item(n: int) -> dict[str, Any]:
    return {
        "pk": {"S": f"user{n % 97}"}, "sk": {"N": str(n)}, "name": {"S": f"n{n}"},
        "tags": {"SS": [f"t{n % 3}", f"u{n % 5}"]}, "blob": {"B": bytes([n % 256, 1])},
        "nested": {"M": {"score": {"N": f"{n}.50"}, "list": {"L": [{"N": "1"}, {"BOOL": True}]}}},
    }


async def _fill(client: Any, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), 25):
        chunk = items[start:start + 25]
        await client.batch_write_item(RequestItems={TABLE: [{"PutRequest": {"Item": i}} for i in chunk]})


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[TableRef, TableRef]]:
    source, target = await _open(tmp_path / "source"), await _open(tmp_path / "target")
    items = [_item(n) for n in range(3000)]
    await asyncio.gather(_fill(source, items), _fill(target, items))
    yield TableRef(source, TABLE), TableRef(target, TABLE)
    await source.close()
    await target.close()


def _keys(keys: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(k["pk"]["S"], k["sk"]["N"]) for k in keys}


async def test_identical_tables_have_full_parity(pair: tuple[TableRef, TableRef]) -> None:
    # Why: equal tables must report 100% and no differences (sets and numbers in other orders/forms).
    report = await check_parity(*pair)
    assert report.source_rows == report.target_rows == 3000
    assert report.parity_percent == 100.0 and report.differing_rows == 0


async def test_corruption_is_found_exactly_and_repaired(pair: tuple[TableRef, TableRef]) -> None:
    # Why: parity must name exactly the deleted, changed and added rows, and repair must fix them.
    source, target = pair
    rng = random.Random(3)
    chosen = rng.sample(range(3000), 9)
    deleted, changed = chosen[:4], chosen[4:]
    for n in deleted:
        await target.client.delete_item(TableName=TABLE, Key={"pk": {"S": f"user{n % 97}"}, "sk": {"N": str(n)}})
    for n in changed:
        await target.client.update_item(TableName=TABLE, Key={"pk": {"S": f"user{n % 97}"}, "sk": {"N": str(n)}},
                                        UpdateExpression="SET #n = :v", ExpressionAttributeNames={"#n": "name"},
                                        ExpressionAttributeValues={":v": {"S": "corrupted"}})
    added = [{"pk": {"S": "ghost"}, "sk": {"N": str(i)}} for i in range(2)]
    await _fill(target.client, added)

    report = await check_parity(source, target, recheck_delay=0.01)
    assert _keys(report.missing) == {(f"user{n % 97}", str(n)) for n in deleted}
    assert _keys(report.different) == {(f"user{n % 97}", str(n)) for n in changed}
    assert _keys(report.extra) == {("ghost", "0"), ("ghost", "1")}
    assert report.differing_rows == 11
    assert not report.within(0.0001)

    assert await repair(source, target, report) == 11
    after = await check_parity(source, target)
    assert after.differing_rows == 0 and after.parity_percent == 100.0


async def test_rows_changing_during_the_check_are_not_reported(pair: tuple[TableRef, TableRef]) -> None:
    # Why: with live replication a row may differ for milliseconds; it must be re-verified, not reported.
    source, target = pair
    stop = asyncio.Event()

    async def replicate_with_lag() -> None:
        n = 0
        while not stop.is_set():
            item = {**_item(n % 3000), "name": {"S": f"live{n}"}}
            await source.client.put_item(TableName=TABLE, Item=item)
            await asyncio.sleep(0.002)
            await target.client.put_item(TableName=TABLE, Item=item)
            n += 7

    writer = asyncio.create_task(replicate_with_lag())
    try:
        report = await check_parity(source, target, recheck_delay=0.05)
    finally:
        stop.set()
        await writer
    assert report.differing_rows == 0
