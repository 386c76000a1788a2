"""Secondary indexes (GSI and LSI): entry layout, maintenance in the item's transaction, backfill.

**What an index is here.** Each index of a table owns a contiguous key range of the ``index``
sub-database. An entry's LMDB key is::

    table id (4) | index number (2, big-endian) | partition hash (4) | enc(index hash key)
        [| enc(index range key)] | enc(table hash key) [| enc(table range key)]

with the encodings of ``keys.py`` (and its rule for keys longer than LMDB allows, ``keys.bounded``). So:

* the 6-byte *index prefix* starts with the table prefix, and DeleteTable's sweep of the ``index``
  database by table prefix removes every index of the table;
* the partition hash spreads index partitions evenly, so Scan segment *i* of *n* over an index is a
  hash range exactly as over a table (``keys.segment_bounds(index prefix, i, n)``);
* entries with equal index keys are ordered by table key, and each item has at most one entry per
  index, because the table key ends the LMDB key. Every encoding is prefix-free and an entry has a
  fixed number of components, so no entry key is a prefix of another.

Index numbers are allocated per table from ``_NextIndex`` in the stored description and never
reused, so the entries of a dropped index can never be mistaken for those of a later one.

An entry's value is the *projected* item (keys only, keys plus NonKeyAttributes, or the whole item)
stored with ``records.encode_item``, so a Query on an index reads only the index, as DynamoDB's
does, and splices the stored JSON into the response. Only an LSI query that asks for attributes the
index does not project fetches the table item (a GSI query that does so is an error, as in AWS).

**Sparse.** An item without every key attribute of an index has no entry in it. A key attribute of
the wrong type (or an empty string/binary) is rejected: PutItem checks in ``Table.key_from_item``
before anything is written; updates are checked by the maintainer (see :meth:`Maintainer.__call__`).

**Maintenance** is a change observer (``changes.py``): inside the writer's transaction, for each
index, delete the old item's entry if its key changed and put the new item's entry. Per-index
counters (ItemCount, IndexSizeBytes) live in ``meta`` under ``c/<index prefix>``, next to the table
counters, and change in the same transaction.

**Backfill** (UpdateTable creating a GSI): the index is maintained by live writes from the moment it
is CREATING; a background thread then walks the table in chunks of :data:`BACKFILL_CHUNK` items, each
chunk one writer job that reads the *current* items inside the write transaction and writes their
entries. Chunks are short, so live writes interleave; a chunk and a live write never disagree because
both compute the entry from the item as it is in the same serialized transaction order. The last
chunk flips the index to ACTIVE. Dropping a GSI is the mirror image: DELETING (no longer maintained
or readable), entries deleted in chunks, then removed from the description.

Status flips made by the background jobs are applied in place to the live :class:`IndexState` rather
than by swapping the catalog's Table, because writes validated against a Table object fail if it is
swapped under them (``rmw.py``); jobs that store a table description take the index statuses from
the stored description inside their transaction (:func:`sync_stored_indexes`).
"""

from __future__ import annotations

import copy
import logging
import struct
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import orjson

from dynaflow.engine import errors, keys, records
from dynaflow.engine.values import (
    MAX_PARTITION_KEY_SIZE,
    MAX_SORT_KEY_SIZE,
    AttributeValue,
    Item,
    item_size,
    value_size,
)

if TYPE_CHECKING:
    from dynaflow.engine.catalog import Table
    from dynaflow.engine.changes import Change
    from dynaflow.engine.expressions import KeyCondition
    from dynaflow.engine.state import EngineState
    from dynaflow.engine.writer import WriteContext

log = logging.getLogger(__name__)

KeyAttr = tuple[str, str]

MAX_GSIS: Final = 20
MAX_LSIS: Final = 5
MAX_NON_KEY_ATTRIBUTES: Final = 100
#: Items per backfill (or drop) writer job: small enough that live writes wait at most ~1 ms.
BACKFILL_CHUNK: Final = 256

_INDEX_NUMBER: Final = struct.Struct(">H")
_COUNTS: Final = struct.Struct(">qq")
_COUNTER: Final = b"c/"
_TABLE: Final = b"t/"

#: Index statuses in which live writes maintain the index.
_MAINTAINED: Final = frozenset({"CREATING", "ACTIVE", "UPDATING"})


class IndexState:
    """The live status of one index (CREATING, ACTIVE, UPDATING, DELETING, or GONE once dropped)."""

    __slots__ = ("status",)

    def __init__(self, status: str) -> None:
        self.status = status


