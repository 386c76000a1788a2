"""Update expressions: SET (with +, -, list_append, if_not_exists), REMOVE, ADD, DELETE, and their errors."""

from __future__ import annotations

import pytest

from support import assert_dynamo_error, unique

BASE = {
    "n": {"N": "10"}, "s": {"S": "str"}, "m": {"M": {"a": {"M": {"x": {"N": "1"}}}, "k": {"S": "v"}}},
    "l": {"L": [{"S": "l0"}, {"S": "l1"}, {"S": "l2"}]}, "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]},
    "bs": {"BS": [b"\x01", b"\x02"]},
}


@pytest.fixture
def key(dynamodb, tables):
    key = {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item={**key, **BASE})
    return key


def apply(dynamodb, tables, key, expression, values=None, names=None):
    request = {"TableName": tables.hash_s, "Key": key, "UpdateExpression": expression, "ReturnValues": "ALL_NEW"}
    if values:
        request["ExpressionAttributeValues"] = values
    if names:
        request["ExpressionAttributeNames"] = names
    item = dynamodb.update_item(**request)["Attributes"]
    return {k: ({kind: sorted(v)} if kind in ("SS", "NS", "BS") else {kind: v}) for k, val in item.items()
            for kind, v in val.items()}


@pytest.mark.parametrize(("expression", "values", "attribute", "expected"), [
    ("SET added = :v", {":v": {"S": "x"}}, "added", {"S": "x"}),
    ("SET m.a.y = :v", {":v": {"N": "5"}}, "m", {"M": {"a": {"M": {"x": {"N": "1"}, "y": {"N": "5"}}},
                                                  "k": {"S": "v"}}}),
    ("SET m.k = :v", {":v": {"L": []}}, "m", {"M": {"a": {"M": {"x": {"N": "1"}}}, "k": {"L": []}}}),
    ("SET l[1] = :v", {":v": {"S": "new"}}, "l", {"L": [{"S": "l0"}, {"S": "new"}, {"S": "l2"}]}),
    ("SET l[10] = :v", {":v": {"S": "end"}}, "l", {"L": [{"S": "l0"}, {"S": "l1"}, {"S": "l2"}, {"S": "end"}]}),
    ("SET c = s", None, "c", {"S": "str"}),
    ("SET c = m.a", None, "c", {"M": {"x": {"N": "1"}}}),
    ("SET n = n + :v", {":v": {"N": "5"}}, "n", {"N": "15"}),
    ("SET n = n - :v", {":v": {"N": "15"}}, "n", {"N": "-5"}),
    ("SET n = :v - n", {":v": {"N": "15"}}, "n", {"N": "5"}),
    pytest.param("SET c = :a + :b", {":a": {"N": "1.5"}, ":b": {"N": "2.5"}}, "c", {"N": "4"},
                 marks=pytest.mark.dynamodb_local_differs(reason="DynamoDB Local returns 1.5 + 2.5 as '4.0'")),
    ("SET l = list_append(l, :v)", {":v": {"L": [{"S": "l3"}]}}, "l",
     {"L": [{"S": "l0"}, {"S": "l1"}, {"S": "l2"}, {"S": "l3"}]}),
    ("SET l = list_append(:v, l)", {":v": {"L": [{"S": "first"}]}}, "l",
     {"L": [{"S": "first"}, {"S": "l0"}, {"S": "l1"}, {"S": "l2"}]}),
    ("SET c = list_append(:a, :b)", {":a": {"L": []}, ":b": {"L": [{"N": "1"}]}}, "c", {"L": [{"N": "1"}]}),
    ("SET c = if_not_exists(c, :v)", {":v": {"S": "default"}}, "c", {"S": "default"}),
    ("SET n = if_not_exists(n, :v)", {":v": {"N": "0"}}, "n", {"N": "10"}),
    ("SET m.cnt = if_not_exists(m.cnt, :zero) + :one", {":zero": {"N": "0"}, ":one": {"N": "1"}}, "m",
     {"M": {"a": {"M": {"x": {"N": "1"}}}, "k": {"S": "v"}, "cnt": {"N": "1"}}}),
    ("SET l[0] = if_not_exists(l[0], :v)", {":v": {"S": "no"}}, "l", {"L": [{"S": "l0"}, {"S": "l1"}, {"S": "l2"}]}),
    ("ADD n :v", {":v": {"N": "-3"}}, "n", {"N": "7"}),
    ("ADD fresh :v", {":v": {"N": "3"}}, "fresh", {"N": "3"}),
    ("ADD ss :v", {":v": {"SS": ["b", "c"]}}, "ss", {"SS": ["a", "b", "c"]}),
    ("ADD ns :v", {":v": {"NS": ["3", "1.0"]}}, "ns", {"NS": ["1", "2", "3"]}),
    ("ADD bs :v", {":v": {"BS": [b"\x03"]}}, "bs", {"BS": [b"\x01", b"\x02", b"\x03"]}),
    ("ADD freshset :v", {":v": {"SS": ["x"]}}, "freshset", {"SS": ["x"]}),
    ("DELETE ss :v", {":v": {"SS": ["a", "zz"]}}, "ss", {"SS": ["b"]}),
    ("DELETE ns :v", {":v": {"NS": ["2.0"]}}, "ns", {"NS": ["1"]}),
    ("DELETE bs :v", {":v": {"BS": [b"\x01"]}}, "bs", {"BS": [b"\x02"]}),
    ("SET a = :v, b = :v", {":v": {"S": "same"}}, "b", {"S": "same"}),
    ("SET a = :v REMOVE s ADD n :one DELETE ss :d", {":v": {"S": "x"}, ":one": {"N": "1"}, ":d": {"SS": ["a"]}},
     "n", {"N": "11"}),
    ("set added = :v", {":v": {"S": "lower"}}, "added", {"S": "lower"}),
], ids=lambda v: v if isinstance(v, str) else None)
def test_update_action(dynamodb, tables, key, expression, values, attribute, expected):
    # Why: each action and operand form must produce exactly DynamoDB's resulting value.
    assert apply(dynamodb, tables, key, expression, values)[attribute] == (
        {k: sorted(v) for k, v in expected.items()} if next(iter(expected)) in ("SS", "NS", "BS") else expected)


