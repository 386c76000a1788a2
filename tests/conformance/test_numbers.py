"""Numbers: 38 significant digits, the 1E-130..9.99E+125 magnitude range, normalization, arithmetic."""

from __future__ import annotations

import pytest

from support import assert_dynamo_error, unique

DIGITS_38 = "12345678901234567890123456789012345678"


def round_trip(dynamodb, tables, value, kind="N"):
    key = {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item={**key, "n": {kind: value}})
    return dynamodb.get_item(TableName=tables.hash_s, Key=key)["Item"]["n"][kind]


@pytest.mark.parametrize(("given", "returned"), [
    ("1.0", "1"), ("001", "1"), ("1E2", "100"), ("1E+2", "100"), ("-0", "0"), ("0.10", "0.1"), ("1e-3", "0.001"),
    (".5", "0.5"), ("+5", "5"), ("5.", "5"), ("-1.50E-2", "-0.015"), ("0E5", "0"), ("-00.0", "0"),
    (DIGITS_38, DIGITS_38), ("1" + "0" * 50, "1" + "0" * 50),
    ("9.9999999999999999999999999999999999999E+125", "9" * 38 + "0" * 88),
    ("1E-130", "0." + "0" * 129 + "1"), ("-1E-130", "-0." + "0" * 129 + "1"),
    ("1.2345678901234567890123456789012345678E-100", "0." + "0" * 99 + DIGITS_38),
], ids=lambda v: v[:20])
def test_numbers_are_returned_normalized(dynamodb, tables, given, returned):
    # Why: DynamoDB stores the decimal value and returns it in plain notation without redundant zeros.
    assert round_trip(dynamodb, tables, given) == returned


def test_trailing_zeros_do_not_count_as_significant_digits(dynamodb, tables):
    # Why: the 38-digit limit is on significant digits, so 1 followed by 100 zeros (1E100) is fine.
    assert round_trip(dynamodb, tables, "1" + "0" * 100) == "1" + "0" * 100


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers 'DynamoDB only supports precision up to 38 digits'")
@pytest.mark.parametrize("value", [DIGITS_38 + "9", "1." + DIGITS_38, "0.1" + DIGITS_38])
def test_more_than_38_significant_digits_are_rejected(dynamodb, tables, value):
    # Why: precision beyond 38 digits would be silently lost, so it is refused.
    assert_dynamo_error(lambda: round_trip(dynamodb, tables, value), "ValidationException",
                        "Attempting to store more than 38 significant digits in a Number")


@pytest.mark.parametrize("value", [DIGITS_38 + "9", "1." + DIGITS_38])
def test_more_than_38_significant_digits_are_a_validation_error(dynamodb, tables, value):
    # Why: whatever the wording, precision loss is refused.
    assert_dynamo_error(lambda: round_trip(dynamodb, tables, value), "ValidationException", "38")


@pytest.mark.parametrize("value", ["1E+126", "-1E+126", "9.99E+200", "1" + "0" * 126])
def test_magnitude_overflow_is_rejected(dynamodb, tables, value):
    # Why: the largest magnitude is 9.99...E+125.
    assert_dynamo_error(lambda: round_trip(dynamodb, tables, value), "ValidationException",
                        "Number overflow. Attempting to store a number with magnitude larger than supported range")


@pytest.mark.parametrize("value", ["1E-131", "-1E-131", "0." + "0" * 130 + "1"])
def test_magnitude_underflow_is_rejected(dynamodb, tables, value):
    # Why: the smallest non-zero magnitude is 1E-130.
    assert_dynamo_error(lambda: round_trip(dynamodb, tables, value), "ValidationException",
                        "Number underflow. Attempting to store a number with magnitude smaller than supported range")


@pytest.mark.parametrize("value", ["abc", "", "NaN", "Infinity", "-Infinity", " 1", "1 ", "0x10", "1,000", "1E",
                                   "1.2.3", "--1", "1e1.5"])
def test_unparseable_numbers_are_rejected(dynamodb, tables, value):
    # Why: N is a decimal string; anything else is a client error.
    assert_dynamo_error(lambda: round_trip(dynamodb, tables, value), "ValidationException", "cannot be converted")


@pytest.mark.dynamodb_local_differs(
    reason="DynamoDB Local answers 'A value provided cannot be converted into a number'")
@pytest.mark.parametrize("value", ["abc", "1.2.3"])
def test_unparseable_number_message_echoes_the_value(dynamodb, tables, value):
    # Why: AWS echoes the offending string after its message.
    assert_dynamo_error(lambda: round_trip(dynamodb, tables, value), "ValidationException",
                        f"The parameter cannot be converted to a numeric value: {value}")


@pytest.mark.parametrize("item", [
    {"s": {"NS": ["abc"]}}, {"m": {"M": {"x": {"N": "x"}}}}, {"l": {"L": [{"N": "1e"}]}},
], ids=["set", "map", "list"])
def test_numbers_are_validated_at_any_depth(dynamodb, tables, item):
    # Why: nested numbers and set members follow the same rules.
    assert_dynamo_error(lambda: dynamodb.put_item(TableName=tables.hash_s, Item={"pk": {"S": "x"}, **item}),
                        "ValidationException", "cannot be converted")


