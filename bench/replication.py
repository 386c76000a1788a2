"""Replication throughput and lag: a source dynaflow's stream applied to a target table by the CDC runtime.

Two figures per path, both through the real pipeline (``dynaflow.cdc.Worker``: lease table,
shard consumers, ``ReplicaSink`` with its sequence-conditional writes, checkpoints):

* **throughput** — ``--changes`` puts are written to the source first (a stream backlog), then one
  worker starts and the clock runs until every change is on the target: changes/s per table (also
  shown from the first change applied, leaving out the start: state table, shard discovery);
* **lag** — with the worker caught up, a writer puts ``--rate`` changes/s for ``--seconds``; each
  item carries the time just before its write, and the sink notes when the change is durably on
  the target. Lag = applied - written, p50/p99 over every change. On the wire path the writer is
  a process of its own (the worker's process would otherwise hold the load below the rate).

Paths (``--path``):

* ``embedded``: source and target are data directories opened in this process
  (``dynaflow.connect_async``); idle shards wait on the engine's in-process stream wake-up;
* ``wire``: source and target are two ``dynaflow serve`` processes; the worker reads the source's
  DynamoDB Streams API over HTTP (idle shards poll every ``--poll-interval``) and writes the
  target over HTTP, with the clients ``dynaflow replicate`` uses: ``GetRecords``, ``PutItem`` and
  ``TransactWriteItems`` through the CDC's lean client (``dynaflow.cdc.http_client``), the rest
  through aiobotocore; ``--sdk`` sends everything through aiobotocore (the previous figures).

Run::

    .venv/bin/python bench/replication.py                      # both paths, the docs/benchmarks.md figures
    .venv/bin/python bench/replication.py --path embedded --mode transact
    .venv/bin/python bench/replication.py --quick              # a few seconds: a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import multiprocessing
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

# The folder holds http.py, which shadows the standard library's package: leave it off sys.path.
sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench._stats import percentile  # noqa: E402

import dynaflow  # noqa: E402
from bench import _peers  # noqa: E402
from dynaflow.cdc import ConsumerSettings, LeaseTable, MemoryMetrics, PipelineSettings, ReplicaSink, Worker  # noqa: E402
from dynaflow.cdc.model import Change  # noqa: E402
from dynaflow.dynamo.client import DynamoClient  # noqa: E402

TABLE = "orders"
REPLICA = "orders_replica"
KEYS = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
ATTRS = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}]


class TimedSink(ReplicaSink):
    """The replica sink, noting for each change that carries a write time how long it took to land."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.applied = 0
        self.first_applied = 0.0
        self.lags: list[float] = []

    async def apply(self, changes: Sequence[Change]) -> None:
        await super().apply(changes)
        now = time.time()
        if not self.applied:
            self.first_applied = time.monotonic()
        self.applied += len(changes)
        for change in changes:
            image = change.new_image
            if image is not None and "t" in image:
                self.lags.append(now - float(image["t"]["N"]))


def _item(n: int, stamp: float | None = None) -> dict[str, Any]:
    item = {"pk": {"S": f"customer{n % 5003}"}, "sk": {"N": str(n)}, "status": {"S": "PLACED"},
            "total": {"N": str(n % 997 + 0.25)}, "lines": {"L": [{"M": {"sku": {"S": f"sku{n % 101}"},
                                                                          "qty": {"N": "2"}}}]}}
    if stamp is not None:
        item["t"] = {"N": f"{stamp:.6f}"}
    return item


async def _create(client: DynamoClient, name: str, *, stream: bool) -> None:
    request: dict[str, Any] = {"TableName": name, "BillingMode": "PAY_PER_REQUEST", "KeySchema": KEYS,
                               "AttributeDefinitions": ATTRS}
    if stream:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    await client.call("CreateTable", request)


async def _write(client: DynamoClient, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), 25):
        chunk = {TABLE: [{"PutRequest": {"Item": i}} for i in items[start:start + 25]]}
        while chunk:
            response = await client.call("BatchWriteItem", {"RequestItems": chunk})
            chunk = response.get("UnprocessedItems") or {}


async def _steady_load(writer: DynamoClient, *, start: int, total: int, rate: int) -> float:
    """Write ``total`` changes at ``rate``/s in 10 ms ticks of BatchWriteItem, each item stamped
    just before its write; return the rate achieved."""
    per_tick = max(1, round(rate * 0.01))
    n = start
    begin = time.monotonic()
    written = 0
    while written < total:
        delay = begin + (written / rate) - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        count = min(per_tick, total - written)
        stamp = time.time()
        await _write(writer, [_item(n + i, stamp) for i in range(count)])
        n += count
        written += count
    return written / (time.monotonic() - begin)


def _steady_load_process(endpoint: str, start: int, total: int, rate: int) -> float:
    """:func:`_steady_load` against a wire endpoint, in a process of its own."""
    from dynaflow.dynamo.remote import connect_remote

    async def load() -> float:
        writer = await connect_remote(endpoint, access_key_id="bench", secret_access_key="bench")
        try:
            return await _steady_load(writer, start=start, total=total, rate=rate)
        finally:
            await writer.close()

    return asyncio.run(load())


