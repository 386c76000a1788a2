"""Table options DynamoDB records and reports: table class, warm throughput, on-demand maximums.

A local engine has no storage classes and nothing to pre-warm, but users configure both (Terraform
sends them, and reads them back) and DynamoDB validates them, so dynaflow validates them with
DynamoDB's rules and reports them in DescribeTable as DynamoDB does:

* ``TableClass`` — STANDARD or STANDARD_INFREQUENT_ACCESS. ``TableClassSummary`` appears once a
  class has been given (CreateTable, or UpdateTable, which also records ``LastUpdateDateTime``).
* ``WarmThroughput`` — every table starts with DynamoDB's baseline of 12,000 read and 4,000 write
  units per second; a request may raise either (the other keeps its value) but never go below the
  baseline, and a raised value can never be lowered again. The change is immediate here, so the
  status is always ACTIVE.
* ``OnDemandThroughput`` — the most read and write request units per second an on-demand table
  may use (``-1``: no maximum). Given members replace the recorded ones, the others stay; the
  throttle (``throttle.py``) holds an on-demand table to a positive maximum.
"""

from __future__ import annotations

from typing import Any, Final

from dynaflow.engine import errors

TABLE_CLASSES: Final = ("STANDARD", "STANDARD_INFREQUENT_ACCESS")
#: DynamoDB's baseline warm throughput, also the least a request may ask for.
WARM_BASELINE: Final = {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000}


def table_class_summary(table_class: Any, now: float | None) -> dict[str, Any]:
    """The ``TableClassSummary`` for a requested class (``now``: when an update changed it)."""
    if table_class not in TABLE_CLASSES:
        raise errors.validation(
            "Invalid table-class parameter provided. Please try again with a valid table-class value: "
            f"[{', '.join(TABLE_CLASSES)}]."
        )
    summary: dict[str, Any] = {"TableClass": table_class}
    if now is not None:
        summary["LastUpdateDateTime"] = now
    return summary


def warm_throughput(requested: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """The table's ``WarmThroughput`` after a request for ``requested`` units."""
    settled = dict(current or WARM_BASELINE)
    out: dict[str, Any] = {}
    for unit, baseline in WARM_BASELINE.items():
        value = requested.get(unit)
        if value is None:
            out[unit] = settled.get(unit, baseline)
            continue
        value = int(value)
        if value < baseline:
            raise errors.invalid_parameters(
                f"Requested {unit} for WarmThroughput is lower than the minimum value of {baseline}"
            )
        if current is not None and value < int(current.get(unit, baseline)):
            raise errors.invalid_parameters(
                f"Requested {unit} for WarmThroughput is lower than current WarmThroughput value of "
                f"{current.get(unit, baseline)}"
            )
        out[unit] = value
    out["Status"] = "ACTIVE"
    return out


def described_warm_throughput(description: dict[str, Any]) -> dict[str, Any]:
    """The ``WarmThroughput`` DescribeTable reports: the stored one, or the baseline."""
    return description.get("WarmThroughput") or {**WARM_BASELINE, "Status": "ACTIVE"}


ON_DEMAND_UNITS: Final = ("MaxReadRequestUnits", "MaxWriteRequestUnits")


def on_demand_throughput(requested: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """The table's ``OnDemandThroughput`` after a request for ``requested``."""
    merged = dict(current or {})
    for unit in ON_DEMAND_UNITS:
        if requested.get(unit) is not None:
            merged[unit] = int(requested[unit])
    return merged


def on_demand_maximum(description: dict[str, Any], unit: str) -> float | None:
    """A positive recorded maximum of ``unit`` (request units per second), else None."""
    value = (description.get("OnDemandThroughput") or {}).get(unit)
    return float(value) if isinstance(value, int) and value > 0 else None
