"""Table metadata: what tables exist, their keys, and the stored table description.

Each table's description (the DynamoDB ``TableDescription`` minus the live counters) is stored in
the ``meta`` sub-database under ``t/<name>`` and cached in memory as a :class:`Table`. Changes to
the catalog happen inside writer transactions; the in-memory cache is swapped only after the
commit (``WriteContext.after_commit``), so readers never see a table that is not on disk.

Live counters (ItemCount, TableSizeBytes) live under ``c/<table id>`` and are updated once per
group commit with the net change of the batch, so they cost one put per table per commit.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from dynaflow.engine import errors, keys, streams, throttle, ttl
from dynaflow.engine.indexes import Index, Maintainer, check_item, counter_keys, indexes_from_description
from dynaflow.engine.values import (
    MAX_PARTITION_KEY_SIZE,
    MAX_SORT_KEY_SIZE,
    AttributeValue,
    Item,
    value_size,
)

_TABLE: Final = b"t/"
_COUNTER: Final = b"c/"
_NEXT_ID: Final = b"n/table-id"
_COUNTS: Final = struct.Struct(">qq")
_TYPE_NAMES: Final = {"S": "S", "N": "N", "B": "B"}

KeyAttr = tuple[str, str]


@dataclass(frozen=True)
class Table:
    """An immutable snapshot of one table's metadata."""

    name: str
    table_id: int
    hash_key: KeyAttr
    range_key: KeyAttr | None
    description: dict[str, Any] = field(compare=False)
    #: Called with (WriteContext, Change) for every change of an item of this table, inside the
    #: write transaction: secondary-index maintenance and stream records (see ``changes.py``).
    observers: tuple[Callable[[Any, Any], None], ...] = field(default=(), compare=False)
    #: Secondary indexes (``indexes.py``); empty for most tables, which then pay nothing for them.
    indexes: tuple[Index, ...] = field(default=(), compare=False)

    #: Derived in ``__post_init__``: the LMDB key prefix of the table and its key attribute names.
    prefix: bytes = field(init=False, compare=False)
    key_names: tuple[str, ...] = field(init=False, compare=False)
    #: PROVISIONED: operations consult the engine's token buckets (``throttle.py``).
    limited: bool = field(init=False, compare=False)
    #: ``keys.key_builder`` for this table's key types: the LMDB key of a valid, canonical key or
    #: item, else None (the caller then takes the checked path).
    fast_key: Callable[[Item], bytes | None] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "prefix", keys.table_prefix(self.table_id))
        object.__setattr__(self, "fast_key", keys.key_builder(self.prefix, self.hash_key, self.range_key))
        names = (self.hash_key[0],) if self.range_key is None else (self.hash_key[0], self.range_key[0])
        object.__setattr__(self, "key_names", names)
        object.__setattr__(self, "limited", throttle.is_limited(self.description))

    @property
    def observed(self) -> bool:
        return bool(self.observers)

    @property
    def schema(self) -> tuple[KeyAttr, KeyAttr | None]:
        return (self.hash_key, self.range_key)

    # ------------------------------------------------------------ keys

    def key_from_item(self, item: Item) -> bytes:
        """LMDB key of a full item (PutItem), with DynamoDB's checks on key attributes."""
        fast = self.fast_key(item)
        if fast is not None:
            if self.indexes:
                check_item(self.indexes, item)
            return fast
        pk = self._key_attr(item, self.hash_key, missing="item")
        sk = self._key_attr(item, self.range_key, missing="item") if self.range_key else None
        key = keys.item_key(self.prefix, pk, sk)
        if self.indexes:
            check_item(self.indexes, item)
        return key

    def key_from_key(self, key: Item) -> bytes:
        """LMDB key of a ``Key`` parameter (GetItem, DeleteItem, UpdateItem...)."""
        if len(key) == len(self.key_names):
            fast = self.fast_key(key)
            if fast is not None:
                return fast
        if len(key) != len(self.key_names) or any(n not in key for n in self.key_names):
            raise errors.validation("The provided key element does not match the schema")
        pk = self._key_attr(key, self.hash_key, missing="key")
        sk = self._key_attr(key, self.range_key, missing="key") if self.range_key else None
        return keys.item_key(self.prefix, pk, sk)

    def extract_key(self, item: Item) -> Item:
        return {name: item[name] for name in self.key_names}

    def _key_attr(self, item: Item, attr: KeyAttr | None, *, missing: str) -> AttributeValue:
        assert attr is not None
        name, type_ = attr
        av = item.get(name)
        if av is None:
            if missing == "item":
                raise errors.invalid_parameters(f"Missing the key {name} in the item")
            raise errors.validation("The provided key element does not match the schema")
        if type_ not in av:
            if missing == "key":
                raise errors.validation("The provided key element does not match the schema")
            actual = next(iter(av))
            raise errors.invalid_parameters(f"Type mismatch for key {name} expected: {type_} actual: {actual}")
        value = av[type_]
        if not value and type_ != "N":
            raise errors.validation(
                "One or more parameter values are not valid. The AttributeValue for a key attribute "
                f"cannot contain an empty {'string' if type_ == 'S' else 'binary'} value. Key: {name}"
            )
        if attr is self.hash_key:
            if value_size(av) > MAX_PARTITION_KEY_SIZE:
                raise errors.invalid_parameters(
                    "Size of hashkey has exceeded the maximum size limit of2048 bytes"
                )
        elif value_size(av) > MAX_SORT_KEY_SIZE:
            raise errors.invalid_parameters(
                "Aggregated size of all range keys has exceeded the size limit of 1024 bytes"
            )
        return av