@contextlib.asynccontextmanager
async def _endpoints(path: str, *, lean: bool = True) -> AsyncIterator[tuple[DynamoClient, DynamoClient, DynamoClient]]:
    """(source with streams, source writer, target) for the path."""
    if path == "embedded":
        with tempfile.TemporaryDirectory() as tmp:
            source = dynaflow.connect_async(Path(tmp) / "source", durability="os")
            target = dynaflow.connect_async(Path(tmp) / "target", durability="os")
            try:
                yield source, source, target
            finally:
                await source.close()
                await target.close()
        return
    from dynaflow.cdc.endpoints import connect_target, connect_with_streams
    from dynaflow.dynamo.remote import connect_remote

    with _peers.dynaflow(durability="os") as source_server, _peers.dynaflow(durability="os") as target_server:
        credentials = {"access_key_id": "bench", "secret_access_key": "bench"}
        source = await connect_with_streams(source_server.endpoint, lean=lean, **credentials)
        writer = await connect_remote(source_server.endpoint, **credentials)
        target = await connect_target(target_server.endpoint, max_connections=128, lean=lean, **credentials)
        try:
            yield source, writer, target
        finally:
            for client in (source, writer, target):
                await client.close()


async def run(path: str, *, changes: int, rate: int, seconds: float, mode: str, poll_interval: float,
              lean: bool = True) -> dict[str, float]:
    async with _endpoints(path, lean=lean) as (source, writer, target):
        await _create(writer, TABLE, stream=True)
        await _create(target, REPLICA, stream=False)
        await _write(writer, [_item(n) for n in range(changes)])  # the backlog
        sink = TimedSink(target, REPLICA, mode=mode)  # type: ignore[arg-type]
        settings = PipelineSettings(lease_duration=10.0, discovery_interval=5.0,
                                    consumer=ConsumerSettings(poll_interval=poll_interval))
        worker = Worker(source=source, table=TABLE, sink=sink, leases=LeaseTable(target, "dynaflow_cdc_bench"),
                        settings=settings, metrics=MemoryMetrics())
        stop = asyncio.Event()
        started = time.monotonic()
        task = asyncio.create_task(worker.run(stop))
        while sink.applied < changes:
            if task.done():
                task.result()
            await asyncio.sleep(0.005)
        drained = time.monotonic() - started
        steady = time.monotonic() - sink.first_applied

        sink.lags.clear()
        total = int(rate * seconds)
        endpoint = getattr(writer, "endpoint_url", None)
        if endpoint is None:  # embedded: the engine lives in this process, so does its writer
            achieved = await _steady_load(writer, start=changes, total=total, rate=rate)
        else:  # wire: a writer process of its own, so the worker's process does not slow the load
            with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
                achieved = await asyncio.get_running_loop().run_in_executor(
                    pool, _steady_load_process, endpoint, changes, total, rate)
        deadline = time.monotonic() + 30
        while len(sink.lags) < total and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        stop.set()
        await task
        lags = sorted(sink.lags)
        return {"changes": changes, "drain_seconds": drained, "throughput": changes / drained,
                "startup_seconds": drained - steady, "steady_throughput": changes / max(steady, 1e-9),
                "load_rate": achieved, "lag_samples": len(lags),
                "lag_p50_ms": 1000 * percentile(lags, 0.50) if lags else float("nan"),
                "lag_p99_ms": 1000 * percentile(lags, 0.99) if lags else float("nan"),
                "lag_max_ms": 1000 * lags[-1] if lags else float("nan")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--path", choices=["embedded", "wire", "both"], default="both")
    parser.add_argument("--mode", choices=["single", "transact"], default="single",
                        help="the replica sink's write mode")
    parser.add_argument("--changes", type=int, default=200_000, help="backlog size for the throughput figure")
    parser.add_argument("--rate", type=int, default=5_000, help="changes/s of the steady load for the lag figure")
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of the steady load")
    parser.add_argument("--poll-interval", type=float, default=0.01, help="idle-shard poll interval (wire path)")
    parser.add_argument("--sdk", action="store_true",
                        help="wire path: every request through aiobotocore (no lean GetRecords and writes)")
    parser.add_argument("--quick", action="store_true", help="a tiny run (seconds), for smoke tests")
    args = parser.parse_args()
    if args.quick:
        args.changes, args.rate, args.seconds = 2_000, 500, 1.0
    paths = ["embedded", "wire"] if args.path == "both" else [args.path]
    for path in paths:
        result = asyncio.run(run(path, changes=args.changes, rate=args.rate, seconds=args.seconds, mode=args.mode,
                                 poll_interval=args.poll_interval, lean=not args.sdk))
        client = " sdk" if args.sdk and path == "wire" else ""
        print(f"{path:8}{client} sink={args.mode:8} throughput {result['throughput']:>9,.0f} changes/s "
              f"({result['changes']:,} changes in {result['drain_seconds']:.2f} s, "
              f"{result['steady_throughput']:,.0f}/s after a {result['startup_seconds']:.2f} s start); "
              f"lag at {result['load_rate']:,.0f} changes/s: p50 {result['lag_p50_ms']:.1f} ms, "
              f"p99 {result['lag_p99_ms']:.1f} ms, max {result['lag_max_ms']:.1f} ms "
              f"({result['lag_samples']:,} changes)", flush=True)


if __name__ == "__main__":
    main()
