"""Row-level parity between two tables, without copying either table.

How: both tables are read with segment-parallel Scans, so the check works on any pair of
endpoints (dynaflow, DynamoDB Local, AWS, Alternator). Each row is reduced to two 64-bit hashes —
of its key, and of its content in a canonical form (sets sorted, numbers normalized, binary as
base64, ignored attributes such as replication bookkeeping removed, map keys sorted) — and folded
into one of ``buckets`` digests chosen by the key hash. Matching digests mean matching buckets.

**One pass per side.** While it scans, the check also keeps, per row, the two hashes and the
key's canonical bytes in compact arrays (``array('Q')`` and one ``bytearray`` per side: about
20 bytes plus the key's length per row, no Python object per row). Once both sides are read, the
rows of the buckets whose digests differ are picked out of those arrays, so no table is read
twice. The arrays are bounded by ``memory_limit``; a table too large for it drops them and falls
back to a second, filtered pass that keeps ``key -> content`` only for the differing buckets — so
memory stays bounded by the differences, not by the table, whatever its size.

**Cheap hashing.** A row's canonical form is serialized once with ``orjson`` (``OPT_SORT_KEYS``
sorts map keys at every depth) and hashed with Python's built-in 64-bit bytes hash (SipHash; the
hashes never leave the process, so its per-process seed does not matter). For an embedded engine
(``dynaflow.connect_async``) the Scan hands back the engine's stored item bytes, which are already
in wire form with canonical numbers: a row without sets, binary values or ignored attributes —
found by looking at the bytes — is hashed as ``orjson`` re-serializes it with sorted keys, with no
per-attribute Python at all; the others are canonicalized attribute by attribute. Both paths give
the same bytes for the same row, so an embedded table compares with a remote one.

Why buckets by key hash rather than Scan segments: segment boundaries are private to each
endpoint (DynamoDB splits by its own partitions), so segment *i* of two tables holds different
rows; a bucket is defined by the key alone and so means the same rows on both sides.

Writes may continue during a check. A row that differs is re-read from both sides with
consistent reads, a few times with a short pause (a replica may be milliseconds behind), and is
reported only if it still differs — so a check during live replication does not cry wolf.
"""

from __future__ import annotations

import asyncio
import base64
import re
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

import orjson

from dynaflow.dynamo.client import DynamoClient
from dynaflow.engine.values import format_number

#: Attributes a replica may add for its own bookkeeping; they are not part of the row's content.
#: Keep in sync with :data:`dynaflow.cdc.replica.BOOKKEEPING` (a test checks it).
DEFAULT_IGNORED: Final = frozenset({"_dynaflow_seq", "_dynaflow_src", "_dynaflow_deleted", "_dynaflow_expires"})
#: A row carrying this attribute is a replica's tombstone for a deleted row: it counts as absent.
TOMBSTONE: Final = "_dynaflow_deleted"
DEFAULT_THRESHOLD_PERCENT: Final = 0.0001
#: Bytes the one-pass arrays may use per check (both sides) before falling back to two passes.
DEFAULT_MEMORY_LIMIT: Final = 512 * 1024 * 1024

Key = dict[str, Any]

_MASK: Final = 0xFFFFFFFFFFFFFFFF
_GOLDEN: Final = 0x9E3779B97F4A7C15
_SORT: Final = orjson.OPT_SORT_KEYS
_SETS: Final = frozenset({"SS", "NS", "BS"})
#: Engine record layout (``engine/records.py``): a flags byte, a 4-byte size, then the item's JSON.
_RECORD_HEADER: Final = 5
_RECORD_HAS_BINARY: Final = 0x01


@dataclass(frozen=True)
class TableRef:
    """One side of a comparison: a client and a table name."""

    client: DynamoClient
    table: str


@dataclass
class ParityReport:
    """The outcome of a check: counts, the first differing keys of each kind, and the percentage."""

    source_rows: int = 0
    target_rows: int = 0
    missing_count: int = 0
    extra_count: int = 0
    different_count: int = 0
    missing: list[Key] = field(default_factory=list)
    extra: list[Key] = field(default_factory=list)
    different: list[Key] = field(default_factory=list)
    #: Every differing key (for repair); the lists above keep only the first few for display.
    all_differences: list[Key] = field(default_factory=list, repr=False)

    @property
    def differing_rows(self) -> int:
        return self.missing_count + self.extra_count + self.different_count

    @property
    def parity_percent(self) -> float:
        rows = max(self.source_rows, self.target_rows, 1)
        return 100.0 * (1.0 - self.differing_rows / rows)

    @property
    def difference_percent(self) -> float:
        return 100.0 - self.parity_percent

    def within(self, threshold_percent: float = DEFAULT_THRESHOLD_PERCENT) -> bool:
        return self.difference_percent <= threshold_percent

    def as_dict(self) -> dict[str, Any]:
        return {
            "source_rows": self.source_rows, "target_rows": self.target_rows,
            "missing": self.missing_count, "extra": self.extra_count, "different": self.different_count,
            "parity_percent": self.parity_percent,
            "first_missing": self.missing, "first_extra": self.extra, "first_different": self.different,
        }


