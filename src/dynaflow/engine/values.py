"""AttributeValue semantics: validation, numbers, sizes, comparison and equality.

The engine works on items in their *wire form*: the JSON-decoded DynamoDB shape, where
``{"N": "1.5"}`` holds a number as text and ``{"B": "AAE="}`` holds binary as base64 text. Keeping
the wire form end to end means a stored item can be spliced into a response without re-encoding;
only the embedded client converts ``bytes`` at its boundary.

Numbers follow DynamoDB: decimals with up to 38 significant digits and a magnitude between
1E-130 and 9.99...E+125. Python's default decimal context rounds to 28 digits, so every number
operation here uses :data:`NUMBER_CONTEXT`. Numbers are normalized when they enter the engine
(``"01.50"`` becomes ``"1.5"``), so equal numbers have equal text everywhere below this module.

Item size follows DynamoDB's documented accounting (attribute names count, numbers take about one
byte per two significant digits plus one, lists and maps three bytes of overhead plus one per
element) and is what the 400 KB item limit and capacity units are computed from.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from collections.abc import Callable, Iterable
from decimal import (
    Clamped,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    Rounded,
    Underflow,
)
from typing import Any, Final

from dynaflow.engine import errors

AttributeValue = dict[str, Any]
Item = dict[str, AttributeValue]

#: Context for all DynamoDB number arithmetic: 38 digits, never silently rounding.
NUMBER_CONTEXT: Final = Context(
    prec=38,
    Emax=999_999,
    Emin=-999_999,
    traps=[InvalidOperation, DivisionByZero, Overflow, Inexact, Rounded, Underflow, Clamped],
)
#: NUMBER_CONTEXT for arithmetic results, where rounding away trailing zeros loses nothing.
_ARITHMETIC_CONTEXT: Final = Context(
    prec=38,
    Emax=999_999,
    Emin=-999_999,
    traps=[InvalidOperation, DivisionByZero, Overflow, Inexact, Underflow, Clamped],
)
#: Lenient context used only for parsing, so that precision problems can be reported precisely.
_PARSE_CONTEXT: Final = Context(prec=1000, Emax=999_999_999, Emin=-999_999_999, traps=[InvalidOperation])

MAX_ITEM_SIZE: Final = 400 * 1024
MAX_PARTITION_KEY_SIZE: Final = 2048
MAX_SORT_KEY_SIZE: Final = 1024
MAX_EXPONENT: Final = 125
MIN_EXPONENT: Final = -130
MAX_DIGITS: Final = 38
#: DynamoDB's nesting limit: 32 levels, the top-level attribute's value being level 1. So M and L
#: values nest at most 31 deep and a value inside the 31st is the last level.
MAX_NESTING_LEVELS: Final = 32
#: Longest attribute name, in UTF-8 bytes: DynamoDB documents "less than 64 KB" and takes 65535.
MAX_NAME_BYTES: Final = 65535
#: DynamoDB's words for a longer name (after its per-parameter prefix).
NAME_TOO_LARGE: Final = f"Attribute name is too large, must be less than {MAX_NAME_BYTES + 1} bytes"
#: An attribute (or map member) named by the empty string, as DynamoDB words it.
EMPTY_NAME: Final = "Empty attribute name"
NESTING_MESSAGE: Final = "Nesting Levels have exceeded supported limits"
ITEM_NESTING_MESSAGE: Final = f"{NESTING_MESSAGE}: Attributes in the item have nested levels beyond supported limit"

SCALAR_TYPES: Final = frozenset({"S", "N", "B"})
SET_TYPES: Final = {"SS": "S", "NS": "N", "BS": "B"}
ALL_TYPES: Final = frozenset({"S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"})
_SET_NAMES: Final = {"SS": "string", "NS": "number", "BS": "binary"}


# ---------------------------------------------------------------- numbers


#: What DynamoDB (Java's BigDecimal) parses: no spaces, underscores, NaN, Infinity or hex.
_NUMBER_SYNTAX: Final = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def parse_number(text: object) -> Decimal:
    """Parse and range-check a DynamoDB number, raising DynamoDB's validation errors."""
    if not isinstance(text, str):
        raise errors.serialization("NUMBER_VALUE cannot be converted to String")
    try:
        if not _NUMBER_SYNTAX.fullmatch(text):
            raise InvalidOperation
        value = _PARSE_CONTEXT.create_decimal(text)
    except InvalidOperation:
        raise errors.validation(f"The parameter cannot be converted to a numeric value: {text}") from None
    return check_number(value)


