"""CreateTable: validate the key schema and billing, then store the description.

Semantic checks run after the shape check, in DynamoDB's order: key schema, attribute
definitions, billing mode and throughput, and last whether the table already exists.
The response says CREATING, as DynamoDB's does; the table is usable at once (it is ACTIVE by the
time anyone can describe it), which every waiter and SDK accepts.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from dynaflow.engine import errors, indexes, streams, table_options
from dynaflow.engine.catalog import Catalog, table_from_description
from dynaflow.engine.ops.tag_resource import MAX_TAGS, check_tags, too_many
from dynaflow.engine.state import Deferred, EngineState, Output
from dynaflow.engine.writer import WriteContext


def validate_key_schema(key_schema: list[dict[str, Any]], definitions: list[dict[str, Any]], *,
                        has_indexes: bool = False) -> None:
    if key_schema[0].get("KeyType") != "HASH":
        raise errors.validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    if len(key_schema) > 1:
        if key_schema[1].get("KeyType") != "RANGE":
            raise errors.validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
        if key_schema[0]["AttributeName"] == key_schema[1]["AttributeName"]:
            raise errors.validation(
                "Both the Hash Key and the Range Key element in the KeySchema have the same name"
            )
    defined = [d["AttributeName"] for d in definitions]
    duplicated = next((name for i, name in enumerate(defined) if name in defined[:i]), None)
    if duplicated is not None:
        raise errors.validation(f"Attribute Name is duplicated: {duplicated}")
    key_names = [k["AttributeName"] for k in key_schema]
    missing = [n for n in key_names if n not in defined]
    if missing:
        raise errors.invalid_parameters(
            "Some index key attributes are not defined in AttributeDefinitions. "
            f"Keys: [{', '.join(key_names)}], AttributeDefinitions: [{', '.join(defined)}]"
        )
    if len(defined) != len(key_names) and not has_indexes:  # else indexes.validate_create checks
        raise errors.invalid_parameters(
            "Number of attributes in KeySchema does not exactly match number of attributes defined "
            "in AttributeDefinitions"
        )


#: The most capacity units a ProvisionedThroughput may name (beyond the account's quotas, which
#: DynamoDB checks later and dynaflow reports in DescribeLimits but does not enforce).
MAX_CAPACITY_UNITS: Final = 1_000_000_000_000


def check_capacity_bounds(throughput: dict[str, Any] | None) -> None:
    """DynamoDB's bound on the units themselves, checked right after the request's shape."""
    if throughput is None:
        return
    for name in ("ReadCapacityUnits", "WriteCapacityUnits"):
        units = throughput.get(name)
        if isinstance(units, int) and units > MAX_CAPACITY_UNITS:
            raise errors.validation(f"Given value {units} for {name} is out of bounds")


def throughput_for(request: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Billing mode and the ProvisionedThroughput block DynamoDB reports for it."""
    mode = request.get("BillingMode") or "PROVISIONED"
    given = request.get("ProvisionedThroughput")
    if mode == "PAY_PER_REQUEST":
        if given is not None:
            raise errors.invalid_parameters(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is "
                "PAY_PER_REQUEST"
            )
        return mode, {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0}
    if given is None:
        raise errors.validation("No provisioned throughput specified for the table")
    return mode, {
        "NumberOfDecreasesToday": 0,
        "ReadCapacityUnits": int(given["ReadCapacityUnits"]),
        "WriteCapacityUnits": int(given["WriteCapacityUnits"]),
    }


def run(state: EngineState, request: dict[str, Any], out: Output) -> Deferred:
    name = request["TableName"]
    key_schema = request["KeySchema"]
    definitions = request["AttributeDefinitions"]
    has_indexes = request.get("GlobalSecondaryIndexes") is not None or request.get("LocalSecondaryIndexes") is not None
    check_capacity_bounds(request.get("ProvisionedThroughput"))
    validate_key_schema(key_schema, definitions, has_indexes=has_indexes)
    mode, throughput = throughput_for(request)
    index_fields = indexes.validate_create(request, mode, state.table_arn(name))
    stream_view = streams.check_specification(request.get("StreamSpecification"), creating=True)
    table_class = request.get("TableClass")
    class_summary = table_options.table_class_summary(table_class, None) if table_class is not None else None
    warm = request.get("WarmThroughput")
    warm_units = table_options.warm_throughput(warm, None) if warm is not None else None
    tags = request.get("Tags") or []
    if tags:  # the rules TagResource applies, so a table can never hold tags it would refuse
        tags = check_tags(tags)
        if len(tags) > MAX_TAGS:
            raise too_many()
    now = state.clock()
    description: dict[str, Any] = {
        "AttributeDefinitions": [
            {"AttributeName": d["AttributeName"], "AttributeType": d["AttributeType"]} for d in definitions
        ],
        "TableName": name,
        "KeySchema": [{"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in key_schema],
        "TableStatus": "ACTIVE",
        "CreationDateTime": now,
        "ProvisionedThroughput": throughput,
        "TableArn": state.table_arn(name),
        "TableId": str(uuid.uuid4()),
        "DeletionProtectionEnabled": bool(request.get("DeletionProtectionEnabled", False)),
        "_Tags": tags,
    }
    description.update(index_fields)
    if class_summary is not None:
        description["TableClassSummary"] = class_summary
    if warm_units is not None:
        description["WarmThroughput"] = warm_units
    if request.get("OnDemandThroughput") is not None:
        description["OnDemandThroughput"] = table_options.on_demand_throughput(request["OnDemandThroughput"], None)
    if mode == "PAY_PER_REQUEST":
        description["BillingModeSummary"] = {
            "BillingMode": mode, "LastUpdateToPayPerRequestDateTime": now,
        }
    elif "BillingMode" in request:
        description["BillingModeSummary"] = {"BillingMode": mode}

    def apply(ctx: WriteContext) -> dict[str, Any]:
        if name in state.catalog.tables or Catalog.exists(ctx.txn, ctx.env.meta, name):
            raise errors.resource_in_use(f"Table already exists: {name}")
        description["_Id"] = Catalog.allocate_id(ctx.txn, ctx.env.meta)
        if stream_view is not None:
            streams.create_stream(state, ctx, description, stream_view, now)
        Catalog.store(ctx.txn, ctx.env.meta, description)
        table = table_from_description(description)
        ctx.after_commit.append(lambda: state.catalog.tables.__setitem__(name, table))
        public = {k: v for k, v in description.items() if not k.startswith("_")}
        public.update(TableStatus="CREATING", ItemCount=0, TableSizeBytes=0)
        if table.indexes:
            indexes.with_indexes(public, table, ctx.txn, ctx.env.meta)
            for gsi in public.get("GlobalSecondaryIndexes", ()):
                gsi["IndexStatus"] = "CREATING"
        return {"TableDescription": public}

    return Deferred(apply)
