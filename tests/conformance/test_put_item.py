"""PutItem: round trips of every type, replacement, ReturnValues, conditions and item validation."""

from __future__ import annotations

import pytest

from support import assert_dynamo_error, unique

ALL_TYPES = {
    "s": {"S": "text ✓"}, "n": {"N": "-12.5"}, "b": {"B": b"\x00\xffbytes"}, "t": {"BOOL": True},
    "f": {"BOOL": False}, "z": {"NULL": True}, "m": {"M": {"inner": {"S": "x"}, "deep": {"M": {"n": {"N": "1"}}}}},
    "l": {"L": [{"S": "a"}, {"N": "2"}, {"L": []}, {"M": {}}]}, "ss": {"SS": ["b", "a"]},
    "ns": {"NS": ["3", "1", "2.5"]}, "bs": {"BS": [b"\x01", b"\x02"]},
}
RETURN_VALUES_ONLY_FOR_UPDATES = ["UPDATED_OLD", "UPDATED_NEW", "ALL_NEW"]


def normalized(item):
    """Sets are unordered: compare them sorted."""
    out = {}
    for name, value in item.items():
        (kind, inner), = value.items()
        out[name] = {kind: sorted(inner)} if kind in ("SS", "NS", "BS") else value
    return out


def test_every_attribute_type_round_trips(dynamodb, tables):
    # Why: all ten AttributeValue types must be stored and returned unchanged (sets as sets).
    key = {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item={**key, **ALL_TYPES})
    item = dynamodb.get_item(TableName=tables.hash_s, Key=key)["Item"]
    assert normalized(item) == normalized({**key, **ALL_TYPES})


def test_put_replaces_the_whole_item(dynamodb, tables):
    # Why: PutItem is a replace, not a merge: attributes absent from the new item disappear.
    key = {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item={**key, "a": {"S": "1"}, "b": {"S": "2"}})
    dynamodb.put_item(TableName=tables.hash_s, Item={**key, "c": {"S": "3"}})
    assert dynamodb.get_item(TableName=tables.hash_s, Key=key)["Item"] == {**key, "c": {"S": "3"}}


@pytest.mark.parametrize("table_attr,key", [
    ("hash_n", {"pk": {"N": "42"}}), ("hash_b", {"pk": {"B": b"\x00k"}}),
    ("range_s", {"pk": {"S": "p"}, "sk": {"S": "s"}}), ("range_n", {"pk": {"S": "p"}, "sk": {"N": "-1"}}),
    ("range_b", {"pk": {"S": "p"}, "sk": {"B": b"\xff"}}),
])
def test_put_and_get_on_every_key_shape(dynamodb, tables, table_attr, key):
    # Why: key encoding differs per type; each shape must round-trip through put and get.
    marker = unique()
    dynamodb.put_item(TableName=getattr(tables, table_attr), Item={**key, "v": {"S": marker}})
    item = dynamodb.get_item(TableName=getattr(tables, table_attr), Key=key, ConsistentRead=True)["Item"]
    assert item["v"] == {"S": marker}


def test_return_values_none_returns_no_attributes(dynamodb, tables):
    # Why: the default (and explicit NONE) returns nothing about the old item.
    key = {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item={**key, "a": {"S": "old"}})
    response = dynamodb.put_item(TableName=tables.hash_s, Item=key, ReturnValues="NONE")
    assert "Attributes" not in response


def test_return_values_all_old_returns_the_replaced_item(dynamodb, tables):
    # Why: ALL_OLD lets callers see exactly what a put overwrote.
    key = {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item={**key, "a": {"S": "old"}})
    response = dynamodb.put_item(TableName=tables.hash_s, Item={**key, "a": {"S": "new"}}, ReturnValues="ALL_OLD")
    assert response["Attributes"] == {**key, "a": {"S": "old"}}


