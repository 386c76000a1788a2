"""Condition and filter expressions: comparators, functions, logic, paths, type rules, errors.

Each case is evaluated twice against one stored item: as a PutItem ConditionExpression (which puts
the same item back, so the table does not change) and as a Query FilterExpression. The two must agree.
"""

from __future__ import annotations

import pytest

from support import assert_dynamo_error, unique

ITEM = {
    "s": {"S": "hello world"}, "n": {"N": "42"}, "b": {"B": b"\x01\x02"}, "t": {"BOOL": True}, "z": {"NULL": True},
    "m": {"M": {"a": {"M": {"b": {"M": {"c": {"S": "deep"}}}}}, "n": {"N": "1"}}},
    "l": {"L": [{"S": "x"}, {"N": "2"}, {"L": [{"S": "nested"}]}, {"M": {"k": {"S": "v"}}}]},
    "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2", "3"]}, "bs": {"BS": [b"\x01"]}, "e": {"S": ""},
    "a.b": {"S": "dotted"},
}
VALUES = {
    ":s": {"S": "hello world"}, ":n42": {"N": "42"}, ":n50": {"N": "50"}, ":n41": {"N": "41"}, ":n43": {"N": "43"},
    ":n40": {"N": "40"}, ":n1": {"N": "1"}, ":n2": {"N": "2"}, ":n4": {"N": "4"}, ":n11": {"N": "11"},
    ":z": {"S": "z"}, ":hello": {"S": "hello"}, ":world": {"S": "world"}, ":low": {"S": "lo w"}, ":a": {"S": "a"},
    ":c": {"S": "c"}, ":x": {"S": "x"}, ":deep": {"S": "deep"}, ":v": {"S": "v"}, ":nested": {"S": "nested"},
    ":b": {"B": b"\x01\x02"}, ":b1": {"B": b"\x01"}, ":b2": {"B": b"\x02"}, ":t": {"BOOL": True}, ":f": {"BOOL": False},
    ":null": {"NULL": True}, ":str42": {"S": "42"}, ":empty": {"S": ""},
    ":TS": {"S": "S"}, ":TN": {"S": "N"}, ":TB": {"S": "B"}, ":TBOOL": {"S": "BOOL"}, ":TNULL": {"S": "NULL"},
    ":TM": {"S": "M"}, ":TL": {"S": "L"}, ":TSS": {"S": "SS"}, ":TNS": {"S": "NS"}, ":TBS": {"S": "BS"},
    ":m": {"M": {"a": {"M": {"b": {"M": {"c": {"S": "deep"}}}}}, "n": {"N": "1"}}},
    ":l2": {"L": [{"S": "nested"}]}, ":ss": {"SS": ["b", "a"]}, ":ns": {"NS": ["3", "2", "1"]},
}

CASES = [
    ("s = :s", True), ("s <> :s", False), ("n < :n50", True), ("n <= :n42", True), ("n > :n41", True),
    ("n >= :n43", False), ("s < :z", True), ("s > :z", False), ("b = :b", True), ("b < :b2", True), ("b > :b1", True),
    ("n BETWEEN :n40 AND :n42", True), ("n BETWEEN :n43 AND :n50", False), ("s BETWEEN :hello AND :z", True),
    ("s IN (:x, :s)", True), ("n IN (:n1, :n2)", False), ("n IN (:n42)", True),
    ("attribute_exists(m.a.b.c)", True), ("attribute_exists(m.a.x)", False), ("attribute_not_exists(nope)", True),
    ("attribute_not_exists(s)", False), ("attribute_exists(l[3].k)", True), ("attribute_exists(l[9])", False),
    ("attribute_exists(z)", True), ("attribute_exists(e)", True),
    ("attribute_type(s, :TS)", True), ("attribute_type(n, :TN)", True), ("attribute_type(b, :TB)", True),
    ("attribute_type(t, :TBOOL)", True), ("attribute_type(z, :TNULL)", True), ("attribute_type(m, :TM)", True),
    ("attribute_type(l, :TL)", True), ("attribute_type(ss, :TSS)", True), ("attribute_type(ns, :TNS)", True),
    ("attribute_type(bs, :TBS)", True), ("attribute_type(s, :TN)", False), ("attribute_type(nope, :TS)", False),
    ("begins_with(s, :hello)", True), ("begins_with(s, :world)", False), ("begins_with(b, :b1)", True),
    ("begins_with(n, :hello)", False), ("begins_with(s, :empty)", True),
    ("contains(s, :low)", True), ("contains(ss, :a)", True), ("contains(ss, :c)", False), ("contains(ns, :n2)", True),
    ("contains(bs, :b1)", True), ("contains(l, :x)", True), ("contains(l, :n2)", True), ("contains(l, :l2)", True),
    ("contains(l, :nested)", False), ("contains(n, :n4)", False), ("contains(b, :b2)", True),
    ("size(s) = :n11", True), ("size(l) = :n4", True), ("size(m) = :n2", True), ("size(ss) = :n2", True),
    ("size(b) = :n2", True), ("size(nope) = :n1", False), ("size(l[2]) = :n1", True), ("size(e) < :n1", True),
    ("l[0] = :x", True), ("l[2][0] = :nested", True), ("l[3].k = :v", True), ("m.a.b.c = :deep", True),
    ("m.a.b.c = :x", False), ("l[1] = :n2", True), ("l[4] = :x", False),
    ("NOT s = :s", False), ("n = :n42 AND t = :t", True), ("n = :n1 OR n = :n42", True),
    ("NOT (n = :n1 OR n = :n2)", True), ("n = :n1 OR n = :n42 AND t = :f", False),
    ("(n = :n1 OR n = :n42) AND t = :t", True), ("NOT NOT t = :t", True), ("NOT t = :t OR z = :null", True),
    ("n = :str42", False), ("n < :str42", False), ("n > :str42", False), ("n <> :str42", True),
    ("nope = :s", False), ("nope <> :s", True), ("nope < :s", False),
    ("z = :null", True), ("t = :t", True), ("t = :f", False), ("m = :m", True), ("l[2] = :l2", True),
    ("ss = :ss", True), ("ns = :ns", True), ("s = m.a.b.c", False), ("m.n < n", True),
    ("size(s) > n", False), ("#dotted = :dotted", True), ("e = :empty", True),
]