@dataclass(frozen=True, slots=True, eq=False)
class Index:
    """One secondary index of a table."""

    name: str
    number: int
    is_global: bool
    hash_key: KeyAttr
    range_key: KeyAttr | None
    projection_type: str
    non_key: tuple[str, ...]
    table_hash: KeyAttr
    table_range: KeyAttr | None
    prefix: bytes
    state: IndexState

    @property
    def schema(self) -> tuple[KeyAttr, KeyAttr | None]:
        return (self.hash_key, self.range_key)

    @property
    def key_names(self) -> tuple[str, ...]:
        """Index keys then table keys, each once: the attributes every projection holds."""
        names = [self.hash_key[0]]
        if self.range_key is not None:
            names.append(self.range_key[0])
        for attr in (self.table_hash, self.table_range):
            if attr is not None and attr[0] not in names:
                names.append(attr[0])
        return tuple(names)

    @property
    def projected(self) -> frozenset[str] | None:
        """Names an entry holds, or None when the index projects ALL attributes."""
        if self.projection_type == "ALL":
            return None
        return frozenset(self.key_names) | frozenset(self.non_key)

    @property
    def kind(self) -> str:
        return "global" if self.is_global else "local"

    # ------------------------------------------------------------ entries

    def entry_key(self, item: Item) -> bytes | None:
        """LMDB key of ``item``'s entry, or None when the item lacks an index key (sparse)."""
        hash_av = item.get(self.hash_key[0])
        if hash_av is None or self.hash_key[1] not in hash_av:
            return None
        parts = [keys.partition_prefix(self.prefix, hash_av)]
        if self.range_key is not None:
            range_av = item.get(self.range_key[0])
            if range_av is None or self.range_key[1] not in range_av:
                return None
            parts.append(keys.encode_value(range_av))
        parts.append(keys.encode_value(item[self.table_hash[0]]))
        if self.table_range is not None:
            parts.append(keys.encode_value(item[self.table_range[0]]))
        return keys.bounded(b"".join(parts))

    def project(self, item: Item) -> Item:
        if self.projection_type == "ALL":
            return item
        wanted = self.key_names + self.non_key if self.projection_type == "INCLUDE" else self.key_names
        return {name: item[name] for name in wanted if name in item}

    def entry_record(self, item: Item) -> bytes:
        projected = self.project(item)
        return records.encode_item(projected, item_size(projected))

    def entry_lmdb_keys(self, entry: Item) -> Item:
        """The LastEvaluatedKey of an entry: index keys and table keys."""
        return {name: entry[name] for name in self.key_names}

    def partition_prefix(self, hash_value: AttributeValue) -> bytes:
        return keys.partition_prefix(self.prefix, hash_value)


def find(table: Table, name: str) -> Index | None:
    """The readable (not dropping or dropped) index ``name`` of ``table``."""
    for index in table.indexes:
        if index.name == name:
            return index if index.state.status not in ("DELETING", "GONE") else None
    return None


def key_range(index: Index, cond: KeyCondition) -> tuple[bytes, bytes, bool]:
    """``[low, high)`` of the entries matching a Query key condition, and whether it is exact.

    Unlike an item key, an entry key continues after the index keys (with the table keys), so "all
    keys equal to v" is the prefix range of enc(v), and "after v" starts at ``next_prefix(enc(v))``.
    A bound longer than ``keys.MAX_EXACT`` is cut and the range widened; the page then re-checks
    each entry's range key (``exact`` is False).
    """
    part = index.partition_prefix(cond.hash_value)
    end = keys.next_prefix(part)
    op, values = cond.range_op, cond.range_values
    if op is None:
        return part, end, True
    if op == "BEGINS_WITH":
        low = part + keys.prefix_of(values[0])
        high = keys.next_prefix(low)
    else:
        enc = part + keys.encode_value(values[0])
        after = keys.next_prefix(enc)
        if op == "EQ":
            low, high = enc, after
        elif op == "LT":
            low, high = part, enc
        elif op == "LE":
            low, high = part, after
        elif op == "GT":
            low, high = after, end
        elif op == "GE":
            low, high = enc, end
        else:
            low, high = enc, keys.next_prefix(part + keys.encode_value(values[1]))
    cut = keys.MAX_EXACT
    if len(low) <= cut and len(high) <= cut:
        return low, high, True
    if len(low) > cut:
        low = low[:cut]
    if len(high) > cut:
        high = keys.next_prefix(high[:cut])
    return low, high, False


def start_entry_key(index: Index, esk: Item) -> bytes:
    """The entry key of an index Query/Scan ExclusiveStartKey: exactly the index and table keys."""
    names = index.key_names
    attrs = [index.hash_key, index.range_key, index.table_hash, index.table_range]
    if len(esk) != len(names) or any(
        a is not None and (a[0] not in esk or a[1] not in esk[a[0]]) for a in attrs
    ):
        raise errors.validation(
            "The provided starting key is invalid: The provided key element does not match the schema"
        )
    key = index.entry_key(esk)
    assert key is not None
    return key


def index_prefix(table_id: int, number: int) -> bytes:
    return keys.table_prefix(table_id) + _INDEX_NUMBER.pack(number)


