"""Smoke tests of the replication and parity benchmarks: each runs end to end at a tiny size.

They prove the scripts still work (tables, streams, the CDC worker, the servers of the wire path,
the parity check) and print their figures. They never assert on speed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench"


def _run(name: str, *args: str, timeout: float = 300) -> str:
    proc = subprocess.run([sys.executable, str(BENCH / name), "--quick", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


# The parity benchmark loads two tables, plants 10 differences and prints the check time.
def test_parity_benchmark_runs() -> None:
    out = _run("parity.py")
    assert re.search(r"parity of 20,000 rows: [\d.]+ s", out) and "missing 4, different 4, extra 2" in out


# The replication benchmark drives the CDC worker embedded and over the wire and prints both figures.
def test_replication_benchmark_runs() -> None:
    for mode in ("single", "transact"):
        out = _run("replication.py", "--mode", mode)
        for path in ("embedded", "wire"):
            line = next(line for line in out.splitlines() if line.startswith(path))
            assert re.search(r"throughput +[\d,]+ changes/s", line) and re.search(r"p99 [\d.]+ ms", line)