@pytest.fixture(scope="module")
def stored(dynamodb, tables):
    key = {"pk": {"S": unique("cond")}, "sk": {"S": "item"}}
    dynamodb.put_item(TableName=tables.range_s, Item={**key, **ITEM})
    return key


def used_values(expression):
    return {k: v for k, v in {**VALUES, ":dotted": {"S": "dotted"}}.items()
            if any(k == tok.strip("(),") for tok in expression.replace("(", " ( ").replace(",", " , ").split())}


def names_for(expression):
    return {"ExpressionAttributeNames": {"#dotted": "a.b"}} if "#dotted" in expression else {}


def as_condition(dynamodb, tables, key, expression):
    values = used_values(expression)
    try:
        dynamodb.put_item(TableName=tables.range_s, Item={**key, **ITEM}, ConditionExpression=expression,
                          **({"ExpressionAttributeValues": values} if values else {}), **names_for(expression))
        return True
    except Exception as exc:
        if getattr(exc, "response", {}).get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise


def as_filter(dynamodb, tables, key, expression):
    values = {**used_values(expression), ":pk": key["pk"]}
    response = dynamodb.query(TableName=tables.range_s, KeyConditionExpression="pk = :pk", FilterExpression=expression,
                              ExpressionAttributeValues=values, **names_for(expression))
    assert response["ScannedCount"] == 1
    return response["Count"] == 1


@pytest.mark.parametrize(("expression", "holds"), CASES, ids=[c[0] for c in CASES])
def test_condition_expression(dynamodb, tables, stored, expression, holds):
    # Why: each comparator, function and connective must evaluate as DynamoDB does in a ConditionExpression.
    assert as_condition(dynamodb, tables, stored, expression) is holds


@pytest.mark.parametrize(("expression", "holds"), CASES[::3], ids=[c[0] for c in CASES[::3]])
def test_filter_expression_agrees_with_condition(dynamodb, tables, stored, expression, holds):
    # Why: FilterExpression shares the grammar and semantics of ConditionExpression.
    assert as_filter(dynamodb, tables, stored, expression) is holds


def test_condition_on_missing_item_sees_no_attributes(dynamodb, tables):
    # Why: against a missing item every attribute is absent: = fails but <> holds.
    key = {"pk": {"S": unique()}, "sk": {"S": "x"}}
    assert_dynamo_error(lambda: dynamodb.put_item(TableName=tables.range_s, Item=key, ConditionExpression="s = :v",
                                                  ExpressionAttributeValues={":v": {"S": "x"}}),
                        "ConditionalCheckFailedException")
    dynamodb.put_item(TableName=tables.range_s, Item=key, ConditionExpression="s <> :v",
                      ExpressionAttributeValues={":v": {"S": "x"}})


