"""Legacy (pre-expression) parameters: Expected, AttributeUpdates, KeyConditions, QueryFilter, ScanFilter,
AttributesToGet and ConditionalOperator. Old SDK code still sends them, so they must keep working."""

from __future__ import annotations

import pytest

from support import assert_dynamo_error, unique


@pytest.fixture
def key(dynamodb, tables):
    key = {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item={**key, "a": {"N": "1"}, "s": {"S": "hello"},
                                                     "ss": {"SS": ["x", "y"]}, "l": {"L": [{"S": "e"}]}})
    return key


def put_expecting(dynamodb, tables, key, expected, **kwargs):
    return dynamodb.put_item(TableName=tables.hash_s, Item={**key, "a": {"N": "1"}, "s": {"S": "hello"},
                                                            "ss": {"SS": ["x", "y"]}, "l": {"L": [{"S": "e"}]}},
                             Expected=expected, **kwargs)


def holds(dynamodb, tables, key, expected, **kwargs):
    try:
        put_expecting(dynamodb, tables, key, expected, **kwargs)
        return True
    except Exception as exc:
        if getattr(exc, "response", {}).get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise


def op(operator, *values):
    return {"ComparisonOperator": operator, **({"AttributeValueList": list(values)} if values else {})}


@pytest.mark.parametrize(("expected", "result"), [
    ({"a": {"Value": {"N": "1"}}}, True), ({"a": {"Value": {"N": "2"}}}, False),
    ({"a": {"Value": {"N": "1"}, "Exists": True}}, True),
    ({"zz": {"Exists": False}}, True), ({"a": {"Exists": False}}, False),
    ({"a": op("EQ", {"N": "1"})}, True), ({"a": op("NE", {"N": "1"})}, False), ({"a": op("LT", {"N": "2"})}, True),
    ({"a": op("LE", {"N": "1"})}, True), ({"a": op("GT", {"N": "1"})}, False), ({"a": op("GE", {"N": "1"})}, True),
    ({"a": op("BETWEEN", {"N": "0"}, {"N": "1"})}, True), ({"a": op("IN", {"N": "5"}, {"N": "1"})}, True),
    ({"s": op("BEGINS_WITH", {"S": "he"})}, True), ({"s": op("CONTAINS", {"S": "ll"})}, True),
    ({"s": op("NOT_CONTAINS", {"S": "ll"})}, False), ({"ss": op("CONTAINS", {"S": "x"})}, True),
    ({"l": op("CONTAINS", {"S": "e"})}, True), ({"zz": op("NULL")}, True), ({"a": op("NOT_NULL")}, True),
    ({"a": op("NULL")}, False), ({"zz": op("NE", {"N": "1"})}, True), ({"a": op("EQ", {"S": "1"})}, False),
    ({"a": op("EQ", {"N": "1"}), "s": op("EQ", {"S": "nope"})}, False),
], ids=lambda v: str(v)[:60] if isinstance(v, dict) else None)
def test_expected_conditions(dynamodb, tables, key, expected, result):
    # Why: every legacy comparison operator must gate a write exactly as its expression equivalent.
    assert holds(dynamodb, tables, key, expected) is result


def test_conditional_operator_or(dynamodb, tables, key):
    # Why: ConditionalOperator=OR turns the Expected map into a disjunction.
    assert holds(dynamodb, tables, key, {"a": op("EQ", {"N": "1"}), "s": op("EQ", {"S": "nope"})},
                 ConditionalOperator="OR")


def test_value_is_required_when_exists_is_true(dynamodb, tables, key):
    # Why: Exists=true without a Value cannot be checked.
    assert_dynamo_error(lambda: put_expecting(dynamodb, tables, key, {"a": {"Exists": True}}), "ValidationException",
                        "One or more parameter values were invalid: Value must be provided when Exists is true for "
                        "Attribute: a")


