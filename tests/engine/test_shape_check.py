"""The generic shape checker: SerializationException for JSON types, then ValidationException for
shape constraints, with DynamoDB's wording, paths and order."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynaflow.engine.errors import DynamoError
from dynaflow.engine.shape_check import check_request, check_stream_request
from dynaflow.engine.shapes import DYNAMODB, DYNAMODB_STREAMS

CAST = (
    "class sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl cannot be cast to class "
    "java.lang.Class (sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl and java.lang.Class "
    "are in module java.base of loader 'bootstrap')"
)
AV = "com.amazonaws.dynamodb.v20120810.AttributeValue"

# Wrong JSON values per expected kind, with DynamoDB's answer (as observed on AWS).
WRONG: dict[str, list[tuple[Any, str]]] = {
    "String": [
        (True, "TRUE_VALUE cannot be converted to String"),
        (False, "FALSE_VALUE cannot be converted to String"),
        (23, "NUMBER_VALUE cannot be converted to String"),
        (2147483648, "NUMBER_VALUE cannot be converted to String"),
        (34.56, "DECIMAL_VALUE cannot be converted to String"),
        ([], "Unrecognized collection type class java.lang.String"),
        ({}, "Start of structure or map found where not expected"),
    ],
    "Boolean": [
        ("23", "Unexpected token received from parser"),
        (23, "NUMBER_VALUE cannot be converted to Boolean"),
        (34.56, "DECIMAL_VALUE cannot be converted to Boolean"),
        ([], "Unrecognized collection type class java.lang.Boolean"),
        ({}, "Start of structure or map found where not expected"),
    ],
    "Integer": [
        ("23", "STRING_VALUE cannot be converted to Integer"),
        (True, "TRUE_VALUE cannot be converted to Integer"),
        (False, "FALSE_VALUE cannot be converted to Integer"),
        ([], "Unrecognized collection type class java.lang.Integer"),
        ({}, "Start of structure or map found where not expected"),
    ],
    "Long": [
        ("23", "STRING_VALUE cannot be converted to Long"),
        (True, "TRUE_VALUE cannot be converted to Long"),
        ([], "Unrecognized collection type class java.lang.Long"),
        ({}, "Start of structure or map found where not expected"),
    ],
    "Blob": [
        (True, "only base-64-encoded strings are convertible to bytes"),
        (23, "only base-64-encoded strings are convertible to bytes"),
        (34.56, "only base-64-encoded strings are convertible to bytes"),
        ([], "Unrecognized collection type class java.nio.ByteBuffer"),
        ({}, "Start of structure or map found where not expected"),
        ("23456", "Base64 encoded length is expected a multiple of 4 bytes but found: 5"),
        ("=+/=", "Invalid last non-pad Base64 character dectected"),
        ("+/+=", "Invalid last non-pad Base64 character dectected"),
    ],
    "List": [
        ("23", "Unexpected field type"),
        (True, "Unexpected field type"),
        (23, "Unexpected field type"),
        ({}, "Start of structure or map found where not expected"),
    ],
    "ListInCollection": [
        ("23", CAST),
        (23, CAST),
        ({}, "Start of structure or map found where not expected"),
    ],
    "FieldStruct": [
        ("23", "Unexpected field type"),
        (True, "Unexpected field type"),
        (34.56, "Unexpected field type"),
    ],
    "ValueStruct": [
        ("23", "Unexpected value type in payload"),
        (True, "Unexpected value type in payload"),
        (23, "Unexpected value type in payload"),
    ],
    "Map": [
        ("23", "Unexpected field type"),
        (True, "Unexpected field type"),
        (23, "Unexpected field type"),
    ],
    "MapInCollection": [
        ("23", CAST),
        (True, CAST),
        ([], f"Unrecognized collection type java.util.Map<java.lang.String, {AV}>"),
    ],
}

# (operation, path in the request, kind, extra (value, message) pairs for this place). A path is a
# dotted walk; "0" indexes a list and creates it.
PLACES: list[tuple[str, str, str, list[tuple[Any, str]]]] = [
    ("GetItem", "TableName", "String", []),
    ("GetItem", "Key", "Map", [([], f"Unrecognized collection type java.util.Map<java.lang.String, {AV}>")]),
    ("GetItem", "Key.a", "ValueStruct", [([], f"Unrecognized collection type class {AV}")]),
    ("GetItem", "Key.a.S", "String", []),
    ("GetItem", "Key.a.N", "String", []),
    ("GetItem", "Key.a.B", "Blob", []),
    ("GetItem", "Key.a.BOOL", "Boolean", []),
    ("GetItem", "Key.a.NULL", "Boolean", []),
    ("GetItem", "Key.a.SS", "List", []),
    ("GetItem", "Key.a.SS.0", "String", []),
    ("GetItem", "Key.a.NS.0", "String", []),
    ("GetItem", "Key.a.BS", "List", []),
    ("GetItem", "Key.a.BS.0", "Blob", []),
    ("GetItem", "Key.a.L", "List", []),
    ("GetItem", "Key.a.L.0", "ValueStruct", []),
    ("GetItem", "Key.a.L.0.BS.0", "Blob", []),
    ("GetItem", "Key.a.M", "Map", []),
    ("GetItem", "Key.a.M.b", "ValueStruct", []),
    ("GetItem", "Key.a.M.b.S", "String", []),
    ("GetItem", "AttributesToGet", "List", []),
    ("GetItem", "AttributesToGet.0", "String", []),
    ("GetItem", "ConsistentRead", "Boolean", []),
    ("GetItem", "ExpressionAttributeNames", "Map", []),
    ("GetItem", "ExpressionAttributeNames.a", "String", []),
    ("PutItem", "Item.a.S", "String", []),
    ("PutItem", "Expected.a", "ValueStruct", []),
    ("PutItem", "Expected.a.Value", "FieldStruct", [([], f"Unrecognized collection type class {AV}")]),
    ("PutItem", "Expected.a.Exists", "Boolean", []),
    ("PutItem", "Expected.a.AttributeValueList.0", "ValueStruct", []),
    ("Query", "Limit", "Integer", []),
    ("Query", "ScanIndexForward", "Boolean", []),
    ("Query", "KeyConditions.a.ComparisonOperator", "String", []),
    ("Scan", "Segment", "Integer", []),
    ("Scan", "ExclusiveStartKey.a.S", "String", []),
    ("CreateTable", "ProvisionedThroughput", "FieldStruct", []),
    ("CreateTable", "ProvisionedThroughput.ReadCapacityUnits", "Long", []),
    ("CreateTable", "KeySchema", "List", []),
    ("CreateTable", "KeySchema.0", "ValueStruct", []),
    ("CreateTable", "KeySchema.0.KeyType", "String", []),
    ("CreateTable", "GlobalSecondaryIndexes.0.Projection.NonKeyAttributes.0", "String", []),
    ("BatchGetItem", "RequestItems.abc", "ValueStruct", []),
    ("BatchGetItem", "RequestItems.abc.Keys.0", "MapInCollection", []),
    ("BatchGetItem", "RequestItems.abc.Keys.0.a.S", "String", []),
    ("BatchWriteItem", "RequestItems.abc", "ListInCollection", []),
    ("BatchWriteItem", "RequestItems.abc.0.PutRequest", "FieldStruct", []),
    ("BatchWriteItem", "RequestItems.abc.0.PutRequest.Item.a.N", "String", []),
    ("TransactWriteItems", "TransactItems.0.Update.Key.a.NS", "List", []),
    ("UpdateTimeToLive", "TimeToLiveSpecification.Enabled", "Boolean", []),
]


def _build(path: str, value: Any) -> dict[str, Any]:
    pieces = path.split(".")
    root: dict[str, Any] = {}
    node: Any = root
    for piece, following in zip(pieces, [*pieces[1:], None], strict=True):
        child: Any = value if following is None else ([] if following == "0" else {})
        if isinstance(node, list):
            node.append(child)
        else:
            node[piece] = child
        node = child
    return root


def _error(call: Any, *args: Any) -> DynamoError:
    with pytest.raises(DynamoError) as caught:
        call(*args)
    return caught.value


MATRIX = [
    pytest.param(op, path, value, message, id=f"{op}-{path}-{json.dumps(value)}")
    for op, path, kind, extra in PLACES
    for value, message in WRONG[kind] + extra
]


# Every member kind, at every depth, answers each wrong JSON type with DynamoDB's serialization text.
@pytest.mark.parametrize(("operation", "path", "value", "message"), MATRIX)
def test_wrong_json_type_is_serialization_exception(operation: str, path: str, value: Any, message: str) -> None:
    err = _error(check_request, operation, _build(path, value))
    assert (err.type, err.message) == ("SerializationException", message)


# A type error anywhere wins over constraint errors found anywhere else (types are checked first).
def test_serialization_wins_over_validation() -> None:
    err = _error(check_request, "GetItem", {"TableName": "a;", "Key": {"a": {"S": 5}}})
    assert err.type == "SerializationException"


# Of two type errors, the one first in the document is reported, as a streaming parser would.
def test_first_type_error_in_document_order() -> None:
    err = _error(check_request, "GetItem", {"ConsistentRead": "x", "TableName": 5})
    assert err.message == "Unexpected token received from parser"
    err = _error(check_request, "GetItem", {"TableName": 5, "ConsistentRead": "x"})
    assert err.message == "NUMBER_VALUE cannot be converted to String"


# Unknown members and JSON nulls are ignored, as DynamoDB does.
def test_unknown_members_and_nulls_are_ignored() -> None:
    check_request("GetItem", {"TableName": "abc", "Key": {}, "Bogus": [1, {}], "ConsistentRead": None})


# Valid requests of every common operation pass untouched.
@pytest.mark.parametrize(
    ("operation", "request_"),
    [
        ("GetItem", {"TableName": "abc", "Key": {"pk": {"S": "a"}}}),
        ("PutItem", {"TableName": "abc", "Item": {"pk": {"S": "a"}, "b": {"B": "YWJj"}, "l": {"L": [{"N": "1"}]}}}),
        ("Query", {"TableName": "abc", "KeyConditionExpression": "pk = :p", "Limit": 1}),
        ("Scan", {"TableName": "abc", "Segment": 0, "TotalSegments": 4}),
        ("BatchWriteItem", {"RequestItems": {"abc": [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}]}}),
        ("BatchGetItem", {"RequestItems": {"abc": {"Keys": [{"pk": {"S": "a"}}]}}}),
        ("GetItem", {"TableName": "arn:aws:dynamodb:us-east-1:123456789012:table/abc", "Key": {}}),
        ("DescribeLimits", {}),
    ],
)
def test_valid_requests_pass(operation: str, request_: dict[str, Any]) -> None:
    check_request(operation, request_)


# Missing required members read "Value null at '<camelCase>' ... Member must not be null".
def test_required_member_missing() -> None:
    err = _error(check_request, "DescribeTable", {})
    assert err.type == "ValidationException"
    assert err.message == (
        "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null"
    )


# Table names (which may also be ARNs): length first, then pattern, each its own error, value
# quoted; an empty name breaks only the ARN form's minimum length of 1 (as moto's tests verified
# against AWS record it).
def test_table_name_constraints() -> None:
    err = _error(check_request, "DeleteTable", {"TableName": "a;"})
    assert err.message == (
        "2 validation errors detected: "
        "Value 'a;' at 'tableName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 3; "
        "Value 'a;' at 'tableName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
    )
    err = _error(check_request, "UpdateItem", {"TableName": "", "Key": {}})
    assert err.message == ("1 validation error detected: Value '' at 'tableName' failed to satisfy constraint: "
                           "Member must have length greater than or equal to 1")
    long_name = "a" * 256
    err = _error(check_request, "DeleteTable", {"TableName": long_name})
    assert err.message.endswith(f"Value '{long_name}' at 'tableName' failed to satisfy constraint: "
                                "Member must have length less than or equal to 255")  # fmt: skip


# Enum values print in DynamoDB's own order, not the model's.
def test_enum_message() -> None:
    err = _error(check_request, "PutItem", {"TableName": "abc", "Item": {}, "ReturnValues": "FOO"})
    assert err.message == (
        "1 validation error detected: Value 'FOO' at 'returnValues' failed to satisfy constraint: "
        "Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]"
    )


# Numeric ranges: Limit >= 1, Segment/TotalSegments ranges, ProvisionedThroughput >= 1.
def test_numeric_ranges() -> None:
    err = _error(check_request, "Scan", {"TableName": "abc", "Limit": 0, "Segment": 1000000, "TotalSegments": 0})
    assert err.message == (
        "3 validation errors detected: "
        "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1; "
        "Value '1000000' at 'segment' failed to satisfy constraint: "
        "Member must have value less than or equal to 999999; "
        "Value '0' at 'totalSegments' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    )


# Nested paths use list positions from 1 and ".member." between a collection and its element.
def test_nested_paths_and_order() -> None:
    request = {
        "TableName": "abc",
        "AttributeDefinitions": [],
        "KeySchema": [{"KeyType": "HASH"}, {"AttributeName": "a"}, {"KeyType": "Woop", "AttributeName": "a"}],
        "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": -1},
    }
    err = _error(check_request, "CreateTable", request)
    parts = err.message.split("; ")
    assert parts[0].startswith("5 validation errors detected: Value '-1' at 'provisionedThroughput.writeCapacityUnits'")
    assert parts[1].startswith("Value '[com.amazonaws.dynamodb.v20120810.KeySchemaElement@")
    assert parts[1].endswith(
        "at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2"
    )
    assert (
        parts[2]
        == "Value null at 'keySchema.1.member.attributeName' failed to satisfy constraint: Member must not be null"
    )
    assert (
        parts[3] == "Value null at 'keySchema.2.member.keyType' failed to satisfy constraint: Member must not be null"
    )
    assert parts[4] == (
        "Value 'Woop' at 'keySchema.3.member.keyType' failed to satisfy constraint: "
        "Member must satisfy enum value set: [HASH, RANGE]"
    )  # fmt: skip


# Map keys/values constraints are reported once for the map, with every constraint listed, and the
# map printed as Java's toString.
def test_map_key_and_value_constraints() -> None:
    err = _error(check_request, "BatchWriteItem", {"RequestItems": {"ab": []}})
    assert err.message == (
        "2 validation errors detected: "
        "Value '{ab=[]}' at 'requestItems' failed to satisfy constraint: Map keys must satisfy constraint: "
        "[Member must have length less than or equal to 255, Member must have length greater than or equal to 3, "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]; "
        "Value '{ab=[]}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: "
        "[Member must have length less than or equal to 25, Member must have length greater than or equal to 1]"
    )
    err = _error(check_request, "BatchGetItem", {"RequestItems": {"abc": {}}})
    assert err.message == (
        "1 validation error detected: Value null at 'requestItems.abc.member.keys' failed to satisfy "
        "constraint: Member must not be null"
    )


# More than 25 writes for one table is a shape constraint; "too many items" over tables is semantic.
def test_batch_write_more_than_25_per_table() -> None:
    writes = [{"DeleteRequest": {"Key": {"a": {"S": str(i)}}}} for i in range(26)]
    err = _error(check_request, "BatchWriteItem", {"RequestItems": {"abc": writes}})
    assert "Map value must satisfy constraint" in err.message
    check_request("BatchWriteItem", {"RequestItems": {"abc": writes[:25], "abd": writes[:25]}})


# At most ten violations are listed, and the count says how many are listed.
def test_at_most_ten_errors() -> None:
    request = {"TableName": "abc", "AttributeDefinitions": [{}] * 8, "KeySchema": [{}], "ProvisionedThroughput": {}}
    err = _error(check_request, "CreateTable", request)
    assert err.message.startswith("10 validation errors detected: ")
    assert err.message.count("failed to satisfy constraint") == 10


# Strings count UTF-16 code units, as Java does: one emoji is two.
def test_length_counts_utf16_units() -> None:
    err = _error(check_request, "UntagResource", {"ResourceArn": "x", "TagKeys": ["😀" * 65]})
    assert "at 'tagKeys.1.member' failed to satisfy constraint: Member must have length less than or equal to 128" in (
        err.message
    )


# A name that passed once is cached; the cache must not let a different bad value through.
def test_known_good_cache_does_not_leak() -> None:
    check_request("DescribeTable", {"TableName": "good-name"})
    check_request("DescribeTable", {"TableName": "good-name"})
    assert _error(check_request, "DescribeTable", {"TableName": "bad name"}).type == "ValidationException"


# DynamoDB Streams operations have their own shapes and the same checker.
def test_stream_requests() -> None:
    err = _error(check_stream_request, "GetShardIterator", {"StreamArn": "x" * 40, "ShardId": "s" * 30})
    assert err.message == (
        "1 validation error detected: Value null at 'shardIteratorType' failed to satisfy constraint: "
        "Member must not be null"
    )
    err = _error(check_stream_request, "GetRecords", {"ShardIterator": 5})
    assert err.message == "NUMBER_VALUE cannot be converted to String"


# Every operation the engine implements has a shape; unknown operations are left to the caller.
def test_registry_covers_the_api() -> None:
    from dynaflow.engine.core import OPERATIONS

    assert set(DYNAMODB) | set(DYNAMODB_STREAMS) == set(OPERATIONS)
    assert {"CreateTable", "PutItem", "GetItem", "Query", "TransactWriteItems"} <= set(DYNAMODB)
    assert set(DYNAMODB_STREAMS) == {"ListStreams", "DescribeStream", "GetShardIterator", "GetRecords"}
    check_request("NoSuchOperation", {"anything": 1})


KEYS = st.sampled_from(["S", "N", "B", "SS", "L", "M", "NULL", "BOOL", "a", "Keys"]) | st.text()
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=20,
)  # fmt: skip
MEMBERS = sorted({m.name for shape in DYNAMODB.values() for m in shape.members} | {"Item", "Key"})


# Whatever JSON arrives, the checker answers only with DynamoError (never a Python exception).
@settings(max_examples=400, deadline=None)
@given(
    operation=st.sampled_from(sorted(DYNAMODB)),
    request_=st.dictionaries(st.sampled_from(MEMBERS), JSON, max_size=6),
)
def test_random_json_only_raises_dynamo_error(operation: str, request_: dict[str, Any]) -> None:
    try:
        check_request(operation, request_)
    except DynamoError as err:
        assert err.type in {"SerializationException", "ValidationException"}


def _outcome(check: Any, request_: dict[str, Any]) -> tuple[str, str] | None:
    try:
        check(request_)
    except DynamoError as err:
        return (err.type, err.message)
    return None


# The generated fast path must answer exactly what the reference checker answers, for any input.
@settings(max_examples=300, deadline=None)
@given(
    operation=st.sampled_from(sorted(DYNAMODB)),
    request_=st.dictionaries(st.sampled_from(MEMBERS), JSON, max_size=6),
)
def test_fast_path_agrees_with_exact_checker(operation: str, request_: dict[str, Any]) -> None:
    from dynaflow.engine import shape_check

    exact = shape_check._compile_exact(DYNAMODB[operation])
    assert _outcome(shape_check._DYNAMODB_CHECKS[operation], request_) == _outcome(exact, request_)
