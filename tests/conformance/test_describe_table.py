"""DescribeTable: the description's fields and the missing-table error."""

from __future__ import annotations

import pytest

from support import assert_dynamo_error, unique


def test_description_has_the_documented_fields(dynamodb, tables):
    # Why: tools read these fields (status, ARN, key schema, counts, billing) from every description.
    table = dynamodb.describe_table(TableName=tables.range_n)["Table"]
    for field in ("TableName", "TableArn", "TableStatus", "KeySchema", "AttributeDefinitions",
                  "CreationDateTime", "ItemCount", "TableSizeBytes", "ProvisionedThroughput",
                  "BillingModeSummary"):
        assert field in table, field
    assert table["TableName"] == tables.range_n
    assert table["TableStatus"] == "ACTIVE"
    assert table["TableArn"].startswith("arn:aws:dynamodb:")
    assert table["KeySchema"][1] == {"AttributeName": "sk", "KeyType": "RANGE"}


def test_description_of_missing_table_is_resource_not_found(dynamodb):
    # Why: every table-level call on an unknown table answers ResourceNotFoundException.
    assert_dynamo_error(lambda: dynamodb.describe_table(TableName=unique("missing")),
                        "ResourceNotFoundException")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local says 'Cannot do operations on a non-existent table'")
def test_missing_table_message_names_the_table(dynamodb):
    # Why: AWS's message for DescribeTable names the table that was not found.
    name = unique("missing")
    assert_dynamo_error(lambda: dynamodb.describe_table(TableName=name), "ResourceNotFoundException",
                        "Requested resource not found", f"Table: {name} not found")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local checks the name pattern with its own message")
def test_invalid_table_name_is_validated_before_lookup(dynamodb):
    # Why: shape validation of TableName comes before the table lookup.
    assert_dynamo_error(lambda: dynamodb.describe_table(TableName="a!"), "ValidationException",
                        "at 'tableName' failed to satisfy constraint")


def test_item_count_is_a_number(dynamodb, tables):
    # Why: ItemCount and TableSizeBytes are approximate (refreshed every ~6 hours on AWS) but always integers.
    table = dynamodb.describe_table(TableName=tables.hash_s)["Table"]
    assert isinstance(table["ItemCount"], int)
    assert isinstance(table["TableSizeBytes"], int)
