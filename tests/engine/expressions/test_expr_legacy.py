"""Legacy parameters: converted to the same trees, validated with the legacy messages."""

from __future__ import annotations

from typing import Any

from helpers_expr import KEYS, compile_, error_of

S = {"S": "x"}
N = {"N": "5"}


def test_expected_value_and_exists() -> None:
    # Expected {Value} means equality; {Exists: false} means the attribute is absent.
    condition = compile_("PutItem", Expected={"a": {"Value": S}, "b": {"Exists": False}}).condition
    assert condition is not None
    assert condition.evaluate({"a": S})
    assert not condition.evaluate({"a": S, "b": N})


def test_expected_with_comparison_operators_and_or() -> None:
    # ComparisonOperator + ConditionalOperator OR.
    condition = compile_(
        "DeleteItem",
        Expected={
            "n": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "3"}]},
            "s": {"ComparisonOperator": "NULL"},
        },
        ConditionalOperator="OR",
    ).condition
    assert condition is not None
    assert condition.evaluate({"n": N, "s": S})
    assert condition.evaluate({})
    assert not condition.evaluate({"n": {"N": "1"}, "s": S})


def test_expected_validation_messages() -> None:
    # The legacy checks and their wording.
    assert error_of("PutItem", Expected={"a": {}}) == (
        "One or more parameter values were invalid: Value must be provided when Exists is null for Attribute: a"
    )
    assert error_of("PutItem", Expected={"a": {"Exists": False, "Value": S}}) == (
        "One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: a"
    )
    assert error_of("PutItem", Expected={"a": {"ComparisonOperator": "EQ"}}) == (
        "One or more parameter values were invalid: Value or AttributeValueList must be used with "
        "ComparisonOperator: EQ for Attribute: a"
    )
    assert error_of("PutItem", Expected={"a": {"ComparisonOperator": "EQ", "AttributeValueList": [S, S]}}) == (
        "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator"
    )


def test_scan_filter_and_type_rules() -> None:
    # ScanFilter converts to a filter; operator/type combinations are checked.
    result = compile_(
        "Scan", ScanFilter={"s": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "ab"}]}}
    )
    assert result.filter is not None and result.filter.evaluate({"s": {"S": "abc"}})
    assert error_of("Scan", ScanFilter={"n": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [N]}}) == (
        "One or more parameter values were invalid: "
        "ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type"
    )
    assert (
        error_of(
            "Scan", ScanFilter={"n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "9"}, {"N": "1"}]}}
        )
        == "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"
    )


def test_key_conditions() -> None:
    # KeyConditions reduce to the same KeyCondition as the expression form.
    result = compile_(
        "Query",
        KEYS,
        KeyConditions={
            "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [S]},
            "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"S": "a"}, {"S": "m"}]},
        },
    )
    key = result.key_condition
    assert key is not None and key.range_op == "BETWEEN" and key.range_matches({"S": "c"})
    assert error_of("Query", KEYS, KeyConditions={"pk": {"ComparisonOperator": "GT", "AttributeValueList": [S]}}) == (
        "Query key condition not supported"
    )


def test_key_conditions_may_be_combined_with_expressions() -> None:
    # DynamoDB allows legacy KeyConditions with a FilterExpression; the mix rule exempts them.
    result = compile_(
        "Query",
        KEYS,
        KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [S]}},
        FilterExpression="a = :v",
        ExpressionAttributeValues={":v": S},
    )
    assert result.key_condition is not None and result.filter is not None


def test_attributes_to_get() -> None:
    # AttributesToGet is a top-level projection; duplicates are rejected.
    projection = compile_("GetItem", AttributesToGet=["a", "b"]).projection
    assert projection is not None and projection.apply({"a": S, "c": N}) == {"a": S}
    assert error_of("GetItem", AttributesToGet=["a", "a"]) == (
        "One or more parameter values were invalid: Duplicate value in attribute name: a"
    )


def test_attribute_updates() -> None:
    # PUT, ADD (number, set, list) and DELETE (with and without a value).
    update = compile_(
        "UpdateItem",
        AttributeUpdates={
            "p": {"Action": "PUT", "Value": S},
            "n": {"Action": "ADD", "Value": N},
            "l": {"Action": "ADD", "Value": {"L": [S]}},
            "s": {"Action": "DELETE", "Value": {"SS": ["x"]}},
            "gone": {"Action": "DELETE"},
        },
    ).update
    assert update is not None
    item: dict[str, Any] = {"n": {"N": "1"}, "s": {"SS": ["x", "y"]}, "gone": S}
    assert update.apply(item) == {"p": S, "n": {"N": "6"}, "l": {"L": [S]}, "s": {"SS": ["y"]}}
    assert error_of("UpdateItem", AttributeUpdates={"a": {"Action": "PUT"}}) == (
        "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified"
    )
