"""Item and key size limits, with sizes computed by AWS's documented rules.

Item size = sum over attributes of (UTF-8 length of the name + size of the value), where a value's
size is: S -> UTF-8 bytes; B -> raw bytes; N -> about 1 byte per 2 significant digits + 1;
BOOL/NULL -> 1; M/L -> 3 bytes + 1 byte per element + the elements (map keys count as names);
sets -> sum of their members. The limit is 400 KB = 409,600 bytes, inclusive.
Partition keys may be 2048 bytes, sort keys 1024 bytes (inclusive).
"""

from __future__ import annotations

import pytest

from support import assert_dynamo_error

LIMIT = 400 * 1024
KEY = {"pk": {"S": "k"}}          # "pk" + "k" = 3 bytes
KEY_SIZE = 3


def put(dynamodb, table, item):
    return dynamodb.put_item(TableName=table, Item=item)


def too_large(call):
    assert_dynamo_error(call, "ValidationException", "Item size has exceeded the maximum allowed size")


@pytest.mark.parametrize(("extra", "extra_size"), [
    ({}, 0),
    ({"n": {"N": "1" * 38}}, 1 + 20),
    ({"t": {"BOOL": True}}, 1 + 1),
    ({"z": {"NULL": True}}, 1 + 1),
    ({"m": {"M": {"a": {"S": "z"}}}}, 1 + 3 + 1 + 1 + 1),
    ({"l": {"L": [{"S": "ab"}, {"S": "c"}]}}, 1 + 3 + 2 + 3),
    ({"ss": {"SS": ["ab", "c"]}}, 2 + 3),
    ({"é": {"S": "é"}}, 2 + 2),
], ids=["plain", "number", "bool", "null", "map", "list", "string-set", "multibyte"])
def test_item_of_exactly_400_kb_is_accepted_and_one_more_byte_is_not(dynamodb, tables, extra, extra_size):
    # Why: the limit is inclusive and computed by the documented per-type rules.
    filler = LIMIT - KEY_SIZE - len("b") - extra_size
    put(dynamodb, tables.hash_s, {**KEY, "b": {"S": "x" * filler}, **extra})
    too_large(lambda: put(dynamodb, tables.hash_s, {**KEY, "b": {"S": "x" * (filler + 1)}, **extra}))


def test_binary_values_count_raw_bytes(dynamodb, tables):
    # Why: B is sized by its decoded bytes, not its base64 form.
    filler = LIMIT - KEY_SIZE - len("b")
    put(dynamodb, tables.hash_s, {**KEY, "b": {"B": b"\x00" * filler}})
    too_large(lambda: put(dynamodb, tables.hash_s, {**KEY, "b": {"B": b"\x00" * (filler + 1)}}))


def test_attribute_names_count(dynamodb, tables):
    # Why: a long attribute name uses item space like its value does.
    name = "n" * 1000
    filler = LIMIT - KEY_SIZE - len("b") - len(name) - 1
    put(dynamodb, tables.hash_s, {**KEY, "b": {"S": "x" * filler}, name: {"S": "y"}})
    too_large(lambda: put(dynamodb, tables.hash_s, {**KEY, "b": {"S": "x" * filler}, name: {"S": "yy"}}))


def test_update_growing_item_past_limit_is_rejected(dynamodb, tables):
    # Why: UpdateItem checks the size of the resulting item, with its own message.
    put(dynamodb, tables.hash_s, {**KEY, "b": {"S": "x" * 409_000}})
    assert_dynamo_error(lambda: dynamodb.update_item(
        TableName=tables.hash_s, Key=KEY, UpdateExpression="SET c = :v",
        ExpressionAttributeValues={":v": {"S": "y" * 1000}}),
        "ValidationException", "Item size to update has exceeded the maximum allowed size")
    assert len(dynamodb.get_item(TableName=tables.hash_s, Key=KEY)["Item"]["b"]["S"]) == 409_000


def test_update_reaching_exactly_the_limit_is_accepted(dynamodb, tables):
    # Why: the update limit is inclusive too.
    put(dynamodb, tables.hash_s, {**KEY, "b": {"S": "x" * 400_000}})
    dynamodb.update_item(TableName=tables.hash_s, Key=KEY, UpdateExpression="SET c = :v",
                         ExpressionAttributeValues={":v": {"S": "y" * (LIMIT - KEY_SIZE - 1 - 400_000 - 1)}})


KEY_LIMITS_LOCAL = pytest.mark.dynamodb_local_differs(
    reason="DynamoDB Local answers 'Hash primary key values must be under 2048 bytes, and range primary key values "
    "must be under 1024 bytes'")


