"""Onboarding: validate a write rule, provision its table, register the rule.

``onboard(client, rule)`` runs these steps, stopping at the first failure with a message that says
what to fix (nothing is registered unless every step succeeded):

1. the rule is already validated (:func:`~dynaflow.pipelines.rules.load_rule` lists every mistake);
2. the table: if absent, CreateTable with the rule's keys, billing mode and a stream
   (StreamSpecification, on by default), then wait until ACTIVE; if present, its key schema must
   match the rule's key attributes and types;
3. TTL: DescribeTimeToLive, then UpdateTimeToLive on the rule's TTL attribute if it is not enabled
   yet. An endpoint without TTL support fails onboarding — a rule that promises expiry is never
   registered against a table that will not expire anything;
4. register the rule (a new version if it changed) in the registry table.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from dynaflow.dynamo.client import DynamoClient
from dynaflow.engine.errors import DynamoError
from dynaflow.pipelines.registry import RuleRegistry
from dynaflow.pipelines.rules import WriteRule

__all__ = ["OnboardError", "OnboardResult", "onboard"]


class OnboardError(RuntimeError):
    """Onboarding could not complete; the rule was not registered."""


@dataclass
class OnboardResult:
    rule: WriteRule
    table_created: bool
    ttl_enabled: bool
    new_version: bool
    notes: list[str] = field(default_factory=list)


def _create_request(rule: WriteRule) -> dict[str, Any]:
    schema = [{"AttributeName": rule.partition_key.attribute, "KeyType": "HASH"}]
    attributes = [{"AttributeName": rule.partition_key.attribute, "AttributeType": rule.partition_key.type}]
    if rule.sort_key:
        schema.append({"AttributeName": rule.sort_key.attribute, "KeyType": "RANGE"})
        attributes.append({"AttributeName": rule.sort_key.attribute, "AttributeType": rule.sort_key.type})
    request: dict[str, Any] = {"TableName": rule.table, "KeySchema": schema, "AttributeDefinitions": attributes,
                               "BillingMode": rule.billing.mode}
    if rule.billing.mode == "PROVISIONED":
        request["ProvisionedThroughput"] = {"ReadCapacityUnits": rule.billing.read_capacity,
                                            "WriteCapacityUnits": rule.billing.write_capacity}
    if rule.stream.enabled:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": rule.stream.view_type}
    return request


def _check_schema(rule: WriteRule, table: dict[str, Any]) -> None:
    types = {a["AttributeName"]: a["AttributeType"] for a in table.get("AttributeDefinitions", [])}
    actual = {k["KeyType"]: k["AttributeName"] for k in table.get("KeySchema", [])}
    wanted = {"HASH": rule.partition_key}
    if rule.sort_key:
        wanted["RANGE"] = rule.sort_key
    problems = []
    for role, mapping in wanted.items():
        name = actual.get(role)
        label = "partition key" if role == "HASH" else "sort key"
        if name != mapping.attribute:
            problems.append(f"the table's {label} is {name!r}, the rule's is {mapping.attribute!r}")
        elif types.get(name) != mapping.type:
            problems.append(f"the table's {label} {name!r} has type {types.get(name)}, the rule says {mapping.type}")
    if "RANGE" in actual and "RANGE" not in wanted:
        problems.append(f"the table has sort key {actual['RANGE']!r}; the rule declares no sort_key")
    if problems:
        raise OnboardError(f"table {rule.table} exists with a different key schema: " + "; ".join(problems))


async def _wait_active(client: DynamoClient, table: str, timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        description: dict[str, Any] = (await client.call("DescribeTable", {"TableName": table}))["Table"]
        if description.get("TableStatus") == "ACTIVE":
            return description
        if time.monotonic() > deadline:
            raise OnboardError(f"table {table} is {description.get('TableStatus')} after {timeout_s:.0f}s")
        await asyncio.sleep(0.25)


async def _enable_ttl(client: DynamoClient, rule: WriteRule) -> bool:
    assert rule.ttl is not None
    attribute = rule.ttl.attribute
    try:
        described = await client.call("DescribeTimeToLive", {"TableName": rule.table})
        current = described.get("TimeToLiveDescription", {})
        status = current.get("TimeToLiveStatus")
        if status in ("ENABLED", "ENABLING"):
            if current.get("AttributeName") != attribute:
                raise OnboardError(f"table {rule.table} expires items on attribute {current.get('AttributeName')!r}; "
                                   f"the rule writes its TTL to {attribute!r}")
            return False
        await client.call("UpdateTimeToLive", {
            "TableName": rule.table, "TimeToLiveSpecification": {"Enabled": True, "AttributeName": attribute}})
        return True
    except DynamoError as exc:
        if exc.type == "UnknownOperationException":
            raise OnboardError(f"the endpoint does not support TTL ({exc.type}); the rule needs it to expire "
                               f"items of {rule.table}: not registered") from None
        raise OnboardError(f"could not enable TTL on {rule.table}: {exc.type}: {exc.message}") from None


async def onboard(client: DynamoClient, rule: WriteRule, *, registry: RuleRegistry | None = None,
                  timeout_s: float = 120.0) -> OnboardResult:
    """Provision ``rule``'s table and register the rule (see the module docstring)."""
    registry = registry or RuleRegistry(client)
    created = False
    notes: list[str] = []
    try:
        description = (await client.call("DescribeTable", {"TableName": rule.table}))["Table"]
    except DynamoError as exc:
        if exc.type != "ResourceNotFoundException":
            raise OnboardError(f"cannot describe table {rule.table}: {exc.type}: {exc.message}") from None
        try:
            await client.call("CreateTable", _create_request(rule))
            created = True
        except DynamoError as again:
            if again.type != "ResourceInUseException":
                raise OnboardError(f"cannot create table {rule.table}: {again.type}: {again.message}") from None
        description = await _wait_active(client, rule.table, timeout_s)
    else:
        _check_schema(rule, description)
        if description.get("TableStatus") != "ACTIVE":
            description = await _wait_active(client, rule.table, timeout_s)
        if rule.stream.enabled and not description.get("StreamSpecification", {}).get("StreamEnabled"):
            notes.append(f"table {rule.table} already exists without a stream; left as it is")
    if created and rule.stream.enabled and not description.get("StreamSpecification", {}).get("StreamEnabled"):
        await client.call("DeleteTable", {"TableName": rule.table})  # leave nothing half-provisioned
        raise OnboardError(f"the endpoint created table {rule.table} without the stream the rule asks for "
                           f"(streams unsupported?); the table was removed and the rule not registered. "
                           f"Set stream: {{enabled: false}} to onboard without a stream")
    ttl_enabled = await _enable_ttl(client, rule) if rule.ttl else False
    registered, new = await registry.register(rule)
    return OnboardResult(registered, created, ttl_enabled, new, notes)
