"""UpdateItem: upserts, every ReturnValues mode, conditions and key protection.

Expression semantics (SET arithmetic, list_append, ADD/DELETE on sets...) are covered in
test_expressions_update.py; this file is about the operation itself.
"""

from __future__ import annotations

import pytest

from support import assert_dynamo_error, unique


@pytest.fixture
def stored(dynamodb, tables):
    key = {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item={**key, "a": {"N": "1"}, "b": {"S": "keep"}})
    return key


def update(dynamodb, tables, key, expression, values=None, **kwargs):
    request = {"TableName": tables.hash_s, "Key": key, "UpdateExpression": expression, **kwargs}
    if values:
        request["ExpressionAttributeValues"] = values
    return dynamodb.update_item(**request)


def current(dynamodb, tables, key):
    return dynamodb.get_item(TableName=tables.hash_s, Key=key).get("Item")


def test_update_creates_missing_item(dynamodb, tables):
    # Why: UpdateItem is an upsert: the key plus the SET attributes become a new item.
    key = {"pk": {"S": unique()}}
    update(dynamodb, tables, key, "SET a = :v", {":v": {"S": "x"}})
    assert current(dynamodb, tables, key) == {**key, "a": {"S": "x"}}


def test_update_without_expression_creates_key_only_item(dynamodb, tables):
    # Why: an UpdateItem with only a Key still creates the item.
    key = {"pk": {"S": unique()}}
    dynamodb.update_item(TableName=tables.hash_s, Key=key)
    assert current(dynamodb, tables, key) == key


def test_empty_attribute_updates_creates_key_only_item(dynamodb, tables):
    # Why: an update with no actions at all still upserts the key.
    key = {"pk": {"S": unique()}}
    dynamodb.update_item(TableName=tables.hash_s, Key=key, AttributeUpdates={})
    assert current(dynamodb, tables, key) == key


_ONLY_REMOVES = [
    {"UpdateExpression": "REMOVE a"},
    {"UpdateExpression": "REMOVE a, b"},
    {"UpdateExpression": "DELETE s :v", "ExpressionAttributeValues": {":v": {"SS": ["x"]}}},
    {"AttributeUpdates": {"a": {"Action": "DELETE"}}},
    {"AttributeUpdates": {"s": {"Action": "DELETE", "Value": {"SS": ["x"]}}}},
    {"UpdateExpression": "REMOVE x.y"},
    {"UpdateExpression": "REMOVE x[0]"},
    {"UpdateExpression": "REMOVE a", "ConditionExpression": "attribute_not_exists(pk)"},
]


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local creates a key-only item, and rejects REMOVE x.y and "
                                           "REMOVE x[0] as invalid paths")
@pytest.mark.parametrize("parameters", _ONLY_REMOVES, ids=["remove", "remove-two", "delete-from-set",
                                                           "legacy-delete", "legacy-delete-value", "remove-nested",
                                                           "remove-element", "remove-with-condition"])
@pytest.mark.parametrize("mode", ["NONE", "ALL_NEW", "UPDATED_NEW"])
def test_update_that_only_removes_does_not_create_a_missing_item(dynamodb, tables, parameters, mode):
    # Why: an update whose every action removes or deletes leaves a missing item missing, returns no
    # attributes, and even ignores paths under attributes that do not exist (AWS's behavior, as
    # recorded by test suites run against it: ScyllaDB's Alternator tests, issue 5862).
    key = {"pk": {"S": unique()}}
    response = dynamodb.update_item(TableName=tables.hash_s, Key=key, ReturnValues=mode, **parameters)
    assert "Attributes" not in response
    assert current(dynamodb, tables, key) is None


def test_nested_remove_on_an_item_without_the_parent_is_an_error(dynamodb, tables, stored):
    # Why: the counterpart of the test above: on an existing item, a path under a missing attribute
    # is invalid.
    assert_dynamo_error(lambda: update(dynamodb, tables, stored, "REMOVE x.y"), "ValidationException",
                        "The document path provided in the update expression is invalid for update")


def test_update_keeps_untouched_attributes(dynamodb, tables, stored):
    # Why: unlike PutItem, UpdateItem changes only the named attributes.
    update(dynamodb, tables, stored, "SET a = :v", {":v": {"N": "5"}})
    assert current(dynamodb, tables, stored) == {**stored, "a": {"N": "5"}, "b": {"S": "keep"}}


