"""Smoke test of the ingest benchmark: a tiny run end to end (broker, engine ceiling, ingester,
naive consumer, the three latency runs). It never asserts on speed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_ingest_benchmark_runs() -> None:
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "ingest.py"), "--quick"], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    out = proc.stdout
    assert re.search(r"engine ceiling: .* [\d,]+ items/s", out)
    assert re.search(r"dynaflow ingest: [\d,]+ records/s", out) and re.search(r"naive PutItem: +[\d,]+ records/s", out)
    for who in ("dynaflow ingest", "broker alone", "naive PutItem"):
        assert re.search(rf"latency at 1000/s  {who}: +p50 [\d.]+ ms, p99 [\d.]+ ms", out), who