def test_value_cannot_be_used_when_exists_is_false(dynamodb, tables, key):
    # Why: Exists=false with a Value is contradictory.
    assert_dynamo_error(lambda: put_expecting(dynamodb, tables, key, {"a": {"Exists": False, "Value": {"N": "1"}}}),
                        "ValidationException", "One or more parameter values were invalid: Value cannot be used when "
                        "Exists is false for Attribute: a")


@pytest.mark.parametrize(("operator", "values"), [("BETWEEN", [{"N": "1"}]), ("EQ", []), ("NULL", [{"N": "1"}]),
                                                  ("IN", [])])
def test_wrong_argument_count_is_rejected(dynamodb, tables, key, operator, values):
    # Why: each operator takes a fixed number of values (IN at least one).
    assert_dynamo_error(lambda: put_expecting(dynamodb, tables, key, {"a": {"ComparisonOperator": operator,
                                                                            "AttributeValueList": values}}),
                        "ValidationException", f"Invalid number of argument(s) for the {operator} ComparisonOperator")


def test_contains_does_not_accept_a_set_argument(dynamodb, tables, key):
    # Why: CONTAINS takes a scalar to look for, never a set.
    assert_dynamo_error(lambda: put_expecting(dynamodb, tables, key, {"ss": op("CONTAINS", {"SS": ["x"]})}),
                        "ValidationException", "ComparisonOperator CONTAINS is not valid for SS AttributeValue type")


def test_expected_cannot_mix_with_condition_expression(dynamodb, tables, key):
    # Why: a request uses either legacy or expression parameters.
    assert_dynamo_error(lambda: put_expecting(dynamodb, tables, key, {"a": op("EQ", {"N": "1"})},
                                              ConditionExpression="attribute_exists(a)"),
                        "ValidationException", "Can not use both expression and non-expression parameters in the same "
                        "request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}")


def test_conditional_operator_needs_conditions(dynamodb, tables):
    # Why: ConditionalOperator alone has nothing to combine.
    assert_dynamo_error(lambda: dynamodb.put_item(TableName=tables.hash_s, Item={"pk": {"S": unique()}},
                                                  ConditionalOperator="OR"),
                        "ValidationException", "ConditionalOperator cannot be used without Filter or Expected")


def test_attribute_updates_put_add_delete(dynamodb, tables, key):
    # Why: AttributeUpdates' three actions map to SET, ADD (numbers and sets) and REMOVE/DELETE.
    item = dynamodb.update_item(TableName=tables.hash_s, Key=key, ReturnValues="ALL_NEW", AttributeUpdates={
        "a": {"Action": "ADD", "Value": {"N": "5"}}, "s": {"Action": "DELETE"},
        "n": {"Action": "PUT", "Value": {"S": "v"}}, "ss": {"Action": "DELETE", "Value": {"SS": ["x"]}},
        "new": {"Action": "ADD", "Value": {"SS": ["z"]}}})["Attributes"]
    assert item == {**key, "a": {"N": "6"}, "n": {"S": "v"}, "ss": {"SS": ["y"]}, "l": {"L": [{"S": "e"}]},
                    "new": {"SS": ["z"]}}


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local ignores an AttributeUpdates entry without Action")
def test_attribute_updates_default_action_is_put(dynamodb, tables, key):
    # Why: Action defaults to PUT.
    item = dynamodb.update_item(TableName=tables.hash_s, Key=key, ReturnValues="UPDATED_NEW",
                                AttributeUpdates={"a": {"Value": {"S": "replaced"}}})["Attributes"]
    assert item == {"a": {"S": "replaced"}}


def test_attribute_updates_with_expected(dynamodb, tables, key):
    # Why: legacy updates combine with legacy conditions.
    assert_dynamo_error(lambda: dynamodb.update_item(TableName=tables.hash_s, Key=key,
                                                     Expected={"a": {"Value": {"N": "9"}}},
                                                     AttributeUpdates={"a": {"Action": "PUT", "Value": {"N": "2"}}}),
                        "ConditionalCheckFailedException")


