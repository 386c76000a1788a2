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


class _Generic:
    """Hides the embedded client's type, so parity reads it as it reads any remote endpoint."""

    def __init__(self, client: Any) -> None:
        self.client = client

    async def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self.client.call(operation, request)
        return result


async def test_stored_bytes_and_client_items_hash_alike(tmp_path: Path) -> None:
    # Why: the embedded fast path hashes stored bytes; it must agree with the generic path on every type.
    source, target = await _open(tmp_path / "s"), await _open(tmp_path / "t")
    odd = [
        _item(1),
        {"pk": {"S": "b"}, "sk": {"N": "2"}, "bs": {"BS": [b"\x02", b"\x01"]}, "ns": {"NS": ["10", "9.5", "-1"]}},
        {"pk": {"S": "c"}, "sk": {"N": "3"}, "m": {"M": {"z": {"SS": ["b", "a"]}, "a": {"NULL": True}}},
         "l": {"L": [{"NS": ["2", "1"]}, {"M": {"y": {"N": "1.50"}, "x": {"BOOL": False}}}]}},
        {"pk": {"S": "d"}, "sk": {"N": "4"}, "_dynaflow_seq": {"S": "0001"}, "v": {"S": 'S":[ in a string'}},
    ]
    try:
        await _fill(source, odd)
        reordered = [dict(reversed(list(i.items()))) for i in odd]
        reordered[1]["bs"] = {"BS": [b"\x01", b"\x02"]}
        reordered[3] = {k: v for k, v in reordered[3].items() if k != "_dynaflow_seq"}
        await _fill(target, reordered)
        for left, right in ((source, target), (_Generic(source), target), (source, _Generic(target))):
            report = await check_parity(TableRef(left, TABLE), TableRef(right, TABLE))
            assert report.source_rows == report.target_rows == 4 and report.differing_rows == 0
        await target.put_item(TableName=TABLE, Item={**odd[2], "l": {"L": [{"NS": ["3", "1"]}]}})
        report = await check_parity(TableRef(_Generic(source), TABLE), TableRef(target, TABLE), recheck_delay=0.01)
        assert _keys(report.different) == {("c", "3")}
    finally:
        await source.close()
        await target.close()


async def test_tables_past_the_memory_limit_fall_back_to_a_second_pass(pair: tuple[TableRef, TableRef]) -> None:
    # Why: the one-pass arrays are bounded; past the limit the check must stay exact with a second pass.
    source, target = pair
    await target.client.delete_item(TableName=TABLE, Key={"pk": {"S": "user5"}, "sk": {"N": "5"}})
    await target.client.put_item(TableName=TABLE, Item={**_item(7), "name": {"S": "changed"}})
    for limit in (0, 40_000):  # none kept at all; kept for part of the scan, then dropped
        report = await check_parity(source, target, memory_limit=limit, recheck_delay=0.01)
        assert _keys(report.missing) == {("user5", "5")} and _keys(report.different) == {("user7", "7")}
        assert report.differing_rows == 2 and report.source_rows == 3000