def table_from_description(description: dict[str, Any]) -> Table:
    types = {d["AttributeName"]: d["AttributeType"] for d in description["AttributeDefinitions"]}
    hash_key: KeyAttr | None = None
    range_key: KeyAttr | None = None
    for element in description["KeySchema"]:
        attr = (element["AttributeName"], types[element["AttributeName"]])
        if element["KeyType"] == "HASH":
            hash_key = attr
        else:
            range_key = attr
    assert hash_key is not None
    indexes = indexes_from_description(description, hash_key, range_key)
    return Table(
        name=description["TableName"],
        table_id=int(description["_Id"]),
        hash_key=hash_key,
        range_key=range_key,
        description=description,
        observers=(*((Maintainer(indexes),) if indexes else ()), *_observers(description)),
        indexes=indexes,
    )


def _observers(description: dict[str, Any]) -> tuple[Callable[[Any, Any], None], ...]:
    """The change observers a table's description calls for (indexes, stream)."""
    return (*ttl.observers(description), *streams.observers(description))


class Catalog:
    """In-memory view of the stored table descriptions."""

    def __init__(self) -> None:
        self.tables: dict[str, Table] = {}

    def load(self, txn: Any, meta_db: Any) -> None:
        cursor = txn.cursor(db=meta_db)
        tables = {}
        if cursor.set_range(_TABLE):
            for key, value in cursor:
                if not key.startswith(_TABLE):
                    break
                table = table_from_description(orjson.loads(value))
                tables[table.name] = table
        self.tables = tables

    def forget(self, name: str) -> None:
        self.tables.pop(name, None)

    def get(self, name: str) -> Table:
        table = self.tables.get(name)
        if table is None:
            raise errors.table_not_found(name)
        return table

    # ------------------------------------------------------------ writes (inside a writer txn)

    @staticmethod
    def allocate_id(txn: Any, meta_db: Any) -> int:
        raw = txn.get(_NEXT_ID, db=meta_db)
        table_id = int(raw) if raw else 1
        txn.put(_NEXT_ID, str(table_id + 1).encode(), db=meta_db)
        return table_id

    @staticmethod
    def exists(txn: Any, meta_db: Any, name: str) -> bool:
        return txn.get(_TABLE + name.encode(), db=meta_db) is not None

    @staticmethod
    def stored(txn: Any, meta_db: Any, name: str) -> dict[str, Any] | None:
        """The description of ``name`` as stored in ``txn`` (None if there is none)."""
        raw = txn.get(_TABLE + name.encode(), db=meta_db)
        return None if raw is None else dict(orjson.loads(raw))

    @staticmethod
    def store(txn: Any, meta_db: Any, description: dict[str, Any]) -> None:
        txn.put(_TABLE + description["TableName"].encode(), orjson.dumps(description), db=meta_db)

    @staticmethod
    def remove(txn: Any, meta_db: Any, table: Table) -> None:
        txn.delete(_TABLE + table.name.encode(), db=meta_db)
        txn.delete(_COUNTER + keys.table_prefix(table.table_id), db=meta_db)
        for key in counter_keys(table.indexes):
            txn.delete(key, db=meta_db)

    @staticmethod
    def counts(txn: Any, meta_db: Any, table_id: int) -> tuple[int, int]:
        raw = txn.get(_COUNTER + keys.table_prefix(table_id), db=meta_db)
        if raw is None:
            return 0, 0
        count, size = _COUNTS.unpack(raw)
        return int(count), int(size)

    @staticmethod
    def set_counts(txn: Any, meta_db: Any, table_id: int, count: int, size: int) -> None:
        """Store the table's figures (``table_counts.py`` decides when)."""
        txn.put(_COUNTER + keys.table_prefix(table_id), _COUNTS.pack(count, size), db=meta_db)
