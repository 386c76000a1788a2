"""UpdateTimeToLive: enable or disable item expiry on a table (``ttl.py`` does the expiring).

Validation follows DynamoDB, after the shape check (attribute name 1..255 characters):

* the table must exist;
* while TTL is enabled, naming another attribute (to enable or to disable) is
  ``TimeToLive is active on a different AttributeName: current AttributeName is <name>``;
* enabling what is enabled is ``TimeToLive is already enabled``, disabling what is disabled
  ``TimeToLive is already disabled``.

Two deliberate choices, recorded in docs/compatibility.md: the change is complete when the call
returns (DescribeTimeToLive says ENABLED or DISABLED at once; AWS may show ENABLING/DISABLING for
a while), and DynamoDB's rule of one TTL change per table per hour is not enforced, so tests can
turn TTL on and off freely.
"""

from __future__ import annotations

from typing import Any

from dynaflow.engine import errors, ttl
from dynaflow.engine.catalog import Catalog, table_from_description
from dynaflow.engine.state import Deferred, EngineState, Output
from dynaflow.engine.writer import WriteContext


def check(current: str | None, enabled: bool, name: str) -> None:
    """DynamoDB's checks of a TTL change against the table's current TTL attribute."""
    if current is not None and current != name:
        raise errors.validation(
            f"TimeToLive is active on a different AttributeName: current AttributeName is {current}"
        )
    if enabled and current is not None:
        raise errors.validation("TimeToLive is already enabled")
    if not enabled and current is None:
        raise errors.validation("TimeToLive is already disabled")


def run(state: EngineState, request: dict[str, Any], out: Output) -> Deferred:
    table_name = request["TableName"]
    spec = request["TimeToLiveSpecification"]
    enabled = bool(spec["Enabled"])
    name: str = spec["AttributeName"]
    table = state.catalog.get(table_name)
    check(ttl.attribute(table.description), enabled, name)

    def apply(ctx: WriteContext) -> dict[str, Any]:
        live = state.catalog.tables.get(table_name)
        if live is None:
            raise errors.table_not_found(table_name)
        check(ttl.attribute(live.description), enabled, name)
        # The stored description, not the cached one: background jobs (index backfills) may have
        # stored fields the cached Table does not show yet.
        description = Catalog.stored(ctx.txn, ctx.env.meta, table_name) or dict(live.description)
        if enabled:
            description[ttl.FIELD] = {"AttributeName": name, "Enabled": True}
        else:
            description.pop(ttl.FIELD, None)
        Catalog.store(ctx.txn, ctx.env.meta, description)
        updated = table_from_description(description)
        ctx.after_commit.append(lambda: state.catalog.tables.__setitem__(table_name, updated))
        if enabled:
            table_id = live.table_id
            ctx.after_commit.append(lambda: ttl.start_backfill(state, table_name, table_id, name))
        return {"TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": name}}

    return Deferred(apply)
