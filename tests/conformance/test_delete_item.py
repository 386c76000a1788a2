"""DeleteItem: deletion, idempotence, ReturnValues, conditions and key validation."""

from __future__ import annotations

import pytest

from support import assert_dynamo_error, unique


@pytest.fixture
def stored(dynamodb, tables):
    key = {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item={**key, "v": {"N": "1"}, "s": {"SS": ["x"]}})
    return key


def test_delete_removes_the_item(dynamodb, tables, stored):
    # Why: the basic contract: after DeleteItem the key reads as a miss.
    dynamodb.delete_item(TableName=tables.hash_s, Key=stored)
    assert "Item" not in dynamodb.get_item(TableName=tables.hash_s, Key=stored)


def test_delete_of_missing_item_succeeds(dynamodb, tables):
    # Why: DeleteItem is idempotent; deleting nothing is not an error.
    response = dynamodb.delete_item(TableName=tables.hash_s, Key={"pk": {"S": unique()}}, ReturnValues="ALL_OLD")
    assert "Attributes" not in response


def test_return_values_all_old_returns_deleted_item(dynamodb, tables, stored):
    # Why: ALL_OLD returns the item as it was before deletion.
    response = dynamodb.delete_item(TableName=tables.hash_s, Key=stored, ReturnValues="ALL_OLD")
    assert response["Attributes"] == {**stored, "v": {"N": "1"}, "s": {"SS": ["x"]}}


def test_return_values_none_returns_nothing(dynamodb, tables, stored):
    # Why: NONE (the default) returns no Attributes.
    assert "Attributes" not in dynamodb.delete_item(TableName=tables.hash_s, Key=stored, ReturnValues="NONE")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers 'Return values set to invalid value'")
@pytest.mark.parametrize("value", ["UPDATED_OLD", "UPDATED_NEW", "ALL_NEW"])
def test_update_only_return_values_are_rejected(dynamodb, tables, stored, value):
    # Why: DeleteItem accepts only NONE and ALL_OLD, and AWS says so.
    assert_dynamo_error(lambda: dynamodb.delete_item(TableName=tables.hash_s, Key=stored, ReturnValues=value),
                        "ValidationException", "ReturnValues can only be ALL_OLD or NONE")


@pytest.mark.parametrize("value", ["UPDATED_OLD", "UPDATED_NEW", "ALL_NEW"])
def test_rejected_return_values_delete_nothing(dynamodb, tables, stored, value):
    # Why: a rejected request must leave the item in place.
    assert_dynamo_error(lambda: dynamodb.delete_item(TableName=tables.hash_s, Key=stored, ReturnValues=value),
                        "ValidationException")
    assert "Item" in dynamodb.get_item(TableName=tables.hash_s, Key=stored)


def test_condition_met_deletes(dynamodb, tables, stored):
    # Why: a satisfied condition lets the delete happen.
    dynamodb.delete_item(TableName=tables.hash_s, Key=stored, ConditionExpression="v = :one",
                         ExpressionAttributeValues={":one": {"N": "1"}})
    assert "Item" not in dynamodb.get_item(TableName=tables.hash_s, Key=stored)


def test_condition_not_met_keeps_item(dynamodb, tables, stored):
    # Why: a failed condition raises ConditionalCheckFailedException and deletes nothing.
    assert_dynamo_error(lambda: dynamodb.delete_item(TableName=tables.hash_s, Key=stored,
                                                     ConditionExpression="v = :two",
                                                     ExpressionAttributeValues={":two": {"N": "2"}}),
                        "ConditionalCheckFailedException", "The conditional request failed")
    assert "Item" in dynamodb.get_item(TableName=tables.hash_s, Key=stored)


def test_condition_on_missing_item_fails(dynamodb, tables):
    # Why: attribute_exists on a missing item is false, so a guarded delete of nothing fails.
    assert_dynamo_error(lambda: dynamodb.delete_item(TableName=tables.hash_s, Key={"pk": {"S": unique()}},
                                                     ConditionExpression="attribute_exists(pk)"),
                        "ConditionalCheckFailedException")


def test_failed_condition_returns_item_when_asked(dynamodb, tables, stored):
    # Why: ReturnValuesOnConditionCheckFailure=ALL_OLD carries the current item in the error.
    response = assert_dynamo_error(
        lambda: dynamodb.delete_item(TableName=tables.hash_s, Key=stored, ConditionExpression="attribute_not_exists(v)",
                                     ReturnValuesOnConditionCheckFailure="ALL_OLD"),
        "ConditionalCheckFailedException")
    assert response["Item"] == {**stored, "v": {"N": "1"}, "s": {"SS": ["x"]}}


def test_failed_condition_without_return_values_has_no_item(dynamodb, tables, stored):
    # Why: without the option (or with NONE) the error carries no item.
    response = assert_dynamo_error(
        lambda: dynamodb.delete_item(TableName=tables.hash_s, Key=stored, ConditionExpression="attribute_not_exists(v)",
                                     ReturnValuesOnConditionCheckFailure="NONE"),
        "ConditionalCheckFailedException")
    assert "Item" not in response


def test_delete_on_composite_key_removes_only_that_item(dynamodb, tables):
    # Why: the sort key is part of identity; siblings under the same partition stay.
    pk = {"S": unique()}
    for sk in ("a", "b"):
        dynamodb.put_item(TableName=tables.range_s, Item={"pk": pk, "sk": {"S": sk}})
    dynamodb.delete_item(TableName=tables.range_s, Key={"pk": pk, "sk": {"S": "a"}})
    assert "Item" not in dynamodb.get_item(TableName=tables.range_s, Key={"pk": pk, "sk": {"S": "a"}})
    assert "Item" in dynamodb.get_item(TableName=tables.range_s, Key={"pk": pk, "sk": {"S": "b"}})


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers 'The number of conditions on the keys is invalid'")
def test_incomplete_key_is_rejected(dynamodb, tables):
    # Why: DeleteItem needs the full primary key.
    assert_dynamo_error(lambda: dynamodb.delete_item(TableName=tables.range_s, Key={"pk": {"S": "a"}}),
                        "ValidationException", "The provided key element does not match the schema")


def test_delete_from_missing_table_is_resource_not_found(dynamodb):
    # Why: deletes on an unknown table fail like every other data-plane call.
    assert_dynamo_error(lambda: dynamodb.delete_item(TableName=unique("missing"), Key={"pk": {"S": "a"}}),
                        "ResourceNotFoundException")