def check_number(value: Decimal) -> Decimal:
    """Range-check a decimal; return it normalized (no trailing zeros)."""
    if not value:
        return Decimal(0)
    value = value.normalize(_PARSE_CONTEXT)
    digits = len(value.as_tuple().digits)
    if digits > MAX_DIGITS:
        raise errors.validation("Attempting to store more than 38 significant digits in a Number")
    exponent = value.adjusted()
    if exponent > MAX_EXPONENT:
        raise errors.validation(
            "Number overflow. Attempting to store a number with magnitude larger than supported range"
        )
    if exponent < MIN_EXPONENT:
        raise errors.validation(
            "Number underflow. Attempting to store a number with magnitude smaller than supported range"
        )
    return value


def format_number(value: Decimal) -> str:
    """DynamoDB's canonical text for a normalized number: plain notation, no trailing zeros."""
    if not value:
        return "0"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


_CANONICAL: Final = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?")


def normalize_number(text: object) -> str:
    """DynamoDB's canonical text of a number, validating it.

    Most numbers arrive already canonical (``"42"``, ``"-1.5"``); those are recognised by a regular
    expression and range-checked by their length, skipping the ~2 µs Decimal round trip.
    """
    if isinstance(text, str) and _CANONICAL.fullmatch(text) and text != "-0":
        body = text[1:] if text[0] == "-" else text
        whole, _, fraction = body.partition(".")
        if whole != "0":
            if len(whole) <= MAX_EXPONENT + 1 and len((whole + fraction).strip("0")) <= MAX_DIGITS:
                return text
        elif body == "0":
            return text
        else:
            significant = fraction.lstrip("0")
            if len(fraction) - len(significant) < -MIN_EXPONENT and len(significant) <= MAX_DIGITS:
                return text
    return format_number(parse_number(text))


def to_decimal(text: str) -> Decimal:
    """Decimal of an already-validated number text."""
    return Decimal(text)


def add_numbers(a: str, b: str, *, subtract: bool = False) -> str:
    """DynamoDB arithmetic for SET a = b + c and ADD: exact, range-checked.

    A result that needs more than 38 significant digits (``1e50 + 1``) fails with the overflow
    message, as DynamoDB words it, like one beyond the range. Dropping trailing zeros is not a loss
    (``9e125 + 9e124`` is ``9.9e125``): :data:`_ARITHMETIC_CONTEXT` does not trap ``Rounded``.
    """
    da, db = Decimal(a), Decimal(b)
    try:
        result = _ARITHMETIC_CONTEXT.subtract(da, db) if subtract else _ARITHMETIC_CONTEXT.add(da, db)
    except (Inexact, Overflow, Underflow, Clamped, InvalidOperation):
        raise errors.validation(
            "Number overflow. Attempting to store a number with magnitude larger than supported range"
        ) from None
    return format_number(check_number(result))


# ---------------------------------------------------------------- binary


def decode_binary(text: object) -> bytes:
    if not isinstance(text, str):
        raise errors.serialization("Base64 encoded binary value expected")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise errors.serialization(
            "Base64 encoded length is expected a multiple of 4 bytes but found: " + str(len(text))
        ) from None


# ---------------------------------------------------------------- validation


def _describe_set(values: list[Any]) -> str:
    return "[" + ", ".join(str(v) for v in values) + "]"


def too_deep(av: object, level: int = 1) -> bool:
    """Whether ``av`` (at nesting ``level``) holds M or L values nested beyond DynamoDB's 32 levels.

    Malformed parts are not this check's business (validation words them), so they count as
    shallow. The walk stops at the limit, so it never recurses more than 32 calls deep.
    """
    if av.__class__ is not dict or len(av) != 1:
        return False
    value = av.get("M")
    if value.__class__ is dict:
        inner: Iterable[Any] = value.values()
    else:
        value = av.get("L")
        if value.__class__ is not list:
            return False
        inner = value
    if level >= MAX_NESTING_LEVELS:
        return True
    return any(too_deep(v, level + 1) for v in inner)