def test_return_values_all_old_on_new_item_returns_nothing(dynamodb, tables):
    # Why: there is no old item, so no Attributes key at all (not an empty map).
    response = dynamodb.put_item(TableName=tables.hash_s, Item={"pk": {"S": unique()}}, ReturnValues="ALL_OLD")
    assert "Attributes" not in response


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers 'Return values set to invalid value'")
@pytest.mark.parametrize("value", RETURN_VALUES_ONLY_FOR_UPDATES)
def test_update_only_return_values_are_rejected(dynamodb, tables, value):
    # Why: PutItem accepts only NONE and ALL_OLD, and AWS says so.
    assert_dynamo_error(
        lambda: dynamodb.put_item(TableName=tables.hash_s, Item={"pk": {"S": unique()}}, ReturnValues=value),
        "ValidationException", "ReturnValues can only be ALL_OLD or NONE")


@pytest.mark.parametrize("value", RETURN_VALUES_ONLY_FOR_UPDATES)
def test_update_only_return_values_write_nothing(dynamodb, tables, value):
    # Why: a rejected request must not have written its item.
    key = {"pk": {"S": unique()}}
    assert_dynamo_error(lambda: dynamodb.put_item(TableName=tables.hash_s, Item=key, ReturnValues=value),
                        "ValidationException")
    assert "Item" not in dynamodb.get_item(TableName=tables.hash_s, Key=key)


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers 'Return values set to invalid value'")
def test_unknown_return_values_is_an_enum_error(dynamodb, tables):
    # Why: an unknown ReturnValues is a shape error listing the enum.
    assert_dynamo_error(
        lambda: dynamodb.put_item(TableName=tables.hash_s, Item={"pk": {"S": unique()}}, ReturnValues="OLD"),
        "ValidationException", "Value 'OLD' at 'returnValues' failed to satisfy constraint",
        "Member must satisfy enum value set: [")


def test_condition_attribute_not_exists_allows_first_put(dynamodb, tables):
    # Why: attribute_not_exists(pk) is the standard "create only" idiom; a new key passes it.
    key = {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item=key, ConditionExpression="attribute_not_exists(pk)")
    assert dynamodb.get_item(TableName=tables.hash_s, Key=key)["Item"] == key


def test_condition_attribute_not_exists_blocks_overwrite(dynamodb, tables):
    # Why: the same idiom must fail on an existing item and leave it untouched.
    key = {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item={**key, "v": {"N": "1"}})
    response = assert_dynamo_error(
        lambda: dynamodb.put_item(TableName=tables.hash_s, Item={**key, "v": {"N": "2"}},
                                  ConditionExpression="attribute_not_exists(pk)"),
        "ConditionalCheckFailedException", "The conditional request failed")
    assert "Item" not in response
    assert dynamodb.get_item(TableName=tables.hash_s, Key=key)["Item"]["v"] == {"N": "1"}


def test_failed_condition_returns_old_item_when_asked(dynamodb, tables):
    # Why: ReturnValuesOnConditionCheckFailure=ALL_OLD puts the current item in the error.
    key = {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item={**key, "v": {"N": "1"}})
    response = assert_dynamo_error(
        lambda: dynamodb.put_item(TableName=tables.hash_s, Item=key, ConditionExpression="v = :two",
                                  ExpressionAttributeValues={":two": {"N": "2"}},
                                  ReturnValuesOnConditionCheckFailure="ALL_OLD"),
        "ConditionalCheckFailedException")
    assert response["Item"] == {**key, "v": {"N": "1"}}


def test_failed_condition_on_missing_item_returns_no_item(dynamodb, tables):
    # Why: with no current item there is nothing to return, even when ALL_OLD is asked.
    response = assert_dynamo_error(
        lambda: dynamodb.put_item(TableName=tables.hash_s, Item={"pk": {"S": unique()}},
                                  ConditionExpression="attribute_exists(pk)",
                                  ReturnValuesOnConditionCheckFailure="ALL_OLD"),
        "ConditionalCheckFailedException")
    assert "Item" not in response


