"""DescribeTimeToLive: ENABLED with the attribute name, or DISABLED (never the transient states)."""

from __future__ import annotations

from typing import Any

from dynaflow.engine import ttl
from dynaflow.engine.state import EngineState, Output


def run(state: EngineState, request: dict[str, Any], out: Output) -> dict[str, Any]:
    table = state.catalog.get(request["TableName"])
    name = ttl.attribute(table.description)
    if name is None:
        return {"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}
    return {"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": name}}
