"""Order-preserving key codec: DynamoDB key values to LMDB byte keys.

LMDB orders keys by unsigned bytes, so every key is encoded such that byte order equals the order
DynamoDB defines. An item's LMDB key is::

    table id (4 bytes, big-endian) | partition hash (4 bytes) | enc(partition key) [| enc(sort key)]

The **partition hash** (CRC-32 of enc(partition key), then a multiplicative mix so that every input
bit reaches the top bits that pick a Scan segment) spreads partitions evenly
over the key space, so Scan segment *i* of *n* is simply the hash range
``[i * 2**32 // n, (i + 1) * 2**32 // n)``, and a Scan walks partitions in an order unrelated to
their values, as DynamoDB's does. All items of one partition share the prefix up to and including
enc(partition key), and within it are ordered by enc(sort key), which is what Query walks.

Each encoding is *prefix-free* (self-delimiting), so a partition key never runs into the sort key:

**S and B** — the UTF-8 (S) or raw (B) bytes with every 0x00 written as 0x00 0xFF, then 0x00 0x00.
UTF-8 byte order equals code-point order, which is how DynamoDB orders strings. Example::

    "ab"      -> 61 62 00 00
    "a\\x00b" -> 61 00 FF 62 00 00       ("a" -> 61 00 00 sorts first: 00 < FF)

A ``begins_with`` prefix is the escaped bytes without the terminator.

**N** — sign class, then a biased exponent byte, then the significant digits, then a terminator::

    zero      -> 02
    positive  -> 03 | (e + 130)       | digits as ASCII '0'..'9'        | 00
    negative  -> 01 | (255 - (e+130)) | digits as ASCII of (9 - digit)  | FF

where ``e`` is the adjusted exponent (position of the first significant digit), which DynamoDB
bounds to -130..125, so ``e + 130`` fits one byte. Worked example, -99.1 (digits 991, e = 1)::

    01 | 255 - 131 = 7C | 9-9, 9-9, 9-1 -> '0' '0' '8' = 30 30 38 | FF

A longer negative mantissa with the same leading digits is more negative (-99.12 < -99.1), and the
0xFF terminator sorts after every complemented digit, so -99.1 correctly follows -99.12.

**Long keys.** LMDB keys are at most 511 bytes, DynamoDB's up to 2048 (partition) + 1024 (sort)
bytes. Two rules keep every key within LMDB's limit while preserving order where it matters:

* a partition encoding longer than ``LONG_PARTITION`` bytes is replaced by a digest form,
  ``escape(FF FF | SHA-256(enc)[:20]) | 00 00`` — partitions are only ever compared for equality,
  and the digest form is itself a valid prefix-free encoding;
* a whole key longer than ``MAX_EXACT`` bytes is cut to its first ``MAX_EXACT`` bytes followed by
  an 8-byte BLAKE2b digest of the full key (:func:`bounded`). Because the encodings are
  prefix-free, an exact key never equals the cut part of a long one, so exact keys and long keys
  still order correctly against each other; only long keys whose first ``MAX_EXACT`` bytes are
  equal order among themselves by digest (``docs/compatibility.md``). Range bounds that were cut
  are widened and the page filters items by their real sort key (``ops/query.py``).

These byte layouts are on disk: never change or reuse them.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Callable, Mapping
from typing import Any, Final

from dynaflow.engine.values import (
    MAX_PARTITION_KEY_SIZE,
    MAX_SORT_KEY_SIZE,
    AttributeValue,
    canonical_number_size,
    decode_binary,
)

_NEG: Final = 0x01
_ZERO: Final = 0x02
_POS: Final = 0x03
_EXP_BIAS: Final = 130
_TABLE_ID: Final = struct.Struct(">I")
_COMPLEMENT: Final = bytes.maketrans(b"0123456789", b"9876543210")
#: LMDB's compile-time key limit (py-lmdb's wheels use LMDB's default).
LMDB_MAX_KEY: Final = 511
#: Keys up to this length are stored exactly; longer ones are cut here and get a digest suffix.
MAX_EXACT: Final = LMDB_MAX_KEY - 8
#: Partition encodings longer than this are stored in digest form.
LONG_PARTITION: Final = 128


def table_prefix(table_id: int) -> bytes:
    return _TABLE_ID.pack(table_id)


def escape(raw: bytes) -> bytes:
    """Escaped bytes without the terminator: a ``begins_with`` prefix of the full encoding."""
    return raw.replace(b"\x00", b"\x00\xff") if b"\x00" in raw else raw


def encode_number(text: str) -> bytes:
    """Encode a normalized DynamoDB number (see module docstring).

    Works on the canonical text (``values.normalize_number``) directly, without Decimal.
    """
    negative = text[0] == "-"
    body = text[1:] if negative else text
    if body == "0":
        return b"\x02"
    whole, _, fraction = body.partition(".")
    if whole != "0":
        exponent = len(whole) - 1
        digits = (whole + fraction).rstrip("0")
    else:
        significant = fraction.lstrip("0")
        exponent = len(significant) - len(fraction) - 1
        digits = significant
    biased = exponent + _EXP_BIAS
    if negative:
        return bytes((_NEG, 255 - biased)) + digits.encode().translate(_COMPLEMENT) + b"\xff"
    return bytes((_POS, biased)) + digits.encode() + b"\x00"


def encode_value(av: AttributeValue) -> bytes:
    """Prefix-free, order-preserving encoding of one key attribute value (S, N or B)."""
    if "S" in av:
        return escape(av["S"].encode()) + b"\x00\x00"
    if "N" in av:
        return encode_number(av["N"])
    return escape(decode_binary(av["B"])) + b"\x00\x00"


def prefix_of(av: AttributeValue) -> bytes:
    """Encoding of a ``begins_with`` operand: the value's escaped bytes, unterminated."""
    if "S" in av:
        return escape(av["S"].encode())
    return escape(decode_binary(av["B"]))


