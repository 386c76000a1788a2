"""GetItem: hits and misses, ProjectionExpression, ConsistentRead and key validation."""

from __future__ import annotations

import pytest

from support import assert_dynamo_error, unique

ITEM = {"a": {"S": "1"}, "b": {"N": "2"}, "m": {"M": {"x": {"S": "mx"}, "y": {"L": [{"S": "y0"}, {"S": "y1"}]}}},
        "l": {"L": [{"N": "0"}, {"M": {"k": {"S": "v"}}}, {"N": "2"}]}}


@pytest.fixture
def stored(dynamodb, tables):
    key = {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item={**key, **ITEM})
    return key


def get(dynamodb, tables, key, **kwargs):
    return dynamodb.get_item(TableName=tables.hash_s, Key=key, **kwargs)


def test_missing_item_returns_no_item_key(dynamodb, tables):
    # Why: a miss is a success without "Item" (not an error, not an empty map).
    assert "Item" not in get(dynamodb, tables, {"pk": {"S": unique()}})


@pytest.mark.parametrize("consistent", [True, False])
def test_consistent_read_flag_is_accepted(dynamodb, tables, stored, consistent):
    # Why: both read modes return the item just written (strongly consistent on one node).
    assert get(dynamodb, tables, stored, ConsistentRead=consistent)["Item"] == {**stored, **ITEM}


@pytest.mark.parametrize(("projection", "expected"), [
    ("a", {"a": {"S": "1"}}),
    ("a, b", {"a": {"S": "1"}, "b": {"N": "2"}}),
    ("m.x", {"m": {"M": {"x": {"S": "mx"}}}}),
    ("m.y[1]", {"m": {"M": {"y": {"L": [{"S": "y1"}]}}}}),
    ("l[1].k, l[2]", {"l": {"L": [{"M": {"k": {"S": "v"}}}, {"N": "2"}]}}),
    ("l[0], a", {"l": {"L": [{"N": "0"}]}, "a": {"S": "1"}}),
    ("pk", None),
], ids=["top", "two", "map-member", "nested-index", "list-elements-compacted", "mixed", "key"])
def test_projection_returns_only_requested_paths(dynamodb, tables, stored, projection, expected):
    # Why: projected list elements are compacted in index order; nested maps keep their path.
    expected = stored if expected is None else expected
    assert get(dynamodb, tables, stored, ProjectionExpression=projection)["Item"] == expected


def test_projection_does_not_add_key_attributes(dynamodb, tables, stored):
    # Why: unlike Query on indexes, GetItem's projection returns only what was asked.
    assert "pk" not in get(dynamodb, tables, stored, ProjectionExpression="a")["Item"]


def test_projection_of_absent_attributes_returns_empty_item(dynamodb, tables, stored):
    # Why: the item exists, so "Item" is present even when no projected path matches.
    assert get(dynamodb, tables, stored, ProjectionExpression="nothere, m.nothere, l[9]")["Item"] == {}


def test_projection_with_attribute_names(dynamodb, tables, stored):
    # Why: #names substitute whole path elements, including reserved words and dotted names.
    item = get(dynamodb, tables, stored, ProjectionExpression="#m.#x",
               ExpressionAttributeNames={"#m": "m", "#x": "x"})["Item"]
    assert item == {"m": {"M": {"x": {"S": "mx"}}}}


def test_dotted_attribute_name_needs_a_placeholder(dynamodb, tables):
    # Why: "a.b" in an expression is a path; a top-level attribute named "a.b" needs #name.
    key = {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item={**key, "a.b": {"S": "dotted"}})
    assert get(dynamodb, tables, key, ProjectionExpression="#ab", ExpressionAttributeNames={"#ab": "a.b"})["Item"] == {
        "a.b": {"S": "dotted"}}
    assert get(dynamodb, tables, key, ProjectionExpression="a.b")["Item"] == {}


@pytest.mark.parametrize(("projection", "paths"), [
    ("a, a", "path one: [a], path two: [a]"),
    ("m, m.x", "path one: [m], path two: [m, x]"),
    ("l[0], l", "path one: [l, [0]], path two: [l]"),
])
def test_overlapping_projection_paths_are_rejected(dynamodb, tables, projection, paths):
    # Why: a path may not repeat or contain another path in one projection.
    assert_dynamo_error(lambda: get(dynamodb, tables, {"pk": {"S": "a"}}, ProjectionExpression=projection),
                        "ValidationException", "Invalid ProjectionExpression: Two document paths overlap with "
                        "each other; must remove or rewrite one of these paths", paths)


def test_unused_attribute_name_is_rejected(dynamodb, tables):
    # Why: every name placeholder given must be used.
    assert_dynamo_error(lambda: get(dynamodb, tables, {"pk": {"S": "a"}}, ProjectionExpression="#a",
                                    ExpressionAttributeNames={"#a": "a", "#b": "b"}),
                        "ValidationException", "Value provided in ExpressionAttributeNames unused in expressions: "
                        "keys: {#b}")