@pytest.mark.parametrize(("expression", "values", "gone"), [
    ("REMOVE s", None, "s"),
    ("REMOVE s, n", None, "n"),
    ("DELETE ss :v", {":v": {"SS": ["a", "b"]}}, "ss"),
    ("REMOVE nope", None, "nope"),
    ("DELETE nope :v", {":v": {"SS": ["a"]}}, "nope"),
])
def test_removals(dynamodb, tables, key, expression, values, gone):
    # Why: REMOVE drops attributes (missing ones silently) and DELETE of every member drops the set.
    assert gone not in apply(dynamodb, tables, key, expression, values)


@pytest.mark.parametrize(("expression", "expected"), [
    ("REMOVE m.a.x", {"M": {"a": {"M": {}}, "k": {"S": "v"}}}),
    ("REMOVE m.nope", {"M": {"a": {"M": {"x": {"N": "1"}}}, "k": {"S": "v"}}}),
])
def test_remove_nested_map_member(dynamodb, tables, key, expression, expected):
    # Why: REMOVE of a nested path removes only that member.
    assert apply(dynamodb, tables, key, expression)["m"] == expected


@pytest.mark.parametrize(("expression", "expected"), [
    ("REMOVE l[0]", ["l1", "l2"]),
    ("REMOVE l[0], l[2]", ["l1"]),
    ("REMOVE l[2], l[0]", ["l1"]),
    ("REMOVE l[7]", ["l0", "l1", "l2"]),
])
def test_remove_list_elements_uses_original_indexes(dynamodb, tables, key, expression, expected):
    # Why: several list REMOVEs in one update refer to the list before any element was removed.
    assert [v["S"] for v in apply(dynamodb, tables, key, expression)["l"]["L"]] == expected


def test_set_reading_old_values_sees_the_item_before_the_update(dynamodb, tables, key):
    # Why: every operand reads the pre-update item, so swaps work in one expression.
    item = apply(dynamodb, tables, key, "SET a = s, s = n, n = m.k")
    assert (item["a"], item["s"], item["n"]) == ({"S": "str"}, {"N": "10"}, {"S": "v"})


