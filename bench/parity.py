"""Parity check time: two embedded tables of N rows with 10 differences.

    .venv/bin/python bench/parity.py --rows 1000000      # the figure in docs/benchmarks.md
    .venv/bin/python bench/parity.py --quick             # 20,000 rows, a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import dynaflow
from dynaflow.parity import TableRef, check_parity


async def _table(path: Path) -> Any:
    client = dynaflow.connect_async(path, durability="os")
    await client.create_table(
        TableName="bench", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "N"}])
    return client


def _item(n: int) -> dict[str, Any]:
    return {"pk": {"S": f"user{n % 9973}"}, "sk": {"N": str(n)}, "name": {"S": f"name {n}"},
            "score": {"N": str(n * 7 % 1000)}, "tags": {"SS": ["a", f"t{n % 7}"]}}


async def main(rows: int, segments: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source, target = await _table(Path(tmp) / "s"), await _table(Path(tmp) / "t")
        started = time.monotonic()
        for start in range(0, rows, 25):
            batch = [{"PutRequest": {"Item": _item(n)}} for n in range(start, min(rows, start + 25))]
            await asyncio.gather(source.batch_write_item(RequestItems={"bench": batch}),
                                 target.batch_write_item(RequestItems={"bench": batch}))
        print(f"loaded {rows:,} rows x2 in {time.monotonic() - started:.1f} s")
        for n in range(0, 10):  # 10 differences: 4 missing, 4 different, 2 extra
            k = n * (rows // 10)
            if n < 4:
                await target.delete_item(TableName="bench", Key={"pk": _item(k)["pk"], "sk": _item(k)["sk"]})
            elif n < 8:
                await target.put_item(TableName="bench", Item={**_item(k), "name": {"S": "changed"}})
            else:
                await target.put_item(TableName="bench", Item={"pk": {"S": "extra"}, "sk": {"N": str(n)}})
        started = time.monotonic()
        report = await check_parity(TableRef(source, "bench"), TableRef(target, "bench"), segments=segments)
        seconds = time.monotonic() - started
        print(f"parity of {rows:,} rows: {seconds:.1f} s ({2 * rows / seconds:,.0f} rows/s over both tables); "
              f"missing {report.missing_count}, different {report.different_count}, extra {report.extra_count}")
        assert report.differing_rows == 10
        await source.close()
        await target.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--segments", type=int, default=8)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(20_000 if args.quick else args.rows, args.segments))
