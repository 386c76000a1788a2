"""ItemCollectionMetrics: the size of the item collection a write touched.

An item collection is every item of one partition key value in a table that has local secondary
indexes, together with those items' LSI entries; DynamoDB caps it at 10 GB. A write asked with
``ReturnItemCollectionMetrics=SIZE`` on such a table reports the collection's key and an estimate
of its size as ``[lower, upper]`` GB bounds. The size is measured here, inside the write's
transaction (the partition's records and LSI entries, each sized from its stored header), and
reported as the whole-gigabyte range that holds it. Tables without LSIs have no item collections
and report nothing, as in DynamoDB.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

from dynaflow.engine import keys, records
from dynaflow.engine.catalog import Table
from dynaflow.engine.values import Item

_GB = float(1 << 30)


def metrics(txn: Any, env: Any, table: Table, item: Item | None) -> dict[str, Any] | None:
    """``{"ItemCollectionKey", "SizeEstimateRangeGB"}`` of ``item``'s collection, or None when
    the table has no LSI (or there is no item to name the collection)."""
    lsis = [index for index in table.indexes if not index.is_global and index.state.status != "GONE"]
    if not lsis or item is None:
        return None
    hash_name = table.hash_key[0]
    hash_value = item.get(hash_name)
    if hash_value is None:
        return None
    size = _prefix_size(txn, env.items, keys.partition_prefix(table.prefix, hash_value))
    for index in lsis:
        size += _prefix_size(txn, env.index, index.partition_prefix(hash_value))
    low = float(math.floor(size / _GB))
    return {"ItemCollectionKey": {hash_name: hash_value}, "SizeEstimateRangeGB": [low, low + 1.0]}


class Touched:
    """The item collections a multi-item write (BatchWriteItem, TransactWriteItems) wrote to, one
    per table and partition key value, reported as DynamoDB's ``{table: [metrics, ...]}``."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[str, dict[bytes, tuple[Table, Item]]] = {}

    def note(self, table: Table, item: Item | None) -> None:
        """``item`` (any item of the collection, or its key) was written in ``table``."""
        if item is None or not table.indexes:
            return
        partition = orjson.dumps(item.get(table.hash_key[0]))
        self._seen.setdefault(table.name, {})[partition] = (table, item)

    def report(self, txn: Any, env: Any, out: Any) -> dict[str, list[dict[str, Any]]]:
        reported: dict[str, list[dict[str, Any]]] = {}
        for name, touched in self._seen.items():
            for table, item in touched.values():
                collection = metrics(txn, env, table, item)
                if collection is not None:
                    collection["ItemCollectionKey"] = out.item(collection["ItemCollectionKey"])
                    reported.setdefault(name, []).append(collection)
        return reported


def _prefix_size(txn: Any, db: Any, prefix: bytes) -> int:
    cursor = txn.cursor(db=db)
    total = 0
    if cursor.set_range(prefix):
        for key, value in cursor:
            if not key.startswith(prefix):
                break
            total += records.item_size(value)
    return total