def test_undefined_attribute_name_is_rejected(dynamodb, tables):
    # Why: every placeholder used must be defined.
    assert_dynamo_error(lambda: get(dynamodb, tables, {"pk": {"S": "a"}}, ProjectionExpression="#c"),
                        "ValidationException", "Invalid ProjectionExpression: An expression attribute name used in "
                        "the document path is not defined; attribute name: #c")


def test_reserved_word_in_projection_is_rejected(dynamodb, tables):
    # Why: reserved words (here "name") must go through #placeholders.
    assert_dynamo_error(lambda: get(dynamodb, tables, {"pk": {"S": "a"}}, ProjectionExpression="name"),
                        "ValidationException",
                        "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: name")


def test_projection_syntax_error_names_the_token(dynamodb, tables):
    # Why: syntax errors say which token broke the parse and near what.
    assert_dynamo_error(lambda: get(dynamodb, tables, {"pk": {"S": "a"}}, ProjectionExpression="a,"),
                        "ValidationException", "Invalid ProjectionExpression: Syntax error; token: \"<EOF>\", "
                                               "near: \",\"")


def test_empty_projection_is_rejected(dynamodb, tables):
    # Why: an empty expression string is invalid, not "everything".
    assert_dynamo_error(lambda: get(dynamodb, tables, {"pk": {"S": "a"}}, ProjectionExpression=""),
                        "ValidationException", "Invalid ProjectionExpression: The expression can not be empty;")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers 'The number of conditions on the keys is invalid' "
                                    "or 'Type mismatch for key'")
@pytest.mark.parametrize("table_attr,key", [
    ("hash_s", {"pk": {"S": "a"}, "extra": {"S": "b"}}),
    ("hash_s", {"pk": {"N": "1"}}),
    ("hash_s", {"other": {"S": "a"}}),
    ("range_s", {"pk": {"S": "a"}}),
], ids=["extra-attribute", "wrong-type", "wrong-name", "missing-range"])
def test_key_not_matching_schema_is_rejected(dynamodb, tables, table_attr, key):
    # Why: AWS answers every key/schema mismatch with one message.
    assert_dynamo_error(lambda: dynamodb.get_item(TableName=getattr(tables, table_attr), Key=key),
                        "ValidationException", "The provided key element does not match the schema")


@pytest.mark.parametrize("table_attr,key", [
    ("hash_s", {"pk": {"S": "a"}, "extra": {"S": "b"}}),
    ("hash_s", {"pk": {"N": "1"}}),
    ("range_s", {"pk": {"S": "a"}}),
], ids=["extra-attribute", "wrong-type", "missing-range"])
def test_key_not_matching_schema_is_a_validation_error(dynamodb, tables, table_attr, key):
    # Why: whatever the wording, a bad key is a ValidationException.
    assert_dynamo_error(lambda: dynamodb.get_item(TableName=getattr(tables, table_attr), Key=key),
                        "ValidationException")


def test_empty_string_key_is_rejected(dynamodb, tables):
    # Why: reads apply the same empty-key rule as writes.
    assert_dynamo_error(lambda: get(dynamodb, tables, {"pk": {"S": ""}}), "ValidationException",
                        "The AttributeValue for a key attribute cannot contain an empty string value. Key: pk")


def test_get_from_missing_table_is_resource_not_found(dynamodb):
    # Why: reads from an unknown table fail the same way writes do.
    assert_dynamo_error(lambda: dynamodb.get_item(TableName=unique("missing"), Key={"pk": {"S": "a"}}),
                        "ResourceNotFoundException")


def test_projection_and_attributes_to_get_cannot_mix(dynamodb, tables):
    # Why: legacy and expression parameters are mutually exclusive, and the message lists both.
    assert_dynamo_error(lambda: get(dynamodb, tables, {"pk": {"S": "a"}}, ProjectionExpression="a",
                                    AttributesToGet=["a"]),
                        "ValidationException", "Can not use both expression and non-expression parameters in the "
                        "same request: Non-expression parameters: {AttributesToGet} Expression parameters: "
                        "{ProjectionExpression}")


@pytest.mark.parametrize("wraps", [31, 32])
def test_key_nested_beyond_32_levels_gets_the_nesting_error(dynamodb, tables, wraps):
    # Why: the 32-level nesting limit is checked on keys too, before the key is matched against
    # the schema: a key value 33 levels deep gets the nesting message, one level less an
    # ordinary key error.
    value = {"S": "leaf"}
    for _ in range(wraps):
        value = {"M": {"n": value}}
    error = assert_dynamo_error(lambda: dynamodb.get_item(TableName=tables.hash_s, Key={"pk": value}),
                                "ValidationException")
    message = error["Error"]["Message"]
    if wraps == 32:
        assert message == ("Nesting Levels have exceeded supported limits: "
                           "Attributes in the item have nested levels beyond supported limit")
    else:
        assert "Nesting" not in message
