"""On-disk item encoding.

An item is stored as a 5-byte header followed by the item's DynamoDB wire JSON (orjson), so a
read can splice the stored bytes straight into a wire response (``orjson.Fragment``) without
decoding. The header::

    byte 0     flags; bit 0 HAS_BINARY: the item holds B or BS values (base64 text in JSON,
               bytes for Python callers), so only such items need a conversion walk
    bytes 1-4  the item's DynamoDB size (big-endian), so counters and capacity never decode

Tags and bits are on disk: never reorder or reuse them.
"""

from __future__ import annotations

import struct
from typing import Final

import orjson

from dynaflow.engine.values import Item

HAS_BINARY: Final = 0x01


HEADER_SIZE: Final = 5
_HEADER: Final = struct.Struct(">BI")  # flags, DynamoDB size


def encode_item(item: Item, size: int, binary: bool | None = None) -> bytes:
    """The stored record of a valid item of DynamoDB size ``size``.

    HAS_BINARY is set by searching the JSON for a ``"B":`` or ``"BS":`` member (orjson writes no
    spaces, and a quote inside a string is escaped, so every B or BS value shows as one of these).
    The search runs at C speed, where walking the item cost ~2 µs for a 1 KB item. It can also
    match an attribute or map key named ``B``: the flag then only costs that item's readers a
    conversion walk that finds nothing to convert; it is never missing from an item that needs it.
    ``binary``: whether the item holds binary values, when the caller already knows (a proven
    item holds none); the search is then skipped.
    """
    body = orjson.dumps(item)
    if binary is None:
        binary = json_may_hold_binary(body)
    return b"".join((_HEADER.pack(HAS_BINARY if binary else 0, size), body))


def json_may_hold_binary(body: bytes) -> bool:
    """Whether compact DynamoDB JSON (orjson's, or DynamoDB's own) may hold a B or BS value.

    True for every body that holds one; also for a name ``B`` or ``BS`` used as an attribute or
    map key, which only costs a conversion walk that finds nothing (see :func:`encode_item`).
    """
    return b'"B":' in body or b'"BS":' in body


def item_json(record: bytes) -> bytes:
    """The wire JSON of a stored item."""
    return record[HEADER_SIZE:]


def item_size(record: bytes) -> int:
    return int.from_bytes(record[1:HEADER_SIZE], "big")


def decode_item(record: bytes) -> Item:
    item: Item = orjson.loads(memoryview(record)[HEADER_SIZE:])
    return item


def has_binary(record: bytes) -> bool:
    return bool(record[0] & HAS_BINARY)