def test_return_values_on_condition_check_failure_is_an_enum(dynamodb, tables):
    # Why: only ALL_OLD and NONE exist for ReturnValuesOnConditionCheckFailure.
    assert_dynamo_error(
        lambda: dynamodb.put_item(TableName=tables.hash_s, Item={"pk": {"S": unique()}},
                                  ConditionExpression="attribute_exists(pk)",
                                  ReturnValuesOnConditionCheckFailure="ALL_NEW"),
        "ValidationException", "returnValuesOnConditionCheckFailure", "[ALL_OLD, NONE]")


def test_condition_on_other_attribute_passes(dynamodb, tables):
    # Why: a condition comparing a stored attribute gates the put (optimistic locking).
    key = {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item={**key, "version": {"N": "1"}})
    dynamodb.put_item(TableName=tables.hash_s, Item={**key, "version": {"N": "2"}},
                      ConditionExpression="version = :v", ExpressionAttributeValues={":v": {"N": "1"}})
    assert dynamodb.get_item(TableName=tables.hash_s, Key=key)["Item"]["version"] == {"N": "2"}


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local says 'One of the required keys was not given a value'")
def test_missing_key_attribute_is_named(dynamodb, tables):
    # Why: AWS names the missing key attribute.
    assert_dynamo_error(lambda: dynamodb.put_item(TableName=tables.range_s, Item={"pk": {"S": "a"}}),
                        "ValidationException", "One or more parameter values were invalid: Missing the key sk "
                                               "in the item")


@pytest.mark.parametrize("item", [{"other": {"S": "a"}}, {"pk": {"S": "a"}}], ids=["no-key", "no-range"])
def test_missing_key_attribute_is_rejected(dynamodb, tables, item):
    # Why: an item must carry every key attribute of its table.
    assert_dynamo_error(lambda: dynamodb.put_item(TableName=tables.range_s, Item=item), "ValidationException")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local stops at 'Type mismatch for key'")
def test_key_type_mismatch_names_expected_and_actual(dynamodb, tables):
    # Why: AWS tells which key and which types disagree.
    assert_dynamo_error(lambda: dynamodb.put_item(TableName=tables.hash_s, Item={"pk": {"N": "1"}}),
                        "ValidationException", "Type mismatch for key pk expected: S actual: N")


NON_SCALAR_LOCAL = pytest.mark.dynamodb_local_differs(
    reason="DynamoDB Local answers 'Invalid attribute value type' for a non-scalar key value")


@pytest.mark.parametrize("value", [
    {"N": "1"}, {"B": b"x"}, pytest.param({"SS": ["a"]}, marks=NON_SCALAR_LOCAL),
    pytest.param({"M": {}}, marks=NON_SCALAR_LOCAL), pytest.param({"BOOL": True}, marks=NON_SCALAR_LOCAL)],
    ids=["N", "B", "SS", "M", "BOOL"])
def test_key_of_wrong_type_is_rejected(dynamodb, tables, value):
    # Why: key attributes must have the declared scalar type.
    assert_dynamo_error(lambda: dynamodb.put_item(TableName=tables.hash_s, Item={"pk": value}),
                        "ValidationException", "Type mismatch for key")


def test_empty_string_key_is_rejected(dynamodb, tables):
    # Why: empty strings are allowed everywhere except key attributes.
    assert_dynamo_error(lambda: dynamodb.put_item(TableName=tables.hash_s, Item={"pk": {"S": ""}}),
                        "ValidationException",
                        "One or more parameter values are not valid. The AttributeValue for a key attribute "
                        "cannot contain an empty string value. Key: pk")


def test_empty_binary_key_is_rejected(dynamodb, tables):
    # Why: empty binary is allowed everywhere except key attributes.
    assert_dynamo_error(lambda: dynamodb.put_item(TableName=tables.hash_b, Item={"pk": {"B": b""}}),
                        "ValidationException",
                        "The AttributeValue for a key attribute cannot contain an empty binary value. Key: pk")


def test_empty_sort_key_string_is_rejected(dynamodb, tables):
    # Why: the empty-value rule applies to the sort key as well, and names it.
    assert_dynamo_error(
        lambda: dynamodb.put_item(TableName=tables.range_s, Item={"pk": {"S": "a"}, "sk": {"S": ""}}),
        "ValidationException", "cannot contain an empty string value. Key: sk")


