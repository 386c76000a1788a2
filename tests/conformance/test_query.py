"""Query: key conditions, ordering, filters, projection, Select, pagination and page limits."""

from __future__ import annotations

import pytest

from support import assert_dynamo_error, unique

NUMBERS = ["-10", "-1.5", "0", "2", "10", "100"]          # numeric order != string order
STRINGS = ["a", "ab", "abc", "b", "ba", "c"]


@pytest.fixture(scope="module")
def num_partition(dynamodb, tables):
    pk = {"S": unique("qn")}
    for i, n in enumerate(NUMBERS):
        dynamodb.put_item(TableName=tables.range_n, Item={"pk": pk, "sk": {"N": n}, "i": {"N": str(i)},
                                                          "even": {"BOOL": i % 2 == 0}, "pad": {"S": "x" * i}})
    return pk


@pytest.fixture(scope="module")
def str_partition(dynamodb, tables):
    pk = {"S": unique("qs")}
    for s in STRINGS:
        dynamodb.put_item(TableName=tables.range_s, Item={"pk": pk, "sk": {"S": s}, "v": {"S": s.upper()}})
    return pk


def q(dynamodb, table, pk, condition="pk = :pk", values=None, **kwargs):
    return dynamodb.query(TableName=table, KeyConditionExpression=condition,
                          ExpressionAttributeValues={":pk": pk, **(values or {})}, **kwargs)


def sks(response, kind="N"):
    return [item["sk"][kind] for item in response["Items"]]


def test_partition_only_returns_all_items_in_sort_order(dynamodb, tables, num_partition):
    # Why: numbers sort numerically (-10 < -1.5 < 0 < 2 < 10 < 100), not as strings.
    response = q(dynamodb, tables.range_n, num_partition)
    assert sks(response) == NUMBERS
    assert response["Count"] == response["ScannedCount"] == len(NUMBERS)
    assert "LastEvaluatedKey" not in response


def test_scan_index_forward_false_reverses_order(dynamodb, tables, num_partition):
    # Why: descending order is how "latest N" queries are written.
    assert sks(q(dynamodb, tables.range_n, num_partition, ScanIndexForward=False)) == NUMBERS[::-1]


@pytest.mark.parametrize(("condition", "values", "expected"), [
    ("sk = :a", {":a": {"N": "2.0"}}, ["2"]),
    ("sk < :a", {":a": {"N": "0"}}, ["-10", "-1.5"]),
    ("sk <= :a", {":a": {"N": "0"}}, ["-10", "-1.5", "0"]),
    ("sk > :a", {":a": {"N": "2"}}, ["10", "100"]),
    ("sk >= :a", {":a": {"N": "2"}}, ["2", "10", "100"]),
    ("sk BETWEEN :a AND :b", {":a": {"N": "-1.5"}, ":b": {"N": "10"}}, ["-1.5", "0", "2", "10"]),
    ("sk BETWEEN :a AND :b", {":a": {"N": "3"}, ":b": {"N": "3"}}, []),
], ids=["eq", "lt", "le", "gt", "ge", "between-inclusive", "between-empty"])
def test_numeric_sort_key_conditions(dynamodb, tables, num_partition, condition, values, expected):
    # Why: each comparator on an N sort key selects by numeric value, bounds included for BETWEEN.
    response = q(dynamodb, tables.range_n, num_partition, f"pk = :pk AND {condition}", values)
    assert sks(response) == expected


@pytest.mark.parametrize(("condition", "values", "expected"), [
    ("begins_with(sk, :a)", {":a": {"S": "a"}}, ["a", "ab", "abc"]),
    ("begins_with(sk, :a)", {":a": {"S": "ab"}}, ["ab", "abc"]),
    ("sk > :a", {":a": {"S": "ab"}}, ["abc", "b", "ba", "c"]),
    ("sk BETWEEN :a AND :b", {":a": {"S": "ab"}, ":b": {"S": "b"}}, ["ab", "abc", "b"]),
    ("sk = :a", {":a": {"S": "ba"}}, ["ba"]),
], ids=["begins-a", "begins-ab", "gt", "between", "eq"])
def test_string_sort_key_conditions(dynamodb, tables, str_partition, condition, values, expected):
    # Why: strings compare bytewise; begins_with selects a prefix range.
    response = q(dynamodb, tables.range_s, str_partition, f"pk = :pk AND {condition}", values)
    assert sks(response, "S") == expected


