"""compile_expressions: DynamoDB's parameter checks, their order and their wording."""

from __future__ import annotations

import pytest
from helpers_expr import KEYS, compile_, error_of, values

from dynaflow.engine.expressions import compile_expressions


def test_request_without_expression_parameters_compiles_to_nothing() -> None:
    # The GetItem fast path: no expression keys, nothing to do.
    result = compile_("GetItem", TableName="t", Key={"pk": {"S": "a"}})
    assert (result.condition, result.filter, result.projection, result.update, result.key_condition) == (
        None,
        None,
        None,
        None,
        None,
    )


def test_mixing_expression_and_legacy_parameters_is_rejected() -> None:
    # DynamoDB names both sides of the mix in one message.
    message = error_of("GetItem", ProjectionExpression="a", AttributesToGet=["a"])
    assert message == (
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"
    )


def test_names_without_expressions_are_rejected() -> None:
    # Names only make sense with an expression that can use them.
    assert error_of("PutItem", ExpressionAttributeNames={"#a": "a"}) == (
        "ExpressionAttributeNames can only be specified when using expressions"
    )


def test_values_without_value_expressions_are_rejected() -> None:
    # DynamoDB lists the expressions that could have used the values.
    assert error_of("UpdateItem", ExpressionAttributeValues=values(v={"S": "x"})) == (
        "ExpressionAttributeValues can only be specified when using expressions: "
        "UpdateExpression and ConditionExpression are null"
    )


def test_empty_values_map_is_rejected() -> None:
    # An empty map is its own error, before any parsing.
    assert error_of("PutItem", ConditionExpression="a = b", ExpressionAttributeValues={}) == (
        "ExpressionAttributeValues must not be empty"
    )


def test_invalid_value_is_reported_with_its_key() -> None:
    # Values are validated here, with DynamoDB's wrapper around the value error.
    message = error_of("PutItem", ConditionExpression="a = :v", ExpressionAttributeValues=values(v={"SS": []}))
    assert message == (
        "ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: "
        "An string set  may not be empty for key :v"
    )


def test_values_are_normalized_before_use() -> None:
    # "1.50" in a value must equal "1.5" stored in an item.
    result = compile_("PutItem", ConditionExpression="a = :v", ExpressionAttributeValues=values(v={"N": "01.50"}))
    assert result.condition is not None and result.condition.evaluate({"a": {"N": "1.5"}})


def test_malformed_name_key_is_a_syntax_error_on_the_key() -> None:
    # Keys of ExpressionAttributeNames must look like "#word".
    assert error_of("PutItem", ConditionExpression="a = b", ExpressionAttributeNames={"a": "a"}) == (
        'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"'
    )


def test_undefined_name_and_value() -> None:
    # Every #name and :value must be defined.
    assert error_of("UpdateItem", UpdateExpression="SET #n = :v", ExpressionAttributeValues=values(v={"N": "1"})) == (
        "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; "
        "attribute name: #n"
    )
    assert error_of("UpdateItem", UpdateExpression="SET a = :v") == (
        "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :v"
    )


def test_unused_names_then_unused_values() -> None:
    # Unused entries are errors, names first, listed in request order.
    assert (
        error_of(
            "PutItem",
            ConditionExpression="a = :x",
            ExpressionAttributeNames={"#a": "a", "#b": "b"},
            ExpressionAttributeValues=values(x={"S": "1"}, y={"S": "2"}),
        )
        == "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #b}"
    )
    assert (
        error_of("PutItem", ConditionExpression="a = :x", ExpressionAttributeValues=values(x={"S": "1"}, y={"S": "2"}))
        == "Value provided in ExpressionAttributeValues unused in expressions: keys: {:y}"
    )


def test_names_used_by_any_expression_of_the_request_count_as_used() -> None:
    # Use is tracked across the condition, update and projection of one request.
    result = compile_(
        "UpdateItem",
        UpdateExpression="SET #a = :v",
        ConditionExpression="attribute_exists(#b)",
        ExpressionAttributeNames={"#a": "a", "#b": "b"},
        ExpressionAttributeValues=values(v={"S": "x"}),
    )
    assert result.update is not None and result.condition is not None