# ---------------------------------------------------------------- canonical hashing


def _canonical_value(av: Mapping[str, Any]) -> Any:
    """A JSON-able form of one attribute value in which equal DynamoDB values are equal."""
    ((tag, inner),) = av.items()
    if tag == "S" or tag == "BOOL" or tag == "NULL":
        return av
    if tag == "N":
        return {"N": _number(inner)}
    if tag == "B":
        return {"B": _b64(inner)}
    if tag == "NS":
        return {"NS": sorted(_number(v) for v in inner)}
    if tag == "BS":
        return {"BS": sorted(_b64(v) for v in inner)}
    if tag == "SS":
        return {"SS": sorted(inner)}
    if tag == "M":
        return {"M": canonical_item(inner)}
    if tag == "L":
        return {"L": [_canonical_value(v) for v in inner]}
    return {tag: inner}


def canonical_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _canonical_value(av) for name, av in item.items()}


def _stored_value(av: dict[str, Any]) -> Any:
    """:func:`_canonical_value` for a value as the engine stores it (numbers already canonical)."""
    for tag, inner in av.items():
        if tag in _SETS:
            return {tag: sorted(inner)}
        if tag == "M":
            return {"M": {name: _stored_value(v) for name, v in inner.items()}}
        if tag == "L":
            return {"L": [_stored_value(v) for v in inner]}
    return av


_PLAIN_NUMBER: Final = re.compile(r"-?(?:0|[1-9][0-9]{0,37})(?:\.[0-9]{0,37}[1-9])?")


def _number(text: str) -> str:
    if _PLAIN_NUMBER.fullmatch(text) and text != "-0":  # already canonical (what endpoints return): no Decimal
        return text
    return format_number(Decimal(text).normalize())


