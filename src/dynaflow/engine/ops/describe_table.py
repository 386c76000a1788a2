"""DescribeTable: the stored description with its live counters."""

from __future__ import annotations

from typing import Any

from dynaflow.engine import indexes, table_options
from dynaflow.engine.catalog import Table
from dynaflow.engine.state import EngineState, Output


def describe(state: EngineState, table: Table, txn: Any | None = None) -> dict[str, Any]:
    """The public ``TableDescription``: stored fields minus internal ones, plus counters."""
    description = {k: v for k, v in table.description.items() if not k.startswith("_")}
    description["WarmThroughput"] = table_options.described_warm_throughput(description)
    count, size = state.writer.counts.figures(txn, table.table_id)
    if table.indexes:
        if txn is None:
            with state.env.env.begin() as read:
                indexes.with_indexes(description, table, read, state.env.meta)
        else:
            indexes.with_indexes(description, table, txn, state.env.meta)
    description["ItemCount"] = count
    description["TableSizeBytes"] = size
    return description


def run(state: EngineState, request: dict[str, Any], out: Output) -> dict[str, Any]:
    table = state.catalog.get(request["TableName"])
    return {"Table": describe(state, table)}
