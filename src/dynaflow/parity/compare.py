"""Row-level parity between two tables, without copying either table.

How: both tables are read with segment-parallel Scans through the client interface, so the check
works on any pair of endpoints (dynaflow, DynamoDB Local, AWS, Alternator). Each row is reduced to
two 64-bit hashes — of its key, and of its content in a canonical form (sets sorted, numbers
normalized, binary as base64, ignored attributes such as replication bookkeeping removed) — and
folded into one of ``buckets`` digests chosen by the key hash. Matching digests mean matching
buckets; only buckets whose digests differ are read again, this time keeping ``key -> content``
for their rows, so memory is bounded by the differences, not by the table.

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
import hashlib
import re
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

Key = dict[str, Any]


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


_PLAIN_NUMBER: Final = re.compile(r"-?(?:0|[1-9][0-9]{0,37})(?:\.[0-9]{0,37}[1-9])?")


def _number(text: str) -> str:
    if _PLAIN_NUMBER.fullmatch(text) and text != "-0":  # already canonical (what endpoints return): no Decimal
        return text
    return format_number(Decimal(text).normalize())


def _b64(value: Any) -> str:
    return base64.b64encode(value).decode() if isinstance(value, (bytes, bytearray)) else str(value)


def _hash(raw: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "big")


@dataclass(frozen=True)
class _Shape:
    key_names: tuple[str, ...]
    ignored: frozenset[str]
    tombstone: str | None = TOMBSTONE

    def key_of(self, item: Mapping[str, Any]) -> Key:
        return {name: item[name] for name in self.key_names}

    def key_id(self, key: Mapping[str, Any]) -> bytes:
        return orjson.dumps([_canonical_value(key[name]) for name in self.key_names])

    def content_hash(self, item: Mapping[str, Any]) -> int:
        kept = {k: v for k, v in item.items() if k not in self.ignored}
        return _hash(orjson.dumps(canonical_item(kept), option=orjson.OPT_SORT_KEYS))


# ---------------------------------------------------------------- scanning


async def _scan(ref: TableRef, shape: _Shape, segments: int, on_item: Any) -> None:
    async def segment(number: int) -> None:
        request: dict[str, Any] = {"TableName": ref.table, "ConsistentRead": True}
        if segments > 1:
            request.update(Segment=number, TotalSegments=segments)
        while True:
            page = await ref.client.call("Scan", request)
            tombstone = shape.tombstone
            for item in page.get("Items", ()):
                if tombstone is None or tombstone not in item:
                    on_item(item)
            last = page.get("LastEvaluatedKey")
            if not last:
                return
            request["ExclusiveStartKey"] = last

    await asyncio.gather(*(segment(n) for n in range(segments)))


@dataclass
class _Digests:
    rows: int = 0
    digest: dict[int, int] = field(default_factory=dict)
    count: dict[int, int] = field(default_factory=dict)


async def _digests(ref: TableRef, shape: _Shape, buckets: int, segments: int) -> _Digests:
    result = _Digests()

    def fold(item: Mapping[str, Any]) -> None:
        key_hash = _hash(shape.key_id(shape.key_of(item)))
        bucket = key_hash % buckets
        mixed = (key_hash * 0x9E3779B97F4A7C15 ^ shape.content_hash(item)) & 0xFFFFFFFFFFFFFFFF
        result.digest[bucket] = result.digest.get(bucket, 0) ^ mixed
        result.count[bucket] = result.count.get(bucket, 0) + 1
        result.rows += 1

    await _scan(ref, shape, segments, fold)
    return result


async def _rows_in(ref: TableRef, shape: _Shape, wanted: set[int], buckets: int, segments: int
                   ) -> dict[bytes, tuple[Key, int]]:
    rows: dict[bytes, tuple[Key, int]] = {}

    def keep(item: Mapping[str, Any]) -> None:
        key = shape.key_of(item)
        key_id = shape.key_id(key)
        if _hash(key_id) % buckets in wanted:
            rows[key_id] = (key, shape.content_hash(item))

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
) -> ParityReport:
    """Compare ``source`` and ``target`` row by row; see the module docstring for how."""
    source_keys, target_keys = await asyncio.gather(key_names_of(source), key_names_of(target))
    if source_keys != target_keys:
        raise ValueError(f"key schemas differ: source {source_keys}, target {target_keys}")
    shape = _Shape(source_keys, frozenset(ignored), tombstone)
    left, right = await asyncio.gather(
        _digests(source, shape, buckets, segments), _digests(target, shape, buckets, segments)
    )
    report = ParityReport(source_rows=left.rows, target_rows=right.rows)
    differing = {
        b for b in set(left.digest) | set(right.digest)
        if left.digest.get(b) != right.digest.get(b) or left.count.get(b) != right.count.get(b)
    }
    if not differing:
        return report
    src_rows, dst_rows = await asyncio.gather(
        _rows_in(source, shape, differing, buckets, segments), _rows_in(target, shape, differing, buckets, segments)
    )
    candidates = [
        (src_rows.get(k, dst_rows.get(k, ({}, 0)))[0])
        for k in sorted(set(src_rows) | set(dst_rows))
        if src_rows.get(k, (None, None))[1] != dst_rows.get(k, (None, None))[1]
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
