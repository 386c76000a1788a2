"""Number normalization and item sizes follow DynamoDB's rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dynaflow.engine import values
from dynaflow.engine.errors import DynamoError


def _slow(text: str) -> str:
    return values.format_number(values.parse_number(text))


@given(st.decimals(allow_nan=False, allow_infinity=False, places=None).map(str))
def test_fast_normalization_agrees_with_decimal_path(text: str) -> None:
    # Why: the canonical-text fast path must never accept what the Decimal path rejects or rewrites.
    try:
        expected: str | Exception = _slow(text)
    except DynamoError as exc:
        expected = exc
    try:
        got: str | Exception = values.normalize_number(text)
    except DynamoError as exc:
        got = exc
    if isinstance(expected, Exception):
        assert isinstance(got, DynamoError) and got.message == expected.message  # type: ignore[attr-defined]
    else:
        assert got == expected


@pytest.mark.parametrize(("text", "canonical"), [
    ("01.50", "1.5"), ("-0", "0"), ("1e2", "100"), ("0.000", "0"), ("-1.0E-3", "-0.001"),
    ("9.9999999999999999999999999999999999999E+125", "99999999999999999999999999999999999999" + "0" * 88),
    ("1E-130", "0." + "0" * 129 + "1"),
])
def test_numbers_are_returned_in_canonical_form(text: str, canonical: str) -> None:
    # Why: DynamoDB returns numbers normalized; equal numbers must have equal text and key bytes.
    assert values.normalize_number(text) == canonical
    assert Decimal(canonical) == Decimal(text)


@pytest.mark.parametrize(("text", "message"), [
    ("1E126", "Number overflow"), ("1E-131", "Number underflow"),
    ("1" * 39, "more than 38 significant digits"), ("abc", "cannot be converted to a numeric value"),
    ("NaN", "cannot be converted"), ("Infinity", "cannot be converted"),
])
def test_out_of_range_numbers_are_rejected(text: str, message: str) -> None:
    # Why: DynamoDB's number range and precision limits, with its messages.
    with pytest.raises(DynamoError) as info:
        values.normalize_number(text)
    assert message in info.value.message


def test_item_size_follows_the_documented_rules() -> None:
    # Why: the 400 KB limit and capacity units are computed from this size.
    item = {"name": {"S": "abc"}, "n": {"N": "123.45"}, "l": {"L": [{"BOOL": True}, {"NULL": True}]},
            "m": {"M": {"k": {"S": "v"}}}}
    # name(4)+3 ; n(1)+ (5 digits -> 3)+1 ; l(1)+3+(1+1)+(1+1) ; m(1)+3+(1+1+1)
    assert values.item_size(item) == 7 + 5 + 8 + 7


item_values = st.recursive(
    st.one_of(
        st.builds(lambda s: {"S": s}, st.text()),
        st.builds(lambda d: {"N": str(d)}, st.decimals(allow_nan=False, allow_infinity=False, places=3,
                                                      min_value=-10**9, max_value=10**9)),
        st.builds(lambda b: {"BOOL": b}, st.booleans()),
        st.just({"NULL": True}),
        st.builds(lambda xs: {"SS": sorted(set(xs))}, st.lists(st.text(), min_size=1)),
    ),
    lambda children: st.one_of(
        st.builds(lambda xs: {"L": xs}, st.lists(children, max_size=4)),
        st.builds(lambda m: {"M": m}, st.dictionaries(st.text(max_size=5), children, max_size=4)),
    ),
    max_leaves=12,
)


@given(st.dictionaries(st.text(min_size=1, max_size=8), item_values, max_size=8))
def test_single_walk_validation_agrees_with_the_reference(item: dict[str, dict[str, object]]) -> None:
    # Why: PutItem validates and sizes items in one inlined walk; it must match the plain definitions.
    try:
        expected = {name: values.validate_value(av) for name, av in item.items()}
    except DynamoError as exc:  # the single walk refuses it with the same error
        with pytest.raises(DynamoError) as refused:
            values.validate_item_sized(item)
        assert (refused.value.type, refused.value.message) == (exc.type, exc.message)
        return
    got, size = values.validate_item_sized(item)
    assert got == expected
    assert size == values.item_size(expected)