def test_removing_every_attribute_leaves_the_key(dynamodb, tables, stored):
    # Why: an item cannot lose its key by update; it remains with only key attributes.
    update(dynamodb, tables, stored, "REMOVE a, b")
    assert current(dynamodb, tables, stored) == stored


@pytest.mark.parametrize(("mode", "expected"), [
    ("NONE", None),
    ("ALL_OLD", {"a": {"N": "1"}, "b": {"S": "keep"}, "_key": True}),
    ("UPDATED_OLD", {"a": {"N": "1"}}),
    ("ALL_NEW", {"a": {"N": "2"}, "b": {"S": "keep"}, "c": {"S": "new"}, "_key": True}),
    ("UPDATED_NEW", {"a": {"N": "2"}, "c": {"S": "new"}}),
])
def test_every_return_values_mode(dynamodb, tables, stored, mode, expected):
    # Why: each mode returns a different slice: whole/changed attributes, before/after.
    response = update(dynamodb, tables, stored, "SET a = a + :one, c = :c", {":one": {"N": "1"}, ":c": {"S": "new"}},
                      ReturnValues=mode)
    if expected is None:
        assert "Attributes" not in response
        return
    expected = dict(expected)  # parameters are shared between targets: never mutate them
    if expected.pop("_key", False):
        expected = {**stored, **expected}
    assert response["Attributes"] == expected


def test_updated_old_omits_attributes_that_did_not_exist(dynamodb, tables, stored):
    # Why: UPDATED_OLD lists only attributes that existed before and were touched.
    response = update(dynamodb, tables, stored, "SET z = :v", {":v": {"S": "z"}}, ReturnValues="UPDATED_OLD")
    assert "Attributes" not in response


def test_updated_new_omits_removed_attributes(dynamodb, tables, stored):
    # Why: a REMOVEd attribute has no new value, so UPDATED_NEW does not mention it.
    response = update(dynamodb, tables, stored, "REMOVE b SET a = :v", {":v": {"N": "9"}}, ReturnValues="UPDATED_NEW")
    assert response["Attributes"] == {"a": {"N": "9"}}


def test_updated_old_includes_removed_attributes(dynamodb, tables, stored):
    # Why: REMOVE touches an attribute, so its old value is reported by UPDATED_OLD.
    response = update(dynamodb, tables, stored, "REMOVE b", ReturnValues="UPDATED_OLD")
    assert response["Attributes"] == {"b": {"S": "keep"}}


def test_all_old_on_created_item_returns_nothing(dynamodb, tables):
    # Why: when the update created the item there was no old item to return.
    response = update(dynamodb, tables, {"pk": {"S": unique()}}, "SET a = :v", {":v": {"S": "x"}},
                      ReturnValues="ALL_OLD")
    assert "Attributes" not in response


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local returns the whole top-level map for a nested SET")
def test_updated_new_on_nested_path_returns_only_that_path(dynamodb, tables):
    # Why: UPDATED_* return the changed document paths, not whole top-level attributes.
    key = {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item={**key, "m": {"M": {"x": {"N": "1"}, "y": {"N": "2"}}}})
    response = update(dynamodb, tables, key, "SET m.x = :v", {":v": {"N": "10"}}, ReturnValues="UPDATED_NEW")
    assert response["Attributes"] == {"m": {"M": {"x": {"N": "10"}}}}


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers 'Return values set to invalid value'")
def test_unknown_return_values_is_an_enum_error(dynamodb, tables, stored):
    # Why: ReturnValues is an enum checked at the shape level.
    assert_dynamo_error(lambda: update(dynamodb, tables, stored, "REMOVE x", ReturnValues="NEW"),
                        "ValidationException", "Value 'NEW' at 'returnValues' failed to satisfy constraint")


def test_condition_met_applies_update(dynamodb, tables, stored):
    # Why: optimistic locking: the update applies when the version matches.
    update(dynamodb, tables, stored, "SET a = :two", {":one": {"N": "1"}, ":two": {"N": "2"}},
           ConditionExpression="a = :one")
    assert current(dynamodb, tables, stored)["a"] == {"N": "2"}