def test_update_with_names(dynamodb, tables, key):
    # Why: #names work in update paths, including names with dots and reserved words.
    item = apply(dynamodb, tables, key, "SET #d = :v, #m.#k = :v", {":v": {"S": "x"}},
                 {"#d": "data.set", "#m": "m", "#k": "k"})
    assert item["data.set"] == {"S": "x"} and item["m"]["M"]["k"] == {"S": "x"}


def err(dynamodb, tables, key, expression, values=None, *substrings):
    assert_dynamo_error(lambda: apply(dynamodb, tables, key, expression, values), "ValidationException", *substrings)


@pytest.mark.parametrize(("expression", "values", "message"), [
    ("SET x.y.z = :v", {":v": {"S": "1"}}, "The document path provided in the update expression is invalid for update"),
    ("SET s[0] = :v", {":v": {"S": "1"}}, "The document path provided in the update expression is invalid for update"),
    ("SET m[0] = :v", {":v": {"S": "1"}}, "The document path provided in the update expression is invalid for update"),
    ("SET l.x = :v", {":v": {"S": "1"}}, "The document path provided in the update expression is invalid for update"),
    ("SET n = nope + :v", {":v": {"N": "1"}}, "The provided expression refers to an attribute that does not exist in "
                                              "the item"),
    ("SET n = n + s", None, "An operand in the update expression has an incorrect data type"),
    ("SET s = s + :v", {":v": {"N": "1"}}, "An operand in the update expression has an incorrect data type"),
    ("SET l = list_append(l, s)", None, "An operand in the update expression has an incorrect data type"),
    ("ADD ss :v", {":v": {"NS": ["1"]}}, "An operand in the update expression has an incorrect data type"),
    ("ADD s :v", {":v": {"N": "1"}}, "An operand in the update expression has an incorrect data type"),
    ("DELETE ns :v", {":v": {"SS": ["1"]}}, "An operand in the update expression has an incorrect data type"),
], ids=["missing-parent", "index-into-string", "index-into-map", "member-of-list", "missing-operand",
        "number-plus-string", "string-plus-number", "append-string", "add-numbers-to-strings", "add-to-string",
        "delete-strings-from-numbers"])
def test_update_errors_found_against_the_item(dynamodb, tables, key, expression, values, message):
    # Why: errors that depend on the stored item are ValidationExceptions and change nothing.
    err(dynamodb, tables, key, expression, values, message)
    item = dynamodb.get_item(TableName=tables.hash_s, Key=key)["Item"]
    assert (item["n"], item["s"], item["l"]) == (BASE["n"], BASE["s"], BASE["l"])


@pytest.mark.parametrize(("expression", "values", "message"), [
    ("SET a = :v, a = :v", {":v": {"S": "1"}}, "Two document paths overlap with each other; must remove or rewrite "
                                               "one of these paths; path one: [a], path two: [a]"),
    ("SET m = :v REMOVE m.a", {":v": {"S": "1"}}, "path one: [m], path two: [m, a]"),
    ("SET l[1] = :v REMOVE l", {":v": {"S": "1"}}, "Two document paths overlap"),
    ("SET a = :v SET b = :v", {":v": {"S": "1"}}, "Invalid UpdateExpression: The \"SET\" section can only be used "
                                                  "once in an update expression;"),
    ("REMOVE a REMOVE b", None, "The \"REMOVE\" section can only be used once in an update expression;"),
    ("SET a = size(s)", None, "Invalid UpdateExpression: The function is not allowed in an update expression; "
                              "function: size"),
    ("SET a = foo(s)", None, "Invalid UpdateExpression: Invalid function name; function: foo"),
    ("ADD a :v", {":v": {"S": "x"}}, "Invalid UpdateExpression: Incorrect operand type for operator or function; "
                                     "operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND"),
    ("ADD a :v", {":v": {"L": []}}, "Incorrect operand type for operator or function; operator: ADD"),
    ("DELETE a :v", {":v": {"N": "1"}}, "Invalid UpdateExpression: Incorrect operand type for operator or function; "
                                        "operator: DELETE, operand type: NUMBER, typeSet: ALLOWED_FOR_DELETE_OPERAND"),
    ("SET a = list_append(:v, :w)", {":v": {"S": "x"}, ":w": {"L": []}},
     "Incorrect operand type for operator or function; operator or function: list_append, operand type: S"),
    ("SET a = :v + :w", {":v": {"S": "x"}, ":w": {"N": "1"}},
     "Incorrect operand type for operator or function; operator or function: +, operand type: S"),
    ("SET a = if_not_exists(:v, :w)", {":v": {"S": "x"}, ":w": {"N": "1"}},
     "Operator or function requires a document path; operator or function: if_not_exists"),
    ("SET a :v", {":v": {"S": "x"}}, "Invalid UpdateExpression: Syntax error; token: \":v\", near: \"a :v\""),
    ("REMOVE", None, "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"REMOVE\""),
    ("SET a = :v,", {":v": {"S": "x"}}, "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \",\""),
    ("UPSERT a = :v", {":v": {"S": "x"}}, "Invalid UpdateExpression: Syntax error; token: \"UPSERT\""),
    ("SET a = :v", {":v": {"S": "x"}, ":unused": {"S": "y"}},
     "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}"),
    ("SET a = :nope", {":v": {"S": "x"}},
     "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute "
     "value: :nope"),
    ("ADD a.b :v", {":v": {"N": "1"}}, None),
], ids=["same-path-twice", "parent-and-child", "element-and-list", "set-twice", "remove-twice", "size-in-set",
        "unknown-function", "add-string", "add-list", "delete-number", "append-non-list", "plus-string",
        "if-not-exists-of-value", "missing-equals", "empty-remove", "trailing-comma", "unknown-clause", "unused-value",
        "undefined-value", "add-nested-path"])