def test_key_condition_operands_may_be_reversed_in_parentheses(dynamodb, tables, num_partition):
    # Why: the key condition grammar accepts parentheses and either AND order.
    response = q(dynamodb, tables.range_n, num_partition, "(sk > :a) AND (pk = :pk)", {":a": {"N": "10"}})
    assert sks(response) == ["100"]


def test_key_condition_with_attribute_names(dynamodb, tables, num_partition):
    # Why: key attribute names can be placeholders like any other path.
    response = dynamodb.query(TableName=tables.range_n, KeyConditionExpression="#p = :pk AND #s < :a",
                              ExpressionAttributeNames={"#p": "pk", "#s": "sk"},
                              ExpressionAttributeValues={":pk": num_partition, ":a": {"N": "-5"}})
    assert sks(response) == ["-10"]


def test_strings_sort_by_utf8_bytes(dynamodb, tables):
    # Why: DynamoDB orders S by UTF-8 bytes: U+FFFF sorts before U+1D11E (UTF-16 would say the opposite).
    pk = {"S": unique()}
    values = ["Z", "a", "é", "\uffff", "\U0001d11e"]
    for s in reversed(values):
        dynamodb.put_item(TableName=tables.range_s, Item={"pk": pk, "sk": {"S": s}})
    assert sks(q(dynamodb, tables.range_s, pk), "S") == values


def test_binaries_sort_as_unsigned_bytes(dynamodb, tables):
    # Why: B sort keys compare as unsigned bytes, shorter prefix first.
    pk = {"S": unique()}
    values = [b"\x00", b"\x00\x00", b"\x7f", b"\x80", b"\xff"]
    for b in reversed(values):
        dynamodb.put_item(TableName=tables.range_b, Item={"pk": pk, "sk": {"B": b}})
    assert sks(q(dynamodb, tables.range_b, pk), "B") == values
    response = q(dynamodb, tables.range_b, pk, "pk = :pk AND begins_with(sk, :p)", {":p": {"B": b"\x00"}})
    assert sks(response, "B") == [b"\x00", b"\x00\x00"]


def test_empty_partition_returns_nothing(dynamodb, tables):
    # Why: an unknown partition key is an empty result, not an error.
    response = q(dynamodb, tables.range_n, {"S": unique()})
    assert response["Items"] == []
    assert response["Count"] == response["ScannedCount"] == 0
    assert "LastEvaluatedKey" not in response


EMPTY_KEY = "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain "


@pytest.mark.parametrize("condition, values, wording", [
    ("pk = :pk", {":pk": {"S": ""}}, "an empty string value. Key: pk"),
    ("pk = :pk AND sk = :s", {":pk": {"S": ""}, ":s": {"B": b""}}, "an empty string value. Key: pk"),
    ("pk = :pk AND sk = :s", {":pk": {"S": "a"}, ":s": {"B": b""}}, "an empty binary value. Key: sk"),
    ("pk = :pk AND begins_with(sk, :s)", {":pk": {"S": "a"}, ":s": {"B": b""}}, "an empty binary value. Key: sk"),
    ("pk = :pk AND sk BETWEEN :s AND :t", {":pk": {"S": "a"}, ":s": {"B": b""}, ":t": {"B": b"b"}},
     "an empty binary value. Key: sk"),
    ("pk = :pk AND sk > :s", {":pk": {"S": "a"}, ":s": {"B": b""}}, "an empty binary value. Key: sk"),
])
def test_empty_key_values_in_a_key_condition_are_rejected(dynamodb, tables, condition, values, wording):
    # Why: no key is ever empty, so DynamoDB rejects an empty string or binary in any key condition
    # (begins_with and the comparisons too) instead of answering an empty result.
    call = lambda: dynamodb.query(TableName=tables.range_b, KeyConditionExpression=condition,  # noqa: E731
                                  ExpressionAttributeValues=values)
    response = assert_dynamo_error(call, "ValidationException")
    assert response["Error"]["Message"] == EMPTY_KEY + wording


def test_empty_key_value_in_legacy_key_conditions_is_rejected(dynamodb, tables):
    # Why: the KeyConditions parameter gets the same check as KeyConditionExpression.
    call = lambda: dynamodb.query(TableName=tables.range_s, KeyConditions={  # noqa: E731
        "pk": {"AttributeValueList": [{"S": ""}], "ComparisonOperator": "EQ"}})
    response = assert_dynamo_error(call, "ValidationException")
    assert response["Error"]["Message"] == EMPTY_KEY + "an empty string value. Key: pk"