@pytest.mark.parametrize(("update", "message"), [
    ({"pk": {"Action": "PUT", "Value": {"S": "v"}}}, "Cannot update attribute pk. This attribute is part of the key"),
    ({"x": {"Action": "PUT"}}, "Only DELETE action is allowed when no attribute value is specified"),
    ({"s": {"Action": "ADD", "Value": {"S": "s"}}}, "ADD action is not supported for the type STRING"),
])
def test_invalid_attribute_updates(dynamodb, tables, key, update, message):
    # Why: key attributes are immutable, PUT needs a value, ADD needs a number or set.
    assert_dynamo_error(lambda: dynamodb.update_item(TableName=tables.hash_s, Key=key, AttributeUpdates=update),
                        "ValidationException", f"One or more parameter values were invalid: {message}")


def test_attributes_to_get(dynamodb, tables, key):
    # Why: AttributesToGet projects top-level attributes by name.
    assert dynamodb.get_item(TableName=tables.hash_s, Key=key, AttributesToGet=["a", "zz"])["Item"] == {"a": {"N": "1"}}


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers 'Cannot have two attributes with the same name'")
def test_attributes_to_get_duplicates_are_rejected(dynamodb, tables, key):
    # Why: a name listed twice is a client error naming the duplicate.
    assert_dynamo_error(lambda: dynamodb.get_item(TableName=tables.hash_s, Key=key, AttributesToGet=["a", "a"]),
                        "ValidationException", "One or more parameter values were invalid: Duplicate value in "
                                               "attribute "
                        "name: a")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local accepts an empty AttributesToGet and returns the whole item")
def test_empty_attributes_to_get_is_rejected(dynamodb, tables, key):
    # Why: AttributesToGet has a minimum length of 1.
    assert_dynamo_error(lambda: dynamodb.get_item(TableName=tables.hash_s, Key=key, AttributesToGet=[]),
                        "ValidationException", "Member must have length greater than or equal to 1")


@pytest.fixture(scope="module")
def partition(dynamodb, tables):
    pk = {"S": unique("legacy")}
    for i in range(5):
        dynamodb.put_item(TableName=tables.range_n, Item={"pk": pk, "sk": {"N": str(i)}, "v": {"N": str(i * 10)}})
    return pk


def sks(response):
    return [int(i["sk"]["N"]) for i in response["Items"]]


@pytest.mark.parametrize(("condition", "expected"), [
    (None, [0, 1, 2, 3, 4]), (op("EQ", {"N": "2"}), [2]), (op("LT", {"N": "2"}), [0, 1]),
    (op("LE", {"N": "2"}), [0, 1, 2]), (op("GT", {"N": "2"}), [3, 4]), (op("GE", {"N": "2"}), [2, 3, 4]),
    (op("BETWEEN", {"N": "1"}, {"N": "3"}), [1, 2, 3]),
], ids=["hash-only", "EQ", "LT", "LE", "GT", "GE", "BETWEEN"])
def test_key_conditions(dynamodb, tables, partition, condition, expected):
    # Why: KeyConditions supports the same key operators as KeyConditionExpression.
    conditions = {"pk": op("EQ", partition), **({"sk": condition} if condition else {})}
    assert sks(dynamodb.query(TableName=tables.range_n, KeyConditions=conditions)) == expected


def test_begins_with_key_condition_on_string_keys(dynamodb, tables):
    # Why: BEGINS_WITH is a key operator for S sort keys.
    pk = {"S": unique()}
    for s in ("ab", "ac", "b"):
        dynamodb.put_item(TableName=tables.range_s, Item={"pk": pk, "sk": {"S": s}})
    response = dynamodb.query(TableName=tables.range_s,
                              KeyConditions={"pk": op("EQ", pk), "sk": op("BEGINS_WITH", {"S": "a"})})
    assert [i["sk"]["S"] for i in response["Items"]] == ["ab", "ac"]


