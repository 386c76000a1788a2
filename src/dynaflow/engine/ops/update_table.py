"""UpdateTable: billing mode, provisioned throughput and deletion protection."""

from __future__ import annotations

import copy
from functools import partial
from typing import Any

from dynaflow.engine import errors, indexes, streams, table_options
from dynaflow.engine.catalog import Catalog, table_from_description
from dynaflow.engine.ops.create_table import check_capacity_bounds
from dynaflow.engine.ops.describe_table import describe
from dynaflow.engine.state import Deferred, EngineState, Output
from dynaflow.engine.writer import WriteContext

_UPDATABLE = (
    "ProvisionedThroughput", "BillingMode", "DeletionProtectionEnabled", "StreamSpecification",
    "GlobalSecondaryIndexUpdates", "SSESpecification", "ReplicaUpdates", "TableClass", "WarmThroughput",
    "OnDemandThroughput",
)


def run(state: EngineState, request: dict[str, Any], out: Output) -> Deferred:
    name = request["TableName"]
    table = state.catalog.get(name)
    if not any(k in request for k in _UPDATABLE):
        raise errors.validation(
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
            "GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required"
        )
    for update in request.get("ReplicaUpdates") or ():
        replica = next(iter(update.values()), None) if isinstance(update, dict) and update else None
        if isinstance(replica, dict) and replica.get("RegionName") == state.settings.region:
            raise errors.validation("Cannot add or delete the local region through ReplicaUpdates. Use CreateTable, "
                                    "DeleteTable, or UpdateTable as required.")
        raise errors.validation("ReplicaUpdates are not supported by this dynaflow version")
    description = copy.deepcopy(table.description)
    now = state.clock()
    current_mode = description.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    mode = request.get("BillingMode") or current_mode
    throughput = request.get("ProvisionedThroughput")
    if mode == "PAY_PER_REQUEST":
        if throughput is not None:
            raise errors.invalid_parameters(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is "
                "PAY_PER_REQUEST"
            )
        if current_mode != mode:
            description["BillingModeSummary"] = {
                "BillingMode": mode, "LastUpdateToPayPerRequestDateTime": now,
            }
            _zero_capacity(description["ProvisionedThroughput"], now)
    else:
        if throughput is None and (current_mode == "PAY_PER_REQUEST" or request.get("BillingMode") is not None):
            # Also for a table already provisioned, as AWS answers (recorded by dynalite's suite).
            raise errors.invalid_parameters("ProvisionedThroughput must be specified when BillingMode is PROVISIONED")
        check_capacity_bounds(throughput)
        if throughput is not None:
            old = description["ProvisionedThroughput"]
            read, write = int(throughput["ReadCapacityUnits"]), int(throughput["WriteCapacityUnits"])
            if current_mode == mode and (read, write) == (old["ReadCapacityUnits"], old["WriteCapacityUnits"]):
                raise errors.validation(
                    "The provisioned throughput for the table will not change. The requested value equals "
                    f"the current value. Current ReadCapacityUnits provisioned for the table: {read}. "
                    f"Requested ReadCapacityUnits: {read}. Current WriteCapacityUnits provisioned for the "
                    f"table: {write}. Requested WriteCapacityUnits: {write}. Refer to the Amazon DynamoDB "
                    "Developer Guide for current limits and how to request higher limits."
                )
            if read > old["ReadCapacityUnits"] or write > old["WriteCapacityUnits"]:
                old["LastIncreaseDateTime"] = now
            if read < old["ReadCapacityUnits"] or write < old["WriteCapacityUnits"]:
                _note_decrease(old, now)
            old.update(ReadCapacityUnits=read, WriteCapacityUnits=write)
        if current_mode != mode:  # the time PAY_PER_REQUEST was last set stays on record
            summary = description.get("BillingModeSummary", {})
            description["BillingModeSummary"] = {"BillingMode": mode, **{
                k: v for k, v in summary.items() if k == "LastUpdateToPayPerRequestDateTime"}}
    if "DeletionProtectionEnabled" in request:
        description["DeletionProtectionEnabled"] = bool(request["DeletionProtectionEnabled"])
    if request.get("TableClass") is not None:
        description["TableClassSummary"] = table_options.table_class_summary(request["TableClass"], now)
    if request.get("OnDemandThroughput") is not None:
        description["OnDemandThroughput"] = table_options.on_demand_throughput(
            request["OnDemandThroughput"], description.get("OnDemandThroughput"))
    if request.get("WarmThroughput") is not None:
        description["WarmThroughput"] = table_options.warm_throughput(
            request["WarmThroughput"], table_options.described_warm_throughput(description))

    gsi_actions = indexes.validate_updates(table, request, mode)
    if current_mode == "PAY_PER_REQUEST" and mode == "PROVISIONED":
        # Every live GSI needs its own capacity in the same request (measured against AWS).
        given = {spec["IndexName"] for action, spec in gsi_actions
                 if action == "Delete" or (action == "Update" and spec.get("ProvisionedThroughput"))}
        missing = [index.name for index in table.indexes
                   if index.is_global and index.state.status != "GONE" and index.name not in given]
        if missing:
            raise errors.invalid_parameters(f"ProvisionedThroughput must be specified for index: {','.join(missing)}")
    stream_spec = request.get("StreamSpecification")
    stream_view = streams.check_specification(stream_spec, creating=False, table_name=name,
                                              enabled_now=streams.FIELD in table.description)

    def apply(ctx: WriteContext) -> dict[str, Any]:
        current = state.catalog.tables.get(name)
        if current is None or current.table_id != table.table_id:
            raise errors.table_not_found(name)
        if current is not table:  # another update of this table committed since this one was read
            raise errors.resource_in_use(f"Attempt to change a resource which is still in use: Table is being "
                                         f"updated: {name}")
        indexes.sync_stored_indexes(ctx.txn, ctx.env.meta, description)
        if mode == "PAY_PER_REQUEST" and current_mode != mode:  # the GSIs go on demand with the table
            for index in description.get("GlobalSecondaryIndexes", ()):
                if "ProvisionedThroughput" in index:
                    _zero_capacity(index["ProvisionedThroughput"], now)
        work = indexes.apply_updates(description, gsi_actions, request.get("AttributeDefinitions"), mode,
                                     state.table_arn(name), now) if gsi_actions else []
        if stream_view is not None:
            streams.create_stream(state, ctx, description, stream_view, now)
        elif stream_spec is not None:  # disabling: the stream stays readable until trimmed
            streams.disable_stream(state, ctx, description, now)
        Catalog.store(ctx.txn, ctx.env.meta, description)
        updated = table_from_description(description)
        ctx.after_commit.append(lambda: state.catalog.tables.__setitem__(name, updated))
        for index_name, drop in work:  # after the swap: the background jobs look the index up
            ctx.after_commit.append(partial(indexes.start_background, state, name, table.table_id, index_name,
                                            drop=drop))
        public = describe(state, updated, ctx.txn)
        return {"TableDescription": public}

    return Deferred(apply)


def _note_decrease(block: dict[str, Any], now: float) -> None:
    block.update(LastDecreaseDateTime=now, NumberOfDecreasesToday=block.get("NumberOfDecreasesToday", 0) + 1)


def _zero_capacity(block: dict[str, Any], now: float) -> None:
    """A ProvisionedThroughput going on demand: zero units, a decrease as AWS reports it."""
    if block.get("ReadCapacityUnits") or block.get("WriteCapacityUnits"):
        _note_decrease(block, now)
    block.update(ReadCapacityUnits=0, WriteCapacityUnits=0)
