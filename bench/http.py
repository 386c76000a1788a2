"""Wire-server benchmark against the peers: ``.venv/bin/python bench/http.py``.

Drives dynaflow's wire server (``dynaflow serve``, durable ``fsync`` mode, access log off),
DynamoDB Local (in memory) and dynalite (in memory) with the same raw-HTTP keep-alive load
generator (``_loadgen.py``), one server at a time, in the same run. Workloads (``_workload.py``):
put, get, query of 20 items, batch-write of 25, update, transact (TransactWriteItems of 4 puts;
dynalite has no transactions: n/a) and mixed, each over 1 and 16 connections. Reported: requests/s,
p50/p99 latency, and the server's CPU time per request (user + system of the server process,
read from ``/proc/<pid>/stat`` before and after each measurement), then dynaflow's throughput
ratio to each peer and to the fastest peer (the issue's target: ≥ 2× on every workload, and ≤ 50 µs
of server CPU per GetItem).

Each server gets the same table, the same preloaded data and a warm-up (``--warmup`` seconds of every
workload: the JVM behind DynamoDB Local needs it) before it is measured. Every measurement is
bounded by ``--requests`` and ``--seconds`` and repeated ``--repeat`` times, interleaved; the
figures are the medians. Everything runs on 127.0.0.1; every server is stopped at the end. The load
generator shares the machine's cores with the server it drives.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file's name shadows the standard library's ``http`` package unless its folder leaves sys.path.
sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse  # noqa: E402
import os  # noqa: E402
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

SERVERS = ("dynaflow", "dynamodb-local", "dynalite")
PEERS = ("dynamodb-local", "dynalite")
GET_CPU_TARGET = 50e-6
RATIO_TARGET = 2.0


@dataclass
class Cell:
    """One server × workload × connection count, over the repeats."""

    rates: list[float] = field(default_factory=list)
    p50s: list[float] = field(default_factory=list)
    p99s: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)  # server CPU seconds per request
    client_cpus: list[float] = field(default_factory=list)
    na: str = ""  # why the workload does not apply to this server

    @property
    def rate(self) -> float:
        return median(self.rates)

    @property
    def cpu(self) -> float:
        return median(self.cpus)

    def row(self) -> dict[str, Any]:
        return {"rate": self.rate, "p50": median(self.p50s), "p99": median(self.p99s), "cpu": self.cpu,
                "client_cpu": median(self.client_cpus), "rates": self.rates, "na": self.na}


Results = dict[tuple[str, str, int], Cell]  # (server, workload, connections)


def _client_cpu() -> float:
    times = os.times()
    return times.user + times.system


def check(endpoint: str, workload: str, partitions: int) -> str:
    """Send one request of the workload and check its answer; '' when fine, else why not applicable."""
    operation, body = wl.take(workload, "check", partitions, 1)[0]
    try:
        answer = _loadgen.call(endpoint, operation, body)
    except RuntimeError as exc:
        if "UnknownOperationException" in str(exc):
            return f"{operation} not implemented"
        raise
    if workload == "get":
        assert "Item" in answer and len(answer["Item"]) == 8, answer
    elif workload == "query":
        assert answer.get("Count") == wl.QUERY_ITEMS, answer.get("Count")
    elif workload == "batch":
        assert not answer.get("UnprocessedItems"), answer
    return ""


def wait_active(endpoint: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        described = _loadgen.call(endpoint, "DescribeTable", {"TableName": wl.TABLE})
        if described["Table"]["TableStatus"] == "ACTIVE":
            return
        time.sleep(0.05)
    raise RuntimeError("the benchmark table did not become ACTIVE")


def bench_server(server: _peers.Server, args: argparse.Namespace, results: Results) -> None:
    endpoint = server.endpoint
    _loadgen.call(endpoint, "CreateTable", wl.CREATE_TABLE)
    wait_active(endpoint)
    loaded, _ = _loadgen.run(endpoint, _loadgen.build_all(endpoint, wl.preload_requests(args.partitions)),
                             connections=4, seconds=600)
    if loaded.errors:
        raise RuntimeError(f"preload failed: {loaded.first_error}")
    workloads = []
    for name in args.workloads:
        why = check(endpoint, name, args.partitions)
        for connections in args.connections:
            results.setdefault((server.name, name, connections), Cell()).na = why
        if not why:
            workloads.append(name)
    warm_until = time.monotonic() + args.warmup
    turn = 0
    while time.monotonic() < warm_until:
        for name in workloads:
            requests = _loadgen.build_all(endpoint, wl.take(name, f"warm{turn}", args.partitions, 300, turn))
            _loadgen.run(endpoint, requests, connections=max(args.connections), seconds=1.0)
        turn += 1
    for rep in range(args.repeat):
        for connections in args.connections:
            for name in workloads:
                count = args.requests if connections > 1 else args.requests_single
                requests = _loadgen.build_all(endpoint, wl.take(name, f"r{rep}c{connections}", args.partitions,
                                                                count, seed=rep))
                server_before, client_before = server.cpu_seconds(), _client_cpu()
                result, _ = _loadgen.run(endpoint, requests, connections=connections, seconds=args.seconds)
                server_cpu, client_cpu = server.cpu_seconds() - server_before, _client_cpu() - client_before
                if result.errors:
                    raise RuntimeError(f"{server.name} {name}: {result.errors} errors, first: {result.first_error}")
                cell = results[(server.name, name, connections)]
                cell.rates.append(result.rate)
                cell.p50s.append(percentile(result.latencies, 0.50))
                cell.p99s.append(percentile(result.latencies, 0.99))
                cell.cpus.append(server_cpu / result.done)
                cell.client_cpus.append(client_cpu / result.done)
                print(f"  {server.name:<15} {name:<9} c={connections:<3} rep {rep + 1}: {result.rate:>9,.0f}/s  "
                      f"p50 {fmt_us(percentile(result.latencies, 0.5)):>10}  server CPU "
                      f"{fmt_us(server_cpu / result.done):>10}/req", flush=True)


def report(results: Results, args: argparse.Namespace, unavailable: dict[str, str]) -> str:
    measured = [s for s in args.servers if s not in unavailable]
    out = []
    for connections in args.connections:
        rows = []
        for name in args.workloads:
            for server in measured:
                cell = results.get((server, name, connections))
                if cell is None:
                    continue
                if cell.na:
                    rows.append([name, server, f"n/a ({cell.na})", "", "", "", ""])
                    continue
                row = cell.row()
                rows.append([name, server, fmt_rate(row["rate"]), fmt_us(row["p50"]), fmt_us(row["p99"]),
                             fmt_us(row["cpu"]), fmt_us(row["client_cpu"])])
        out.append(f"\n{connections} connection{'s' if connections > 1 else ''} (requests/s; batch = 25 items "
                   "a request, transact = 4):\n")
        out.append(table(["workload", "server", "rate", "p50", "p99", "server CPU/req", "client CPU/req"], rows))
    if "dynaflow" in measured and any(p in measured for p in PEERS):
        rows = []
        for connections in args.connections:
            for name in args.workloads:
                mine = results.get(("dynaflow", name, connections))
                if mine is None or mine.na:
                    continue
                ratios = []
                best = float("nan")
                for peer in PEERS:
                    other = results.get((peer, name, connections))
                    if peer not in measured or other is None or other.na:
                        ratios.append("n/a")
                        continue
                    ratios.append(fmt_ratio(mine.rate / other.rate))
                    best = other.rate if best != best else max(best, other.rate)
                vs_best = mine.rate / best if best == best else float("nan")
                verdict = "-" if vs_best != vs_best else ("met" if vs_best >= RATIO_TARGET else "MISSED")
                rows.append([name, str(connections), *ratios, fmt_ratio(vs_best), verdict])
        out.append("\ndynaflow throughput ÷ peer throughput (target: ≥ 2× the fastest peer):\n")
        out.append(table(["workload", "conns", "÷ DynamoDB Local", "÷ dynalite", "÷ fastest peer", "≥ 2×"], rows))
        gets = [results[("dynaflow", "get", c)] for c in args.connections if ("dynaflow", "get", c) in results]
        if gets:
            cpu = max(c.cpu for c in gets)
            verdict = "met" if cpu <= GET_CPU_TARGET else "MISSED"
            out.append(f"\ndynaflow server CPU per GetItem: {fmt_us(cpu)} (worst of the connection counts; "
                       f"target ≤ 50 µs: {verdict})")
    for server, why in unavailable.items():
        out.append(f"\n{server}: not measured - {why.splitlines()[0] if why else 'unavailable'}")
    return "\n".join(out)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--servers", default=",".join(SERVERS), help="servers to measure, in order")
    parser.add_argument("--workloads", default=",".join(wl.WORKLOADS), help="workloads to run")
    parser.add_argument("--connections", default="1,16", help="connection counts")
    parser.add_argument("--requests", type=int, default=6000, help="requests per measurement (several connections)")
    parser.add_argument("--requests-single", type=int, default=2000, help="requests per measurement (1 connection)")
    parser.add_argument("--seconds", type=float, default=5.0, help="time limit of one measurement")
    parser.add_argument("--repeat", type=int, default=3, help="repeats; medians are reported")
    parser.add_argument("--warmup", type=float, default=30.0, help="seconds of warm-up per server")
    parser.add_argument("--partitions", type=int, default=100, help="preloaded partitions of 20 items")
    parser.add_argument("--durability", default="fsync", choices=("fsync", "os"), help="dynaflow's durability")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks that the benchmark runs")
    args = parser.parse_args(argv)
    args.servers = [s.strip() for s in str(args.servers).split(",") if s.strip()]
    args.workloads = [w.strip() for w in str(args.workloads).split(",") if w.strip()]
    args.connections = [int(c) for c in str(args.connections).split(",")]
    unknown = sorted(set(args.servers) - set(SERVERS)) + sorted(set(args.workloads) - set(wl.WORKLOADS))
    if unknown:
        parser.error(f"unknown server or workload: {', '.join(unknown)}")
    if args.quick:
        args.requests, args.requests_single, args.repeat, args.warmup, args.partitions = 64, 32, 1, 0.0, 4
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    note = machine_note()
    print(f"dynaflow wire benchmark - {note['date']}, {note['cpus']} CPUs, load {note['load']}, Python "
          f"{note['python']}, commit {note['commit']}; dynaflow durability {args.durability}; medians of "
          f"{args.repeat} repeat(s)", flush=True)
    results: Results = {}
    unavailable: dict[str, str] = {}
    for name in args.servers:
        launcher = _peers.LAUNCHERS[name]
        options = {"durability": args.durability} if name == "dynaflow" else {}
        try:
            with launcher(**options) as server:
                print(f"{name}: {server.endpoint} (pid {server.pid})", flush=True)
                bench_server(server, args, results)
        except _peers.PeerUnavailable as exc:
            unavailable[name] = str(exc)
            print(f"{name}: skipped - {exc}", flush=True)
    print(report(results, args, unavailable))
    write_json(args.json, {
        "note": note, "args": vars(args), "unavailable": unavailable,
        "results": {f"{s}/{w}/{c}": cell.row() for (s, w, c), cell in results.items()},
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