def validate_value(av: object) -> AttributeValue:
    """Validate one AttributeValue; return it with numbers normalized.

    Raises the errors DynamoDB raises for the same input: malformed shapes are validation errors
    about datatypes; wrong JSON types are serialization errors.
    """
    if not isinstance(av, dict):
        raise errors.serialization("Unexpected value type in payload")
    if len(av) != 1:
        if not av:
            raise errors.validation(
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
            )
        known = [k for k in av if k in ALL_TYPES]
        if len(known) > 1:
            raise errors.validation(
                "Supplied AttributeValue has more than one datatypes set, "
                "must contain exactly one of the supported datatypes"
            )
        if not known:
            raise errors.validation(
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
            )
        av = {known[0]: av[known[0]]}
    ((tag, value),) = av.items()
    if tag == "S":
        if not isinstance(value, str):
            raise errors.serialization("STRING_VALUE can not be converted to String")
        return av
    if tag == "N":
        return {"N": normalize_number(value)}
    if tag == "B":
        decode_binary(value)
        return av
    if tag == "BOOL":
        if not isinstance(value, bool):
            raise errors.serialization("BOOLEAN_VALUE can not be converted to Boolean")
        return av
    if tag == "NULL":
        if not isinstance(value, bool):
            raise errors.serialization("NULL_VALUE can not be converted to Boolean")
        if not value:
            raise errors.invalid_parameters("Null attribute value types must have the value of true")
        return av
    if tag == "M":
        if not isinstance(value, dict):
            raise errors.serialization("Unexpected value type in payload")
        if "" in value:
            raise errors.validation(EMPTY_NAME)
        return {"M": {k: validate_value(v) for k, v in value.items()}}
    if tag == "L":
        if not isinstance(value, list):
            raise errors.serialization("Unexpected value type in payload")
        return {"L": [validate_value(v) for v in value]}
    if tag in SET_TYPES:
        if not isinstance(value, list):
            raise errors.serialization("Unexpected value type in payload")
        if not value:
            if tag == "BS":
                raise errors.invalid_parameters("Binary sets should not be empty")
            raise errors.invalid_parameters(f"An {_SET_NAMES[tag]} set  may not be empty")
        if tag == "NS":
            members = [normalize_number(v) for v in value]
        else:
            for v in value:
                if not isinstance(v, str):
                    raise errors.serialization("Unexpected value type in payload")
                if tag == "BS":
                    decode_binary(v)
            members = list(value)
        if len(set(members)) != len(members):
            raise errors.invalid_parameters(f"Input collection {_describe_set(value)} contains duplicates.")
        return {tag: members}
    raise errors.validation(
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
    )


def validate_item(item: object) -> Item:
    """Validate every attribute of an item; return it with numbers normalized."""
    return validate_item_sized(item)[0]


def validate_item_sized(item: object) -> tuple[Item, int]:
    """Validate an item and compute its DynamoDB size in one walk.

    Fast path: :func:`_canonical_size` walks the item once and returns its size when every value
    is already valid *and* canonical (the common case: nothing to normalize, nothing to report), so
    the item is returned as it is. Anything else (a B/BS value, a number to normalize, any
    malformed value) makes it give up, and the checked walk below then validates, normalizes and
    words errors exactly as before; the fast path never raises, so it cannot change which error a
    request gets. ``tests/engine/test_fast_paths.py`` checks the two agree.

    Checked walk: top-level S and N attributes are handled inline; everything else goes through
    :func:`validate_value` and :func:`value_size`. The input dict is returned as it is when nothing
    needed normalizing, so a valid item is never copied.
    """
    checked, size, _ = validate_item_stored(item)
    return checked, size


def validate_item_stored(item: object) -> tuple[Item, int, bool | None]:
    """:func:`validate_item_sized`, and whether the item holds binary values where that is known
    at no cost: False when a canonical walk proved it (that walk accepts no B or BS), else None."""
    proven = _PROOFS.sizes.get(id(item))
    if proven is not None and proven[0] is item:
        return proven[0], proven[1], False
    if item.__class__ is dict:
        try:
            fast = _canonical_size(item)
        except RecursionError:
            fast = -1
        if fast >= 0:
            return item, fast, False
    checked, size = _validate_item_checked(item)
    return checked, size, None


class _Proofs(threading.local):
    """Items proven valid by the current request's shape check, on this thread (see prove_item)."""

    def __init__(self) -> None:
        self.sizes: dict[int, tuple[Item, int]] = {}


_PROOFS: Final = _Proofs()


def prove_item(item: dict[Any, Any]) -> bool:
    """Prove an item valid and canonical in one walk and remember its size; False if it is not.

    A stored item used to be walked twice before it was written: once by the request's shape check
    (JSON types) and once by :func:`validate_item_sized` (values and size). The canonical walk
    proves both at once, so the shape check calls this first: for a proven item it skips its own
    type walk, and the operation's :func:`validate_item_sized` finds the size here instead of
    walking again. A proof is the item object itself (kept alive, so its ``id`` cannot be reused)
    and lives on the calling thread only until :func:`forget_proofs`, which the engine calls when
    the request's synchronous part ends, so a dict changed later is never taken as proven.
    An item that fails the proof is simply not remembered: the type walk and the checked
    validation then run as before and word any error, in the same order as before.
    """
    return proven_size(item) >= 0


