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

from typing import Any, Final

import orjson

from dynaflow.engine.values import Item

HAS_BINARY: Final = 0x01


def _has_binary(value: Any) -> bool:
    for av in value.values() if isinstance(value, dict) else value:
        if "B" in av or "BS" in av:
            return True
        if "M" in av:
            if _has_binary(av["M"]):
                return True
        elif "L" in av and _has_binary(av["L"]):
            return True
    return False


HEADER_SIZE: Final = 5


def encode_item(item: Item, size: int) -> bytes:
    flags = HAS_BINARY if _has_binary(item) else 0
    return bytes((flags,)) + size.to_bytes(4, "big") + orjson.dumps(item)


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