def test_size_of_a_value_operand_is_allowed(dynamodb, tables, stored):
    # Why: size() accepts a :value as well as a path.
    dynamodb.put_item(TableName=tables.range_s, Item={**stored, **ITEM}, ConditionExpression="size(s) > size(:v)",
                      ExpressionAttributeValues={":v": {"S": "abc"}})


def cond_error(dynamodb, tables, expression, values=None, *substrings):
    request = {"TableName": tables.range_s, "Item": {"pk": {"S": "e"}, "sk": {"S": "e"}},
               "ConditionExpression": expression}
    if values:
        request["ExpressionAttributeValues"] = values
    assert_dynamo_error(lambda: dynamodb.put_item(**request), "ValidationException", *substrings)


@pytest.mark.parametrize(("expression", "values", "message"), [
    ("foo(s)", None, "Invalid ConditionExpression: Invalid function name; function: foo"),
    ("attribute_exists(:v)", {":v": {"S": "x"}}, "Invalid ConditionExpression: Operator or function requires a "
                                                 "document path; operator or function: attribute_exists"),
    ("size(s)", None, "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; "
                      "function: size"),
    ("s BETWEEN :a AND :b", {":a": {"N": "2"}, ":b": {"N": "1"}},
     "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower "
     "bound; lower bound operand: AttributeValue: {N:2}, upper bound operand: AttributeValue: {N:1}"),
    ("s BETWEEN :a AND :b", {":a": {"N": "1"}, ":b": {"S": "1"}},
     "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds"),
    ("attribute_type(s, :t)", {":t": {"S": "STRING"}},
     "Invalid ConditionExpression: Invalid attribute type name found; type: STRING, valid types:"),
    ("attribute_type(s, :t)", {":t": {"N": "1"}}, "Invalid ConditionExpression: Incorrect operand type for operator or "
                                                  "function; operator or function: attribute_type, operand type: N"),
    ("begins_with(s, :n)", {":n": {"N": "1"}}, "Invalid ConditionExpression: Incorrect operand type for operator or "
                                               "function; operator or function: begins_with, operand type: N"),
    ("s = :v AND", {":v": {"S": "x"}}, "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"AND\""),
    ("s == :v", {":v": {"S": "x"}}, "Invalid ConditionExpression: Syntax error; token: \"=\", near: \"== :v\""),
    ("l[-1] = :v", {":v": {"S": "x"}}, "Invalid ConditionExpression: Syntax error; token: \"-\""),
    ("s = :v", {":v": {"S": "x"}, ":w": {"S": "y"}},
     "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}"),
    ("s = :undefined", {":v": {"S": "x"}}, "An expression attribute value used in expression is not defined; "
                                           "attribute value: :undefined"),
    ("n = n", None, "Invalid ConditionExpression: The first operand must be distinct from the remaining operands "
                    "for this operator or function; operator: =, first operand: [n]"),
], ids=["unknown-function", "exists-needs-path", "bare-size", "between-order", "between-types", "bad-type-name",
        "type-name-not-string", "begins-with-number", "dangling-and", "double-equals", "negative-index",
        "unused-value", "undefined-value", "same-operand-twice"])
def test_invalid_condition_expressions(dynamodb, tables, expression, values, message):
    # Why: semantic and syntax errors are reported with DynamoDB's wording before anything is read.
    cond_error(dynamodb, tables, expression, values, message)


def test_in_accepts_one_hundred_operands(dynamodb, tables, stored):
    # Why: IN takes up to 100 values.
    values = {f":v{i}": {"N": str(i)} for i in range(100)}
    dynamodb.put_item(TableName=tables.range_s, Item={**stored, **ITEM},
                      ConditionExpression=f"n IN ({', '.join(values)})", ExpressionAttributeValues=values)


def test_in_rejects_more_than_one_hundred_operands(dynamodb, tables):
    # Why: the IN list is capped at 100 operands.
    values = {f":v{i}": {"N": str(i)} for i in range(101)}
    cond_error(dynamodb, tables, f"n IN ({', '.join(values)})", values,
               "Invalid ConditionExpression: The IN operator is provided with too many operands; number of "
               "operands: 101")


def test_empty_condition_expression_is_rejected(dynamodb, tables):
    # Why: an empty string is not "no condition".
    cond_error(dynamodb, tables, "", None, "Invalid ConditionExpression: The expression can not be empty;")


def test_condition_may_use_key_attributes(dynamodb, tables, stored):
    # Why: unlike Query filters, conditions may test key attributes.
    dynamodb.put_item(TableName=tables.range_s, Item={**stored, **ITEM}, ConditionExpression="sk = :sk",
                      ExpressionAttributeValues={":sk": stored["sk"]})


