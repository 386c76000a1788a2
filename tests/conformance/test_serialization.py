"""Wrong JSON types: a generated matrix of (operation, member, wrong value) -> SerializationException.

AWS's JSON protocol rejects a value of the wrong JSON type before any validation, with a
SerializationException. Its wording has changed over the years ("class java.lang.Boolean can not be
converted to an String", later "TRUE_VALUE cannot be converted to String"), so only the error type is
asserted. Cases AWS is known to coerce are left out: strings "true"/"1"/"yes" for booleans, and
decimals for integers (truncated). Only members botocore can serialize untouched are covered (with
parameter validation off, botocore passes scalars through as given).
"""

from __future__ import annotations

import contextlib

import pytest

from support import assert_dynamo_error

LOCAL = pytest.mark.dynamodb_local_differs(
    reason="DynamoDB Local coerces mistyped JSON scalars (or fails with InternalFailure) instead of answering "
    "SerializationException")

WRONG_FOR = {
    "String": [5, True, False, 34.56],
    "Integer": ["5", True],
    "Long": ["5", False],
    "Boolean": [1, 34.56],
}


def key():
    return {"pk": {"S": "ser"}}


# (operation, request builder taking the wrong value, target type)
MEMBERS = [
    ("get_item.ProjectionExpression", lambda t, v: ("get_item", {"TableName": t.hash_s, "Key": key(),
                                                                 "ProjectionExpression": v}), "String"),
    ("get_item.ConsistentRead", lambda t, v: ("get_item", {"TableName": t.hash_s, "Key": key(), "ConsistentRead": v}),
     "Boolean"),
    ("get_item.Key.S", lambda t, v: ("get_item", {"TableName": t.hash_s, "Key": {"pk": {"S": v}}}), "String"),
    ("put_item.Item.N", lambda t, v: ("put_item", {"TableName": t.hash_s, "Item": {**key(), "n": {"N": v}}}),
     "String"),
    ("put_item.Item.BOOL", lambda t, v: ("put_item", {"TableName": t.hash_s, "Item": {**key(), "b": {"BOOL": v}}}),
     "Boolean"),
    ("put_item.Item.NULL", lambda t, v: ("put_item", {"TableName": t.hash_s, "Item": {**key(), "z": {"NULL": v}}}),
     "Boolean"),
    ("put_item.Item.SS member", lambda t, v: ("put_item", {"TableName": t.hash_s,
                                                           "Item": {**key(), "s": {"SS": ["a", v]}}}), "String"),
    ("put_item.ReturnValues", lambda t, v: ("put_item", {"TableName": t.hash_s, "Item": key(), "ReturnValues": v}),
     "String"),
    ("put_item.ConditionExpression", lambda t, v: ("put_item", {"TableName": t.hash_s, "Item": key(),
                                                                "ConditionExpression": v}), "String"),
    ("update_item.UpdateExpression", lambda t, v: ("update_item", {"TableName": t.hash_s, "Key": key(),
                                                                   "UpdateExpression": v}), "String"),
    ("delete_item.ReturnValues", lambda t, v: ("delete_item", {"TableName": t.hash_s, "Key": key(),
                                                               "ReturnValues": v}), "String"),
    ("scan.Limit", lambda t, v: ("scan", {"TableName": t.hash_s, "Limit": v}), "Integer"),
    ("scan.Segment", lambda t, v: ("scan", {"TableName": t.hash_s, "Segment": v, "TotalSegments": 2}), "Integer"),
    ("scan.TotalSegments", lambda t, v: ("scan", {"TableName": t.hash_s, "Segment": 0, "TotalSegments": v}),
     "Integer"),
    ("scan.ConsistentRead", lambda t, v: ("scan", {"TableName": t.hash_s, "ConsistentRead": v}), "Boolean"),
    ("scan.FilterExpression", lambda t, v: ("scan", {"TableName": t.hash_s, "FilterExpression": v}), "String"),
    ("query.Limit", lambda t, v: ("query", {"TableName": t.hash_s, "KeyConditionExpression": "pk = :p",
                                            "ExpressionAttributeValues": {":p": {"S": "x"}}, "Limit": v}), "Integer"),
    ("query.ScanIndexForward", lambda t, v: ("query", {"TableName": t.hash_s, "KeyConditionExpression": "pk = :p",
                                                       "ExpressionAttributeValues": {":p": {"S": "x"}},
                                                       "ScanIndexForward": v}), "Boolean"),
    ("query.ExpressionAttributeValues.S", lambda t, v: ("query", {"TableName": t.hash_s,
                                                                  "KeyConditionExpression": "pk = :p",
                                                                  "ExpressionAttributeValues": {":p": {"S": v}}}),
     "String"),
    ("list_tables.Limit", lambda t, v: ("list_tables", {"Limit": v}), "Integer"),
    ("create_table.ReadCapacityUnits", lambda t, v: ("create_table", {
        "TableName": "serialization-check", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "ProvisionedThroughput": {"ReadCapacityUnits": v, "WriteCapacityUnits": 1}}), "Long"),
    ("batch_get_item.ConsistentRead", lambda t, v: ("batch_get_item", {"RequestItems": {t.hash_s: {
        "Keys": [key()], "ConsistentRead": v}}}), "Boolean"),
]

MATRIX = [
    pytest.param(build, value, id=f"{name}={value!r}")
    for name, build, target_type in MEMBERS
    for value in WRONG_FOR[target_type]
]


@LOCAL
@pytest.mark.parametrize(("build", "value"), MATRIX)
def test_wrong_json_type_is_a_serialization_error(dynamodb, tables, build, value):
    # Why: a mistyped member must be refused as SerializationException (never coerced, never a 500).
    operation, request = build(tables, value)
    try:
        assert_dynamo_error(lambda: getattr(dynamodb, operation)(**request), "SerializationException")
    finally:
        if operation == "create_table":  # in case a target accepted it
            with contextlib.suppress(Exception):
                dynamodb.delete_table(TableName="serialization-check")