@pytest.mark.parametrize(("table_attr", "make"), [
    ("hash_s", lambda n: {"pk": {"S": "a" * n}}),
    ("hash_b", lambda n: {"pk": {"B": b"a" * n}}),
    ("hash_s", lambda n: {"pk": {"S": "é" * (n // 2)}} if n % 2 == 0 else {"pk": {"S": "é" * (n // 2) + "a"}}),
], ids=["string", "binary", "multibyte"])
def test_partition_key_of_2048_bytes_is_accepted(dynamodb, tables, table_attr, make):
    # Why: the partition key limit is 2048 bytes inclusive, counted in UTF-8 bytes.
    put(dynamodb, getattr(tables, table_attr), make(2048))


@KEY_LIMITS_LOCAL
@pytest.mark.parametrize(("table_attr", "key"), [
    ("hash_s", {"pk": {"S": "a" * 2049}}),
    ("hash_b", {"pk": {"B": b"a" * 2049}}),
    ("hash_s", {"pk": {"S": "é" * 1025}}),
], ids=["string", "binary", "multibyte"])
def test_partition_key_over_2048_bytes_is_rejected(dynamodb, tables, table_attr, key):
    # Why: AWS's message (typo included) names the limit.
    assert_dynamo_error(lambda: put(dynamodb, getattr(tables, table_attr), key), "ValidationException",
                        "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size "
                        "limit of2048 bytes")


@pytest.mark.parametrize(("table_attr", "sk"), [("range_s", {"S": "a" * 1024}), ("range_b", {"B": b"a" * 1024})],
                         ids=["string", "binary"])
def test_sort_key_of_1024_bytes_is_accepted(dynamodb, tables, table_attr, sk):
    # Why: the sort key limit is 1024 bytes inclusive.
    put(dynamodb, getattr(tables, table_attr), {"pk": {"S": "a"}, "sk": sk})


@KEY_LIMITS_LOCAL
@pytest.mark.parametrize(("table_attr", "sk"), [("range_s", {"S": "a" * 1025}), ("range_b", {"B": b"a" * 1025})],
                         ids=["string", "binary"])
def test_sort_key_over_1024_bytes_is_rejected(dynamodb, tables, table_attr, sk):
    # Why: AWS words the sort key limit differently from the partition key limit.
    assert_dynamo_error(lambda: put(dynamodb, getattr(tables, table_attr), {"pk": {"S": "a"}, "sk": sk}),
                        "ValidationException", "One or more parameter values were invalid: Aggregated size of all "
                        "range keys has exceeded the size limit of 1024 bytes")


@pytest.mark.parametrize(("table_attr", "key"), [
    ("hash_s", {"pk": {"S": "a" * 2049}}),
    ("range_s", {"pk": {"S": "a"}, "sk": {"S": "a" * 1025}}),
], ids=["partition", "sort"])
def test_oversized_keys_are_validation_errors_on_every_operation(dynamodb, tables, table_attr, key):
    # Why: reads and deletes apply the key limits too, not only writes.
    table = getattr(tables, table_attr)
    for call in (lambda: put(dynamodb, table, key), lambda: dynamodb.get_item(TableName=table, Key=key),
                 lambda: dynamodb.delete_item(TableName=table, Key=key)):
        assert_dynamo_error(call, "ValidationException")


_LONGEST_NAME = "n" * 65535
_TOO_LONG_NAME = "n" * 65536
_NAME_TOO_LARGE = "Attribute name is too large, must be less than 65536 bytes"


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers InternalFailure for names this long")
def test_attribute_names_of_65535_bytes_are_accepted(dynamodb, tables):
    # Why: DynamoDB documents names "less than 64 KB" and takes 65535 bytes (AWS's behavior, as
    # recorded by test suites run against it: ScyllaDB's Alternator tests).
    key = {"pk": {"S": "longest-name"}}
    put(dynamodb, tables.hash_s, {**key, _LONGEST_NAME: {"N": "1"}})
    got = dynamodb.get_item(TableName=tables.hash_s, Key=key, ProjectionExpression="#n",
                            ExpressionAttributeNames={"#n": _LONGEST_NAME})
    assert got["Item"] == {_LONGEST_NAME: {"N": "1"}}


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers InternalFailure for names this long")
@pytest.mark.parametrize("where", ["item", "attributes-to-get", "attribute-updates"])
def test_longer_attribute_names_are_rejected(dynamodb, tables, where):
    # Why: 65536 bytes is one too many, wherever a name is given.
    key = {"pk": {"S": "too-long-name"}}
    calls = {
        "item": lambda: put(dynamodb, tables.hash_s, {**key, _TOO_LONG_NAME: {"N": "1"}}),
        "attributes-to-get": lambda: dynamodb.get_item(TableName=tables.hash_s, Key=key,
                                                       AttributesToGet=[_TOO_LONG_NAME]),
        "attribute-updates": lambda: dynamodb.update_item(TableName=tables.hash_s, Key=key, AttributeUpdates={
            _TOO_LONG_NAME: {"Action": "PUT", "Value": {"N": "1"}}}),
    }
    assert_dynamo_error(calls[where], "ValidationException", _NAME_TOO_LARGE)
    assert "Item" not in dynamodb.get_item(TableName=tables.hash_s, Key=key)


@pytest.mark.parametrize("where", ["projection", "update", "condition"])
def test_longer_expression_attribute_names_are_rejected(dynamodb, tables, where):
    # Why: the same limit applies to a name given through ExpressionAttributeNames.
    key = {"pk": {"S": "too-long-name"}}
    names = {"ExpressionAttributeNames": {"#n": _TOO_LONG_NAME}}
    calls = {
        "projection": lambda: dynamodb.get_item(TableName=tables.hash_s, Key=key, ProjectionExpression="#n", **names),
        "update": lambda: dynamodb.update_item(TableName=tables.hash_s, Key=key, UpdateExpression="SET #n = :v",
                                               ExpressionAttributeValues={":v": {"N": "1"}}, **names),
        "condition": lambda: dynamodb.update_item(TableName=tables.hash_s, Key=key, UpdateExpression="SET a = :v",
                                                  ConditionExpression="#n = :v",
                                                  ExpressionAttributeValues={":v": {"N": "1"}}, **names),
    }
    assert_dynamo_error(calls[where], "ValidationException",
                        f"ExpressionAttributeNames contains invalid value: {_NAME_TOO_LARGE} for key #n")