def indexes_from_description(description: dict[str, Any], table_hash: KeyAttr,
                             table_range: KeyAttr | None) -> tuple[Index, ...]:
    """Build the Index objects a stored table description declares (empty for most tables)."""
    numbers: dict[str, int] = description.get("_IndexNumbers") or {}
    if not numbers:
        return ()
    types = {d["AttributeName"]: d["AttributeType"] for d in description["AttributeDefinitions"]}
    table_id = int(description["_Id"])
    out: list[Index] = []
    for field, is_global in (("LocalSecondaryIndexes", False), ("GlobalSecondaryIndexes", True)):
        for spec in description.get(field) or ():
            hash_key: KeyAttr | None = None
            range_key: KeyAttr | None = None
            for element in spec["KeySchema"]:
                attr = (element["AttributeName"], types[element["AttributeName"]])
                if element["KeyType"] == "HASH":
                    hash_key = attr
                else:
                    range_key = attr
            assert hash_key is not None
            projection = spec["Projection"]
            number = numbers[spec["IndexName"]]
            out.append(Index(
                name=spec["IndexName"],
                number=number,
                is_global=is_global,
                hash_key=hash_key,
                range_key=range_key,
                projection_type=projection.get("ProjectionType", "ALL"),
                non_key=tuple(projection.get("NonKeyAttributes") or ()),
                table_hash=table_hash,
                table_range=table_range,
                prefix=index_prefix(table_id, number),
                state=IndexState(spec.get("IndexStatus", "ACTIVE")),
            ))
    return tuple(out)


# ---------------------------------------------------------------- validation of items


def item_problem(indexes: Iterable[Index], item: Item) -> errors.DynamoError | None:
    """The error DynamoDB raises for an item whose index key attribute has a bad value, if any.

    Only indexes that writes maintain count: once a GSI is being dropped its key rules no longer
    bind the table's items. A key value over the key size limits (2048 bytes for a partition key,
    1024 for a sort key) is refused like one of the table's own keys, and a backfill skips it.
    """
    for index in indexes:
        if index.state.status not in _MAINTAINED:
            continue
        for attr in (index.hash_key, index.range_key):
            if attr is None:
                continue
            name, type_ = attr
            av = item.get(name)
            if av is None:
                continue
            if type_ not in av:
                actual = next(iter(av), "")
                return errors.invalid_parameters(
                    f"Type mismatch for Index Key {name} Expected: {type_} Actual: {actual} IndexName: {index.name}"
                )
            if type_ != "N" and not av[type_]:
                return errors.validation(
                    "One or more parameter values are not valid. A value specified for a secondary index key "
                    "is not supported. The AttributeValue for a key attribute cannot contain an empty "
                    f"{'string' if type_ == 'S' else 'binary'} value. IndexName: {index.name}, IndexKey: {name}"
                )
            if type_ != "N" and len(av[type_]) > MAX_SORT_KEY_SIZE // 4:  # cheap bound before sizing
                if attr is index.hash_key and value_size(av) > MAX_PARTITION_KEY_SIZE:
                    return errors.invalid_parameters("Size of hashkey has exceeded the maximum size limit of2048 bytes")
                if attr is index.range_key and value_size(av) > MAX_SORT_KEY_SIZE:
                    return errors.invalid_parameters(
                        "Aggregated size of all range keys has exceeded the size limit of 1024 bytes"
                    )
    return None


def check_item(indexes: Iterable[Index], item: Item) -> None:
    problem = item_problem(indexes, item)
    if problem is not None:
        raise problem


# ---------------------------------------------------------------- counters


def counts(txn: Any, meta_db: Any, index: Index) -> tuple[int, int]:
    raw = txn.get(_COUNTER + index.prefix, db=meta_db)
    if raw is None:
        return 0, 0
    count, size = _COUNTS.unpack(raw)
    return int(count), int(size)


def _add_counts(txn: Any, meta_db: Any, index: Index, d_count: int, d_size: int) -> None:
    count, size = counts(txn, meta_db, index)
    txn.put(_COUNTER + index.prefix, _COUNTS.pack(count + d_count, size + d_size), db=meta_db)


def counter_keys(indexes: Iterable[Index]) -> list[bytes]:
    return [_COUNTER + index.prefix for index in indexes]


# ---------------------------------------------------------------- maintenance


class Maintainer:
    """Change observer keeping a table's index entries equal to its items, in the same transaction."""

    __slots__ = ("indexes",)

    def __init__(self, indexes: tuple[Index, ...]) -> None:
        self.indexes = indexes

    def __call__(self, ctx: WriteContext, change: Change) -> None:
        new = change.new
        if new is not None:
            problem = item_problem(self.indexes, new)
            if problem is not None:
                _undo(ctx, change)
                raise problem
        db = ctx.env.index
        txn = ctx.txn
        old = change.old
        for index in self.indexes:
            if index.state.status not in _MAINTAINED:
                continue
            old_key = index.entry_key(old) if old is not None else None
            new_key = index.entry_key(new) if new is not None else None
            if old_key is None and new_key is None:
                continue
            d_count = d_size = 0
            if old_key is not None:
                old_record = txn.get(old_key, db=db)
                if old_record is not None:
                    d_count -= 1
                    d_size -= records.item_size(old_record)
                    if new_key != old_key:
                        txn.delete(old_key, db=db)
            if new_key is not None:
                assert new is not None
                record = index.entry_record(new)
                txn.put(new_key, record, db=db)
                d_count += 1
                d_size += records.item_size(record)
            if d_count or d_size:
                _add_counts(txn, ctx.env.meta, index, d_count, d_size)