@pytest.mark.dynamodb_local_differs(
    reason="DynamoDB Local answers InternalFailure for a non-key operator in KeyConditions")
def test_non_indexable_key_condition_is_rejected(dynamodb, tables, partition):
    # Why: NE cannot select a key range.
    assert_dynamo_error(lambda: dynamodb.query(TableName=tables.range_n, KeyConditions={
        "pk": op("EQ", partition), "sk": op("NE", {"N": "1"})}), "ValidationException",
        "Attempted conditional constraint is not an indexable operation")


def test_query_filter_and_conditional_operator(dynamodb, tables, partition):
    # Why: QueryFilter is the legacy FilterExpression, combined with AND unless ConditionalOperator=OR.
    conditions = {"pk": op("EQ", partition)}
    response = dynamodb.query(TableName=tables.range_n, KeyConditions=conditions,
                              QueryFilter={"v": op("GE", {"N": "30"})})
    assert (sks(response), response["ScannedCount"]) == ([3, 4], 5)
    response = dynamodb.query(TableName=tables.range_n, KeyConditions=conditions, ConditionalOperator="OR",
                              QueryFilter={"v": op("EQ", {"N": "0"}), "zz": op("NOT_NULL")})
    assert sks(response) == [0]


def test_query_filter_on_key_attribute_is_rejected(dynamodb, tables, partition):
    # Why: like FilterExpression, QueryFilter may not touch key attributes.
    assert_dynamo_error(lambda: dynamodb.query(TableName=tables.range_n, KeyConditions={"pk": op("EQ", partition)},
                                               QueryFilter={"sk": op("NOT_NULL")}),
                        "ValidationException", "QueryFilter can only contain non-primary key attributes: Primary key "
                        "attribute: sk")


def test_key_conditions_cannot_mix_with_expression(dynamodb, tables, partition):
    # Why: the message lists every legacy parameter present.
    assert_dynamo_error(lambda: dynamodb.query(TableName=tables.range_n, KeyConditions={"pk": op("EQ", partition)},
                                               QueryFilter={"v": op("NOT_NULL")}, KeyConditionExpression="pk = :p",
                                               ExpressionAttributeValues={":p": partition}),
                        "ValidationException", "Can not use both expression and non-expression parameters in the same "
                        "request: Non-expression parameters: {QueryFilter, KeyConditions} Expression parameters: "
                        "{KeyConditionExpression}")


def test_scan_filter(dynamodb, tables, partition):
    # Why: ScanFilter is the legacy FilterExpression for Scan, and may test keys.
    response = dynamodb.scan(TableName=tables.range_n, ScanFilter={"pk": op("EQ", partition), "v": op("IN", {"N": "10"},
                                                                                                      {"N": "40"})})
    assert sorted(sks(response)) == [1, 4]


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers 'Comparison type does not exist in DynamoDB'")
def test_unknown_comparison_operator_is_an_enum_error(dynamodb, tables):
    # Why: ComparisonOperator is an enum validated at the shape level.
    assert_dynamo_error(lambda: dynamodb.scan(TableName=tables.range_n,
                                              ScanFilter={"v": {"ComparisonOperator": "LIKE"}}),
                        "ValidationException", "Member must satisfy enum value set")


def test_attributes_to_get_with_select_count_is_rejected(dynamodb, tables):
    # Why: the COUNT/projection conflict exists for the legacy spelling too.
    assert_dynamo_error(lambda: dynamodb.scan(TableName=tables.range_n, AttributesToGet=["v"], Select="COUNT"),
                        "ValidationException", "Cannot specify the AttributesToGet when choosing to get only the Count")