def test_reserved_word_is_rejected_and_an_alias_accepted() -> None:
    # DynamoDB's reserved words need #aliases, case-insensitively.
    assert error_of("GetItem", ProjectionExpression="Name") == (
        "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: Name"
    )
    assert compile_("GetItem", ProjectionExpression="#n", ExpressionAttributeNames={"#n": "name"}).projection


def test_reserved_word_outranks_an_undefined_name() -> None:
    # DynamoDB ranks error categories, not positions: reserved beats undefined in updates.
    assert "reserved keyword: size" in error_of("UpdateItem", UpdateExpression="SET #x = :v, size = :v")


def test_overlapping_and_conflicting_update_paths() -> None:
    # Two actions on the same document path are ambiguous and rejected.
    v = values(v={"S": "x"})
    assert error_of("UpdateItem", UpdateExpression="SET a = :v REMOVE a.b", ExpressionAttributeValues=v) == (
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of "
        "these paths; path one: [a], path two: [a, b]"
    )
    assert error_of("UpdateItem", UpdateExpression="SET a[1] = :v, a.b = :v", ExpressionAttributeValues=v) == (
        "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of "
        "these paths; path one: [a, [1]], path two: [a, b]"
    )


def test_duplicate_section() -> None:
    # Each update section may appear once.
    message = error_of(
        "UpdateItem", UpdateExpression="SET a = :v SET b = :v", ExpressionAttributeValues=values(v={"S": "x"})
    )
    assert message == 'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;'


@pytest.mark.parametrize(
    ("expression", "vals", "message"),
    [
        (
            "begins_with(a, :n)",
            {":n": {"N": "1"}},
            "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
        ),
        (
            "size(:n) > :n",
            {":n": {"N": "1"}},
            "Incorrect operand type for operator or function; operator or function: size, operand type: N",
        ),
        (
            "attribute_exists(:s)",
            {":s": {"S": "x"}},
            "Operator or function requires a document path; operator or function: attribute_exists",
        ),
        (
            "attribute_type(a, :s)",
            {":s": {"S": "STRING"}},
            "Invalid attribute type name found; type: STRING, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}",
        ),
        (
            "contains(a)",
            None,
            "Incorrect number of operands for operator or function; operator or function: contains, "
            "number of operands: 1",
        ),
        ("nope(a)", None, "Invalid function name; function: nope"),
        ("size(a)", None, "The function is not allowed to be used this way in an expression; function: size"),
        (
            "begins_with(a, :s) = :s",
            {":s": {"S": "x"}},
            "The function is not allowed to be used this way in an expression; function: begins_with",
        ),
        (
            "a = a",
            None,
            "The first operand must be distinct from the remaining operands for this operator or function; "
            "operator: =, first operand: [a]",
        ),
        (
            "a BETWEEN :hi AND :lo",
            {":hi": {"N": "5"}, ":lo": {"N": "1"}},
            "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "
            "lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:1}",
        ),
        ("((a = b))", None, "The expression has redundant parentheses;"),
    ],
)
def test_condition_semantic_errors(expression: str, vals: dict[str, object] | None, message: str) -> None:
    # The function allow-list and operand rules of condition expressions, in DynamoDB's words.
    request: dict[str, object] = {"ConditionExpression": expression}
    if vals:
        request["ExpressionAttributeValues"] = vals
    assert error_of("PutItem", **request) == f"Invalid ConditionExpression: {message}"


def test_in_allows_100_operands_and_not_101() -> None:
    # DynamoDB's IN limit.
    vals = {f":v{i}": {"N": str(i)} for i in range(101)}
    ok = compile_(
        "Scan",
        FilterExpression="a IN (" + ", ".join(list(vals)[:100]) + ")",
        ExpressionAttributeValues=dict(list(vals.items())[:100]),
    )
    assert ok.filter is not None
    message = error_of("Scan", FilterExpression="a IN (" + ", ".join(vals) + ")", ExpressionAttributeValues=vals)
    assert "too many operands; number of operands: 101" in message


def test_update_functions_are_confined_to_set() -> None:
    # size is a condition function; if_not_exists and list_append are update functions.
    v = values(v={"N": "1"})
    assert error_of("UpdateItem", UpdateExpression="SET a = size(b)") == (
        "Invalid UpdateExpression: The function is not allowed in an update expression; function: size"
    )
    assert error_of("PutItem", ConditionExpression="if_not_exists(a, :v) = :v", ExpressionAttributeValues=v).startswith(
        "Invalid ConditionExpression: "
    )
    assert error_of("UpdateItem", UpdateExpression="SET a = list_append(:v, b)", ExpressionAttributeValues=v) == (
        "Invalid UpdateExpression: Incorrect operand type for operator or function; "
        "operator or function: list_append, operand type: N"
    )