def _undo(ctx: WriteContext, change: Change) -> None:
    """Restore the item ``write_change`` just stored, so an invalid update raises with nothing changed.

    The index maintainer is the first observer, so only the item and the table counters were touched.
    """
    items = ctx.env.items
    stored = ctx.txn.get(change.key, db=items)
    new_size = records.item_size(stored) if stored is not None else 0
    table_id = change.table.table_id
    if change.old is None:
        ctx.txn.delete(change.key, db=items)
        ctx.count(table_id, -1, -new_size)
    else:
        old_size = item_size(change.old)
        ctx.txn.put(change.key, records.encode_item(change.old, old_size), db=items)
        ctx.count(table_id, 0, old_size - new_size)


# ---------------------------------------------------------------- background backfill and drop


def _stored_description(txn: Any, meta_db: Any, name: str) -> dict[str, Any] | None:
    raw = txn.get(_TABLE + name.encode(), db=meta_db)
    return None if raw is None else dict(orjson.loads(raw))


def sync_stored_indexes(txn: Any, meta_db: Any, description: dict[str, Any]) -> None:
    """Take the index fields of the description stored in ``txn`` into ``description``.

    A background backfill or drop changes index statuses without swapping the catalog's Table; a job
    that stores a description computed from the in-memory Table calls this first, inside its
    transaction, so it never writes back a stale index status.
    """
    stored = _stored_description(txn, meta_db, description["TableName"])
    if stored is None or stored.get("_Id") != description.get("_Id"):
        return
    for field in _INDEX_FIELDS:
        if field in stored:
            description[field] = stored[field]
        else:
            description.pop(field, None)


_INDEX_FIELDS: Final = ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "AttributeDefinitions",
                        "_IndexNumbers", "_NextIndex")


def used_definitions(description: dict[str, Any]) -> list[dict[str, Any]]:
    used = {k["AttributeName"] for k in description["KeySchema"]}
    for field in ("LocalSecondaryIndexes", "GlobalSecondaryIndexes"):
        for spec in description.get(field) or ():
            used.update(k["AttributeName"] for k in spec["KeySchema"])
    return [d for d in description["AttributeDefinitions"] if d["AttributeName"] in used]


def _live(state: EngineState, name: str, table_id: int, index_name: str) -> tuple[Table, Index] | None:
    table = state.catalog.tables.get(name)
    if table is None or table.table_id != table_id:
        return None
    for index in table.indexes:
        if index.name == index_name:
            return table, index
    return None


def _finish(state: EngineState, ctx: WriteContext, name: str, table_id: int, index_name: str,
            *, dropped: bool) -> None:
    """Store the index's final status (ACTIVE, or removed) and apply it in place after the commit."""
    stored = _stored_description(ctx.txn, ctx.env.meta, name)
    if stored is None or stored.get("_Id") != table_id:
        return
    gsis = []
    for gsi in stored.get("GlobalSecondaryIndexes") or ():
        if gsi["IndexName"] == index_name:
            if dropped:
                continue
            gsi = {k: v for k, v in gsi.items() if k != "Backfilling"}
            gsi["IndexStatus"] = "ACTIVE"
        gsis.append(gsi)
    if gsis:
        stored["GlobalSecondaryIndexes"] = gsis
    else:
        stored.pop("GlobalSecondaryIndexes", None)
    if dropped:
        numbers = dict(stored.get("_IndexNumbers") or {})
        number = numbers.pop(index_name, None)
        if number is not None:
            ctx.txn.delete(_COUNTER + index_prefix(table_id, number), db=ctx.env.meta)
        stored["_IndexNumbers"] = numbers
        stored["AttributeDefinitions"] = used_definitions(stored)
    ctx.txn.put(_TABLE + name.encode(), orjson.dumps(stored), db=ctx.env.meta)

    def apply_in_place() -> None:
        live = _live(state, name, table_id, index_name)
        if live is None:
            return
        table, index = live
        index.state.status = "GONE" if dropped else "ACTIVE"
        # Replace (never resize) the live description's members, so concurrent readers stay safe.
        public = copy.deepcopy(stored.get("GlobalSecondaryIndexes") or [])
        table.description["GlobalSecondaryIndexes"] = public
        table.description["AttributeDefinitions"] = stored["AttributeDefinitions"]
        if "_IndexNumbers" in table.description:
            table.description["_IndexNumbers"] = stored["_IndexNumbers"]

    ctx.after_commit.append(apply_in_place)


def _backfill_chunk(state: EngineState, ctx: WriteContext, name: str, table_id: int, index_name: str,
                    after: bytes | None) -> bytes | None:
    live = _live(state, name, table_id, index_name)
    if live is None:
        return None
    table, index = live
    if index.state.status != "CREATING":
        return None
    txn, db, meta = ctx.txn, ctx.env.index, ctx.env.meta
    cursor = txn.cursor(db=ctx.env.items)
    end = keys.next_prefix(table.prefix)
    last: bytes | None = None
    done = 0
    d_count = d_size = 0
    if cursor.set_range(after + b"\x00" if after is not None else table.prefix):
        for key, value in cursor:
            if key >= end:
                break
            item = records.decode_item(value)
            entry_key = index.entry_key(item)
            if entry_key is not None and item_problem((index,), item) is None:
                record = index.entry_record(item)
                existing = txn.get(entry_key, db=db)
                if existing != record:
                    txn.put(entry_key, record, db=db)
                    if existing is None:
                        d_count += 1
                        d_size += records.item_size(record)
                    else:
                        d_size += records.item_size(record) - records.item_size(existing)
            last = bytes(key)
            done += 1
            if done >= BACKFILL_CHUNK:
                break
    if d_count or d_size:
        _add_counts(txn, meta, index, d_count, d_size)
    if done < BACKFILL_CHUNK:
        _finish(state, ctx, name, table_id, index_name, dropped=False)
        return None
    return last