def test_specific_attributes_needs_a_projection(dynamodb, tables):
    # Why: SPECIFIC_ATTRIBUTES without a list of attributes is meaningless.
    assert_dynamo_error(lambda: dynamodb.scan(TableName=tables.range_n, Select="SPECIFIC_ATTRIBUTES"),
                        "ValidationException", "Must specify the AttributesToGet or ProjectionExpression when choosing "
                        "to get SPECIFIC_ATTRIBUTES")


@pytest.mark.parametrize(("expected", "result"), [
    ({"l": op("EQ", {"L": [{"S": "e"}]})}, True), ({"l": op("EQ", {"L": []})}, False),
    ({"l": op("NE", {"L": []})}, True), ({"m": op("EQ", {"M": {}})}, False), ({"m": op("NE", {"M": {}})}, True),
    ({"a": op("EQ", {"BOOL": True})}, False), ({"a": op("NE", {"NULL": True})}, True),
    ({"zz": op("NE", {"BOOL": True})}, True),
], ids=["list-eq", "list-eq-other", "list-ne", "map-eq-missing", "map-ne-missing", "bool-eq", "null-ne",
        "missing-ne-bool"])
def test_eq_and_ne_take_every_type(dynamodb, tables, key, expected, result):
    # Why: EQ and NE compare lists, maps, booleans and nulls too (the documentation names only
    # scalars and sets; DynamoDB accepts the rest).
    assert holds(dynamodb, tables, key, expected) is result


@pytest.mark.parametrize(("expected", "result"), [
    ({"zz": op("NOT_CONTAINS", {"N": "1"})}, False), ({"zz": op("CONTAINS", {"N": "1"})}, False),
    ({"ss": op("NOT_CONTAINS", {"S": "q"})}, True),
], ids=["not-contains-missing", "contains-missing", "not-contains-set"])
def test_not_contains_is_false_on_a_missing_attribute(dynamodb, tables, key, expected, result):
    # Why: like CONTAINS, NOT_CONTAINS needs the attribute to exist.
    assert holds(dynamodb, tables, key, expected) is result


@pytest.mark.parametrize("operator", ["AND", "OR"])
def test_conditional_operator_with_empty_conditions_is_rejected(dynamodb, tables, key, partition, operator):
    # Why: an empty Expected, QueryFilter or ScanFilter gives ConditionalOperator nothing to combine.
    message = "ConditionalOperator cannot be used without Filter or Expected"
    assert_dynamo_error(lambda: put_expecting(dynamodb, tables, key, {}, ConditionalOperator=operator),
                        "ValidationException", message)
    assert_dynamo_error(lambda: dynamodb.query(TableName=tables.range_n, QueryFilter={}, ConditionalOperator=operator,
                                               KeyConditions={"pk": op("EQ", partition)}),
                        "ValidationException", message)
    assert_dynamo_error(lambda: dynamodb.scan(TableName=tables.range_n, ScanFilter={}, ConditionalOperator=operator),
                        "ValidationException", message)


@pytest.mark.parametrize(("attribute", "action", "value"), [
    ("ss", "ADD", {"N": "2"}), ("ss", "ADD", {"NS": ["2"]}), ("a", "ADD", {"SS": ["dog"]}),
    ("l", "ADD", {"SS": ["cat"]}), ("a", "ADD", {"L": [{"S": "dog"}]}), ("s", "DELETE", {"SS": ["x"]}),
    ("ss", "DELETE", {"NS": ["1"]}),
], ids=["number-to-strings", "numbers-to-strings", "strings-to-number", "strings-to-list", "list-to-number",
        "strings-from-string", "numbers-from-strings"])
def test_attribute_updates_type_mismatch(dynamodb, tables, key, attribute, action, value):
    # Why: AttributeUpdates words a type mismatch with the stored attribute in its own way.
    assert_dynamo_error(lambda: dynamodb.update_item(TableName=tables.hash_s, Key=key, AttributeUpdates={
        attribute: {"Action": action, "Value": value}}), "ValidationException", "Type mismatch for attribute to update")
