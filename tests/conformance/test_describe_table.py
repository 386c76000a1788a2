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


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local takes no table ARN in TransactWriteItems")
def test_a_table_arn_works_wherever_a_table_name_does(dynamodb, table_factory):
    # Why: DynamoDB takes a table's ARN in place of its name, in single-item, query, batch and
    # transaction requests alike.
    name = table_factory()
    arn = dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
    assert dynamodb.describe_table(TableName=arn)["Table"]["TableName"] == name
    key = {"pk": {"S": "a"}}
    dynamodb.put_item(TableName=arn, Item={**key, "v": {"N": "1"}})
    assert dynamodb.get_item(TableName=arn, Key=key)["Item"]["v"] == {"N": "1"}
    assert dynamodb.query(TableName=arn, KeyConditionExpression="pk = :p",
                          ExpressionAttributeValues={":p": {"S": "a"}})["Count"] == 1
    dynamodb.batch_write_item(RequestItems={arn: [{"PutRequest": {"Item": {"pk": {"S": "b"}}}}]})
    dynamodb.transact_write_items(TransactItems=[{"Put": {"TableName": arn, "Item": {"pk": {"S": "c"}}}}])
    assert dynamodb.scan(TableName=name)["Count"] == 3


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers UnknownOperationException")
def test_continuous_backups_are_disabled(dynamodb, table_factory):
    # Why: a table that never enabled them reports continuous backups and point-in-time recovery
    # DISABLED, by name or ARN (as recorded by test suites run against AWS: ScyllaDB's Alternator tests).
    name = table_factory()
    arn = dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
    expected = {"ContinuousBackupsStatus": "DISABLED",
                "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"}}
    assert dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"] == expected
    assert dynamodb.describe_continuous_backups(TableName=arn)["ContinuousBackupsDescription"] == expected


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers UnknownOperationException")
def test_continuous_backups_of_a_missing_table(dynamodb):
    # Why: this operation answers TableNotFoundException, not ResourceNotFoundException.
    assert_dynamo_error(lambda: dynamodb.describe_continuous_backups(TableName="no_such_table_here"),
                        "TableNotFoundException")