def test_condition_not_met_changes_nothing(dynamodb, tables, stored):
    # Why: a failed condition must leave the item exactly as it was.
    assert_dynamo_error(lambda: update(dynamodb, tables, stored, "SET a = :two", {":two": {"N": "2"}},
                                       ConditionExpression="a = :two"),
                        "ConditionalCheckFailedException", "The conditional request failed")
    assert current(dynamodb, tables, stored)["a"] == {"N": "1"}


def test_condition_on_missing_item_does_not_create_it(dynamodb, tables):
    # Why: attribute_exists guards turn the upsert into update-only.
    key = {"pk": {"S": unique()}}
    assert_dynamo_error(lambda: update(dynamodb, tables, key, "SET a = :v", {":v": {"N": "1"}},
                                       ConditionExpression="attribute_exists(pk)"),
                        "ConditionalCheckFailedException")
    assert current(dynamodb, tables, key) is None


def test_failed_condition_returns_old_item_when_asked(dynamodb, tables, stored):
    # Why: ReturnValuesOnConditionCheckFailure=ALL_OLD puts the unchanged item in the error.
    response = assert_dynamo_error(
        lambda: update(dynamodb, tables, stored, "SET a = :v", {":v": {"N": "7"}}, ConditionExpression="a = :v",
                       ReturnValuesOnConditionCheckFailure="ALL_OLD"),
        "ConditionalCheckFailedException")
    assert response["Item"] == {**stored, "a": {"N": "1"}, "b": {"S": "keep"}}


@pytest.mark.parametrize("expression", ["SET pk = :v", "REMOVE pk", "ADD pk :v"])
def test_key_attributes_cannot_be_updated(dynamodb, tables, stored, expression):
    # Why: the primary key identifies the item; changing it needs delete + put.
    values = {"REMOVE": None, "SET": {":v": {"S": "other"}}, "ADD": {":v": {"N": "1"}}}[expression.split()[0]]
    assert_dynamo_error(lambda: update(dynamodb, tables, stored, expression, values), "ValidationException",
                        "Cannot update attribute pk. This attribute is part of the key")


def test_sort_key_cannot_be_updated(dynamodb, tables):
    # Why: the rule covers the sort key too.
    key = {"pk": {"S": unique()}, "sk": {"S": "a"}}
    assert_dynamo_error(lambda: dynamodb.update_item(TableName=tables.range_s, Key=key, UpdateExpression="SET sk = :v",
                                                     ExpressionAttributeValues={":v": {"S": "b"}}),
                        "ValidationException", "Cannot update attribute sk. This attribute is part of the key")


def test_update_expression_cannot_mix_with_attribute_updates(dynamodb, tables, stored):
    # Why: legacy AttributeUpdates and UpdateExpression are mutually exclusive.
    assert_dynamo_error(lambda: update(dynamodb, tables, stored, "SET a = :v", {":v": {"N": "2"}},
                                       AttributeUpdates={"x": {"Action": "PUT", "Value": {"S": "1"}}}),
                        "ValidationException", "Can not use both expression and non-expression parameters",
                        "Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}")


def test_empty_update_expression_is_rejected(dynamodb, tables, stored):
    # Why: an empty UpdateExpression is invalid rather than a no-op.
    assert_dynamo_error(lambda: update(dynamodb, tables, stored, ""), "ValidationException",
                        "Invalid UpdateExpression: The expression can not be empty;")


def test_update_on_missing_table_is_resource_not_found(dynamodb):
    # Why: updates on an unknown table fail like every other data-plane call.
    assert_dynamo_error(lambda: dynamodb.update_item(TableName=unique("missing"), Key={"pk": {"S": "a"}},
                                                     UpdateExpression="REMOVE a"),
                        "ResourceNotFoundException")


def test_update_creating_empty_string_key_is_rejected(dynamodb, tables):
    # Why: upserting must apply the empty-key rule of PutItem.
    assert_dynamo_error(lambda: update(dynamodb, tables, {"pk": {"S": ""}}, "SET a = :v", {":v": {"N": "1"}}),
                        "ValidationException", "cannot contain an empty string value. Key: pk")
