"""Condition and projection evaluation: DynamoDB's semantics on items in wire form."""

from __future__ import annotations

from typing import Any

import pytest
from helpers_expr import compile_

ITEM: dict[str, Any] = {
    "pk": {"S": "user#1"},
    "n": {"N": "10"},
    "s": {"S": "hello"},
    "b": {"B": "AAEC"},
    "ss": {"SS": ["x", "y"]},
    "ns": {"NS": ["1", "2.5"]},
    "l": {"L": [{"S": "a"}, {"N": "2"}, {"M": {"c": {"S": "deep"}}}]},
    "m": {"M": {"child": {"N": "3"}, "tags": {"L": [{"S": "t"}]}}},
    "t": {"BOOL": True},
    "z": {"NULL": True},
}


def check(expression: str, item: dict[str, Any] = ITEM, names: dict[str, str] | None = None, **vals: Any) -> bool:
    request: dict[str, Any] = {"FilterExpression": expression}
    if vals:
        request["ExpressionAttributeValues"] = {f":{k}": v for k, v in vals.items()}
    if names:
        request["ExpressionAttributeNames"] = names
    condition = compile_("Scan", **request).filter
    assert condition is not None
    return condition.evaluate(item)


@pytest.mark.parametrize(
    ("expression", "vals", "expected"),
    [
        ("n = :v", {"v": {"N": "10.0"}}, True),  # numbers compare by value
        ("n < :v", {"v": {"N": "9"}}, False),
        ("n > :v", {"v": {"N": "9.99"}}, True),
        ("n <= :v", {"v": {"N": "10"}}, True),
        ("n >= :v", {"v": {"N": "1E+1"}}, True),
        ("n <> :v", {"v": {"N": "10"}}, False),
        ("s < :v", {"v": {"S": "help"}}, True),  # strings by code point
        ("n = :v", {"v": {"S": "10"}}, False),  # different types are unequal
        ("n < :v", {"v": {"S": "zzz"}}, False),  # and unordered, without error
        ("n <> :v", {"v": {"S": "10"}}, True),
        ("absent = :v", {"v": {"S": "x"}}, False),  # a absent attribute compares false
        ("absent < :v", {"v": {"S": "x"}}, False),
        ("absent <> :v", {"v": {"S": "x"}}, True),
        ("ss = :v", {"v": {"SS": ["y", "x"]}}, True),  # sets are unordered
        ("m.child = :v", {"v": {"N": "3"}}, True),  # nested map path
        ("l[2].c = :v", {"v": {"S": "deep"}}, True),  # list index then map key
        ("l[9] = :v", {"v": {"S": "a"}}, False),  # index past the end is absent
        ("s.x = :v", {"v": {"S": "a"}}, False),  # path through a scalar is absent
        ("n BETWEEN :a AND :b", {"a": {"N": "10"}, "b": {"N": "11"}}, True),
        ("n BETWEEN :a AND :b", {"a": {"S": "1"}, "b": {"S": "2"}}, False),
        ("n IN (:a, :b)", {"a": {"N": "1"}, "b": {"N": "10"}}, True),
        ("s IN (:a)", {"a": {"N": "1"}}, False),
    ],
)
def test_comparisons(expression: str, vals: dict[str, Any], expected: bool) -> None:
    # Each row is one rule of DynamoDB's comparison semantics.
    assert check(expression, **vals) is expected