def test_filter_counts_after_and_scanned_counts_before(dynamodb, tables, num_partition):
    # Why: FilterExpression runs after the read: Count drops, ScannedCount does not.
    response = q(dynamodb, tables.range_n, num_partition, FilterExpression="even = :t", values={":t": {"BOOL": True}})
    assert sks(response) == ["-10", "0", "10"]
    assert response["Count"] == 3
    assert response["ScannedCount"] == 6


def test_limit_applies_before_the_filter(dynamodb, tables, num_partition):
    # Why: Limit caps items read, so a filtered page can hold fewer than Limit items.
    response = q(dynamodb, tables.range_n, num_partition, FilterExpression="even = :f", values={":f": {"BOOL": False}},
                 Limit=3)
    assert response["ScannedCount"] == 3
    assert sks(response) == ["-1.5"]
    assert response["LastEvaluatedKey"] == {"pk": num_partition, "sk": {"N": "0"}}


def test_limit_and_exclusive_start_key_paginate_every_item_once(dynamodb, tables, num_partition):
    # Why: LastEvaluatedKey/ExclusiveStartKey must resume exactly after the last item read.
    seen, start, pages = [], None, 0
    while True:
        extra = {"ExclusiveStartKey": start} if start else {}
        response = q(dynamodb, tables.range_n, num_partition, Limit=4, **extra)
        seen += sks(response)
        pages += 1
        start = response.get("LastEvaluatedKey")
        if not start:
            break
    assert seen == NUMBERS
    assert pages == 2


def test_limit_equal_to_remaining_items_still_returns_last_evaluated_key(dynamodb, tables, num_partition):
    # Why: DynamoDB does not look ahead: a page cut exactly at the end still has LastEvaluatedKey.
    response = q(dynamodb, tables.range_n, num_partition, Limit=len(NUMBERS))
    assert response["LastEvaluatedKey"] == {"pk": num_partition, "sk": {"N": "100"}}
    follow = q(dynamodb, tables.range_n, num_partition, ExclusiveStartKey=response["LastEvaluatedKey"])
    assert follow["Items"] == []


def test_descending_pagination(dynamodb, tables, num_partition):
    # Why: ExclusiveStartKey works in reverse order too.
    first = q(dynamodb, tables.range_n, num_partition, ScanIndexForward=False, Limit=2)
    assert sks(first) == ["100", "10"]
    rest = q(dynamodb, tables.range_n, num_partition, ScanIndexForward=False,
             ExclusiveStartKey=first["LastEvaluatedKey"])
    assert sks(rest) == ["2", "0", "-1.5", "-10"]


def test_select_count_returns_only_counts(dynamodb, tables, num_partition):
    # Why: Select=COUNT returns Count and ScannedCount without Items.
    response = q(dynamodb, tables.range_n, num_partition, Select="COUNT")
    assert "Items" not in response
    assert response["Count"] == 6


def test_select_count_with_filter(dynamodb, tables, num_partition):
    # Why: COUNT counts the filtered items.
    response = q(dynamodb, tables.range_n, num_partition, Select="COUNT", FilterExpression="i >= :two",
                 values={":two": {"N": "2"}})
    assert (response["Count"], response["ScannedCount"]) == (4, 6)


def test_projection_returns_only_requested_attributes(dynamodb, tables, num_partition):
    # Why: ProjectionExpression trims each returned item, keys included only when asked.
    response = q(dynamodb, tables.range_n, num_partition, ProjectionExpression="i", Limit=2)
    assert response["Items"] == [{"i": {"N": "0"}}, {"i": {"N": "1"}}]


def test_select_specific_attributes_with_projection(dynamodb, tables, num_partition):
    # Why: SPECIFIC_ATTRIBUTES is the explicit spelling of a projection.
    response = q(dynamodb, tables.range_n, num_partition, ProjectionExpression="sk", Select="SPECIFIC_ATTRIBUTES",
                 Limit=1)
    assert response["Items"] == [{"sk": {"N": "-10"}}]