def test_add_and_delete_operand_types() -> None:
    # ADD takes numbers and sets, DELETE only sets.
    assert error_of("UpdateItem", UpdateExpression="ADD a :v", ExpressionAttributeValues=values(v={"S": "x"})) == (
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, "
        "operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND"
    )
    assert error_of("UpdateItem", UpdateExpression="DELETE a :v", ExpressionAttributeValues=values(v={"N": "1"})) == (
        "Invalid UpdateExpression: Incorrect operand type for operator or function; "
        "operator: DELETE, operand type: NUMBER, typeSet: ALLOWED_FOR_DELETE_OPERAND"
    )


# ---------------------------------------------------------------- Query key conditions


def key_error(expression: str, **vals: object) -> str:
    return error_of("Query", KEYS, KeyConditionExpression=expression, ExpressionAttributeValues=values(**vals))


def test_key_condition_operators_outside_the_allowed_set() -> None:
    # Key conditions accept only =, <, <=, >, >=, BETWEEN and begins_with joined by AND.
    s = {"S": "x"}
    assert key_error("pk = :a OR sk = :a", a=s) == "Invalid operator used in KeyConditionExpression: OR"
    assert key_error("pk = :a AND sk <> :a", a=s) == "Invalid operator used in KeyConditionExpression: <>"
    assert key_error("pk = :a AND contains(sk, :a)", a=s) == "Invalid operator used in KeyConditionExpression: contains"
    assert key_error("pk = :a AND pk = :a", a=s) == "KeyConditionExpressions must only contain one condition per key"
    assert key_error("pk = :a AND sk.x = :a", a=s) == (
        "KeyConditionExpressions cannot have conditions on nested attributes"
    )


def test_key_condition_against_the_schema() -> None:
    # The partition key is required, by equality, with values of the declared type.
    s, n = {"S": "x"}, {"N": "1"}
    assert key_error("sk = :a", a=s) == "Query condition missed key schema element: pk"
    assert key_error("pk > :a", a=s) == "Query key condition not supported"
    assert key_error("pk = :a", a=n) == (
        "One or more parameter values were invalid: Condition parameter type does not match schema type"
    )


def test_key_condition_is_built_with_flipped_operands() -> None:
    # ":v < sk" means sk > :v.
    result = compile_(
        "Query",
        KEYS,
        KeyConditionExpression=":p = pk AND :v < sk",
        ExpressionAttributeValues=values(p={"S": "a"}, v={"S": "m"}),
    )
    key = result.key_condition
    assert key is not None
    assert (key.hash_value, key.range_name, key.range_op, key.range_values) == ({"S": "a"}, "sk", "GT", ({"S": "m"},))
    assert key.range_matches({"S": "n"}) and not key.range_matches({"S": "m"})


def test_query_needs_a_key_condition() -> None:
    # Query without KeyConditions or KeyConditionExpression is rejected, even on the fast path.
    assert error_of("Query", KEYS, TableName="t") == (
        "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."
    )


def test_query_filter_may_not_read_key_attributes() -> None:
    # DynamoDB filters only non-key attributes in a Query.
    message = error_of(
        "Query",
        KEYS,
        KeyConditionExpression="pk = :a",
        FilterExpression="sk = :a",
        ExpressionAttributeValues=values(a={"S": "x"}),
    )
    assert message == "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk"


def test_transaction_actions_and_batch_blocks_are_accepted() -> None:
    # The per-action and per-table blocks use the same entry point.
    v = values(v={"S": "x"})
    assert compile_expressions(
        {"ConditionExpression": "a = :v", "ExpressionAttributeValues": v}, operation="ConditionCheck"
    ).condition
    assert compile_expressions({"ProjectionExpression": "a"}, operation="BatchGetItem").projection
    assert compile_expressions(
        {"UpdateExpression": "SET a = :v", "ExpressionAttributeValues": v}, operation="Update"
    ).update
