"""Expression placeholders and identifiers: #names and :values maps, reserved words, path syntax, limits."""

from __future__ import annotations

import pytest

from support import assert_dynamo_error, unique

RESERVED = ["name", "status", "date", "data", "count", "timestamp", "user", "year", "value", "key", "comment",
            "table", "values", "order", "group", "level", "type", "source", "hash", "range", "item", "items",
            "index", "time", "zone", "end", "from", "NAME", "Status"]
NOT_RESERVED = ["pk2", "foo", "amount", "price", "email", "title", "body", "flag", "score", "a1_B2"]


def update(dynamodb, tables, expression, values=None, names=None, key=None):
    request = {"TableName": tables.hash_s, "Key": key or {"pk": {"S": unique()}}, "UpdateExpression": expression}
    if values is not None:
        request["ExpressionAttributeValues"] = values
    if names is not None:
        request["ExpressionAttributeNames"] = names
    return dynamodb.update_item(**request)


@pytest.mark.parametrize("word", RESERVED)
def test_reserved_words_need_a_placeholder(dynamodb, tables, word):
    # Why: DynamoDB's reserved words (matched case-insensitively) cannot be bare attribute names.
    assert_dynamo_error(lambda: update(dynamodb, tables, f"SET {word} = :v", {":v": {"S": "x"}}), "ValidationException",
                        f"Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: {word}")


@pytest.mark.parametrize("word", RESERVED[:8])
def test_reserved_words_work_through_placeholders(dynamodb, tables, word):
    # Why: #name placeholders are the way to use reserved words.
    key = {"pk": {"S": unique()}}
    update(dynamodb, tables, "SET #w = :v", {":v": {"S": "x"}}, {"#w": word}, key=key)
    assert dynamodb.get_item(TableName=tables.hash_s, Key=key)["Item"][word] == {"S": "x"}


@pytest.mark.parametrize("word", NOT_RESERVED)
def test_ordinary_names_are_accepted(dynamodb, tables, word):
    # Why: ordinary identifiers are plain attribute names.
    update(dynamodb, tables, f"SET {word} = :v", {":v": {"S": "x"}})


@pytest.mark.parametrize(("path", "token"), [("1a", "1"), ("_a", "_"), ("a-b", "-")])
def test_identifiers_must_start_with_a_letter_and_be_alphanumeric(dynamodb, tables, path, token):
    # Why: bare names match [A-Za-z][A-Za-z0-9_]*; anything else is a syntax error at that token.
    assert_dynamo_error(lambda: update(dynamodb, tables, f"SET {path} = :v", {":v": {"S": "x"}}), "ValidationException",
                        f"Invalid UpdateExpression: Syntax error; token: \"{token}\"")


@pytest.mark.parametrize(("names", "message"), [
    ({"a": "x", "#a": "x"}, "ExpressionAttributeNames contains invalid key: Syntax error; key: \"a\""),
    ({}, "ExpressionAttributeNames must not be empty"),
    ({"#a": ""}, "ExpressionAttributeNames contains invalid value: Empty attribute name for key #a"),
    ({"#a": "x", "#unused": "y"}, "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}"),
], ids=["key-without-hash", "empty-map", "empty-name", "unused"])
def test_invalid_attribute_names_maps(dynamodb, tables, names, message):
    # Why: the names map is validated key by key, and every entry must be used.
    assert_dynamo_error(lambda: update(dynamodb, tables, "SET #a = :v", {":v": {"S": "x"}}, names),
                        "ValidationException", message)


@pytest.mark.parametrize(("values", "message"), [
    ({"v": {"S": "x"}, ":v": {"S": "x"}}, "ExpressionAttributeValues contains invalid key: Syntax error; key: \"v\""),
    ({}, "ExpressionAttributeValues must not be empty"),
    ({":v": {"SS": []}}, "ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: "
                         "An string set  may not be empty for key :v"),
    ({":v": {}}, "ExpressionAttributeValues contains invalid value: Supplied AttributeValue is empty, must contain "
                 "exactly one of the supported datatypes for key :v"),
    ({":v": {"S": "x"}, ":unused": {"S": "y"}},
     "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}"),
], ids=["key-without-colon", "empty-map", "empty-set", "empty-value", "unused"])
def test_invalid_attribute_values_maps(dynamodb, tables, values, message):
    # Why: the values map is validated entry by entry (the message names the key), and must be fully used.
    assert_dynamo_error(lambda: update(dynamodb, tables, "SET a = :v", values), "ValidationException", message)


def test_invalid_number_in_values_names_the_key(dynamodb, tables):
    # Why: AttributeValue validation inside the values map reports which placeholder is wrong.
    assert_dynamo_error(lambda: update(dynamodb, tables, "SET a = :v", {":v": {"N": "abc"}}), "ValidationException",
                        "ExpressionAttributeValues contains invalid value:", "for key :v")