def proven_size(item: dict[Any, Any]) -> int:
    """:func:`prove_item`, answering the proven item's DynamoDB size, or -1 if it is not proven."""
    size = canonical_size(item)
    if size >= 0:
        _PROOFS.sizes[id(item)] = (item, size)
    return size


def canonical_size(item: dict[Any, Any]) -> int:
    """The DynamoDB size of an item that is valid and canonical, or -1: :func:`proven_size`
    without remembering the proof, for a caller that stores the item itself and has no later
    validation to spare (``proven_puts``)."""
    try:
        return _canonical_size(item)
    except RecursionError:
        return -1


def forget_proofs() -> None:
    """End the current request's proofs (see :func:`prove_item`)."""
    sizes = _PROOFS.sizes
    if sizes:
        sizes.clear()


def _validate_item_checked(item: object) -> tuple[Item, int]:
    """The checked walk of :func:`validate_item_sized`."""
    if not isinstance(item, dict):
        raise errors.serialization("Unexpected value type in payload")
    if any(too_deep(av) for av in item.values()):
        raise errors.validation(ITEM_NESTING_MESSAGE)
    size = 0
    out: Item | None = None
    for name, av in item.items():
        name_bytes = len(name) if name.isascii() else len(name.encode("utf-8"))
        if name_bytes > MAX_NAME_BYTES:
            raise errors.invalid_parameters(NAME_TOO_LARGE)
        if not name_bytes:
            raise errors.validation(EMPTY_NAME)
        size += name_bytes
        if av.__class__ is dict and len(av) == 1:
            text = av.get("S")
            if text.__class__ is str:
                size += len(text) if text.isascii() else len(text.encode("utf-8"))
                if out is not None:
                    out[name] = av
                continue
            text = av.get("N")
            if text.__class__ is str:
                canonical = normalize_number(text)
                size += _number_size(canonical)
                if canonical != text:
                    if out is None:
                        out = dict(item)
                    out[name] = {"N": canonical}
                elif out is not None:
                    out[name] = av
                continue
        checked = validate_value(av)
        size += value_size(checked)
        if checked is not av and checked != av:
            if out is None:
                out = dict(item)
            out[name] = checked
        elif out is not None:
            out[name] = av
    return (item if out is None else out), size


def _canonical_number_size_py(text: Any) -> int:
    """Size of a number already in canonical form and range (see :func:`normalize_number`), else -1.
    :data:`canonical_number_size` is this, or its C build where installed."""
    if text.__class__ is not str:
        return -1
    if text.isdigit() and text.isascii():  # a plain non-negative integer
        if text[0] == "0":
            return 1 if text == "0" else -1
        digits = text.rstrip("0")
        if len(text) > MAX_EXPONENT + 1 or len(digits) > MAX_DIGITS:
            return -1
        return (len(digits) + 1) // 2 + 1
    if not _CANONICAL.fullmatch(text) or text == "-0":
        return -1
    body: str = text[1:] if text[0] == "-" else text
    whole, _, fraction = body.partition(".")
    if whole != "0":
        digits = (whole + fraction).strip("0")
        if len(whole) > MAX_EXPONENT + 1 or len(digits) > MAX_DIGITS:
            return -1
    elif body == "0":
        return 1
    else:
        digits = fraction.lstrip("0")
        if len(fraction) - len(digits) >= -MIN_EXPONENT or len(digits) > MAX_DIGITS:
            return -1
        digits = digits.rstrip("0")
    return (len(digits) + 1) // 2 + 1


#: Sizes of attribute names and of canonical numbers seen by the canonical walk. Items of one table
#: repeat the same names, and numbers repeat too (counters, flags, small integers): one dict lookup
#: replaces a few string calls, or a regular expression for a decimal. Only exact ``str`` keys are
#: remembered, each map holds at most ``_SIZE_MEMO_LIMIT`` entries and starts over when full.
_NAME_SIZES: Final[dict[str, int]] = {}
_NUMBER_SIZES: Final[dict[str, int]] = {}
_SIZE_MEMO_LIMIT: Final = 4096


