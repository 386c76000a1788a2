"""In-process benchmark of dynaflow's embedded client: ``.venv/bin/python bench/engine.py``.

Measures, through the public client (``dynaflow.connect(path, durability=...)``, called the way a
user calls it: ``client.get_item(TableName=..., Key=...)``):

* GetItem of a ~1 KB item and Query of a 20-item partition (~1 KB items): p50/p99 latency, one thread;
* PutItem, BatchWriteItem of 25 and UpdateItem: throughput and p50/p99 latency per call, in ``os``
  and ``fsync`` durability, from 1 and 16 threads (16 concurrent writers share group commits);
* PutItem from 128 asyncio tasks on one event loop through the async client (``async ×128``): the
  concurrency of a server, where writers are tasks rather than threads. Each blocked thread costs
  a kernel wake-up and an interpreter-lock hand-off per call (on this machine ~3 context switches
  and ~45 µs of system time per put at 16 threads); a task waiting for its group commit costs
  neither, so group commit can gather more writers per durable commit.

The issue's targets are printed beside the figures. For a same-run peer ratio, the same requests go
over raw keep-alive HTTP to DynamoDB Local (in memory, after a warm-up of its JIT); the ratios say
how many times faster dynaflow is. That comparison is in-process against a server over loopback
HTTP, and durable (``fsync``) against in-memory: it is what a user choosing between the two gets,
not a like-for-like measure of the engines.

Every measurement is bounded by a call count and a time limit and repeated ``--repeat`` times;
the figures printed are the medians of the repeats. The data directories are temporary.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/http.py would shadow the standard library's ``http`` package if this folder led sys.path.
sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse  # noqa: E402
import asyncio  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

from bench._stats import (  # noqa: E402
    fmt_rate,
    fmt_ratio,
    fmt_us,
    machine_note,
    median,
    percentile,
    table,
    write_json,
)

from bench import _loadgen, _peers  # noqa: E402
from bench import _workload as wl  # noqa: E402

METHODS = {"GetItem": "get_item", "PutItem": "put_item", "Query": "query", "UpdateItem": "update_item",
           "BatchWriteItem": "batch_write_item"}

TARGETS = {  # (row name) -> (figure, comparison, bound, text)
    "GetItem": ("p50", "<=", 8e-6, "p50 ≤ 8 µs"),
    "Query 20": ("p50", "<=", 30e-6, "p50 ≤ 30 µs"),
    "PutItem os ×16": ("rate", ">=", 50_000, "≥ 50,000/s"),
    "PutItem os ×1": ("rate", ">=", 50_000, "≥ 50,000/s"),
    "PutItem fsync ×16": ("rate", ">=", 20_000, "≥ 20,000/s (concurrent writers)"),
    "PutItem fsync async ×128": ("rate", ">=", 20_000, "≥ 20,000/s (concurrent writers)"),
}


@dataclass
class Figure:
    name: str
    unit: str = "calls"  # what the rate counts
    rates: list[float] = field(default_factory=list)
    p50s: list[float] = field(default_factory=list)
    p99s: list[float] = field(default_factory=list)

    def add(self, done: int, seconds: float, latencies: list[float], per_call: int = 1) -> None:
        latencies.sort()
        self.rates.append(done * per_call / seconds if seconds else float("nan"))
        self.p50s.append(percentile(latencies, 0.50))
        self.p99s.append(percentile(latencies, 0.99))

    @property
    def rate(self) -> float:
        return median(self.rates)

    @property
    def p50(self) -> float:
        return median(self.p50s)

    @property
    def p99(self) -> float:
        return median(self.p99s)


# ---------------------------------------------------------------- embedded measurements


def _call_all(client: Any, requests: Sequence[wl.Request], deadline: float, latencies: list[float]) -> int:
    clock = time.perf_counter
    done = 0
    for operation, body in requests:
        method = getattr(client, METHODS[operation])
        start = clock()
        method(**body)
        latencies.append(clock() - start)
        done += 1
        if start > deadline:
            break
    return done


def measure(client: Any, requests: Sequence[wl.Request], threads: int,
            seconds: float) -> tuple[int, float, list[float]]:
    """Run ``requests`` split over ``threads`` threads; ``(calls done, elapsed, latencies)``."""
    if threads == 1:
        latencies: list[float] = []
        start = time.perf_counter()
        done = _call_all(client, requests, start + seconds, latencies)
        return done, time.perf_counter() - start, latencies
    shares = [requests[i::threads] for i in range(threads)]
    results: list[list[float]] = [[] for _ in range(threads)]
    counts = [0] * threads
    barrier = threading.Barrier(threads + 1)
    deadline = [0.0]

    def worker(index: int) -> None:
        barrier.wait()
        counts[index] = _call_all(client, shares[index], deadline[0], results[index])

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    start = time.perf_counter()
    deadline[0] = start + seconds
    barrier.wait()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - start
    return sum(counts), elapsed, [x for r in results for x in r]


def measure_async(path: Path, durability: str, requests: Sequence[wl.Request], tasks: int,
                  seconds: float) -> tuple[int, float, list[float]]:
    """Run ``requests`` split over ``tasks`` asyncio tasks sharing one async client on one event
    loop; ``(calls done, elapsed, latencies)``."""
    import dynaflow

    async def run() -> tuple[int, float, list[float]]:
        client = dynaflow.connect_async(path, durability=durability)  # type: ignore[arg-type]
        clock = time.perf_counter
        deadline = clock() + seconds

        async def worker(share: Sequence[wl.Request], latencies: list[float]) -> int:
            done = 0
            for operation, body in share:
                method = getattr(client, METHODS[operation])
                start = clock()
                await method(**body)
                latencies.append(clock() - start)
                done += 1
                if start > deadline:
                    break
            return done

        results: list[list[float]] = [[] for _ in range(tasks)]
        try:
            start = clock()
            counts = await asyncio.gather(*(worker(requests[i::tasks], results[i]) for i in range(tasks)))
            elapsed = clock() - start
        finally:
            await client.close()
        return sum(counts), elapsed, [x for r in results for x in r]

    return asyncio.run(run())


def check_responses(client: Any, partitions: int) -> None:
    """The requests the benchmark times do what they claim (not error or empty paths)."""
    got = client.get_item(**wl.take("get", "check", partitions, 1)[0][1])
    assert "Item" in got and len(got["Item"]) == 8, got
    queried = client.query(**wl.take("query", "check", partitions, 1)[0][1])
    assert queried["Count"] == wl.QUERY_ITEMS, queried["Count"]
    batch = client.batch_write_item(**wl.take("batch", "check", partitions, 1)[0][1])
    assert not batch.get("UnprocessedItems"), batch


def open_loaded(root: Path, durability: str, partitions: int) -> Any:
    import dynaflow

    client = dynaflow.connect(root / durability, durability=durability)  # type: ignore[arg-type]
    client.create_table(**wl.CREATE_TABLE)
    for _, body in wl.preload_requests(partitions):
        client.batch_write_item(**body)
    return client


def run_embedded(args: argparse.Namespace, root: Path) -> dict[str, Figure]:
    figures: dict[str, Figure] = {}

    def figure(name: str, unit: str = "calls") -> Figure:
        return figures.setdefault(name, Figure(name, unit))

    clients = {mode: open_loaded(root, mode, args.partitions) for mode in args.modes}
    try:
        for client in clients.values():
            check_responses(client, args.partitions)
        reader = clients[args.modes[0]]
        measure(reader, wl.take("get", "warm", args.partitions, min(2000, args.reads)), 1, args.seconds)
        for rep in range(args.repeat):
            figure("GetItem").add(*measure(reader, wl.take("get", "", args.partitions, args.reads, seed=rep),
                                           1, args.seconds))
            figure("Query 20").add(*measure(reader, wl.take("query", "", args.partitions, args.reads // 4, rep),
                                            1, args.seconds))
            for mode, client in clients.items():
                for threads in args.threads:
                    tag = f"{mode}{threads}r{rep}"
                    figure(f"PutItem {mode} ×{threads}").add(
                        *measure(client, wl.take("put", tag, args.partitions, args.writes, rep), threads,
                                 args.seconds))
                    figure(f"BatchWriteItem 25 {mode} ×{threads}", "items").add(
                        *measure(client, wl.take("batch", tag, args.partitions, args.writes // 25, rep), threads,
                                 args.seconds), per_call=wl.BATCH_SIZE)
                    figure(f"UpdateItem {mode} ×{threads}").add(
                        *measure(client, wl.take("update", tag, args.partitions, args.writes, rep), threads,
                                 args.seconds))
                for tasks in args.tasks:
                    figure(f"PutItem {mode} async ×{tasks}").add(
                        *measure_async(root / mode, mode, wl.take("put", f"{mode}a{tasks}r{rep}", args.partitions,
                                                                   args.writes, rep), tasks, args.seconds))
    finally:
        for client in clients.values():
            client.close()
    return figures


# ---------------------------------------------------------------- the peer over raw HTTP


def run_peer(args: argparse.Namespace) -> tuple[dict[str, Figure], str]:
    """The same requests against DynamoDB Local over raw HTTP; ``({}, why)`` if it cannot run."""
    figures: dict[str, Figure] = {}
    try:
        with _peers.dynamodb_local() as server:
            endpoint = server.endpoint
            _loadgen.call(endpoint, "CreateTable", wl.CREATE_TABLE)
            _loadgen.run(endpoint, _loadgen.build_all(endpoint, wl.preload_requests(args.partitions)),
                         connections=4, seconds=300)
            warm_until = time.monotonic() + args.peer_warmup
            turn = 0
            while time.monotonic() < warm_until:
                for name in ("get", "query", "put", "batch", "update"):
                    _loadgen.run(endpoint, _loadgen.build_all(endpoint, wl.take(name, f"w{turn}", args.partitions,
                                                                                200, turn)),
                                 connections=4, seconds=2)
                turn += 1

            def http(name: str, workload: str, count: int, connections: int, rep: int, per_call: int = 1,
                     unit: str = "calls") -> None:
                requests = _loadgen.build_all(endpoint, wl.take(workload, f"h{rep}{connections}", args.partitions,
                                                                count, rep))
                result, _ = _loadgen.run(endpoint, requests, connections=connections, seconds=args.seconds)
                if result.errors:
                    raise RuntimeError(f"{name}: {result.errors} errors, first: {result.first_error}")
                figures.setdefault(name, Figure(name, unit)).add(result.done, result.seconds, result.latencies,
                                                                  per_call)

            peer_writes = max(20, args.writes // 5)
            for rep in range(args.repeat):
                http("GetItem", "get", max(20, args.reads // 5), 1, rep)
                http("Query 20", "query", max(20, args.reads // 20), 1, rep)
                for threads in args.threads:
                    http(f"PutItem ×{threads}", "put", peer_writes, threads, rep)
                    http(f"BatchWriteItem 25 ×{threads}", "batch", max(4, peer_writes // 25), threads, rep,
                         per_call=wl.BATCH_SIZE, unit="items")
                    http(f"UpdateItem ×{threads}", "update", peer_writes, threads, rep)
    except _peers.PeerUnavailable as exc:
        return {}, str(exc)
    return figures, ""


# ---------------------------------------------------------------- report


def meets(name: str, fig: Figure) -> str:
    target = TARGETS.get(name)
    if target is None:
        return ""
    what, comparison, bound, text = target
    value = fig.p50 if what == "p50" else fig.rate
    ok = value <= bound if comparison == "<=" else value >= bound
    return f"{text} {'met' if ok else 'MISSED'}"


def peer_name(name: str) -> str:
    for mode in (" os", " fsync"):
        name = name.replace(mode, "")
    return name


def report(figures: dict[str, Figure], peer: dict[str, Figure], why: str, args: argparse.Namespace) -> str:
    headers = ["operation", "rate", "p50", "p99", "target", "vs DynamoDB Local"]
    rows = []
    for name, fig in figures.items():
        other = peer.get(peer_name(name))
        if other is None:
            ratio = "-"
        elif name.startswith(("GetItem", "Query")):
            ratio = fmt_ratio(other.p50 / fig.p50) + " (p50)"
        else:
            ratio = fmt_ratio(fig.rate / other.rate) + " (rate)"
        unit = "" if fig.unit == "calls" else f" {fig.unit}"
        rows.append([name, fmt_rate(fig.rate) + unit, fmt_us(fig.p50), fmt_us(fig.p99), meets(name, fig), ratio])
    out = [table(headers, rows)]
    if peer:
        out.append("\nDynamoDB Local (in memory) over raw HTTP, same requests:\n")
        out.append(table(["operation", "rate", "p50", "p99"],
                         [[n, fmt_rate(f.rate) + ("" if f.unit == "calls" else f" {f.unit}"), fmt_us(f.p50),
                           fmt_us(f.p99)] for n, f in peer.items()]))
    elif why:
        out.append(f"\nDynamoDB Local: not measured ({why.splitlines()[0]})")
    return "\n".join(out)


def as_json(figures: dict[str, Figure]) -> dict[str, Any]:
    return {n: {"unit": f.unit, "rate": f.rate, "p50": f.p50, "p99": f.p99, "rates": f.rates, "p50s": f.p50s}
            for n, f in figures.items()}


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--reads", type=int, default=20_000, help="GetItem calls per repeat (Query: a quarter)")
    parser.add_argument("--writes", type=int, default=20_000, help="PutItem/UpdateItem calls per repeat "
                        "(BatchWriteItem: a 25th)")
    parser.add_argument("--partitions", type=int, default=200, help="preloaded partitions of 20 items")
    parser.add_argument("--threads", default="1,16", help="writer thread counts")
    parser.add_argument("--tasks", default="128", help="asyncio writer task counts (empty: none)")
    parser.add_argument("--modes", default="os,fsync", help="durability modes")
    parser.add_argument("--repeat", type=int, default=3, help="repeats; medians are reported")
    parser.add_argument("--seconds", type=float, default=10.0, help="time limit of one measurement")
    parser.add_argument("--peer", action=argparse.BooleanOptionalAction, default=True,
                        help="also measure DynamoDB Local over raw HTTP")
    parser.add_argument("--peer-warmup", type=float, default=20.0, help="seconds of JIT warm-up for the peer")
    parser.add_argument("--data-dir", type=Path, default=None, help="where the temporary data directories go")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks that the benchmark runs")
    args = parser.parse_args(argv)
    args.threads = [int(t) for t in str(args.threads).split(",")]
    args.tasks = [int(t) for t in str(args.tasks).split(",") if t.strip()]
    args.modes = [m.strip() for m in str(args.modes).split(",")]
    if args.quick:
        args.reads, args.writes, args.partitions, args.repeat = 200, 200, 5, 1
        args.seconds, args.peer_warmup = 5.0, 0.0
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    note = machine_note()
    print(f"dynaflow embedded engine benchmark - {note['date']}, {note['cpus']} CPUs, load {note['load']}, "
          f"Python {note['python']}, commit {note['commit']}; medians of {args.repeat} repeat(s)", flush=True)
    with tempfile.TemporaryDirectory(prefix="dynaflow-bench-", dir=args.data_dir) as tmp:
        figures = run_embedded(args, Path(tmp))
    peer, why = run_peer(args) if args.peer else ({}, "")
    print(report(figures, peer, why, args))
    write_json(args.json, {"note": note, "args": {k: v for k, v in vars(args).items() if k != "data_dir"},
                           "embedded": as_json(figures), "dynamodb-local": as_json(peer), "peer_error": why})
    return 0


if __name__ == "__main__":
    sys.exit(main())