def _drop_chunk(state: EngineState, ctx: WriteContext, name: str, table_id: int, index_name: str,
                after: bytes | None) -> bytes | None:
    live = _live(state, name, table_id, index_name)
    if live is None:
        return None
    _, index = live
    cursor = ctx.txn.cursor(db=ctx.env.index)
    end = keys.next_prefix(index.prefix)
    done = 0
    if cursor.set_range(index.prefix):
        while done < BACKFILL_CHUNK:
            key = cursor.key()
            if not key or key >= end:
                break
            if not cursor.delete():
                break
            done += 1
    if done < BACKFILL_CHUNK:
        _finish(state, ctx, name, table_id, index_name, dropped=True)
        return None
    return b""


def _run_chunks(state: EngineState, name: str, table_id: int, index_name: str, *, drop: bool) -> None:
    step = _drop_chunk if drop else _backfill_chunk
    after: bytes | None = None
    try:
        while True:
            def job(ctx: WriteContext, after: bytes | None = after) -> bytes | None:
                return step(state, ctx, name, table_id, index_name, after)

            result = state.writer.submit(job)
            if result is None:
                return
            after = result
    except errors.DynamoError as exc:  # the engine closed under us; the index resumes on next start
        log.info("index %s of %s: background work stopped: %s", index_name, name, exc)


def start_background(state: EngineState, name: str, table_id: int, index_name: str, *, drop: bool) -> None:
    """Start the backfill (or drop) of one GSI in a daemon thread of chunked writer jobs."""
    thread = threading.Thread(
        target=_run_chunks, args=(state, name, table_id, index_name), kwargs={"drop": drop},
        name=f"dynaflow-index-{'drop' if drop else 'backfill'}", daemon=True,
    )
    thread.start()


# ---------------------------------------------------------------- CreateTable / DescribeTable


def _key_names(schema: list[dict[str, Any]]) -> list[str]:
    return [k["AttributeName"] for k in schema]


def _check_index_schema(spec: dict[str, Any], defined: list[str]) -> None:
    schema = spec["KeySchema"]
    names = _key_names(schema)
    if any(n not in defined for n in names):
        raise errors.invalid_parameters(
            "Some index key attributes are not defined in AttributeDefinitions. "
            f"Keys: [{', '.join(names)}], AttributeDefinitions: [{', '.join(defined)}]"
        )
    if len(schema) > 1 and names[0] == names[1]:
        raise errors.validation("Both the Hash Key and the Range Key element in the KeySchema have the same name")
    if schema[0].get("KeyType") != "HASH":
        raise errors.validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    if len(schema) > 1 and schema[1].get("KeyType") != "RANGE":
        raise errors.validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")


def _check_projection(spec: dict[str, Any]) -> None:
    projection = spec["Projection"]
    kind = projection.get("ProjectionType")
    if kind is None:
        raise errors.invalid_parameters("Unknown ProjectionType: null")
    non_key = projection.get("NonKeyAttributes")
    if non_key is not None and kind != "INCLUDE":
        raise errors.invalid_parameters(f"ProjectionType is {kind}, but NonKeyAttributes is specified")
    if kind == "INCLUDE":
        if not non_key:
            raise errors.invalid_parameters("ProjectionType is INCLUDE, but NonKeyAttributes is not specified")
        seen: set[str] = set()
        for name in non_key:
            if name in seen:
                raise errors.invalid_parameters(f"Duplicate element in NonKeyAttributes: {name}")
            seen.add(name)


def _public_projection(spec: dict[str, Any]) -> dict[str, Any]:
    projection = spec["Projection"]
    out: dict[str, Any] = {"ProjectionType": projection["ProjectionType"]}
    if projection.get("NonKeyAttributes"):
        out["NonKeyAttributes"] = list(projection["NonKeyAttributes"])
    return out


def gsi_throughput(spec: dict[str, Any], mode: str) -> dict[str, Any]:
    """The ProvisionedThroughput a GSI reports (zeros in on-demand mode, as AWS shows)."""
    given = spec.get("ProvisionedThroughput") or {}
    return {
        "NumberOfDecreasesToday": 0,
        "ReadCapacityUnits": int(given.get("ReadCapacityUnits", 0)) if mode == "PROVISIONED" else 0,
        "WriteCapacityUnits": int(given.get("WriteCapacityUnits", 0)) if mode == "PROVISIONED" else 0,
    }