def test_empty_non_key_values_are_stored(dynamodb, tables):
    # Why: since 2020 empty S and B (and empty L and M) are legal outside keys, also nested.
    key = {"pk": {"S": unique()}}
    item = {**key, "s": {"S": ""}, "b": {"B": b""}, "l": {"L": [{"S": ""}]}, "m": {"M": {"e": {"S": ""}}},
            "em": {"M": {}}, "el": {"L": []}}
    dynamodb.put_item(TableName=tables.hash_s, Item=item)
    assert dynamodb.get_item(TableName=tables.hash_s, Key=key)["Item"] == item


@pytest.mark.parametrize(("value", "message"), [
    ({"SS": []}, "One or more parameter values were invalid: An string set  may not be empty"),
    ({"NS": []}, "One or more parameter values were invalid: An number set  may not be empty"),
    ({"BS": []}, "One or more parameter values were invalid: Binary sets should not be empty"),
])
def test_empty_sets_are_rejected(dynamodb, tables, value, message):
    # Why: sets can never be empty; each set type has its own (oddly worded) message.
    assert_dynamo_error(lambda: dynamodb.put_item(TableName=tables.hash_s, Item={"pk": {"S": "a"}, "x": value}),
                        "ValidationException", message)


def test_empty_set_nested_in_map_is_rejected(dynamodb, tables):
    # Why: the empty-set rule applies at any depth.
    assert_dynamo_error(lambda: dynamodb.put_item(
        TableName=tables.hash_s, Item={"pk": {"S": "a"}, "m": {"M": {"x": {"L": [{"SS": []}]}}}}),
        "ValidationException", "may not be empty")


def test_duplicate_string_set_members_are_rejected(dynamodb, tables):
    # Why: a set with duplicates is a client error, echoed in the message.
    assert_dynamo_error(
        lambda: dynamodb.put_item(TableName=tables.hash_s, Item={"pk": {"S": "a"}, "x": {"SS": ["a", "a"]}}),
        "ValidationException", "One or more parameter values were invalid: Input collection [a, a] contains duplicates")


@pytest.mark.parametrize("value", [{"NS": ["1", "1.0"]}, {"NS": ["10", "1E1"]}, {"BS": [b"a", b"a"]}])
def test_duplicate_set_members_are_rejected(dynamodb, tables, value):
    # Why: numbers are compared by value (1 == 1.0) and binaries by bytes when checking duplicates.
    assert_dynamo_error(lambda: dynamodb.put_item(TableName=tables.hash_s, Item={"pk": {"S": "a"}, "x": value}),
                        "ValidationException", "contains duplicates")