def test_update_expression_errors(dynamodb, tables, key, expression, values, message):
    # Why: static errors in the expression are reported with DynamoDB's wording before the item is read.
    if message is None:  # ADD on a nested path: valid syntax, but a.b does not exist
        err(dynamodb, tables, key, expression, values)
        return
    err(dynamodb, tables, key, expression, values, message)


_APPEND_MISUSED = "Invalid UpdateExpression: The function is not allowed to be used this way in an expression; " \
                  "function: list_append"


@pytest.mark.parametrize("expression", [
    "SET a = list_append(list_append(:v, :v), :v)",
    "SET a = list_append(:v, list_append(:v, :v))",
    "SET a = if_not_exists(b, list_append(:v, :v))",
    "SET a = if_not_exists(list_append(:v, :v), :v)",
    "SET a = list_append(:v, :v) + :v",
    "SET a = list_append(:v, :v) - list_append(:v, :v)",
])
def test_list_append_is_only_a_whole_set_value(dynamodb, tables, key, expression):
    # Why: list_append may not be an argument of a function or an operand of + and -;
    # if_not_exists may be nested anywhere (see test_if_not_exists_nests).
    err(dynamodb, tables, key, expression, {":v": {"L": []}}, _APPEND_MISUSED)


def test_if_not_exists_nests(dynamodb, tables, key):
    # Why: the counterpart of test_list_append_is_only_a_whole_set_value.
    apply(dynamodb, tables, key, "SET a = list_append(if_not_exists(nope, :v), :w), b = if_not_exists(nope, "
                                 "if_not_exists(nope2, :w))", {":v": {"L": [{"N": "1"}]}, ":w": {"L": [{"N": "2"}]}})
    item = dynamodb.get_item(TableName=tables.hash_s, Key=key)["Item"]
    assert item["a"] == {"L": [{"N": "1"}, {"N": "2"}]} and item["b"] == {"L": [{"N": "2"}]}


@pytest.mark.parametrize(("expression", "message"), [
    ("SET a = list_append(list_append(:v, :v), :v), data = :v", _APPEND_MISUSED),
    ("SET data = :v, a = list_append(list_append(:v, :v), :v)", "reserved keyword: data"),
    ("SET a = foo(b), data = :v", "Invalid function name; function: foo"),
    ("SET data = :v, a = foo(b)", "reserved keyword: data"),
    ("SET a = list_append(list_append(:v, :v), foo(b))", _APPEND_MISUSED),
    ("SET a = list_append(foo(b), list_append(:v, :v))", "Invalid function name; function: foo"),
    ("SET a = list_append(list_append(:v, :v), :v), b = size(c)", _APPEND_MISUSED),
    ("SET a = list_append(list_append(:v, :v), :v) SET b = :v", _APPEND_MISUSED),
    ("REMOVE a SET a = list_append(list_append(:v, :v), :v)", _APPEND_MISUSED),
    ("SET a = list_append(list_append(:v, :v)), b = :v", _APPEND_MISUSED),
    ("SET a = list_append(list_append(:v, :v), :undefined)", _APPEND_MISUSED),
], ids=["append-then-reserved", "reserved-then-append", "function-then-reserved", "reserved-then-function",
        "append-then-function", "function-then-append", "append-then-size", "append-then-section",
        "append-then-overlap", "append-then-count", "append-then-undefined"])