def check_gsi_throughput(spec: dict[str, Any], mode: str) -> None:
    name = spec["IndexName"]
    if mode == "PAY_PER_REQUEST" and spec.get("ProvisionedThroughput") is not None:
        raise errors.invalid_parameters(
            f"ProvisionedThroughput should not be specified for index: {name} when BillingMode is PAY_PER_REQUEST"
        )
    if mode == "PROVISIONED" and spec.get("ProvisionedThroughput") is None:
        raise errors.invalid_parameters(f"ProvisionedThroughput is not specified for index: {name}")


def validate_create(request: dict[str, Any], mode: str, table_arn: str) -> dict[str, Any]:
    """Check CreateTable's LocalSecondaryIndexes/GlobalSecondaryIndexes in DynamoDB's order.

    Returns the description fields to store (the index lists and their internal numbers), or ``{}``
    for a table without indexes.
    """
    lsis: list[dict[str, Any]] | None = request.get("LocalSecondaryIndexes")
    gsis: list[dict[str, Any]] | None = request.get("GlobalSecondaryIndexes")
    if lsis is None and gsis is None:
        return {}
    key_schema = request["KeySchema"]
    defined = [d["AttributeName"] for d in request["AttributeDefinitions"]]
    names: set[str] = set()
    if lsis is not None:
        if not lsis:
            raise errors.invalid_parameters("List of LocalSecondaryIndexes is empty")
        if len(key_schema) != 2:
            raise errors.invalid_parameters(
                "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex"
            )
        table_hash = key_schema[0]["AttributeName"]
        for spec in lsis:
            _check_index_schema(spec, defined)
            name = spec["IndexName"]
            if len(spec["KeySchema"]) != 2:
                raise errors.invalid_parameters(f"Index KeySchema does not have a range key for index: {name}")
            index_hash = spec["KeySchema"][0]["AttributeName"]
            if index_hash != table_hash:
                raise errors.invalid_parameters(
                    "Index KeySchema does not have the same leading hash key as table KeySchema for index: "
                    f"{name}. index hash key: {index_hash}, table hash key: {table_hash}"
                )
            _check_projection(spec)
            if name in names:
                raise errors.invalid_parameters(f"Duplicate index name: {name}")
            names.add(name)
        if len(lsis) > MAX_LSIS:
            raise errors.invalid_parameters(f"Number of LocalSecondaryIndexes exceeds per-table limit of {MAX_LSIS}")
    if gsis is not None:
        if not gsis:
            raise errors.invalid_parameters("List of GlobalSecondaryIndexes is empty")
        for spec in gsis:
            _check_index_schema(spec, defined)
            _check_projection(spec)
            name = spec["IndexName"]
            if mode == "PAY_PER_REQUEST" and spec.get("ProvisionedThroughput") is not None:
                check_gsi_throughput(spec, mode)
            if name in names:
                raise errors.invalid_parameters(f"Duplicate index name: {name}")
            names.add(name)
        if len(gsis) > MAX_GSIS:
            raise errors.invalid_parameters(f"GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GSIS}")
    used = set(_key_names(key_schema))
    for spec in (*(lsis or ()), *(gsis or ())):
        used.update(_key_names(spec["KeySchema"]))
    if set(defined) - used:
        raise errors.invalid_parameters(
            f"Some AttributeDefinitions are not used. AttributeDefinitions: [{', '.join(sorted(defined))}], "
            f"keys used: [{', '.join(sorted(used))}]"
        )
    for spec in gsis or ():
        check_gsi_throughput(spec, mode)
    projected = sum(len(spec["Projection"].get("NonKeyAttributes") or ()) for spec in (*(lsis or ()), *(gsis or ())))
    if projected > MAX_NON_KEY_ATTRIBUTES:
        raise errors.invalid_parameters(
            f"Number of projected attributes in all indexes exceeds limit of {MAX_NON_KEY_ATTRIBUTES}"
        )
    fields: dict[str, Any] = {}
    numbers: dict[str, int] = {}
    if lsis:
        fields["LocalSecondaryIndexes"] = [
            {"IndexName": spec["IndexName"], "KeySchema": _public_schema(spec), "Projection": _public_projection(spec),
             "IndexArn": f"{table_arn}/index/{spec['IndexName']}"}
            for spec in lsis
        ]
    if gsis:
        fields["GlobalSecondaryIndexes"] = [public_gsi(spec, mode, table_arn, "ACTIVE") for spec in gsis]
    for spec in (*(lsis or ()), *(gsis or ())):
        numbers[spec["IndexName"]] = len(numbers) + 1
    fields["_IndexNumbers"] = numbers
    fields["_NextIndex"] = len(numbers) + 1
    return fields


def _public_schema(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in spec["KeySchema"]]


def public_gsi(spec: dict[str, Any], mode: str, table_arn: str, status: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "IndexName": spec["IndexName"],
        "KeySchema": _public_schema(spec),
        "Projection": _public_projection(spec),
        "IndexStatus": status,
    }
    if status == "CREATING":
        out["Backfilling"] = True
    out["ProvisionedThroughput"] = gsi_throughput(spec, mode)
    out["IndexArn"] = f"{table_arn}/index/{spec['IndexName']}"
    return out


