"""Stream delivery lag, in-process: a write is acknowledged -> an in-process subscriber has its record.

One writer thread puts items through the embedded client (``dynaflow.connect``) with a short sleep between writes
and notes when each PutItem returns (acknowledged). A subscriber (``engine.streams.subscribe``,
blocking ``get()`` in a thread, or ``get_async()`` on an asyncio loop) notes when it holds each
record. The lag of a write is ``seen - acknowledged``; the subscriber is woken from the commit's
``after_commit`` hook, *before* the writer is acknowledged, so a lag can be negative (the record
was in hand before the write returned) and is then counted as 0. ``submit -> seen`` (from just
before the PutItem call) is printed too.

Run: ``.venv/bin/python bench/stream_lag.py [--writes 20000] [--interval 0.0005] [--durability os|fsync] [--quick]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import threading
import time
from typing import Any

import dynaflow


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(mode: str, writes: int, interval: float, durability: str) -> tuple[list[float], list[float]]:
    with tempfile.TemporaryDirectory() as data:
        client = dynaflow.connect(data, durability=durability)  # type: ignore[arg-type]
        client.create_table(
            TableName="bench-stream", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        engine = client.engine
        submitted = [0.0] * writes
        acked = [0.0] * writes
        seen = [0.0] * writes
        subscription = engine.streams.subscribe("bench-stream")
        done = threading.Event()

        def note(records: list[dict[str, Any]]) -> int:
            now = time.perf_counter()
            for record in records:
                seen[int(record["dynamodb"]["Keys"]["pk"]["S"][2:])] = now
            return len(records)

        def blocking_reader() -> None:
            count = 0
            while count < writes:
                count += note(subscription.get(timeout=5))
            done.set()

        def async_reader() -> None:
            async def consume() -> None:
                count = 0
                while count < writes:
                    count += note(await subscription.get_async(timeout=5))

            asyncio.run(consume())
            done.set()

        reader = threading.Thread(target=blocking_reader if mode == "thread" else async_reader, daemon=True)
        reader.start()
        time.sleep(0.1)
        payload = {"name": {"S": "x" * 200}, "n": {"N": "1"}}
        for i in range(writes):
            time.sleep(interval)  # sleeping releases the GIL; a busy-wait would starve the subscriber
            submitted[i] = time.perf_counter()
            client.put_item(TableName="bench-stream", Item={"pk": {"S": f"k-{i}"}, **payload})
            acked[i] = time.perf_counter()
        done.wait(30)
        subscription.close()
        client.close()
    warm = writes // 10
    lag = [max(0.0, s - a) * 1000 for s, a in zip(seen[warm:], acked[warm:], strict=True)]
    total = [(s - b) * 1000 for s, b in zip(seen[warm:], submitted[warm:], strict=True)]
    return lag, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=20000)
    parser.add_argument("--interval", type=float, default=0.0005, help="seconds between writes")
    parser.add_argument("--durability", choices=("os", "fsync"), default="os")
    parser.add_argument("--quick", action="store_true", help="a few hundred writes (smoke test)")
    args = parser.parse_args()
    if args.quick:
        args.writes = 300
    print(f"load average (1 min): {os.getloadavg()[0]:.2f}")
    print(f"{args.writes} PutItems (first 10% are warm-up), a {args.interval * 1000:g} ms sleep before "
          f"each, durability={args.durability}; lag in ms:")
    for mode in ("thread", "asyncio"):
        lag, total = run(mode, args.writes, args.interval, args.durability)
        print(f"  subscriber {mode:8s} ack->seen p50 {percentile(lag, 0.5):.3f}  p99 {percentile(lag, 0.99):.3f}"
              f"  max {max(lag):.3f}   | submit->seen p50 {percentile(total, 0.5):.3f}"
              f"  p99 {percentile(total, 0.99):.3f}")


if __name__ == "__main__":
    main()