_NOT_ORDERED = {"L": {"L": [{"N": "1"}]}, "M": {"M": {}}, "BOOL": {"BOOL": True}, "NULL": {"NULL": True},
                "SS": {"SS": ["x"]}}


@pytest.mark.parametrize("op", ["<", "<=", ">", ">="])
@pytest.mark.parametrize("tag", sorted(_NOT_ORDERED))
def test_ordering_operators_take_only_strings_numbers_and_binaries(dynamodb, tables, op, tag):
    # Why: a list, map, boolean, null or set constant can never be ordered, so DynamoDB rejects the
    # expression instead of evaluating it to false.
    cond_error(dynamodb, tables, f"n {op} :v", {":v": _NOT_ORDERED[tag]},
               "Invalid ConditionExpression: Incorrect operand type for operator or function; "
               f"operator or function: {op}, operand type: {tag}")


@pytest.mark.parametrize(("expression", "values", "tag"), [
    ("n BETWEEN :l AND :h", {":l": {"L": []}, ":h": {"L": [{"N": "1"}]}}, "L"),
    ("n BETWEEN :l AND :h", {":l": {"BOOL": False}, ":h": {"BOOL": True}}, "BOOL"),
    ("n BETWEEN :l AND :h", {":l": {"L": []}, ":h": {"N": "1"}}, "L"),
    ("n BETWEEN :l AND :h", {":l": {"N": "1"}, ":h": {"M": {}}}, "M"),
    (":l BETWEEN n AND s", {":l": {"L": []}}, "L"),
], ids=["lists", "booleans", "list-and-number", "number-and-map", "list-operand"])
def test_between_takes_only_strings_numbers_and_binaries(dynamodb, tables, expression, values, tag):
    # Why: the type rule is checked before the rule that both bounds have one type.
    cond_error(dynamodb, tables, expression, values,
               "Invalid ConditionExpression: Incorrect operand type for operator or function; "
               f"operator or function: BETWEEN, operand type: {tag}")


@pytest.mark.parametrize(("expression", "operator"), [("n IN (n, s)", "IN"), ("n BETWEEN n AND :h", "BETWEEN")])
def test_in_and_between_need_distinct_operands(dynamodb, tables, expression, operator):
    # Why: like a comparison, IN and BETWEEN reject the same path on both sides.
    values = {":h": {"N": "9"}} if ":h" in expression else None
    cond_error(dynamodb, tables, expression, values,
               "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for "
               f"this operator or function; operator: {operator}, first operand: [n]")


@pytest.mark.parametrize(("value", "type_name", "holds"), [
    ({"N": "0"}, "N", True), ({"N": "0"}, "S", False), ({"L": []}, "L", True),
])
def test_attribute_type_accepts_a_value_operand(dynamodb, tables, stored, value, type_name, holds):
    # Why: only attribute_exists and attribute_not_exists need a document path; attribute_type also
    # tests the type of a :value.
    request = {"TableName": tables.range_s, "Item": {**stored, **ITEM}, "ConditionExpression": "attribute_type(:v, :t)",
               "ExpressionAttributeValues": {":v": value, ":t": {"S": type_name}}}
    if holds:
        dynamodb.put_item(**request)
    else:
        assert_dynamo_error(lambda: dynamodb.put_item(**request), "ConditionalCheckFailedException")


@pytest.mark.parametrize("expression", ["if_not_exists(s, s) = :v", "list_append(l, l) = :v", "if_not_exists(s)"])
def test_update_functions_are_not_allowed_in_conditions(dynamodb, tables, expression):
    # Why: if_not_exists and list_append exist only in update expressions; DynamoDB says so instead
    # of calling them unknown.
    name = expression.split("(")[0]
    cond_error(dynamodb, tables, expression, {":v": {"S": "x"}} if ":v" in expression else None,
               f"Invalid ConditionExpression: The function is not allowed in a condition expression; function: {name}")


_LIST = {"L": []}
_DEEP = "l" + "[0]" * 33


