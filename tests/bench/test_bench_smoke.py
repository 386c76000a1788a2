"""Smoke tests of the benchmarks: each script runs end to end at a tiny size.

They prove the benchmarks still work (servers start, requests succeed, reports print) so a broken
benchmark is caught by CI. They never assert on speed: speed targets live in the benchmarks'
reports, not in timed tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench"


def run_script(name: str, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, str(BENCH / name), "--quick", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


# The in-process benchmark runs every measurement it reports, with its targets and the peer ratio.
def test_engine_benchmark_runs(tmp_path: Path) -> None:
    out = tmp_path / "engine.json"
    proc = run_script("engine.py", "--json", str(out))
    figures = json.loads(out.read_text())
    assert {"GetItem", "Query 20", "PutItem os ×16", "PutItem fsync ×16", "UpdateItem fsync ×1",
            "BatchWriteItem 25 fsync ×1"} <= set(figures["embedded"])
    assert all(f["rate"] > 0 for f in figures["embedded"].values())
    assert "p50 ≤ 8 µs" in proc.stdout
    if not figures["peer_error"]:
        assert "PutItem ×16" in figures["dynamodb-local"]


# The wire benchmark drives every workload through dynaflow serve (and the peers that can run here).
def test_http_benchmark_runs(tmp_path: Path) -> None:
    out = tmp_path / "http.json"
    proc = run_script("http.py", "--json", str(out))
    report = json.loads(out.read_text())
    if "dynaflow" in report["unavailable"]:
        pytest.skip(report["unavailable"]["dynaflow"])
    for workload in ("put", "get", "query", "batch", "update", "transact", "mixed"):
        for connections in (1, 16):
            cell = report["results"][f"dynaflow/{workload}/{connections}"]
            assert cell["na"] == "" and cell["rate"] > 0, (workload, connections, cell)
    assert "dynaflow throughput" in proc.stdout or report["unavailable"].keys() >= {"dynamodb-local", "dynalite"}


# bench/http.py must not shadow the standard library's http package (urllib needs it) in any script.
@pytest.mark.parametrize("name", ["engine.py", "http.py"])
def test_bench_scripts_import_stdlib_http(name: str) -> None:
    proc = subprocess.run([sys.executable, str(BENCH / name), "--help"], cwd=BENCH, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