def test_syntax_problems_are_reported_first_in_reading_order(dynamodb, tables, key, expression, message):
    # Why: reserved words and function problems outrank every other problem of an update
    # expression, and among them the first in reading order wins.
    err(dynamodb, tables, key, expression, {":v": {"L": []}}, message)


def test_appends_past_the_end_follow_the_index_order(dynamodb, tables, key):
    # Why: several SETs past the end of one list append in the order of their indexes, not in the
    # order they are written.
    values = {f":a{i}": {"S": f"a{i}"} for i in range(1, 5)}
    apply(dynamodb, tables, key, "SET l[84] = :a1, l[37] = :a2, l[17] = :a3, l[50] = :a4", values)
    item = dynamodb.get_item(TableName=tables.hash_s, Key=key)["Item"]
    assert item["l"]["L"][-4:] == [{"S": "a3"}, {"S": "a2"}, {"S": "a4"}, {"S": "a1"}]


def test_duplicate_set_value_is_named_with_its_key(dynamodb, tables, key):
    # Why: an invalid expression value is reported with its key appended to the value's own message.
    err(dynamodb, tables, key, "SET x = :v", {":v": {"SS": ["q", "q"]}},
        "ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: "
        "Input collection [q, q] contains duplicates for key :v")


@pytest.mark.parametrize(("expression", "message"), [
    ("SET l[01] = :v", 'Invalid UpdateExpression: Syntax error; token: "1", near: "01]"'),
    ("SET l[00] = :v", 'Invalid UpdateExpression: Syntax error; token: "0", near: "00]"'),
    ("SET l[2147483648] = :v",
     "Invalid UpdateExpression: List index is not within the allowable range; index: [2147483648]"),
], ids=["leading-zero", "double-zero", "past-32-bits"])
def test_list_indexes_are_plain_32_bit_numbers(dynamodb, tables, key, expression, message):
    # Why: a list index is written without leading zeros and fits a signed 32-bit integer; others
    # are rejected before the item is read, not taken as some other index.
    err(dynamodb, tables, key, expression, {":v": {"N": "1"}}, message)


def test_the_largest_list_index_appends(dynamodb, tables, key):
    # Why: an index past the end of a list appends, up to the largest index a path may hold.
    apply(dynamodb, tables, key, "SET l = :l", {":l": {"L": [{"N": "1"}]}})
    apply(dynamodb, tables, key, "SET l[2147483647] = :v", {":v": {"N": "2"}})
    item = dynamodb.get_item(TableName=tables.hash_s, Key=key)["Item"]
    assert item["l"] == {"L": [{"N": "1"}, {"N": "2"}]}


@pytest.mark.parametrize(("expression", "message"), [
    ("SET q = n + (n - :v)", 'Invalid UpdateExpression: Syntax error; token: "-", near: "n - :v"'),
    ("SET q = ((n))", "Invalid UpdateExpression: The expression has redundant parentheses;"),
    ("SET q = ((:v))", "Invalid UpdateExpression: The expression has redundant parentheses;"),
], ids=["arithmetic-in-parentheses", "double-path", "double-value"])
def test_set_values_take_parentheses_only_around_an_operand(dynamodb, tables, key, expression, message):
    # Why: DynamoDB's update grammar parenthesizes operands, not arithmetic, and refuses redundant
    # parentheses; evaluating such a value would accept what DynamoDB rejects.
    err(dynamodb, tables, key, expression, {":v": {"N": "1"}}, message)


def test_parentheses_around_one_operand_are_accepted(dynamodb, tables, key):
    # Why: ``(n)`` is a valid operand of a SET value.
    assert apply(dynamodb, tables, key, "SET n = :v", {":v": {"N": "9"}})["n"] == {"N": "9"}
    assert apply(dynamodb, tables, key, "SET q = (n) + :v", {":v": {"N": "1"}})["q"] == {"N": "10"}
