"""The key codec must order bytes exactly as DynamoDB orders key values."""

from __future__ import annotations

import base64
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from dynaflow.engine import keys
from dynaflow.engine.values import check_number, format_number

# Numbers within DynamoDB's range: up to 38 significant digits, exponent -130..125.
numbers = st.builds(
    lambda sign, digits, exp: Decimal(f"{'-' if sign else ''}{digits}E{exp}"),
    st.booleans(),
    st.integers(min_value=0, max_value=10**38 - 1),
    st.integers(min_value=-130, max_value=88),
).map(lambda d: format_number(check_number(d)) if d else "0")


def _cmp(a: object, b: object) -> int:
    return (a > b) - (a < b)  # type: ignore[operator]


@given(numbers, numbers)
def test_number_encoding_orders_numerically(a: str, b: str) -> None:
    # Why: Query sort-key ranges rely on byte order equalling numeric order.
    assert _cmp(keys.encode_number(a), keys.encode_number(b)) == _cmp(Decimal(a), Decimal(b))


@given(st.text(min_size=1), st.text(min_size=1))
def test_string_encoding_orders_by_utf8_bytes(a: str, b: str) -> None:
    # Why: DynamoDB orders S keys by UTF-8 bytes, including strings holding NUL characters.
    ea, eb = keys.encode_value({"S": a}), keys.encode_value({"S": b})
    assert _cmp(ea, eb) == _cmp(a.encode(), b.encode())


@given(st.binary(min_size=1), st.binary(min_size=1))
def test_binary_encoding_orders_by_unsigned_bytes(a: bytes, b: bytes) -> None:
    # Why: B keys order as unsigned bytes; 0x00 and 0xFF must not break the escape scheme.
    ea = keys.encode_value({"B": base64.b64encode(a).decode()})
    eb = keys.encode_value({"B": base64.b64encode(b).decode()})
    assert _cmp(ea, eb) == _cmp(a, b)


@given(st.text(min_size=1), st.text(min_size=1))
def test_string_encoding_is_prefix_free(a: str, b: str) -> None:
    # Why: a partition key's encoding must never run into the sort key that follows it.
    ea, eb = keys.encode_value({"S": a}), keys.encode_value({"S": b})
    assert a == b or not eb.startswith(ea)


@given(numbers, numbers)
def test_number_encoding_is_prefix_free(a: str, b: str) -> None:
    # Why: same as for strings: N partition keys are followed by the sort key.
    ea, eb = keys.encode_number(a), keys.encode_number(b)
    assert a == b or not eb.startswith(ea)


@given(st.text(min_size=1), st.text())
def test_begins_with_prefix_matches_exactly_the_strings_with_that_prefix(s: str, prefix: str) -> None:
    # Why: begins_with on a sort key is evaluated as a byte-prefix range scan.
    if not prefix:
        return
    matches = keys.encode_value({"S": s}).startswith(keys.prefix_of({"S": prefix}))
    assert matches == s.encode().startswith(prefix.encode())


def test_worked_example_from_the_module_docstring() -> None:
    # Why: the docstring's example is the on-disk format; it must stay true.
    assert keys.encode_number("-99.1") == bytes([0x01, 0x7C]) + b"008" + b"\xff"
    assert keys.encode_value({"S": "ab"}) == b"ab\x00\x00"
    assert keys.encode_number("0") == b"\x02"


@given(st.integers(min_value=1, max_value=64), st.data())
def test_segments_partition_the_key_space(total: int, data: st.DataObject) -> None:
    # Why: parallel Scan must see every item exactly once across its segments.
    prefix = keys.table_prefix(7)
    key = keys.item_key(prefix, {"S": data.draw(st.text(min_size=1))}, None)
    owners = [s for s in range(total) if keys.segment_bounds(prefix, s, total)[0] <= key
              < keys.segment_bounds(prefix, s, total)[1]]
    assert len(owners) == 1


@given(numbers)
def test_encoding_matches_decimal_definition(text: str) -> None:
    # Why: encode_number parses canonical text by hand; it must agree with the Decimal definition.
    value = Decimal(text)
    if not value:
        assert keys.encode_number(text) == b"\x02"
        return
    digits = "".join(map(str, value.as_tuple().digits)).rstrip("0")
    assert keys.encode_number(text)[2:-1].translate(bytes.maketrans(b"0123456789", b"9876543210")
                                                     if value < 0 else bytes(range(256))) == digits.encode()
    assert keys.encode_number(text)[1] == (value.adjusted() + 130 if value > 0 else 255 - (value.adjusted() + 130))