def test_select_all_attributes_returns_whole_items(dynamodb, tables, num_partition):
    # Why: ALL_ATTRIBUTES is the default for a table query.
    response = q(dynamodb, tables.range_n, num_partition, Select="ALL_ATTRIBUTES", Limit=1)
    assert set(response["Items"][0]) == {"pk", "sk", "i", "even", "pad"}


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local leaves out '1 validation error detected: '")
def test_select_count_with_projection_is_rejected(dynamodb, tables, num_partition):
    # Why: a projection contradicts Select=COUNT; Query words it as a one-item validation list,
    # unlike Scan (as moto's tests verified against AWS record it).
    response = assert_dynamo_error(
        lambda: q(dynamodb, tables.range_n, num_partition, Select="COUNT", ProjectionExpression="i"),
        "ValidationException", "Cannot specify the ProjectionExpression when choosing to get only the Count")
    assert response["Error"]["Message"] == ("1 validation error detected: Cannot specify the ProjectionExpression "
                                            "when choosing to get only the Count")


def test_select_all_attributes_with_projection_is_rejected(dynamodb, tables, num_partition):
    # Why: ALL_ATTRIBUTES contradicts a projection.
    assert_dynamo_error(
        lambda: q(dynamodb, tables.range_n, num_partition, Select="ALL_ATTRIBUTES", ProjectionExpression="i"),
        "ValidationException", "ProjectionExpression")


def test_select_all_projected_attributes_needs_an_index(dynamodb, tables, num_partition):
    # Why: ALL_PROJECTED_ATTRIBUTES is only meaningful when querying an index.
    assert_dynamo_error(lambda: q(dynamodb, tables.range_n, num_partition, Select="ALL_PROJECTED_ATTRIBUTES"),
                        "ValidationException", "ALL_PROJECTED_ATTRIBUTES")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers 'Select must be ALL_ATTRIBUTES, ...'")
def test_select_unknown_value_is_an_enum_error(dynamodb, tables, num_partition):
    # Why: Select is an enum validated at the shape level.
    assert_dynamo_error(lambda: q(dynamodb, tables.range_n, num_partition, Select="SOME"), "ValidationException",
                        "Value 'SOME' at 'select' failed to satisfy constraint")


def test_page_stops_at_one_megabyte(dynamodb, tables):
    # Why: a Query page holds at most 1 MB of data; the rest is reached through LastEvaluatedKey.
    pk = {"S": unique()}
    blob = "x" * 100_000
    for i in range(14):
        dynamodb.put_item(TableName=tables.range_n, Item={"pk": pk, "sk": {"N": str(i)}, "blob": {"S": blob}})
    first = q(dynamodb, tables.range_n, pk, ProjectionExpression="sk")
    assert 8 <= first["Count"] <= 11
    assert first["ScannedCount"] == first["Count"]
    assert first["LastEvaluatedKey"] == {"pk": pk, "sk": {"N": str(first["Count"] - 1)}}
    rest = q(dynamodb, tables.range_n, pk, ProjectionExpression="sk", ExclusiveStartKey=first["LastEvaluatedKey"])
    assert first["Count"] + rest["Count"] == 14
    assert "LastEvaluatedKey" not in rest


def test_select_count_is_also_paged_at_one_megabyte(dynamodb, tables):
    # Why: COUNT reads the same data, so it is cut at 1 MB too.
    pk = {"S": unique()}
    for i in range(12):
        dynamodb.put_item(TableName=tables.range_n, Item={"pk": pk, "sk": {"N": str(i)}, "blob": {"S": "y" * 100_000}})
    response = q(dynamodb, tables.range_n, pk, Select="COUNT")
    assert response["Count"] < 12
    assert "LastEvaluatedKey" in response


def test_missing_key_condition_is_rejected(dynamodb, tables):
    # Why: Query needs a key condition, in either the expression or the legacy form.
    assert_dynamo_error(lambda: dynamodb.query(TableName=tables.range_n), "ValidationException",
                        "Either the KeyConditions or KeyConditionExpression parameter must be specified in the "
                        "request.")


def test_condition_without_partition_key_is_a_validation_error(dynamodb, tables):
    # Why: whatever the wording, a Query without the partition key is refused.
    assert_dynamo_error(lambda: dynamodb.query(TableName=tables.range_n, KeyConditionExpression="sk = :a",
                                               ExpressionAttributeValues={":a": {"N": "1"}}),
                        "ValidationException", "Query condition missed key schema element")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local omits the key name after 'missed key schema element'")
