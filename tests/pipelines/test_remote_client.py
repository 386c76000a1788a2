"""The remote client against real endpoints: DynamoDB Local and dynaflow's own wire server.

The same pipeline code (onboarding, the table sink) runs through it unchanged.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from dynaflow.dynamo.client import DynamoClient
from dynaflow.dynamo.remote import RemoteClient, connect_remote
from dynaflow.engine.errors import DynamoError
from dynaflow.pipelines.model import Put, Record
from dynaflow.pipelines.onboarding import onboard
from dynaflow.pipelines.registry import RuleRegistry
from dynaflow.pipelines.rules import parse_rule
from dynaflow.pipelines.sinks.table import TableSink
from support.peers import free_port

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(params=["dynamodb-local", "wire"])
async def remote(request: pytest.FixtureRequest) -> AsyncIterator[RemoteClient]:
    fixture = "dynamodb_local_endpoint" if request.param == "dynamodb-local" else "wire_endpoint"
    endpoint = request.getfixturevalue(fixture)
    client = await connect_remote(endpoint, access_key_id="AKIDEXAMPLE", secret_access_key="secret")
    yield client
    await client.close()


async def table(client: RemoteClient) -> str:
    name = f"remote-{uuid.uuid4().hex[:10]}"
    await client.call("CreateTable", {
        "TableName": name, "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"})
    return name


# Why: the remote client implements the one client interface with boto3 shapes (binary as bytes).
async def test_remote_client_speaks_the_client_interface(remote: RemoteClient) -> None:
    assert isinstance(remote, DynamoClient)
    name = await table(remote)
    await remote.call("PutItem", {"TableName": name, "Item": {"pk": {"S": "a"}, "b": {"B": b"\x00\xff"}}})
    got = await remote.get_item(TableName=name, Key={"pk": {"S": "a"}}, ConsistentRead=True)
    assert got == {"Item": {"pk": {"S": "a"}, "b": {"B": b"\x00\xff"}}}


# Why: callers see one error type: ClientError becomes DynamoError with type, message, status and extras.
async def test_client_errors_become_dynamo_errors(remote: RemoteClient) -> None:
    with pytest.raises(DynamoError) as missing:
        await remote.call("GetItem", {"TableName": "no-such-table", "Key": {"pk": {"S": "a"}}})
    assert missing.value.type == "ResourceNotFoundException" and missing.value.status == 400
    name = await table(remote)
    await remote.call("PutItem", {"TableName": name, "Item": {"pk": {"S": "a"}, "v": {"N": "1"}}})
    with pytest.raises(DynamoError) as failed:
        await remote.call("PutItem", {"TableName": name, "Item": {"pk": {"S": "a"}},
                                      "ConditionExpression": "attribute_not_exists(pk)",
                                      "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})
    assert failed.value.type == "ConditionalCheckFailedException"
    assert failed.value.extra.get("Item") == {"pk": {"S": "a"}, "v": {"N": "1"}}
    with pytest.raises(DynamoError) as invalid:  # no client-side validation: the server judges
        await remote.call("PutItem", {"TableName": name, "Item": {}})
    assert invalid.value.type == "ValidationException"


# Why: an unreachable endpoint is a transient ServiceUnavailable DynamoError, not a botocore exception.
async def test_unreachable_endpoint_is_service_unavailable() -> None:
    client = await connect_remote(f"http://127.0.0.1:{free_port()}", access_key_id="a", secret_access_key="b",
                                  timeout_s=2)
    try:
        with pytest.raises(DynamoError) as info:
            await client.call("ListTables", {})
        assert info.value.type == "ServiceUnavailable" and info.value.status == 503
    finally:
        await client.close()


# Why: onboarding and the table sink run unchanged against a remote endpoint.
async def test_onboarding_and_sink_run_unchanged_remotely(remote: RemoteClient) -> None:
    name = f"remote-{uuid.uuid4().hex[:10]}"
    rule = parse_rule({"name": "remote", "topics": ["t"], "table": name, "stream": {"enabled": False},
                       "partition_key": {"attribute": "pk", "from": "id"}, "ttl": {"after": "1d"}})
    registry = RuleRegistry(remote, f"_dynaflow_rules_{uuid.uuid4().hex[:8]}")  # no rules leak to other tests
    result = await onboard(remote, rule, registry=registry)
    assert result.table_created and result.ttl_enabled
    compiled = result.rule.compile()
    mutations: list[Any] = [compiled.apply(Record("t", 0, i, None, b'{"id": "k%d", "v": %d}' % (i % 30, i)))
                            for i in range(60)]
    outcome = await TableSink(remote).write([m for m in mutations if isinstance(m, Put)])
    assert outcome.written == 30 and outcome.superseded == 30 and not outcome.failed
    scan = await remote.call("Scan", {"TableName": name, "ConsistentRead": True})
    assert sorted(int(i["v"]["N"]) for i in scan["Items"]) == list(range(30, 60))
