"""DescribeEndpoints: the one endpoint to use (``Settings.endpoint_address``), cached for a day."""

from __future__ import annotations

from typing import Any

from dynaflow.engine.state import EngineState, Output


def run(state: EngineState, request: dict[str, Any], out: Output) -> dict[str, Any]:
    return {"Endpoints": [{"Address": state.settings.endpoint_address, "CachePeriodInMinutes": 1440}]}
