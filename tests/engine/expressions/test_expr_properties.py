"""Property tests: evaluation agrees with Decimal arithmetic and with the laws of logic."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dynaflow.engine import values
from dynaflow.engine.expressions import Condition, compile_expressions

numbers = st.decimals(min_value=Decimal("-1e20"), max_value=Decimal("1e20"), allow_nan=False, places=6).map(
    lambda d: values.format_number(values.check_number(d))
)
strings = st.text(alphabet="abcXYZ019é", max_size=5)
scalars = st.one_of(numbers.map(lambda n: {"N": n}), strings.map(lambda s: {"S": s}))
maybe = st.one_of(st.none(), scalars)


def filter_of(expression: str, **vals: Any) -> Condition:
    result = compile_expressions(
        {"FilterExpression": expression, "ExpressionAttributeValues": {f":{k}": v for k, v in vals.items()}},
        operation="Scan",
    )
    assert result.filter is not None
    return result.filter


def item_of(a: dict[str, str] | None) -> dict[str, Any]:
    return {} if a is None else {"a": a}


@given(numbers, numbers)
@settings(max_examples=200)
def test_number_comparisons_agree_with_decimal(a: str, v: str) -> None:
    # Numbers compare numerically, whatever their text.
    item = {"a": {"N": a}}
    da, dv = Decimal(a), Decimal(v)
    assert filter_of("a < :v", v={"N": v}).evaluate(item) == (da < dv)
    assert filter_of("a <= :v", v={"N": v}).evaluate(item) == (da <= dv)
    assert filter_of("a = :v", v={"N": v}).evaluate(item) == (da == dv)
    assert filter_of("a <> :v", v={"N": v}).evaluate(item) == (da != dv)


@given(strings, strings)
def test_string_comparisons_agree_with_utf8_byte_order(a: str, v: str) -> None:
    # DynamoDB orders strings by their UTF-8 bytes.
    item = {"a": {"S": a}}
    assert filter_of("a < :v", v={"S": v}).evaluate(item) == (a.encode() < v.encode())


@given(maybe, scalars)
def test_not_negates(a: dict[str, str] | None, v: dict[str, str]) -> None:
    # NOT c is exactly the negation of c, for present, missing and mistyped attributes.
    item = item_of(a)
    for op in ("=", "<>", "<", "<=", ">", ">="):
        plain = filter_of(f"a {op} :v", v=v).evaluate(item)
        assert filter_of(f"NOT a {op} :v", v=v).evaluate(item) is (not plain)


@given(maybe, scalars, scalars)
def test_de_morgan(a: dict[str, str] | None, v: dict[str, str], w: dict[str, str]) -> None:
    # NOT (x AND y) == NOT x OR NOT y, and the dual.
    item = item_of(a)
    assert filter_of("NOT (a < :v AND a > :w)", v=v, w=w).evaluate(item) == filter_of(
        "NOT a < :v OR NOT a > :w", v=v, w=w
    ).evaluate(item)
    assert filter_of("NOT (a = :v OR a >= :w)", v=v, w=w).evaluate(item) == filter_of(
        "NOT a = :v AND NOT a >= :w", v=v, w=w
    ).evaluate(item)


@given(maybe, scalars, scalars)
def test_between_equals_two_comparisons(a: dict[str, str] | None, low: dict[str, str], high: dict[str, str]) -> None:
    # a BETWEEN :lo AND :hi is a >= :lo AND a <= :hi (when the bounds are valid).
    if next(iter(low)) != next(iter(high)) or (values.compare_scalars(low, high) or 0) > 0:
        return
    item = item_of(a)
    assert filter_of("a BETWEEN :lo AND :hi", lo=low, hi=high).evaluate(item) == filter_of(
        "a >= :lo AND a <= :hi", lo=low, hi=high
    ).evaluate(item)


@given(maybe, st.lists(scalars, min_size=1, max_size=5))
def test_in_equals_a_disjunction_of_equalities(a: dict[str, str] | None, choices: list[dict[str, str]]) -> None:
    # a IN (:v0, :v1, ...) is a = :v0 OR a = :v1 OR ...
    vals = {f"v{i}": c for i, c in enumerate(choices)}
    names = ", ".join(f":{k}" for k in vals)
    ors = " OR ".join(f"a = :{k}" for k in vals)
    item = item_of(a)
    assert filter_of(f"a IN ({names})", **vals).evaluate(item) == filter_of(ors, **vals).evaluate(item)


@given(st.lists(numbers, min_size=1, max_size=4), numbers)
def test_add_then_subtract_restores_the_number(start: list[str], delta: str) -> None:
    # SET a = a + :d followed by SET a = a - :d is the identity (exact arithmetic).
    item = {"a": {"N": start[0]}}
    plus = compile_expressions(
        {"UpdateExpression": "SET a = a + :d", "ExpressionAttributeValues": {":d": {"N": delta}}},
        operation="UpdateItem",
    ).update
    minus = compile_expressions(
        {"UpdateExpression": "SET a = a - :d", "ExpressionAttributeValues": {":d": {"N": delta}}},
        operation="UpdateItem",
    ).update
    assert plus is not None and minus is not None
    assert Decimal(minus.apply(plus.apply(item))["a"]["N"]) == Decimal(start[0])