def test_condition_without_partition_key_is_rejected(dynamodb, tables):
    # Why: a Query always targets one partition.
    assert_dynamo_error(lambda: dynamodb.query(TableName=tables.range_n, KeyConditionExpression="sk = :a",
                                               ExpressionAttributeValues={":a": {"N": "1"}}),
                        "ValidationException", "Query condition missed key schema element: pk")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local omits the key name after 'missed key schema element'")
def test_condition_on_non_key_attribute_is_rejected(dynamodb, tables, num_partition):
    # Why: only key attributes may appear in a key condition.
    assert_dynamo_error(lambda: q(dynamodb, tables.range_n, num_partition, "pk = :pk AND i = :a", {":a": {"N": "1"}}),
                        "ValidationException", "Query condition missed key schema element: sk")


def test_partition_key_must_use_equality(dynamodb, tables, num_partition):
    # Why: partition keys are hashed, so only = can select one.
    assert_dynamo_error(lambda: q(dynamodb, tables.range_n, num_partition, "pk > :pk"), "ValidationException",
                        "Query key condition not supported")


def test_or_is_not_allowed_in_key_condition(dynamodb, tables, num_partition):
    # Why: key conditions are a conjunction of at most two terms.
    assert_dynamo_error(lambda: q(dynamodb, tables.range_n, num_partition, "pk = :pk OR sk = :a", {":a": {"N": "1"}}),
                        "ValidationException", "Invalid operator used in KeyConditionExpression: OR")


def test_two_conditions_on_the_sort_key_are_rejected(dynamodb, tables, num_partition):
    # Why: one condition per key attribute; ranges use BETWEEN.
    assert_dynamo_error(lambda: q(dynamodb, tables.range_n, num_partition, "pk = :pk AND sk > :a AND sk < :b",
                                  {":a": {"N": "1"}, ":b": {"N": "5"}}),
                        "ValidationException", "KeyConditionExpressions must only contain one condition per key")


@pytest.mark.parametrize("condition", ["sk <> :a", "attribute_exists(sk)", "NOT sk = :a", "sk IN (:a)"],
                         ids=["ne", "function", "not", "in"])
def test_unsupported_sort_key_operators_are_rejected(dynamodb, tables, num_partition, condition):
    # Why: only =, <, <=, >, >=, BETWEEN and begins_with select a key range.
    values = {} if "attribute_exists" in condition else {":a": {"N": "1"}}
    assert_dynamo_error(lambda: q(dynamodb, tables.range_n, num_partition, f"pk = :pk AND {condition}", values),
                        "ValidationException", "KeyConditionExpression")


def test_begins_with_on_number_sort_key_is_rejected(dynamodb, tables, num_partition):
    # Why: begins_with applies to S and B keys only.
    assert_dynamo_error(lambda: q(dynamodb, tables.range_n, num_partition, "pk = :pk AND begins_with(sk, :a)",
                                  {":a": {"N": "1"}}),
                        "ValidationException", "Invalid KeyConditionExpression: Incorrect operand type for operator "
                        "or function; operator or function: begins_with, operand type: N")


def test_key_condition_value_type_must_match_schema(dynamodb, tables, num_partition):
    # Why: comparing an N key with an S value can never match and is refused up front.
    assert_dynamo_error(lambda: q(dynamodb, tables.range_n, num_partition, "pk = :pk AND sk = :a", {":a": {"S": "1"}}),
                        "ValidationException", "One or more parameter values were invalid: Condition parameter type "
                        "does not match schema type")


def test_between_bounds_must_be_ordered(dynamodb, tables, num_partition):
    # Why: BETWEEN with low > high is an error rather than an empty result.
    assert_dynamo_error(lambda: q(dynamodb, tables.range_n, num_partition, "pk = :pk AND sk BETWEEN :a AND :b",
                                  {":a": {"N": "5"}, ":b": {"N": "1"}}),
                        "ValidationException", "Invalid KeyConditionExpression: The BETWEEN operator requires upper "
                        "bound to be greater than or equal to lower bound")


def test_filter_on_key_attribute_is_rejected(dynamodb, tables, num_partition):
    # Why: Query filters may not touch key attributes; the key condition does that.
    assert_dynamo_error(lambda: q(dynamodb, tables.range_n, num_partition, FilterExpression="sk > :a",
                                  values={":a": {"N": "1"}}),
                        "ValidationException", "Filter Expression can only contain non-primary key attributes: "
                        "Primary key attribute: sk")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers 'Limit must be greater than or equal to 1'")
