"""boto3 against a real in-process server on the embedded engine: open mode, keys, policies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from wire_support import boto3_client

KEY_SCHEMA = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
ATTRS = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}]


def make_table(client: Any, name: str = "things") -> None:
    client.create_table(TableName=name, KeySchema=KEY_SCHEMA, AttributeDefinitions=ATTRS,
                        BillingMode="PAY_PER_REQUEST")


def code(info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(info.value.response["Error"]["Code"])


@pytest.fixture
def open_server(server_factory: Any, engine_client_factory: Any) -> Any:
    return server_factory(engine_client_factory())


# The basic item lifecycle works through boto3 exactly as against DynamoDB (binary values included).
def test_item_lifecycle(open_server: Any) -> None:
    client = boto3_client(open_server.url)
    make_table(client)
    client.put_item(TableName="things", Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "b": {"B": b"\x00\xff"}})
    client.put_item(TableName="things", Item={"pk": {"S": "a"}, "sk": {"N": "2"}, "v": {"S": "x" * 3000}})
    item = client.get_item(TableName="things", Key={"pk": {"S": "a"}, "sk": {"N": "1"}})["Item"]
    assert item["b"] == {"B": b"\x00\xff"}
    query = client.query(TableName="things", KeyConditionExpression="pk = :p",
                         ExpressionAttributeValues={":p": {"S": "a"}})
    assert [i["sk"]["N"] for i in query["Items"]] == ["1", "2"]
    client.delete_item(TableName="things", Key={"pk": {"S": "a"}, "sk": {"N": "1"}})
    assert client.scan(TableName="things")["Count"] == 1


# Engine errors reach boto3 with DynamoDB's codes and messages.
def test_engine_errors_through_boto3(open_server: Any) -> None:
    client = boto3_client(open_server.url)
    with pytest.raises(ClientError) as info:
        client.get_item(TableName="missing", Key={"pk": {"S": "a"}})
    assert code(info) == "ResourceNotFoundException"
    make_table(client)
    with pytest.raises(ClientError) as info:
        client.put_item(TableName="things", Item={"pk": {"S": "a"}, "sk": {"N": "1"}},
                        ConditionExpression="attribute_exists(pk)")
    assert code(info) == "ConditionalCheckFailedException"


# Streams operations are dispatched on the streams target; until streams exist they are UnknownOperation, not 500.
def test_streams_target_dispatches(open_server: Any) -> None:
    import boto3
    from botocore.config import Config

    streams = boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1").client(
        "dynamodbstreams", endpoint_url=open_server.url,
        config=Config(parameter_validation=False, retries={"max_attempts": 0}))
    try:
        streams.list_streams()
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "UnknownOperationException"
        assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.fixture
def keyed_server(server_factory: Any, engine_client_factory: Any, tmp_path: Path) -> Any:
    keys = {"account_id": "123456789012", "keys": [
        {"access_key_id": "AKIDADMIN", "secret_access_key": "admin-secret", "user": "admin"},
        {"access_key_id": "AKIDALICE", "secret_access_key": "alice-secret", "user": "alice", "policy": {
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
                 "Resource": "arn:aws:dynamodb:*:123456789012:table/things",
                 "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["alice"]}}},
                {"Effect": "Deny", "Action": "dynamodb:DeleteTable", "Resource": "*"}]}}]}
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(keys))
    path.chmod(0o600)
    return server_factory(engine_client_factory(), keys_file=path)


# With keys configured, a correctly signed admin request works and a bad secret or unknown key does not.
def test_signed_requests(keyed_server: Any) -> None:
    admin = boto3_client(keyed_server.url, "AKIDADMIN", "admin-secret")
    make_table(admin)
    assert admin.list_tables()["TableNames"] == ["things"]
    with pytest.raises(ClientError) as info:
        boto3_client(keyed_server.url, "AKIDADMIN", "wrong").list_tables()
    assert code(info) == "InvalidSignatureException"
    with pytest.raises(ClientError) as info:
        boto3_client(keyed_server.url, "AKIDNOBODY", "x").list_tables()
    assert code(info) == "UnrecognizedClientException"


# A policy limits a key to its own partition, answering AccessDeniedException in AWS's words; nothing is written.
def test_policy_enforced(keyed_server: Any) -> None:
    admin = boto3_client(keyed_server.url, "AKIDADMIN", "admin-secret")
    make_table(admin)
    alice = boto3_client(keyed_server.url, "AKIDALICE", "alice-secret")
    alice.put_item(TableName="things", Item={"pk": {"S": "alice"}, "sk": {"N": "1"}})
    with pytest.raises(ClientError) as info:
        alice.put_item(TableName="things", Item={"pk": {"S": "bob"}, "sk": {"N": "1"}})
    assert code(info) == "AccessDeniedException"
    assert info.value.response["Error"]["Message"] == (
        "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: dynamodb:PutItem on resource: "
        "arn:aws:dynamodb:us-east-1:123456789012:table/things because no identity-based policy allows the "
        "dynamodb:PutItem action")
    with pytest.raises(ClientError) as info:
        alice.delete_table(TableName="things")
    assert "with an explicit deny in an identity-based policy" in info.value.response["Error"]["Message"]
    with pytest.raises(ClientError):
        alice.scan(TableName="things")
    items = admin.scan(TableName="things")["Items"]
    assert [i["pk"]["S"] for i in items] == ["alice"]


# A TTL delete's stream record names the service in the Streams API's Identity shape, which boto3
# parses by member name (PrincipalId, Type): lower-case keys would reach users as an empty dict.
def test_ttl_delete_identity_reaches_boto3(open_server: Any) -> None:
    import time

    import boto3
    from botocore.config import Config

    client = boto3_client(open_server.url)
    client.create_table(TableName="expiring", KeySchema=KEY_SCHEMA, AttributeDefinitions=ATTRS,
                        BillingMode="PAY_PER_REQUEST",
                        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    client.update_time_to_live(TableName="expiring", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    expired = {"N": str(int(time.time()) - 60)}
    client.put_item(TableName="expiring", Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "exp": expired})
    streams = boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1").client(
        "dynamodbstreams", endpoint_url=open_server.url, config=Config(retries={"max_attempts": 0}))
    arn = client.describe_table(TableName="expiring")["Table"]["LatestStreamArn"]
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterators = [streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                            ShardIteratorType="TRIM_HORIZON")["ShardIterator"] for shard in shards]
    removes: list[dict[str, Any]] = []
    deadline = time.monotonic() + 30
    while not removes and time.monotonic() < deadline:
        for i, iterator in enumerate(iterators):
            page = streams.get_records(ShardIterator=iterator)
            iterators[i] = page["NextShardIterator"]
            removes += [r for r in page["Records"] if r["eventName"] == "REMOVE"]
        if not removes:
            time.sleep(0.2)
    assert removes, "the item never expired"
    assert removes[0]["userIdentity"] == {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}


# DescribeEndpoints names the address the client reached the server at, so a client using endpoint
# discovery can call it.
def test_described_endpoint_is_usable(open_server: Any) -> None:
    client = boto3_client(open_server.url)
    (endpoint,) = client.describe_endpoints()["Endpoints"]
    assert endpoint["CachePeriodInMinutes"] == 1440
    assert boto3_client(f"http://{endpoint['Address']}").list_tables()["TableNames"] == []


# A failed condition that returns the old item spells its message "Message", as DynamoDB's body
# does then (moto's tests verified against AWS record it); without the item it is "message".
def test_condition_failure_with_item_capitalizes_message(open_server: Any) -> None:
    import json as _json
    import urllib.request

    client = boto3_client(open_server.url)
    make_table(client)
    client.put_item(TableName="things", Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"S": "old"}})
    for returned, key in (("ALL_OLD", "Message"), ("NONE", "message")):
        body = _json.dumps({"TableName": "things", "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}},
                            "ConditionExpression": "attribute_not_exists(pk)",
                            "ReturnValuesOnConditionCheckFailure": returned}).encode()
        request = urllib.request.Request(open_server.url, data=body, method="POST", headers={
            "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.PutItem",
            "Authorization": "AWS4-HMAC-SHA256 Credential=a/20240101/us-east-1/dynamodb/aws4_request, "
                             "SignedHeaders=host, Signature=00", "X-Amz-Date": "20240101T000000Z"})
        try:
            urllib.request.urlopen(request)
        except urllib.error.HTTPError as exc:
            answer = _json.loads(exc.read())
        else:
            raise AssertionError("the condition should have failed")
        assert answer[key] == "The conditional request failed"
        assert ("Item" in answer) is (returned == "ALL_OLD")