def partition_hash(encoded_partition: bytes) -> bytes:
    """4-byte hash prefix of a partition: CRC-32 (~0.1 µs, vs ~0.6 µs for BLAKE2b), then mixed."""
    mixed = (zlib.crc32(encoded_partition) * 0x9E3779B1) & 0xFFFFFFFF
    return (mixed ^ (mixed >> 16)).to_bytes(4, "big")


def partition_part(enc: bytes) -> bytes:
    """hash | partition encoding, the latter in digest form when long (see module docstring)."""
    if len(enc) > LONG_PARTITION:
        enc = escape(b"\xff\xff" + hashlib.sha256(enc).digest()[:20]) + b"\x00\x00"
    return partition_hash(enc) + enc


def partition_prefix(table: bytes, partition: AttributeValue) -> bytes:
    """Every key of one partition starts with these bytes."""
    return table + partition_part(encode_value(partition))


def bounded(key: bytes) -> bytes:
    """The LMDB key for a composed key: itself, or cut with a digest suffix when too long."""
    if len(key) <= MAX_EXACT:
        return key
    return key[:MAX_EXACT] + hashlib.blake2b(key, digest_size=8).digest()


def item_key(table: bytes, partition: AttributeValue, sort: AttributeValue | None) -> bytes:
    prefix = partition_prefix(table, partition)
    return prefix if sort is None else bounded(prefix + encode_value(sort))


def segment_bounds(table: bytes, segment: int, total: int) -> tuple[bytes, bytes]:
    """[start, end) LMDB key range of Scan segment ``segment`` of ``total``."""
    start = (segment << 32) // total
    end = ((segment + 1) << 32) // total
    low = table + start.to_bytes(4, "big")
    high = table + end.to_bytes(4, "big") if end < 1 << 32 else next_prefix(table)
    return low, high


