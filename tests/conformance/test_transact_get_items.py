"""TransactGetItems: ordered responses from one snapshot, projections, limits, capacity."""

from __future__ import annotations

import pytest

from support import assert_dynamo_error, unique


def get(table, key, **extra):
    return {"Get": {"TableName": table, "Key": key, **extra}}


def test_responses_follow_request_order_with_empty_maps_for_missing(dynamodb, tables):
    # Why: each Get has its response at the same position; a missing item is {}.
    a, missing, b = {"pk": {"S": unique()}}, {"pk": {"S": unique()}}, {"pk": {"S": unique()}, "sk": {"N": "1"}}
    dynamodb.put_item(TableName=tables.hash_s, Item={**a, "v": {"S": "a"}})
    dynamodb.put_item(TableName=tables.range_n, Item={**b, "v": {"S": "b"}})
    response = dynamodb.transact_get_items(TransactItems=[
        get(tables.range_n, b), get(tables.hash_s, missing), get(tables.hash_s, a)])
    assert response["Responses"] == [{"Item": {**b, "v": {"S": "b"}}}, {}, {"Item": {**a, "v": {"S": "a"}}}]
    assert "ConsumedCapacity" not in response


def test_projection_with_names(dynamodb, tables):
    # Why: a Get may project attributes, with ExpressionAttributeNames.
    key = {"pk": {"S": unique()}}
    nested = {"M": {"c": {"N": "2"}, "d": {"N": "3"}}}
    dynamodb.put_item(TableName=tables.hash_s, Item={**key, "a": {"S": "1"}, "b": nested})
    response = dynamodb.transact_get_items(TransactItems=[
        get(tables.hash_s, key, ProjectionExpression="#a, b.c", ExpressionAttributeNames={"#a": "a"})])
    assert response["Responses"] == [{"Item": {"a": {"S": "1"}, "b": {"M": {"c": {"N": "2"}}}}}]


def test_binary_values_come_back_as_bytes(dynamodb, tables):
    # Why: binary keys and values are returned as boto3 returns them.
    key = {"pk": {"B": b"\x00\x01"}}
    dynamodb.put_item(TableName=tables.hash_b, Item={**key, "v": {"B": b"\xff"}})
    response = dynamodb.transact_get_items(TransactItems=[get(tables.hash_b, key)])
    assert response["Responses"] == [{"Item": {**key, "v": {"B": b"\xff"}}}]


def test_sees_a_write_transaction_entirely(dynamodb, tables):
    # Why: a read transaction sees a committed write transaction as a whole.
    keys = [{"pk": {"S": unique()}} for _ in range(5)]
    dynamodb.transact_write_items(TransactItems=[{"Put": {"TableName": tables.hash_s, "Item": k}} for k in keys])
    response = dynamodb.transact_get_items(TransactItems=[get(tables.hash_s, k) for k in keys])
    assert response["Responses"] == [{"Item": k} for k in keys]


def test_duplicate_gets_are_rejected(dynamodb, tables):
    # Why: one item may appear only once in a transaction, reads included.
    key = {"pk": {"S": unique()}}
    assert_dynamo_error(lambda: dynamodb.transact_get_items(TransactItems=[get(tables.hash_s, key)] * 2),
                        "ValidationException", "Transaction request cannot include multiple operations on one item")


def test_one_hundred_gets_are_allowed(dynamodb, tables):
    # Why: 100 is the documented maximum.
    keys = [{"pk": {"S": unique()}} for _ in range(100)]
    response = dynamodb.transact_get_items(TransactItems=[get(tables.hash_s, k) for k in keys])
    assert response["Responses"] == [{}] * 100


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers only 'Member must have length less than or "
                                    "equal to 100'")
def test_more_than_one_hundred_gets_are_rejected(dynamodb, tables):
    # Why: the Get count is a shape constraint with AWS's standard validation message.
    items = [get(tables.hash_s, {"pk": {"S": unique()}}) for _ in range(101)]
    assert_dynamo_error(lambda: dynamodb.transact_get_items(TransactItems=items), "ValidationException",
                        "1 validation error detected", "Member must have length less than or equal to 100")


def test_response_over_4mb_is_rejected(dynamodb, tables):
    # Why: the items a transaction returns may total at most 4 MB.
    keys = [{"pk": {"S": unique()}} for _ in range(12)]
    for key in keys:
        dynamodb.put_item(TableName=tables.hash_s, Item={**key, "v": {"S": "x" * 390_000}})
    assert_dynamo_error(lambda: dynamodb.transact_get_items(TransactItems=[get(tables.hash_s, k) for k in keys]),
                        "ValidationException", "Payload in response is too large")


def test_missing_table_is_resource_not_found(dynamodb, tables):
    # Why: an unknown table fails the whole read.
    assert_dynamo_error(lambda: dynamodb.transact_get_items(TransactItems=[
        get(tables.hash_s, {"pk": {"S": "a"}}), get(unique("missing"), {"pk": {"S": "a"}})]),
        "ResourceNotFoundException")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local says 'Cannot do operations on a non-existent table'")
def test_missing_table_message(dynamodb):
    # Why: AWS's message for transactions does not name the table.
    assert_dynamo_error(lambda: dynamodb.transact_get_items(TransactItems=[get(unique("missing"), {"pk": {"S": "a"}})]),
                        "ResourceNotFoundException", "Requested resource not found")


def test_consumed_capacity_is_twice_a_consistent_read_per_item(dynamodb, tables):
    # Why: transactional reads cost 2x a strongly consistent read, missing items the minimum, projections nothing less.
    big, small = {"pk": {"S": unique()}}, {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item={**big, "v": {"S": "x" * 9000}})   # 3 RCU
    dynamodb.put_item(TableName=tables.hash_s, Item=small)                              # 1 RCU
    response = dynamodb.transact_get_items(ReturnConsumedCapacity="TOTAL", TransactItems=[
        get(tables.hash_s, big, ProjectionExpression="pk"), get(tables.hash_s, small),
        get(tables.hash_s, {"pk": {"S": unique()}})])
    assert response["ConsumedCapacity"] == [{"TableName": tables.hash_s, "CapacityUnits": 10.0}]


def test_consumed_capacity_indexes(dynamodb, tables):
    # Why: INDEXES adds the per-table breakdown.
    response = dynamodb.transact_get_items(ReturnConsumedCapacity="INDEXES", TransactItems=[
        get(tables.hash_s, {"pk": {"S": unique()}})])
    assert response["ConsumedCapacity"] == [
        {"TableName": tables.hash_s, "CapacityUnits": 2.0, "Table": {"CapacityUnits": 2.0}}]