def describe_indexes(table: Table, txn: Any, meta_db: Any) -> dict[str, list[dict[str, Any]]]:
    """Fresh LocalSecondaryIndexes/GlobalSecondaryIndexes lists with their live counters.

    A list is empty when its last index was dropped; callers omit the member then (``with_indexes``).
    """
    by_name = {index.name: index for index in table.indexes}
    out: dict[str, list[dict[str, Any]]] = {}
    for field in ("LocalSecondaryIndexes", "GlobalSecondaryIndexes"):
        specs = table.description.get(field)
        if specs is None:
            continue
        described = []
        for spec in specs:
            entry = copy.deepcopy(spec)
            index = by_name.get(spec["IndexName"])
            if index is not None and index.state.status == "GONE":
                continue
            if index is not None and field == "GlobalSecondaryIndexes":
                entry["IndexStatus"] = index.state.status
                if index.state.status != "CREATING":
                    entry.pop("Backfilling", None)
            if entry.get("IndexStatus") != "DELETING":
                count, size = counts(txn, meta_db, index) if index is not None else (0, 0)
                entry["IndexSizeBytes"] = size
                entry["ItemCount"] = count
            described.append(_ordered(entry))
        out[field] = described
    return out


def with_indexes(description: dict[str, Any], table: Table, txn: Any, meta_db: Any) -> None:
    """Put the described index lists into a public table description (omitting empty ones)."""
    for field, described in describe_indexes(table, txn, meta_db).items():
        if described:
            description[field] = described
        else:
            description.pop(field, None)


_ORDER: Final = ("IndexName", "KeySchema", "Projection", "IndexStatus", "Backfilling", "ProvisionedThroughput",
                 "IndexSizeBytes", "ItemCount", "IndexArn")