def _name_size_or_fail(name: Any) -> int:
    """:func:`_name_size` of a str name (remembered); -1 for anything else."""
    if name.__class__ is not str:
        return -1
    size = len(name) if name.isascii() else len(name.encode("utf-8"))
    if size > MAX_NAME_BYTES or not size:  # the checked walk words the error
        return -1
    if len(_NAME_SIZES) >= _SIZE_MEMO_LIMIT:
        _NAME_SIZES.clear()
    _NAME_SIZES[name] = size
    return size


def _number_size_or_fail(text: Any) -> int:
    """:func:`canonical_number_size`, remembered for valid numbers."""
    size = canonical_number_size(text)
    if size >= 0:
        if len(_NUMBER_SIZES) >= _SIZE_MEMO_LIMIT:
            _NUMBER_SIZES.clear()
        _NUMBER_SIZES[text] = size
    return size


def _names_size(names: Iterable[Any]) -> int:
    """Sum of the sizes of an item's or map's attribute names, or -1 if one is not a str."""
    size = 0
    known = _NAME_SIZES
    for name in names:
        part = known.get(name)
        if part is None:
            part = _name_size_or_fail(name)
            if part < 0:
                return -1
        size += part
    return size


def _values_size(values: Iterable[Any]) -> int:
    """Sum of :func:`_canonical_value_size` over the values of an M or L, or -1 at the first that
    fails; S and N values, the commonest, are sized inline rather than by a call each."""
    size = 0
    numbers = _NUMBER_SIZES
    for inner in values:
        if inner.__class__ is dict and len(inner) == 1:
            text = inner.get("S")
            if text.__class__ is str:
                size += len(text) if text.isascii() else len(text.encode("utf-8"))
                continue
            text = inner.get("N")
            if text.__class__ is str:
                known = numbers.get(text)
                if known is None:
                    known = _number_size_or_fail(text)
                    if known < 0:
                        return -1
                size += known
                continue
        part = _canonical_value_size(inner)
        if part < 0:
            return -1
        size += part
    return size


def _canonical_value_size(av: Any) -> int:
    """:func:`value_size` of a valid AttributeValue that needs no normalizing; -1 for anything else
    (binary values included: their base64 is checked by the slow path).

    The values of an M or L are summed by :func:`_values_size`, which sizes S and N inline: a
    call per nested value was most of this walk's cost.
    """
    if av.__class__ is not dict or len(av) != 1:
        return -1
    ((tag, value),) = av.items()
    if tag == "S":
        if value.__class__ is not str:
            return -1
        return len(value) if value.isascii() else len(value.encode("utf-8"))
    if tag == "N":
        if value.__class__ is not str:
            return -1
        known = _NUMBER_SIZES.get(value)
        return known if known is not None else _number_size_or_fail(value)
    if tag == "BOOL":
        return 1 if value is True or value is False else -1
    if tag == "NULL":
        return 1 if value is True else -1
    if tag == "M":
        if value.__class__ is not dict:
            return -1
        size = _names_size(value)
        part = _values_size(value.values()) if size >= 0 else -1
        return 3 + len(value) + size + part if part >= 0 else -1
    if tag == "L":
        if value.__class__ is not list:
            return -1
        part = _values_size(value)
        return 3 + len(value) + part if part >= 0 else -1
    if tag == "SS":
        if value.__class__ is not list or not value:
            return -1
        size = 0
        for member in value:
            if member.__class__ is not str:
                return -1
            size += len(member) if member.isascii() else len(member.encode("utf-8"))
        return size if len(set(value)) == len(value) else -1
    if tag == "NS":
        if value.__class__ is not list or not value:
            return -1
        size = 0
        for member in value:
            part = canonical_number_size(member)
            if part < 0:
                return -1
            size += part
        return size if len(set(value)) == len(value) else -1
    return -1


def _canonical_size_py(item: dict[Any, Any]) -> int:
    """DynamoDB size of an item that is valid and already canonical (nothing to normalize); -1 when
    it needs the checked walk of :func:`validate_item_sized`."""
    size = _names_size(item)
    if size < 0:
        return -1
    part = _values_size(item.values())
    if part < 0 or any(too_deep(av) for av in item.values()):
        return -1
    return size + part


def _c_walk() -> Callable[[dict[Any, Any]], int] | None:
    """The C build of the canonical walk (``_sizes.c``, ~9x faster than :func:`_canonical_size_py`),
    or None when the install had no C compiler. ``tests/engine/test_fast_paths.py`` holds the two
    to the same answers."""
    try:
        from dynaflow.engine._sizes import canonical_size
    except ImportError:  # pragma: no cover - an install without a C compiler
        return None
    return canonical_size


