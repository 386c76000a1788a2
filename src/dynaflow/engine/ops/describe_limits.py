"""DescribeLimits: AWS's default per-account and per-table provisioned capacity quotas."""

from __future__ import annotations

from typing import Any, Final

from dynaflow.engine.state import EngineState, Output

LIMITS: Final = {
    "AccountMaxReadCapacityUnits": 80000,
    "AccountMaxWriteCapacityUnits": 80000,
    "TableMaxReadCapacityUnits": 40000,
    "TableMaxWriteCapacityUnits": 40000,
}


def run(state: EngineState, request: dict[str, Any], out: Output) -> dict[str, Any]:
    return dict(LIMITS)
