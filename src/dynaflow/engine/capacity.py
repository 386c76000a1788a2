"""Consumed capacity by DynamoDB's rules.

A write consumes one WCU per 1 KB (rounded up) of the larger of the old and new item; a strongly
consistent read one RCU per 4 KB, an eventually consistent read half that; a transactional
operation twice the standard amount. Query and Scan add the sizes of all items they read and
round once at the end.
"""

from __future__ import annotations

from typing import Any

_KB = 1024


def write_units(size: int) -> float:
    return float(max(1, -(-size // _KB)))


def read_units(size: int, *, consistent: bool) -> float:
    units = max(1, -(-size // (4 * _KB)))
    return float(units) if consistent else units / 2


def consumed(request: dict[str, Any], table: str, units: float, *, read: bool | None = None
             ) -> dict[str, Any] | None:
    """The ``ConsumedCapacity`` entry, or None when the request did not ask for it."""
    mode = request.get("ReturnConsumedCapacity")
    if mode not in ("TOTAL", "INDEXES"):
        return None
    entry: dict[str, Any] = {"TableName": table, "CapacityUnits": units}
    if read is not None:
        entry["ReadCapacityUnits" if read else "WriteCapacityUnits"] = units
    if mode == "INDEXES":
        entry["Table"] = {"CapacityUnits": units}
        if read is not None:
            entry["Table"]["ReadCapacityUnits" if read else "WriteCapacityUnits"] = units
    return entry