_canonical_size_c: Final = _c_walk()
#: The canonical walk: the C build when it is installed, else the Python one.
_canonical_size: Final = _canonical_size_c or _canonical_size_py
#: The C walk itself (``_sizes.canonical_size``), or None without the C build: for C code that
#: treats a RecursionError as "not proven" itself (``proven_puts.prepare_all``).
canonical_walk: Final = _canonical_size_c


def _c_number_size() -> Callable[[Any], int]:
    try:
        from dynaflow.engine._sizes import canonical_number_size as c_build
    except ImportError:  # pragma: no cover - an install without a C compiler
        return _canonical_number_size_py
    return c_build


#: :func:`_canonical_number_size_py`, in C where installed (the key builder of N keys uses it).
canonical_number_size: Final = _c_number_size()


# ---------------------------------------------------------------- sizes


def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").strip("0")
    return (len(digits) + 1) // 2 + 1


def value_size(av: AttributeValue) -> int:
    """Size of an attribute value by DynamoDB's accounting (names not included)."""
    ((tag, value),) = av.items()
    if tag == "S":
        return len(value.encode("utf-8")) if not value.isascii() else len(value)
    if tag == "N":
        return _number_size(value)
    if tag == "B":
        return len(value) * 3 // 4 - value[-2:].count("=") if value else 0
    if tag in ("BOOL", "NULL"):
        return 1
    if tag == "M":
        return 3 + sum(_name_size(k) + value_size(v) + 1 for k, v in value.items())
    if tag == "L":
        return 3 + sum(value_size(v) + 1 for v in value)
    if tag == "SS":
        return sum(len(v.encode("utf-8")) for v in value)
    if tag == "NS":
        return sum(_number_size(v) for v in value)
    if tag == "BS":
        return sum(value_size({"B": v}) for v in value)
    raise AssertionError(tag)


def _name_size(name: str) -> int:
    return len(name) if name.isascii() else len(name.encode("utf-8"))


def item_size(item: Item) -> int:
    """DynamoDB size of a valid item.

    Items the engine holds are canonical (numbers normalized), so the C build of the canonical
    walk, where installed, sizes most of them (all but those with binary values) at C speed; its
    size of a canonical item is the size computed here, to the byte.
    """
    if _canonical_size_c is not None:
        size = _canonical_size_c(item)
        if size >= 0:
            return size
    return sum(_name_size(k) + value_size(v) for k, v in item.items())


# ---------------------------------------------------------------- comparison


def compare_scalars(a: AttributeValue, b: AttributeValue) -> int | None:
    """Order two scalar values as DynamoDB does; None when they are not comparable.

    N compares numerically, S by UTF-8 bytes (which equals code-point order), B by unsigned bytes.
    """
    ((ta, va),) = a.items()
    ((tb, vb),) = b.items()
    if ta != tb:
        return None
    if ta == "N":
        da, db = Decimal(va), Decimal(vb)
        return (da > db) - (da < db)
    if ta == "S":
        sa: str = va
        sb: str = vb
        return (sa > sb) - (sa < sb)
    if ta == "B":
        ba, bb = base64.b64decode(va), base64.b64decode(vb)
        return (ba > bb) - (ba < bb)
    return None


def values_equal(a: AttributeValue, b: AttributeValue) -> bool:
    """Deep equality by DynamoDB's rules: sets are unordered, numbers compare by value."""
    ((ta, va),) = a.items()
    ((tb, vb),) = b.items()
    if ta != tb:
        return False
    if ta == "N":
        return va == vb or Decimal(va) == Decimal(vb)
    if ta == "B":
        return va == vb or base64.b64decode(va) == base64.b64decode(vb)
    if ta == "NS":
        return {Decimal(v) for v in va} == {Decimal(v) for v in vb}
    if ta == "BS":
        return {base64.b64decode(v) for v in va} == {base64.b64decode(v) for v in vb}
    if ta == "SS":
        return set(va) == set(vb)
    if ta == "M":
        return va.keys() == vb.keys() and all(values_equal(va[k], vb[k]) for k in va)
    if ta == "L":
        return len(va) == len(vb) and all(values_equal(x, y) for x, y in zip(va, vb, strict=True))
    return bool(va == vb)


def items_equal(a: Item, b: Item) -> bool:
    return a.keys() == b.keys() and all(values_equal(a[k], b[k]) for k in a)
