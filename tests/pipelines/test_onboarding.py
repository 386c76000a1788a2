"""Onboarding: table provisioning, TTL, versioned registration."""

from __future__ import annotations

from typing import Any

import pytest
from pipeline_support import FaultyClient, make_table

from dynaflow.engine.errors import DynamoError
from dynaflow.pipelines.onboarding import OnboardError, onboard
from dynaflow.pipelines.registry import RuleRegistry
from dynaflow.pipelines.rules import parse_rule

RULE: dict[str, Any] = {
    "name": "orders", "topics": ["orders"], "table": "Orders",
    "partition_key": {"attribute": "pk", "from": "id"},
    "sort_key": {"attribute": "sk", "type": "N", "from": "seq"},
    "ttl": {"attribute": "exp", "after": "7d"},
    "billing": {"mode": "PROVISIONED", "read_capacity": 5, "write_capacity": 7},
    "stream": {"enabled": False},
}


# Why: onboarding creates the table with the rule's keys and billing, enables TTL and registers v1.
async def test_onboard_creates_table_enables_ttl_and_registers(client: Any) -> None:
    result = await onboard(client, parse_rule(RULE))
    assert result.table_created and result.ttl_enabled and result.new_version and result.rule.version == 1
    table = (await client.call("DescribeTable", {"TableName": "Orders"}))["Table"]
    assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                                  {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]} == {"pk": "S", "sk": "N"}
    assert table["ProvisionedThroughput"]["WriteCapacityUnits"] == 7
    ttl = await client.call("DescribeTimeToLive", {"TableName": "Orders"})
    assert ttl["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}
    assert [r.name for r in await RuleRegistry(client).all_latest()] == ["orders"]


# Why: rules are versioned — the same rule again is a no-op, a change is version 2, and both are kept.
async def test_rule_versions(client: Any) -> None:
    await onboard(client, parse_rule(RULE))
    again = await onboard(client, parse_rule(RULE))
    assert not again.new_version and again.rule.version == 1 and not again.table_created
    changed = await onboard(client, parse_rule({**RULE, "drop": ["debug"]}))
    assert changed.new_version and changed.rule.version == 2
    latest = await RuleRegistry(client).latest("orders")
    assert latest is not None and latest.version == 2 and latest.drop == ["debug"]
    scan = await client.call("Scan", {"TableName": "_dynaflow_rules"})
    assert scan["Count"] == 2


# Why: an existing table whose keys differ from the rule is an error naming the difference.
async def test_existing_table_with_other_keys_is_rejected(client: Any) -> None:
    await make_table(client, "Orders")
    with pytest.raises(OnboardError, match=r"the table's sort key is None, the rule's is 'sk'"):
        await onboard(client, parse_rule(RULE))
    assert await RuleRegistry(client).all_latest() == []


# Why: an endpoint without UpdateTimeToLive must fail onboarding, never register a rule that cannot expire.
async def test_endpoint_without_ttl_fails_onboarding(faulty: FaultyClient) -> None:
    faulty.inject = lambda op, r: DynamoError("UnknownOperationException", "") \
        if op in ("DescribeTimeToLive", "UpdateTimeToLive") else None
    with pytest.raises(OnboardError, match="does not support TTL"):
        await onboard(faulty, parse_rule(RULE))
    assert await RuleRegistry(faulty.inner).all_latest() == []


# Why: streams are on by default; where the endpoint creates no stream, onboarding says so and cleans up.
async def test_streams_are_requested_by_default(faulty: FaultyClient) -> None:
    rule = parse_rule({**RULE, "stream": {}})
    try:
        result = await onboard(faulty, rule)
    except OnboardError as exc:
        assert "without the stream" in str(exc)
        tables = (await faulty.inner.call("ListTables", {}))["TableNames"]
        assert "Orders" not in tables
    else:
        table = (await faulty.inner.call("DescribeTable", {"TableName": "Orders"}))["Table"]
        assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        assert result.table_created
    create = next(r for op, r in faulty.calls if op == "CreateTable")
    assert create["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
