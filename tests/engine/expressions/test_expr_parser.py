"""Parser: syntax errors in DynamoDB's shape, limits, and what parses."""

from __future__ import annotations

import pytest

from dynaflow.engine.errors import DynamoError
from dynaflow.engine.expressions.ast import And, Between, Compare, FunctionCondition, In, Not, Or, Path
from dynaflow.engine.expressions.parser import MAX_DEPTH, parse


def syntax_message(kind: str, text: str) -> str:
    with pytest.raises(DynamoError) as info:
        parse(kind, text)  # type: ignore[arg-type]
    return info.value.message


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        # Real DynamoDB answers for these inputs, as reported by its users.
        ("UpdateExpression", "ADD hits : incr", 'Syntax error; token: ":", near: "hits : incr"'),
        ("UpdateExpression", "INVALID SYNTAX HERE", 'Syntax error; token: "INVALID", near: "INVALID SYNTAX"'),
        ("FilterExpression", "contains (themes, :theme", 'Syntax error; token: "<EOF>", near: ":theme"'),
        ("ConditionExpression", "attribute_not_exists(", 'Syntax error; token: "<EOF>", near: "("'),
        ("UpdateExpression", "SET a = :v,", 'Syntax error; token: "<EOF>", near: ","'),
        ("FilterExpression", "(#x)", 'Syntax error; token: "<EOF>", near: ")"'),
        ("ConditionExpression", "a =", 'Syntax error; token: "<EOF>", near: "="'),
        ("ConditionExpression", "a = :v !", 'Syntax error; token: "!", near: ":v !"'),
    ],
)
def test_syntax_errors_name_the_token_and_its_neighbours(kind: str, text: str, message: str) -> None:
    # DynamoDB users match on these messages; the token and near window must be exact.
    assert syntax_message(kind, text) == f"Invalid {kind}: {message}"


def test_empty_expression_is_rejected_with_dynamodb_words() -> None:
    # An empty string is not a syntax error in DynamoDB but its own message.
    assert syntax_message("ConditionExpression", "") == "Invalid ConditionExpression: The expression can not be empty;"


def test_expression_longer_than_4kb_is_rejected() -> None:
    # DynamoDB caps every expression at 4 KB.
    text = "a = :v OR " * 500 + "a = :v"
    assert "Expression size has exceeded the maximum allowed size" in syntax_message("ConditionExpression", text)


def test_nesting_beyond_the_depth_limit_is_an_error_not_a_crash() -> None:
    # Deep parentheses must not exhaust Python's recursion limit.
    text = "(" * (MAX_DEPTH + 1) + "a = :v" + ")" * (MAX_DEPTH + 1)
    assert "too many nested levels" in syntax_message("ConditionExpression", text)


def test_nesting_at_the_depth_limit_parses() -> None:
    # The limit must not reject what it claims to allow.
    depth = MAX_DEPTH // 2
    text = "NOT (" * depth + "a = :v" + ")" * depth
    assert parse("ConditionExpression", text) is not None


def test_and_binds_tighter_than_or_and_not_tighter_than_and() -> None:
    # Operator precedence decides the meaning of every compound condition.
    node = parse("ConditionExpression", "NOT a = :x AND b = :y OR c = :z").node
    assert isinstance(node, Or)
    assert isinstance(node.left, And)
    assert isinstance(node.left.left, Not)


def test_keywords_are_case_insensitive() -> None:
    # DynamoDB accepts "and", "between", "set" in any case.
    node = parse("ConditionExpression", "a between :x and :y or b in (:z)").node
    assert isinstance(node, Or)
    assert isinstance(node.left, Between)
    assert isinstance(node.right, In)
    update = parse("UpdateExpression", "set a = :v remove b")
    assert [a.kind for a in update.node.actions] == ["SET", "REMOVE"]  # type: ignore[union-attr]


def test_parenthesised_operand_and_parenthesised_condition_both_parse() -> None:
    # "(a) = :v" and "(a = :v)" start alike; the parser must backtrack correctly.
    assert isinstance(parse("ConditionExpression", "(a) = :v").node, Compare)
    assert isinstance(parse("ConditionExpression", "(a = :v)").node, Compare)
    assert isinstance(parse("ConditionExpression", "(size(a)) > :v").node, Compare)


def test_nested_paths_keep_names_and_indexes() -> None:
    # Paths are the core of every expression kind.
    node = parse("ConditionExpression", "attribute_exists(a.#b[2].c)").node
    assert isinstance(node, FunctionCondition)
    assert node.call.args[0] == Path(("a", "#b", 2, "c"))


def test_double_parentheses_are_flagged_as_redundant() -> None:
    # DynamoDB rejects "((a = :v))"; the parser records it for the validator to rank.
    assert parse("ConditionExpression", "((a = :v))").redundant_parens
    assert not parse("ConditionExpression", "(a = :v) AND (b = :v)").redundant_parens


def test_repeated_update_section_is_recorded() -> None:
    # "SET ... SET ..." is a semantic error ranked with the others, not a syntax error.
    assert parse("UpdateExpression", "SET a = :v REMOVE b SET c = :v").duplicate_section == "SET"


def test_a_deep_caller_stack_gets_a_validation_error_not_a_crash() -> None:
    # Parsing at the depth limit needs a few hundred frames; a caller already deep in its own stack
    # must still get DynamoDB's answer, never a RecursionError (an internal error).
    import sys

    text = "a = :v OR (" * (MAX_DEPTH - 1) + "a = :v" + ")" * (MAX_DEPTH - 1)

    def descend(levels: int) -> str:
        if levels:
            return descend(levels - 1)
        return syntax_message("ConditionExpression", text)

    assert "too many" in descend(sys.getrecursionlimit() - 200)
