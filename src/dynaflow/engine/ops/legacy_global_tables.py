"""The global tables API of version 2017.11.29 (Legacy), answered as DynamoDB answers it today.

DynamoDB no longer creates version 2017.11.29 global tables (CreateGlobalTable is refused with a
pointer to version 2019.11.21, which works through UpdateTable's ``ReplicaUpdates``), so an account
has none: ListGlobalTables is empty and the operations on one name answer
GlobalTableNotFoundException. dynaflow is one region, so it has none either; these answers let
tools that probe for legacy global tables work against it.
"""

from __future__ import annotations

from typing import Any

from dynaflow.engine import errors
from dynaflow.engine.state import EngineState, Output


def create(state: EngineState, request: dict[str, Any], out: Output) -> dict[str, Any]:
    raise errors.validation(
        "DynamoDB global tables version 2017.11.29 is not supported. We recommend using DynamoDB global tables "
        "version 2019.11.21, instead of version 2017.11.29 (Legacy)."
    )


def list_all(state: EngineState, request: dict[str, Any], out: Output) -> dict[str, Any]:
    return {"GlobalTables": []}


def not_found(state: EngineState, request: dict[str, Any], out: Output) -> dict[str, Any]:
    """DescribeGlobalTable, UpdateGlobalTable, DescribeGlobalTableSettings, UpdateGlobalTableSettings."""
    name = request["GlobalTableName"]
    raise errors.DynamoError("GlobalTableNotFoundException", f"Global table with name '{name}' does not exist.")