@pytest.mark.parametrize(("kind", "call"), [
    ("ConditionExpression", lambda d, t: d.put_item(TableName=t.hash_s, Item={"pk": {"S": "x"}},
                                                    ConditionExpression="#u = :v",
                                                    ExpressionAttributeValues={":v": {"S": "x"}})),
    ("UpdateExpression", lambda d, t: d.update_item(TableName=t.hash_s, Key={"pk": {"S": "x"}},
                                                    UpdateExpression="SET #u = :v",
                                                    ExpressionAttributeValues={":v": {"S": "x"}})),
    ("ProjectionExpression", lambda d, t: d.get_item(TableName=t.hash_s, Key={"pk": {"S": "x"}},
                                                     ProjectionExpression="#u")),
    ("FilterExpression", lambda d, t: d.scan(TableName=t.hash_s, FilterExpression="#u = :v", Limit=1,
                                             ExpressionAttributeValues={":v": {"S": "x"}})),
    ("KeyConditionExpression", lambda d, t: d.query(TableName=t.hash_s, KeyConditionExpression="#u = :v",
                                                    ExpressionAttributeValues={":v": {"S": "x"}})),
])
def test_undefined_name_is_reported_with_the_expression_kind(dynamodb, tables, kind, call):
    # Why: every expression kind reports an undefined #name, prefixed with its own name.
    assert_dynamo_error(lambda: call(dynamodb, tables), "ValidationException",
                        f"Invalid {kind}: An expression attribute name used in the document path is not defined; "
                        "attribute name: #u")


@pytest.mark.parametrize(("kind", "call"), [
    ("ConditionExpression", lambda d, t: d.put_item(TableName=t.hash_s, Item={"pk": {"S": "x"}},
                                                    ConditionExpression="a = :u")),
    ("FilterExpression", lambda d, t: d.scan(TableName=t.hash_s, FilterExpression="a = :u")),
    ("KeyConditionExpression", lambda d, t: d.query(TableName=t.hash_s, KeyConditionExpression="pk = :u")),
])
def test_undefined_value_is_reported_with_the_expression_kind(dynamodb, tables, kind, call):
    # Why: an undefined :value is reported even when no values map was given at all.
    assert_dynamo_error(lambda: call(dynamodb, tables), "ValidationException",
                        f"Invalid {kind}: An expression attribute value used in expression is not defined; "
                        "attribute value: :u")


def test_name_used_in_two_expressions_counts_as_used(dynamodb, tables):
    # Why: usage is checked across all expressions of the request together.
    key = {"pk": {"S": unique()}}
    dynamodb.update_item(TableName=tables.hash_s, Key=key, UpdateExpression="SET #a = :v",
                         ConditionExpression="attribute_not_exists(#a) AND :v <> :w",
                         ExpressionAttributeNames={"#a": "a"},
                         ExpressionAttributeValues={":v": {"S": "x"}, ":w": {"S": "y"}})


def test_value_placeholder_may_contain_underscores_and_digits(dynamodb, tables):
    # Why: placeholders are ':' or '#' followed by [A-Za-z0-9_]+.
    update(dynamodb, tables, "SET #a_1 = :v_1", {":v_1": {"S": "x"}}, {"#a_1": "a"})


def test_path_nesting_limit(dynamodb, tables):
    # Why: document paths may nest at most 32 levels.
    assert_dynamo_error(lambda: dynamodb.get_item(TableName=tables.hash_s, Key={"pk": {"S": "x"}},
                                                  ProjectionExpression="a" + ".b" * 40),
                        "ValidationException", "The document path has too many nesting levels; nesting levels: 41")


def test_expression_size_limit(dynamodb, tables):
    # Why: an expression string may be at most 4 KB.
    projection = ", ".join(f"attr{i:05d}" for i in range(420))   # > 4096 characters
    assert_dynamo_error(lambda: dynamodb.get_item(TableName=tables.hash_s, Key={"pk": {"S": "x"}},
                                                  ProjectionExpression=projection), "ValidationException")


@pytest.mark.parametrize("wraps,ok", [(31, True), (32, False)])
def test_expression_values_nest_up_to_32_levels(dynamodb, tables, wraps, ok):
    # Why: an ExpressionAttributeValue obeys DynamoDB's 32-level nesting limit; beyond it the
    # request is refused with the short message, before the expression is evaluated.
    key = {"pk": {"S": unique()}}
    value = {"S": "leaf"}
    for _ in range(wraps):
        value = {"M": {"n": value}}
    call = lambda: dynamodb.update_item(TableName=tables.hash_s, Key=key, UpdateExpression="SET x = :v",  # noqa: E731
                                        ExpressionAttributeValues={":v": value})
    if ok:
        call()
        assert dynamodb.get_item(TableName=tables.hash_s, Key=key, ConsistentRead=True)["Item"]["x"] == value
    else:
        error = assert_dynamo_error(call, "ValidationException", "Nesting Levels have exceeded supported limits")
        assert error["Error"]["Message"] == "Nesting Levels have exceeded supported limits"
        assert "Item" not in dynamodb.get_item(TableName=tables.hash_s, Key=key, ConsistentRead=True)