@pytest.mark.parametrize(
    ("expression", "vals", "expected"),
    [
        ("attribute_exists(m.tags[0])", {}, True),
        ("attribute_not_exists(m.nope)", {}, True),
        ("attribute_type(ns, :t)", {"t": {"S": "NS"}}, True),
        ("attribute_type(ns, :t)", {"t": {"S": "SS"}}, False),
        ("begins_with(pk, :p)", {"p": {"S": "user#"}}, True),
        ("begins_with(b, :p)", {"p": {"B": "AAE="}}, True),  # binary prefixes compare bytes
        ("begins_with(n, :p)", {"p": {"S": "1"}}, False),
        ("contains(s, :p)", {"p": {"S": "ell"}}, True),
        ("contains(ss, :p)", {"p": {"S": "y"}}, True),
        ("contains(ns, :p)", {"p": {"N": "2.50"}}, True),  # set membership by numeric value
        ("contains(l, :p)", {"p": {"N": "2"}}, True),
        ("contains(n, :p)", {"p": {"N": "1"}}, False),
        ("size(s) = :v", {"v": {"N": "5"}}, True),
        ("size(b) = :v", {"v": {"N": "3"}}, True),  # decoded bytes, not base64 characters
        ("size(l) = :v", {"v": {"N": "3"}}, True),
        ("size(m) = :v", {"v": {"N": "2"}}, True),
        ("size(ss) > :v", {"v": {"N": "1"}}, True),
        ("size(n) >= :v", {"v": {"N": "0"}}, False),  # size of a number has no value
        ("size(absent) >= :v", {"v": {"N": "0"}}, False),
    ],
)
def test_functions(expression: str, vals: dict[str, Any], expected: bool) -> None:
    # Each row is one documented behaviour of a condition function.
    assert check(expression, **vals) is expected


def test_logic_and_parentheses() -> None:
    # AND/OR/NOT combine with precedence; parentheses override it.
    v = {"v": {"N": "10"}, "w": {"N": "0"}}
    assert check("n = :w OR n = :v AND NOT n = :w", **v) is True
    assert check("(n = :w OR n = :v) AND n = :w", **v) is False
    assert check("NOT (n = :w)", w=v["w"]) is True


def test_names_substitute_into_paths() -> None:
    # #aliases resolve per request, including names with dots that are not paths.
    item = {"a.b": {"S": "x"}, "a": {"M": {"b": {"S": "y"}}}}
    assert check("#ab = :v", item, {"#ab": "a.b"}, v={"S": "x"}) is True
    assert check("#a.#b = :v", item, {"#a": "a", "#b": "b"}, v={"S": "y"}) is True


def test_condition_on_empty_item() -> None:
    # A absent item is evaluated as {}: attribute_not_exists holds, comparisons fail.
    assert check("attribute_not_exists(pk)", {}) is True
    assert check("pk = :v", {}, v={"S": "x"}) is False


def project(expression: str, item: dict[str, Any] = ITEM, names: dict[str, str] | None = None) -> dict[str, Any]:
    request: dict[str, Any] = {"ProjectionExpression": expression}
    if names:
        request["ExpressionAttributeNames"] = names
    projection = compile_("GetItem", **request).projection
    assert projection is not None
    return projection.apply(item)


def test_projection_of_top_level_names() -> None:
    # The common case: a list of attributes; absent ones are omitted.
    assert project("pk, n, absent") == {"pk": ITEM["pk"], "n": ITEM["n"]}


def test_projection_keeps_nested_structure() -> None:
    # Nested paths return the enclosing maps and lists, as DynamoDB does.
    assert project("m.child, l[2].c, l[0]") == {
        "m": {"M": {"child": {"N": "3"}}},
        "l": {"L": [{"S": "a"}, {"M": {"c": {"S": "deep"}}}]},
    }


def test_projection_skips_paths_through_wrong_types() -> None:
    # A path that does not match the item's shape projects nothing.
    assert project("s.x, n[0], m.nope") == {}


def test_projection_top_level_names() -> None:
    # Callers use the top-level names, e.g. to decide what to read from an index.
    projection = compile_(
        "GetItem", ProjectionExpression="m.child, #p", ExpressionAttributeNames={"#p": "pk"}
    ).projection
    assert projection is not None and projection.top_level_names == frozenset({"m", "pk"})


def test_projection_rejects_overlapping_paths() -> None:
    # "a, a.b" is ambiguous and DynamoDB rejects it.
    from helpers_expr import error_of

    assert error_of("GetItem", ProjectionExpression="m, m.child") == (
        "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one "
        "of these paths; path one: [m], path two: [m, child]"
    )