def _ordered(entry: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {k: entry[k] for k in _ORDER if k in entry}
    out.update((k, v) for k, v in entry.items() if k not in out)
    return out


# ---------------------------------------------------------------- UpdateTable GlobalSecondaryIndexUpdates


def _check_redefinition(table: Table, spec: dict[str, Any], definitions: list[dict[str, Any]]) -> None:
    """A new index may not give a key attribute another type than the table already declares: every
    write must satisfy one type per attribute."""
    declared = {d["AttributeName"]: d["AttributeType"] for d in table.description["AttributeDefinitions"]}
    given = {d["AttributeName"]: d["AttributeType"] for d in definitions}
    for element in spec["KeySchema"]:
        name = element["AttributeName"]
        if name in declared and name in given and given[name] != declared[name]:
            old_key = next((k["KeyType"] for s in _key_schemas(table) for k in s if k["AttributeName"] == name),
                           element["KeyType"])
            raise errors.invalid_parameters(
                "Attributes cannot be redefined. Please check that your attribute has the same type as previously "
                f"defined. Existing schema: Schema:[SchemaElement: key{{{name}:{declared[name]}:{old_key}}}] "
                f"New schema: Schema:[SchemaElement: key{{{name}:{given[name]}:{element['KeyType']}}}]"
            )


def _key_schemas(table: Table) -> list[list[dict[str, Any]]]:
    """The key schemas of the table and of each of its indexes."""
    description = table.description
    return [description["KeySchema"], *(s["KeySchema"] for f in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")
                                        for s in description.get(f) or ())]


def validate_updates(table: Table, request: dict[str, Any], mode: str) -> list[tuple[str, dict[str, Any]]]:
    """Check GlobalSecondaryIndexUpdates against the table; return ``[(action, spec)]``."""
    updates: list[dict[str, Any]] | None = request.get("GlobalSecondaryIndexUpdates")
    if updates is None:
        return []
    if not updates:
        raise errors.invalid_parameters("List of GlobalSecondaryIndexUpdates is empty")
    actions: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    for update in updates:
        given = [(k, update[k]) for k in ("Update", "Create", "Delete") if update.get(k) is not None]
        if not given:
            raise errors.invalid_parameters(
                "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, "
                "GlobalSecondaryIndexUpdate.Delete must not be null"
            )
        if len(given) > 1:
            raise errors.invalid_parameters(
                "Only one global secondary index action is allowed per GlobalSecondaryIndexUpdate object"
            )
        action, spec = given[0]
        name = spec["IndexName"]
        if name in seen:
            raise errors.invalid_parameters(
                f"Only one global secondary index update per index is allowed simultaneously. Index: {name}"
            )
        seen.add(name)
        actions.append((action, spec))
    online = [a for a in actions if a[0] in ("Create", "Delete")]
    busy = any(i.state.status in ("CREATING", "DELETING") for i in table.indexes)
    if len(online) > 1 or (online and busy):
        raise errors.limit_exceeded(
            "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table"
        )
    existing = {i.name: i for i in table.indexes if i.state.status != "GONE"}
    definitions = request.get("AttributeDefinitions")
    for action, spec in actions:
        name = spec["IndexName"]
        if action == "Create":
            if name in existing:
                raise errors.validation("Attempting to create an index which already exists")
            if definitions is None:
                raise errors.invalid_parameters(f"AttributeDefinitions is not specified for index: {name}")
            merged = {d["AttributeName"]: d["AttributeType"] for d in table.description["AttributeDefinitions"]}
            for d in definitions:
                merged.setdefault(d["AttributeName"], d["AttributeType"])
            _check_index_schema(spec, list(merged))
            _check_redefinition(table, spec, definitions)
            _check_projection(spec)
            if mode == "PROVISIONED" and spec.get("ProvisionedThroughput") is None:
                raise errors.invalid_parameters(f"ProvisionedThroughput must be specified for index: {name}")
            if mode == "PAY_PER_REQUEST" and spec.get("ProvisionedThroughput") is not None:
                raise errors.invalid_parameters(
                    f"Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for index: {name} when "
                    "BillingMode is PAY_PER_REQUEST"
                )
            if sum(1 for i in existing.values() if i.is_global) >= MAX_GSIS:
                raise errors.limit_exceeded(
                    f"One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table "
                    f"limit of {MAX_GSIS}"
                )
            projected = sum(len(s["Projection"].get("NonKeyAttributes") or ()) for f in (
                "LocalSecondaryIndexes", "GlobalSecondaryIndexes") for s in table.description.get(f) or ())
            if projected + len(spec["Projection"].get("NonKeyAttributes") or ()) > MAX_NON_KEY_ATTRIBUTES:
                raise errors.invalid_parameters(
                    f"Number of projected attributes in all indexes exceeds limit of {MAX_NON_KEY_ATTRIBUTES}"
                )
        else:
            index = existing.get(name)
            if index is None:
                raise errors.resource_not_found()
            if not index.is_global:
                verb = "delete" if action == "Delete" else "update"
                raise errors.validation(f"Cannot {verb} an index that is not a GlobalSecondaryIndex: {name}")
            if action == "Update" and mode == "PAY_PER_REQUEST" and spec.get("ProvisionedThroughput") is not None:
                raise errors.invalid_parameters(
                    f"Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for index: {name} "
                    "when BillingMode is PAY_PER_REQUEST"
                )
    return actions


def apply_updates(description: dict[str, Any], actions: list[tuple[str, dict[str, Any]]],
                  definitions: list[dict[str, Any]] | None, mode: str, table_arn: str, now: float
                  ) -> list[tuple[str, bool]]:
    """Apply validated GSI actions to a description (inside the writer job, after
    :func:`sync_stored_indexes`); return the background work to start: ``[(index name, drop)]``."""
    work: list[tuple[str, bool]] = []
    gsis = list(description.get("GlobalSecondaryIndexes") or [])
    numbers = dict(description.get("_IndexNumbers") or {})
    next_number = int(description.get("_NextIndex") or (max(numbers.values(), default=0) + 1))
    for action, spec in actions:
        name = spec["IndexName"]
        if action == "Create":
            known = {d["AttributeName"] for d in description["AttributeDefinitions"]}
            wanted = set(_key_names(spec["KeySchema"]))
            description["AttributeDefinitions"] = description["AttributeDefinitions"] + [
                {"AttributeName": d["AttributeName"], "AttributeType": d["AttributeType"]}
                for d in definitions or () if d["AttributeName"] in wanted and d["AttributeName"] not in known
            ]
            gsis.append(public_gsi(spec, mode, table_arn, "CREATING"))
            numbers[name] = next_number
            next_number += 1
            work.append((name, False))
            continue
        for i, gsi in enumerate(gsis):
            if gsi["IndexName"] != name:
                continue
            gsi = copy.deepcopy(gsi)
            if action == "Delete":
                gsi["IndexStatus"] = "DELETING"
                gsi.pop("Backfilling", None)
                work.append((name, True))
            elif spec.get("ProvisionedThroughput") is not None:
                old = gsi.setdefault("ProvisionedThroughput", {"NumberOfDecreasesToday": 0})
                read = int(spec["ProvisionedThroughput"]["ReadCapacityUnits"])
                write = int(spec["ProvisionedThroughput"]["WriteCapacityUnits"])
                if (read, write) == (old.get("ReadCapacityUnits"), old.get("WriteCapacityUnits")):
                    raise errors.validation(
                        f"The provisioned throughput for the index {name} will not change. The requested value "
                        f"equals the current value. Current ReadCapacityUnits provisioned for index {name}: "
                        f"{read}. Requested ReadCapacityUnits: {read}. Current WriteCapacityUnits provisioned "
                        f"for index {name}: {write}. Requested WriteCapacityUnits: {write}. Refer to the Amazon "
                        "DynamoDB Developer Guide for current limits and how to request higher limits."
                    )
                if read > old.get("ReadCapacityUnits", 0) or write > old.get("WriteCapacityUnits", 0):
                    old["LastIncreaseDateTime"] = now
                if read < old.get("ReadCapacityUnits", 0) or write < old.get("WriteCapacityUnits", 0):
                    old["LastDecreaseDateTime"] = now
                    old["NumberOfDecreasesToday"] = old.get("NumberOfDecreasesToday", 0) + 1
                old.update(ReadCapacityUnits=read, WriteCapacityUnits=write)
            gsis[i] = gsi
    if gsis:
        description["GlobalSecondaryIndexes"] = gsis
    description["_IndexNumbers"] = numbers
    description["_NextIndex"] = next_number
    return work
