"""DeleteTable: the response, the table's disappearance and the missing-table error."""

from __future__ import annotations

import pytest

from support import assert_dynamo_error, unique
from support.tables import create_table, table_name, wait_deleted


def test_delete_returns_the_table_description(dynamodb):
    # Why: DeleteTable answers with the description of the table being deleted.
    name = table_name()
    create_table(dynamodb, name, "S", "N")
    desc = dynamodb.delete_table(TableName=name)["TableDescription"]
    assert desc["TableName"] == name
    assert desc["TableStatus"] in ("DELETING", "ACTIVE")
    assert desc["TableArn"].endswith(f":table/{name}")
    assert desc["ProvisionedThroughput"]["NumberOfDecreasesToday"] == 0
    assert "ItemCount" in desc and "TableSizeBytes" in desc


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local returns DescribeTable's whole description")
def test_delete_description_leaves_out_the_schema(dynamodb):
    # Why: unlike DescribeTable, DeleteTable's description has no creation time, key schema,
    # attribute definitions or index descriptions (AWS's behavior, as recorded by test suites run
    # against it: ScyllaDB's Alternator tests, issue 11472).
    name = table_name()
    dynamodb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "x")],
        GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": [{"AttributeName": "x", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        LocalSecondaryIndexes=[{"IndexName": "lsi", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                {"AttributeName": "x", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "ALL"}}])
    described = dynamodb.describe_table(TableName=name)["Table"]
    deleted = dynamodb.delete_table(TableName=name)["TableDescription"]
    for field in ("CreationDateTime", "KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes",
                  "LocalSecondaryIndexes"):
        assert field in described
        assert field not in deleted
    assert deleted["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_deleted_table_is_gone(dynamodb):
    # Why: after deletion the table is no longer described, listed or writable.
    name = table_name()
    create_table(dynamodb, name)
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "a"}})
    dynamodb.delete_table(TableName=name)
    wait_deleted(dynamodb, name)
    assert name not in dynamodb.list_tables(ExclusiveStartTableName=name[:-1])["TableNames"]
    assert_dynamo_error(lambda: dynamodb.get_item(TableName=name, Key={"pk": {"S": "a"}}),
                        "ResourceNotFoundException")


def test_table_name_can_be_reused_after_delete(dynamodb):
    # Why: a deleted table's name is free again, and the new table starts empty.
    name = table_name()
    create_table(dynamodb, name)
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "a"}})
    dynamodb.delete_table(TableName=name)
    wait_deleted(dynamodb, name)
    create_table(dynamodb, name)
    try:
        assert "Item" not in dynamodb.get_item(TableName=name, Key={"pk": {"S": "a"}})
    finally:
        dynamodb.delete_table(TableName=name)


def test_delete_missing_table_is_resource_not_found(dynamodb):
    # Why: deleting an unknown table is an error, not a silent no-op.
    assert_dynamo_error(lambda: dynamodb.delete_table(TableName=unique("missing")),
                        "ResourceNotFoundException")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local says 'Cannot do operations on a non-existent table'")
def test_delete_missing_table_message(dynamodb):
    # Why: AWS's message names the table.
    name = unique("missing")
    assert_dynamo_error(lambda: dynamodb.delete_table(TableName=name), "ResourceNotFoundException",
                        "Requested resource not found", name)