def next_prefix(prefix: bytes) -> bytes:
    """Smallest byte string greater than every string starting with ``prefix``."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        raise ValueError("no upper bound for an all-0xFF prefix")
    return stripped[:-1] + bytes((stripped[-1] + 1,))


# ---------------------------------------------------------------- per-table key builders


def key_builder(table: bytes, hash_type: tuple[str, str], range_type: tuple[str, str] | None
                ) -> Callable[[Mapping[str, Any]], bytes | None]:
    """A function ``build(item) -> LMDB key | None`` specialized, once per table, to its key types.

    The fast path of ``catalog.Table``: it returns :func:`item_key` of the item's key attributes
    when each is a one-member AttributeValue of the schema's type holding a non-empty S within the
    key size limit or an N already canonical and in range (what ``values.validate_value`` would
    return unchanged); for anything else (B keys, numbers to normalize, missing or mistyped
    attributes) it returns None and the caller takes its checked path, which words the error.
    Because it accepts only values the checked path accepts unchanged, it may run on an
    unvalidated ``Key`` parameter. ``tests/engine/test_fast_paths.py`` checks it against
    :func:`item_key`.
    """
    hash_name, hash_kind = hash_type
    range_name, range_kind = range_type if range_type is not None else ("", "")
    if hash_kind == "S" and range_kind in ("S", "N", ""):
        return _string_key_builder(table, hash_name, range_name if range_type is not None else None, range_kind)
    encode_hash = _value_encoder(hash_kind, MAX_PARTITION_KEY_SIZE)
    encode_range = _value_encoder(range_kind, MAX_SORT_KEY_SIZE)
    crc32 = zlib.crc32

    def build(item: Mapping[str, Any]) -> bytes | None:
        av = item.get(hash_name)
        if av.__class__ is not dict or len(av) != 1:
            return None
        enc = encode_hash(av.get(hash_kind))
        if enc is None:
            return None
        if len(enc) > LONG_PARTITION:
            key = table + partition_part(enc)
        else:
            mixed = (crc32(enc) * 0x9E3779B1) & 0xFFFFFFFF
            key = table + (mixed ^ (mixed >> 16)).to_bytes(4, "big") + enc
        if range_type is None:
            return key
        av = item.get(range_name)
        if av.__class__ is not dict or len(av) != 1:
            return None
        enc = encode_range(av.get(range_kind))
        if enc is None:
            return None
        key += enc
        return key if len(key) <= MAX_EXACT else bounded(key)

    return build


#: Partition prefixes a string-key builder remembers (per table) before it starts over.
PREFIX_CACHE_SIZE: Final = 16384


def _load_c_builder() -> tuple[Callable[..., Any], Callable[..., Any]] | tuple[None, None]:
    """The C build of the string-key builder's common case and of the builder as one callable
    (``_keys.c``), or None when the install had no C compiler (the Python builder then does it
    all, with the same answers)."""
    try:
        from dynaflow.engine._keys import StringKeyBuilder, string_key
    except ImportError:  # pragma: no cover - an install without a C compiler
        return None, None
    return string_key, StringKeyBuilder


_c_string_key, _c_key_builder = _load_c_builder()


def _string_key_builder(table: bytes, hash_name: str, range_name: str | None, range_kind: str = "S"
                        ) -> Callable[[Mapping[str, Any]], bytes | None]:
    """:func:`key_builder` for the most common schemas, S, S+S or S+N, with the encoding inlined.

    The partition part (encode, escape, CRC-32, mix) is half the cost of a key and the same for
    every item of a partition, so it is remembered per partition value (a plain dict, emptied when
    it reaches ``PREFIX_CACHE_SIZE``): a key of a known partition costs one dict lookup there.
    Where installed, C builds the key (``_keys.c``, S sort keys only) when neither part needs
    escaping, and the partition's prefix too when it is short (``LONG_PARTITION``) and not cached
    yet; it hands every other case back to the Python code below. An N sort key is encoded as
    :func:`key_builder` encodes it.
    """
    crc32 = zlib.crc32
    encode_number_key = _value_encoder("N", MAX_SORT_KEY_SIZE) if range_kind == "N" else None
    prefixes: dict[str, bytes] = {}

    def partition(value: str) -> bytes | None:
        enc: bytes = value.encode()
        if len(enc) > MAX_PARTITION_KEY_SIZE:
            return None
        enc = escape(enc) + b"\x00\x00"
        if len(enc) > LONG_PARTITION:
            prefix = table + partition_part(enc)
        else:
            mixed = (crc32(enc) * 0x9E3779B1) & 0xFFFFFFFF
            prefix = table + (mixed ^ (mixed >> 16)).to_bytes(4, "big") + enc
        if len(prefixes) >= PREFIX_CACHE_SIZE:
            prefixes.clear()
        prefixes[value] = prefix
        return prefix

    def build(item: Mapping[str, Any]) -> bytes | None:
        av = item.get(hash_name)
        if av.__class__ is not dict or len(av) != 1:
            return None
        value = av.get("S")
        if value.__class__ is not str or not value:
            return None
        key = prefixes.get(value) or partition(value)
        if key is None or range_name is None:
            return key
        av = item.get(range_name)
        if av.__class__ is not dict or len(av) != 1:
            return None
        if encode_number_key is not None:
            number = encode_number_key(av.get("N"))
            if number is None:
                return None
            key += number
            return key if len(key) <= MAX_EXACT else bounded(key)
        value = av.get("S")
        if value.__class__ is not str or not value:
            return None
        enc = value.encode()
        if len(enc) > MAX_SORT_KEY_SIZE:
            return None
        key += (enc.replace(b"\x00", b"\x00\xff") if b"\x00" in enc else enc) + b"\x00\x00"
        return key if len(key) <= MAX_EXACT else bounded(key)

    if _c_string_key is None or _c_key_builder is None or encode_number_key is not None:
        return build
    # C first (``_keys.c``), the Python builder above for what it hands back
    native: Callable[[Mapping[str, Any]], bytes | None] = _c_key_builder(
        build, hash_name, range_name, prefixes, table, MAX_EXACT, MAX_SORT_KEY_SIZE, MAX_PARTITION_KEY_SIZE,
        LONG_PARTITION, PREFIX_CACHE_SIZE)
    return native


def _value_encoder(kind: str, limit: int) -> Callable[[Any], bytes | None]:
    if kind == "S":
        def encode_string(value: Any) -> bytes | None:
            if value.__class__ is not str or not value:
                return None
            raw: bytes = value.encode()
            if len(raw) > limit:
                return None
            return (raw.replace(b"\x00", b"\x00\xff") if b"\x00" in raw else raw) + b"\x00\x00"
        return encode_string
    if kind == "N":
        def encode_canonical_number(value: Any) -> bytes | None:
            if canonical_number_size(value) < 0:
                return None
            return encode_number(value)
        return encode_canonical_number
    return _no_encoding


def _no_encoding(value: Any) -> bytes | None:
    return None