@pytest.mark.parametrize(("expression", "values", "message"), [
    # Reserved words and function problems: the first in reading order wins.
    ("data = :v AND foo(s)", {":v": _LIST}, "Attribute name is a reserved keyword; reserved keyword: data"),
    ("foo(s) AND data = :v", {":v": _LIST}, "Invalid function name; function: foo"),
    ("data = :v AND size(s)", {":v": _LIST}, "Attribute name is a reserved keyword; reserved keyword: data"),
    ("attribute_exists(s) = :v AND foo(s)", {":v": _LIST},
     "The function is not allowed to be used this way in an expression; function: attribute_exists"),
    # They win over every other problem, wherever they are.
    ("n < :v AND data = :v", {":v": _LIST}, "Attribute name is a reserved keyword; reserved keyword: data"),
    ("s = :undefined AND size(s)", None,
     "The function is not allowed to be used this way in an expression; function: size"),
    # Every other problem: the first in reading order wins, whatever its kind.
    ("n = n AND n < :v", {":v": _LIST}, "The first operand must be distinct"),
    ("n < :v AND n = n", {":v": _LIST}, "operator or function: <, operand type: L"),
    ("n = n AND s = :undefined", None, "The first operand must be distinct"),
    ("s = :undefined AND n = n", None, "attribute value: :undefined"),
    ("n < :v AND s = :undefined", {":v": _LIST}, "operator or function: <, operand type: L"),
    ("n = n AND #undefined = :v", {":v": _LIST}, "The first operand must be distinct"),
    ("attribute_exists(s, n) AND s = :undefined", None, "number of operands: 2"),
    (f"{_DEEP} = :v AND n = n", {":v": _LIST}, "nesting levels: 34"),
    ("n < :v AND s IN (" + ", ".join([":v"] * 101) + ")", {":v": _LIST}, "operator or function: <, operand type: L"),
    ("begins_with(s, :n) AND attribute_exists(s, n)", {":n": {"N": "1"}},
     "operator or function: begins_with, operand type: N"),
    # Within one operation, its operands are resolved before the operation is checked.
    (f"begins_with(:n, {_DEEP})", {":n": {"N": "1"}}, "nesting levels: 34"),
    ("n BETWEEN :v AND :undefined", {":v": _LIST}, "attribute value: :undefined"),
], ids=["reserved-then-function", "function-then-reserved", "reserved-then-size", "misused-then-function",
        "type-then-reserved", "undefined-then-size", "distinct-then-type", "type-then-distinct",
        "distinct-then-undefined", "undefined-then-distinct", "type-then-undefined", "distinct-then-undefined-name",
        "count-then-undefined", "depth-then-distinct", "type-then-too-many", "type-then-count",
        "depth-inside-call", "undefined-inside-between"])
def test_which_of_several_problems_is_reported(dynamodb, tables, expression, values, message):
    # Why: DynamoDB reports problems in two classes, each by reading order: reserved words and
    # function names first, then everything else.
    cond_error(dynamodb, tables, expression, values, "Invalid ConditionExpression: ", message)


_TOO_MANY_OPERATORS = "The expression contains too many operators; operator count: 301"


@pytest.mark.parametrize("expression", [
    "n<s " + "OR (n<s " * 149 + ")" * 149,
    " OR ".join(["n<s"] * 150),
    "NOT " * 298 + "n<s",
    " AND ".join(["n BETWEEN s AND z"] * 120),
], ids=["nested-149", "flat-300", "not-298", "between-120"])
def test_up_to_three_hundred_operators_are_accepted(dynamodb, tables, stored, expression):
    # Why: DynamoDB limits a condition to 300 operators (comparators, AND, OR, NOT, BETWEEN, IN; a
    # BETWEEN's own AND is part of it), not to a nesting depth.
    request = {"TableName": tables.range_s, "Item": {**stored, **ITEM}, "ConditionExpression": expression}
    try:
        dynamodb.put_item(**request)
    except Exception as exc:  # the condition may be false; it must not be invalid
        assert getattr(exc, "response", {}).get("Error", {}).get("Code") == "ConditionalCheckFailedException", exc


@pytest.mark.parametrize("expression", [
    " OR ".join(["n<s"] * 151),
    "n<s " + "OR (n<s " * 150 + ")" * 150,
    "n<s " + "OR (n<s " * 454 + ")" * 454,
    "NOT " * 1000 + "n<s",
    " AND ".join(["n BETWEEN s AND z"] * 150) + " AND n IN (s)",
], ids=["flat-301", "nested-150", "nested-454", "not-1000", "between-and-in"])
def test_more_than_three_hundred_operators_are_rejected(dynamodb, tables, expression):
    # Why: past 300 operators DynamoDB refuses the condition, however it is nested.
    assert len(expression) <= 4096
    cond_error(dynamodb, tables, expression, None, f"Invalid ConditionExpression: {_TOO_MANY_OPERATORS}")


def test_an_earlier_problem_wins_over_the_operator_count(dynamodb, tables):
    # Why: the operator count is one of the problems reported in reading order.
    cond_error(dynamodb, tables, " OR ".join(["n < :undefined"] * 151), {":n1": {"N": "1"}},
               "attribute value: :undefined")