def test_nested_number_overflow_is_rejected(dynamodb, tables):
    # Why: the magnitude range applies inside maps too.
    assert_dynamo_error(lambda: dynamodb.put_item(TableName=tables.hash_s, Item={
        "pk": {"S": "x"}, "m": {"M": {"x": {"N": "1E+126"}}}}), "ValidationException", "Number overflow")


def test_number_set_members_are_normalized(dynamodb, tables):
    # Why: set members are stored as values: 1.50 -> 1.5, 2E0 -> 2, -0.0 -> 0.
    assert sorted(round_trip(dynamodb, tables, ["1.50", "2E0", "-0.0"], "NS")) == ["0", "1.5", "2"]


def test_number_keys_match_by_value(dynamodb, tables):
    # Why: an N key written as 1.0 is read back with 1 (and returned normalized).
    dynamodb.put_item(TableName=tables.hash_n, Item={"pk": {"N": "1.50"}, "v": {"S": "x"}})
    assert dynamodb.get_item(TableName=tables.hash_n, Key={"pk": {"N": "15E-1"}})["Item"] == {
        "pk": {"N": "1.5"}, "v": {"S": "x"}}


def add(dynamodb, tables, start, expression, value):
    key = {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item={**key, "n": {"N": start}})
    response = dynamodb.update_item(TableName=tables.hash_s, Key=key, UpdateExpression=expression,
                                    ExpressionAttributeValues={":v": {"N": value}}, ReturnValues="UPDATED_NEW")
    return response["Attributes"]["n"]["N"]


@pytest.mark.parametrize(("start", "expression", "value", "result"), [
    (DIGITS_38, "SET n = n + :v", "1", "12345678901234567890123456789012345679"),
    ("0.1", "SET n = n + :v", "0.2", "0.3"),
    ("5", "SET n = n - :v", "5", "0"),
    ("1E-129", "SET n = n - :v", "1E-130", "0." + "0" * 129 + "9"),
    pytest.param("-7.5", "ADD n :v", "7.5", "0", marks=pytest.mark.dynamodb_local_differs(
        reason="DynamoDB Local returns '0.0' for -7.5 + 7.5")),
    ("99999999999999999999999999999999999999", "SET n = n - :v", "99999999999999999999999999999999999998", "1"),
    ("1E+125", "ADD n :v", "-1E+125", "0"),
    ("9E+125", "SET n = n + :v", "9E+124", "99" + "0" * 124),
    ("1E+40", "SET n = n - :v", "1E+39", "9" + "0" * 39),
    ("1E+40", "ADD n :v", "1E+40", "2" + "0" * 40),
], ids=["38-digit-increment", "decimal-exact", "to-zero", "tiny", "add-to-zero", "big-difference", "huge-cancel",
        "huge-sum", "large-difference", "large-add"])
def test_arithmetic_is_exact_decimal(dynamodb, tables, start, expression, value, result):
    # Why: updates must compute in 38-digit decimal, never binary floating point.
    assert add(dynamodb, tables, start, expression, value) == result


def test_arithmetic_overflow_is_rejected(dynamodb, tables):
    # Why: a result beyond the magnitude range fails the update.
    assert_dynamo_error(lambda: add(dynamodb, tables, "9.99E+125", "SET n = n + :v", "9.99E+125"),
                        "ValidationException", "Number overflow")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers 'DynamoDB only supports precision up to 38 digits'")
@pytest.mark.parametrize(("start", "expression", "value"), [
    ("1E+37", "SET n = n + :v", "0.1"), ("1E+50", "SET n = n + :v", "1"), ("1E+50", "SET n = n - :v", "1"),
], ids=["1e37+0.1", "1e50+1", "1e50-1"])
def test_arithmetic_needing_more_than_38_digits_is_rejected(dynamodb, tables, start, expression, value):
    # Why: a result that needs 39 or more significant digits fails rather than rounding; AWS words
    # it as an overflow (as recorded by test suites run against it: ScyllaDB's Alternator tests).
    assert_dynamo_error(lambda: add(dynamodb, tables, start, expression, value), "ValidationException",
                        "Number overflow. Attempting to store a number with magnitude larger than supported range")


@pytest.mark.parametrize(("stored", "condition", "value", "holds"), [
    ("10", "n > :v", "9", True), ("1.0", "n = :v", "1", True), ("-1", "n < :v", "-0.5", True),
    ("1E2", "n = :v", "100", True), ("0.1", "n > :v", "0.09999999999999999999999999999999999999", True),
], ids=["10>9", "1.0=1", "-1<-0.5", "1E2=100", "38-digit-compare"])
def test_number_comparisons_are_numeric(dynamodb, tables, stored, condition, value, holds):
    # Why: conditions compare N by value (not as strings, not as floats).
    key = {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item={**key, "n": {"N": stored}})
    dynamodb.put_item(TableName=tables.hash_s, Item={**key, "n": {"N": stored}}, ConditionExpression=condition,
                      ExpressionAttributeValues={":v": {"N": value}})