@pytest.mark.parametrize(("value", "message"), [
    ({"S": "a", "N": "1"}, "Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
                           "the supported datatypes"),
    ({}, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
    ({"NULL": False}, "One or more parameter values were invalid: Null attribute value types must have the value "
                      "of true"),
])
def test_malformed_attribute_values_are_rejected(dynamodb, tables, value, message):
    # Why: an AttributeValue has exactly one type; NULL can only be true.
    assert_dynamo_error(lambda: dynamodb.put_item(TableName=tables.hash_s, Item={"pk": {"S": "a"}, "x": value}),
                        "ValidationException", message)


def nested(kind, wraps, leaf=None):
    """``leaf`` (an S by default) wrapped in ``wraps`` M or L values: ``wraps`` + 1 levels."""
    value = leaf or {"S": "leaf"}
    for _ in range(wraps):
        value = {"M": {"n": value}} if kind == "M" else {"L": [value]}
    return value


ITEM_NESTING = ("Nesting Levels have exceeded supported limits: "
                "Attributes in the item have nested levels beyond supported limit")


@pytest.mark.parametrize("kind", ["M", "L"])
def test_values_nest_up_to_32_levels(dynamodb, tables, kind):
    # Why: DynamoDB allows 32 levels of nesting, the top-level attribute's value being the first:
    # 31 wraps around a scalar are stored and read back unchanged.
    key = {"pk": {"S": unique()}}
    item = {**key, "x": nested(kind, 31)}
    dynamodb.put_item(TableName=tables.hash_s, Item=item)
    assert dynamodb.get_item(TableName=tables.hash_s, Key=key, ConsistentRead=True)["Item"] == item


@pytest.mark.parametrize("leaf", [{"S": "leaf"}, {"M": {}}, {"L": []}])
@pytest.mark.parametrize("kind", ["M", "L"])
def test_nesting_beyond_32_levels_is_rejected(dynamodb, tables, kind, leaf):
    # Why: a 33rd level (even an empty map or list at the 32nd) is refused with DynamoDB's own
    # message, and nothing is written.
    key = {"pk": {"S": unique()}}
    wraps = 32 if leaf == {"S": "leaf"} else 31
    item = {**key, "x": nested(kind, wraps, leaf)}
    assert_dynamo_error(lambda: dynamodb.put_item(TableName=tables.hash_s, Item=item),
                        "ValidationException", ITEM_NESTING)
    assert "Item" not in dynamodb.get_item(TableName=tables.hash_s, Key=key, ConsistentRead=True)


def test_batch_write_rejects_nesting_beyond_32_levels(dynamodb, tables):
    # Why: the limit applies to every stored item, and the whole batch is refused.
    keys = [{"pk": {"S": unique()}}, {"pk": {"S": unique()}}]
    requests = [{"PutRequest": {"Item": {**keys[0], "x": {"S": "fine"}}}},
                {"PutRequest": {"Item": {**keys[1], "x": nested("M", 40)}}}]
    assert_dynamo_error(lambda: dynamodb.batch_write_item(RequestItems={tables.hash_s: requests}),
                        "ValidationException", "Nesting Levels have exceeded supported limits")
    for key in keys:
        assert "Item" not in dynamodb.get_item(TableName=tables.hash_s, Key=key, ConsistentRead=True)


def test_put_to_missing_table_is_resource_not_found(dynamodb):
    # Why: data-plane calls on an unknown table answer ResourceNotFoundException.
    assert_dynamo_error(lambda: dynamodb.put_item(TableName=unique("missing"), Item={"pk": {"S": "a"}}),
                        "ResourceNotFoundException")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local says 'Cannot do operations on a non-existent table'")
def test_put_to_missing_table_message(dynamodb):
    # Why: AWS's data-plane message is "Requested resource not found".
    assert_dynamo_error(lambda: dynamodb.put_item(TableName=unique("missing"), Item={"pk": {"S": "a"}}),
                        "ResourceNotFoundException", "Requested resource not found")


def test_expression_values_without_expression_are_rejected(dynamodb, tables):
    # Why: ExpressionAttributeValues only make sense with an expression that can use them.
    assert_dynamo_error(lambda: dynamodb.put_item(TableName=tables.hash_s, Item={"pk": {"S": "a"}},
                                                  ExpressionAttributeValues={":a": {"S": "x"}}),
                        "ValidationException",
                        "ExpressionAttributeValues can only be specified when using expressions: "
                        "ConditionExpression is null")


def test_expression_names_without_expression_are_rejected(dynamodb, tables):
    # Why: likewise for ExpressionAttributeNames.
    assert_dynamo_error(lambda: dynamodb.put_item(TableName=tables.hash_s, Item={"pk": {"S": "a"}},
                                                  ExpressionAttributeNames={"#a": "x"}),
                        "ValidationException", "ExpressionAttributeNames can only be specified when using expressions")


@pytest.mark.parametrize("item", [{"": {"S": "x"}}, {"m": {"M": {"": {"S": "x"}}}}], ids=["top-level", "map-member"])
def test_empty_attribute_names_are_rejected(dynamodb, tables, item):
    # Why: an attribute or map member needs a name; an empty one is refused, not stored.
    assert_dynamo_error(lambda: dynamodb.put_item(TableName=tables.hash_s, Item={"pk": {"S": unique()}, **item}),
                        "ValidationException", "Empty attribute name")