@pytest.mark.parametrize("limit", [0, -1])
def test_limit_must_be_positive(dynamodb, tables, num_partition, limit):
    # Why: Limit has a minimum of 1.
    assert_dynamo_error(lambda: q(dynamodb, tables.range_n, num_partition, Limit=limit), "ValidationException",
                        "at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1")


@pytest.mark.dynamodb_local_differs(
    reason="DynamoDB Local answers 'Exclusive Start Key must have same size as table's key schema'")
def test_exclusive_start_key_must_match_schema(dynamodb, tables, num_partition):
    # Why: a start key missing the sort key cannot position the read.
    assert_dynamo_error(lambda: q(dynamodb, tables.range_n, num_partition, ExclusiveStartKey={"pk": num_partition}),
                        "ValidationException", "The provided starting key is invalid")


@pytest.mark.parametrize(("condition", "values"), [
    ("pk = :pk AND sk > :s", {":s": {"N": "2"}}),
    ("pk = :pk AND sk < :s", {":s": {"N": "0"}}),
    ("pk = :pk AND sk BETWEEN :s AND :t", {":s": {"N": "2"}, ":t": {"N": "10"}}),
], ids=["gt", "lt", "between"])
def test_start_key_outside_the_sort_key_condition_is_rejected(dynamodb, tables, num_partition, condition, values):
    # Why: a start key the sort-key condition excludes cannot resume that query (as recorded against
    # AWS); answering a page from it would hand back items the condition never matched.
    start = {"pk": num_partition, "sk": {"N": "1"}} if ">" in condition or "BETWEEN" in condition else \
        {"pk": num_partition, "sk": {"N": "5"}}
    assert_dynamo_error(lambda: q(dynamodb, tables.range_n, num_partition, condition, values, ExclusiveStartKey=start),
                        "ValidationException", "The provided starting key does not match the range key predicate")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers 'does not match the range key predicate'")
def test_start_key_in_another_partition_is_outside_the_query(dynamodb, tables, num_partition):
    # Why: a start key of another partition is outside the query's boundaries (AWS's wording, as
    # recorded by dynalite's suite); with a sort-key condition AWS words it as a one-row query.
    other = {"pk": {"S": unique("other")}, "sk": {"N": "2"}}
    assert_dynamo_error(lambda: q(dynamodb, tables.range_n, num_partition, ExclusiveStartKey=other),
                        "ValidationException",
                        "The provided starting key is outside query boundaries based on provided conditions")
    assert_dynamo_error(lambda: q(dynamodb, tables.range_n, num_partition, "pk = :pk AND sk < :s",
                                  {":s": {"N": "5"}}, ExclusiveStartKey=other),
                        "ValidationException", "The query can return at most one row and cannot be restarted")


def test_query_on_missing_table_is_resource_not_found(dynamodb):
    # Why: like every data-plane call.
    assert_dynamo_error(lambda: q(dynamodb, unique("missing"), {"S": "a"}), "ResourceNotFoundException")


def test_hash_only_table_query_returns_the_one_item(dynamodb, tables):
    # Why: Query works on tables without a sort key too; it returns at most one item.
    key = {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item={**key, "v": {"S": "x"}})
    response = q(dynamodb, tables.hash_s, key["pk"])
    assert response["Items"] == [{**key, "v": {"S": "x"}}]


def test_empty_secondary_index_key_value_names_the_index(dynamodb, table_factory):
    # Why: an index Query comparing its key with an empty string names the index and its key.
    name = table_factory(
        "S", "S",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "lsk")],
        LocalSecondaryIndexes=[{"IndexName": "lsi", "Projection": {"ProjectionType": "KEYS_ONLY"},
                                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                              {"AttributeName": "lsk", "KeyType": "RANGE"}]}])
    assert_dynamo_error(
        lambda: dynamodb.query(TableName=name, IndexName="lsi", KeyConditionExpression="pk = :p AND lsk = :s",
                               ExpressionAttributeValues={":p": {"S": "a"}, ":s": {"S": ""}}),
        "ValidationException",
        "One or more parameter values are not valid. A value specified for a secondary index key is not supported. "
        "The AttributeValue for a key attribute cannot contain an empty string value. IndexName: lsi, IndexKey: lsk")