def _b64(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    return base64.b64encode(base64.b64decode(str(value))).decode()  # one text for equal bytes


def _python_value(value: dict[str, Any]) -> dict[str, Any]:
    """A canonical key value as the client interface takes it (binary as ``bytes``)."""
    if "B" in value:
        return {"B": base64.b64decode(value["B"])}
    return value


@dataclass(frozen=True)
class _Shape:
    key_names: tuple[str, ...]
    ignored: frozenset[str]
    tombstone: str | None = TOMBSTONE

    def key_of(self, item: Mapping[str, Any]) -> Key:
        return {name: item[name] for name in self.key_names}

    def key_id(self, key: Mapping[str, Any]) -> bytes:
        return orjson.dumps([_canonical_value(key[name]) for name in self.key_names])

    def key_from_id(self, key_id: bytes) -> Key:
        return {name: _python_value(v) for name, v in zip(self.key_names, orjson.loads(key_id), strict=True)}

    def content_hash(self, item: Mapping[str, Any]) -> int:
        kept = {k: v for k, v in item.items() if k not in self.ignored}
        return hash(orjson.dumps(canonical_item(kept), option=_SORT)) & _MASK

    # ------------------------------------------------------------ one page of rows -> (key ids, content hashes)

    def hash_items(self, items: Iterable[Mapping[str, Any]]) -> tuple[list[bytes], list[int]]:
        """Rows as any client returns them."""
        key_ids: list[bytes] = []
        hashes: list[int] = []
        tombstone, ignored, names = self.tombstone, self.ignored, self.key_names
        dumps = orjson.dumps
        for item in items:
            if tombstone is not None and tombstone in item:
                continue
            key_ids.append(dumps([_canonical_value(item[name]) for name in names]))
            kept = {k: _canonical_value(v) for k, v in item.items() if k not in ignored}
            hashes.append(hash(dumps(kept, option=_SORT)) & _MASK)
        return key_ids, hashes

    def hash_records(self, stored: Iterable[bytes]) -> tuple[list[bytes], list[int]]:
        """Rows as the engine stores them: wire-form JSON after a 5-byte header."""
        key_ids: list[bytes] = []
        hashes: list[int] = []
        tombstone, ignored, names = self.tombstone, self.ignored, self.key_names
        dumps, loads = orjson.dumps, orjson.loads
        add_key, add_hash = key_ids.append, hashes.append
        for record in stored:
            item = loads(memoryview(record)[_RECORD_HEADER:])
            if tombstone is not None and tombstone in item:
                continue
            if record[0] & _RECORD_HAS_BINARY:  # binary: base64 text re-encoded from its bytes
                add_key(dumps([_canonical_value(item[name]) for name in names]))
                kept = {k: _canonical_value(v) for k, v in item.items() if k not in ignored}
                add_hash(hash(dumps(kept, option=_SORT)) & _MASK)
                continue
            add_key(dumps([item[name] for name in names]))
            if not ignored.isdisjoint(item):
                item = {k: v for k, v in item.items() if k not in ignored}
            if b'S":[' in record:  # a string, number or binary set somewhere: sort its members
                item = {k: _stored_value(v) for k, v in item.items()}
            add_hash(hash(dumps(item, option=_SORT)) & _MASK)
        return key_ids, hashes


# ---------------------------------------------------------------- scanning


class _RawOutput:
    """An engine output that hands back stored item records untouched."""

    @staticmethod
    def stored(record: bytes) -> Any:
        return record

    @staticmethod
    def stored_all(stored: list[bytes]) -> list[Any]:
        return list(stored)

    @staticmethod
    def item(item: Any) -> Any:
        return item


_RAW: Final = _RawOutput()


def _engine_of(client: DynamoClient) -> Any:
    from dynaflow.dynamo.embedded import AsyncEmbeddedClient

    return client.engine if isinstance(client, AsyncEmbeddedClient) else None


async def _scan(ref: TableRef, shape: _Shape, segments: int, on_page: Any) -> None:
    """Scan ``ref`` and call ``on_page(key_ids, content_hashes)`` for each page."""
    engine = _engine_of(ref.client)

    async def segment(number: int) -> None:
        request: dict[str, Any] = {"TableName": ref.table, "ConsistentRead": True}
        if segments > 1:
            request.update(Segment=number, TotalSegments=segments)
        while True:
            if engine is not None:  # the stored records themselves: no decoding for the caller
                page = await engine.execute_async("Scan", dict(request), _RAW)
                on_page(*shape.hash_records(page.get("Items", ())))
            else:
                page = await ref.client.call("Scan", request)
                on_page(*shape.hash_items(page.get("Items", ())))
            last = page.get("LastEvaluatedKey")
            if not last:
                return
            request["ExclusiveStartKey"] = last

    await asyncio.gather(*(segment(n) for n in range(segments)))


class _Side:
    """One table's digests, and (while within the memory budget) every row's hashes and key."""

    def __init__(self, buckets: int, keep_rows: bool) -> None:
        self.buckets = buckets
        self.rows = 0
        self.digest = [0] * buckets
        self.count = [0] * buckets
        self.keep = keep_rows
        self.key_hashes = array("Q")
        self.content_hashes = array("Q")
        self.offsets = array("Q")
        self.key_bytes = bytearray()

    def fold(self, key_ids: list[bytes], hashes: list[int]) -> None:
        buckets, digest, count = self.buckets, self.digest, self.count
        keep = self.keep
        key_hashes, offsets, key_bytes = self.key_hashes, self.offsets, self.key_bytes
        for key_id, content in zip(key_ids, hashes, strict=True):
            key_hash = hash(key_id) & _MASK
            bucket = key_hash % buckets
            digest[bucket] ^= (key_hash * _GOLDEN ^ content) & _MASK
            count[bucket] += 1
            if keep:
                key_hashes.append(key_hash)
                offsets.append(len(key_bytes))
                key_bytes += key_id
        if keep:
            self.content_hashes.extend(hashes)
        self.rows += len(hashes)

    def memory(self) -> int:
        return 24 * len(self.key_hashes) + len(self.key_bytes)

    def drop_rows(self) -> None:
        self.keep = False
        self.key_hashes, self.content_hashes, self.offsets = array("Q"), array("Q"), array("Q")
        self.key_bytes = bytearray()

    def rows_in(self, wanted: set[int]) -> dict[bytes, int]:
        """``key id -> content hash`` of the kept rows whose bucket is in ``wanted``."""
        found: dict[bytes, int] = {}
        buckets, key_hashes, offsets, key_bytes = self.buckets, self.key_hashes, self.offsets, self.key_bytes
        end = len(key_bytes)
        for index, key_hash in enumerate(key_hashes):
            if key_hash % buckets in wanted:
                stop = offsets[index + 1] if index + 1 < len(offsets) else end
                found[bytes(key_bytes[offsets[index]:stop])] = self.content_hashes[index]
        return found


async def _read_side(ref: TableRef, shape: _Shape, buckets: int, segments: int, budget: list[int]) -> _Side:
    side = _Side(buckets, keep_rows=budget[0] > 0)

    def on_page(key_ids: list[bytes], hashes: list[int]) -> None:
        before = side.memory()
        side.fold(key_ids, hashes)
        if side.keep:
            budget[0] -= side.memory() - before
            if budget[0] < 0:  # over the limit: keep digests only, drill down with a second pass
                side.drop_rows()

    await _scan(ref, shape, segments, on_page)
    return side


async def _rows_in(ref: TableRef, shape: _Shape, wanted: set[int], buckets: int, segments: int) -> dict[bytes, int]:
    """The second pass of a table too large for the one-pass arrays: only the wanted buckets' rows."""
    rows: dict[bytes, int] = {}

    def keep(key_ids: list[bytes], hashes: list[int]) -> None:
        for key_id, content in zip(key_ids, hashes, strict=True):
            if (hash(key_id) & _MASK) % buckets in wanted:
                rows[key_id] = content

    await _scan(ref, shape, segments, keep)
    return rows


async def key_names_of(ref: TableRef) -> tuple[str, ...]:
    described = await ref.client.call("DescribeTable", {"TableName": ref.table})
    schema = described["Table"]["KeySchema"]
    return tuple(e["AttributeName"] for e in sorted(schema, key=lambda e: e["KeyType"] != "HASH"))


# ---------------------------------------------------------------- the check


async def _current(ref: TableRef, shape: _Shape, key: Key) -> int | None:
    response = await ref.client.call("GetItem", {"TableName": ref.table, "Key": key, "ConsistentRead": True})
    item = response.get("Item")
    if item is None or (shape.tombstone is not None and shape.tombstone in item):
        return None
    return shape.content_hash(item)


async def _still_differs(source: TableRef, target: TableRef, shape: _Shape, key: Key,
                         attempts: int, delay: float) -> tuple[int | None, int | None] | None:
    """Re-read a candidate from both sides; None once the two agree."""
    for attempt in range(attempts):
        src, dst = await asyncio.gather(_current(source, shape, key), _current(target, shape, key))
        if src == dst:
            return None
        if attempt + 1 < attempts:
            await asyncio.sleep(delay)
    return src, dst


async def check_parity(
    source: TableRef,
    target: TableRef,
    *,
    segments: int = 8,
    buckets: int = 4096,
    sample: int = 20,
    ignored: Iterable[str] = DEFAULT_IGNORED,
    tombstone: str | None = TOMBSTONE,
    recheck_attempts: int = 3,
    recheck_delay: float = 0.2,
    memory_limit: int = DEFAULT_MEMORY_LIMIT,
) -> ParityReport:
    """Compare ``source`` and ``target`` row by row; see the module docstring for how."""
    source_keys, target_keys = await asyncio.gather(key_names_of(source), key_names_of(target))
    if source_keys != target_keys:
        raise ValueError(f"key schemas differ: source {source_keys}, target {target_keys}")
    shape = _Shape(source_keys, frozenset(ignored), tombstone)
    budget = [memory_limit]  # shared by both sides
    left, right = await asyncio.gather(
        _read_side(source, shape, buckets, segments, budget), _read_side(target, shape, buckets, segments, budget)
    )
    report = ParityReport(source_rows=left.rows, target_rows=right.rows)
    differing = {b for b in range(buckets) if left.digest[b] != right.digest[b] or left.count[b] != right.count[b]}
    if not differing:
        return report
    src_rows, dst_rows = await asyncio.gather(
        *(_kept_or_rescan(side, ref, shape, differing, buckets, segments)
          for side, ref in ((left, source), (right, target))))
    candidates = [
        shape.key_from_id(k) for k in sorted(set(src_rows) | set(dst_rows)) if src_rows.get(k) != dst_rows.get(k)
    ]
    checks = await asyncio.gather(*(
        _still_differs(source, target, shape, key, recheck_attempts, recheck_delay) for key in candidates
    ))
    for key, outcome in zip(candidates, checks, strict=True):
        if outcome is None:
            continue
        src, dst = outcome
        report.all_differences.append(key)
        if dst is None:
            report.missing_count += 1
            if len(report.missing) < sample:
                report.missing.append(key)
        elif src is None:
            report.extra_count += 1
            if len(report.extra) < sample:
                report.extra.append(key)
        else:
            report.different_count += 1
            if len(report.different) < sample:
                report.different.append(key)
    return report


async def _kept_or_rescan(side: _Side, ref: TableRef, shape: _Shape, wanted: set[int], buckets: int,
                          segments: int) -> dict[bytes, int]:
    if side.keep:
        return side.rows_in(wanted)
    return await _rows_in(ref, shape, wanted, buckets, segments)
