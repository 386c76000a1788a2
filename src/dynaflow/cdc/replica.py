"""The replication sink: apply changes to a table on another endpoint, idempotent and ordered per item.

Every replica item carries the source sequence number of the change that wrote it, in
``_dynaflow_seq`` (40-digit, zero-padded text, so string order is numeric order). Each write is a
conditional ``PutItem``::

    attribute_not_exists(_dynaflow_seq) OR _dynaflow_seq < :seq

so an older change (a replay after a crash, a retry that raced a newer write, a snapshot row read
before a stream change) can never overwrite a newer one; a failed condition means "already newer"
and counts as applied. Deletes — including TTL deletes — write a *tombstone*: the key, the
sequence number and ``_dynaflow_deleted = true``, so a replayed older put meets a newer sequence
number and cannot resurrect the row. Tombstones carry ``_dynaflow_expires`` (epoch seconds, after
the stream's retention plus a margin); enable TTL on that attribute on the replica to reclaim them.
Readers of a replica skip rows with ``_dynaflow_deleted`` (parity does).

No schema is declared: the stream's NewImage is written whole, whatever attributes it carries.

Two write modes:

* ``single`` (default): one conditional ``PutItem`` per item, ``concurrency`` at a time;
* ``transact``: conditional puts grouped 100 at a time in ``TransactWriteItems`` — one request per
  100 changes, a batch's requests in flight together; a cancelled transaction whose reasons are
  only ``ConditionalCheckFailed`` is retried without the stale items. Fewer round trips on a
  remote endpoint; on AWS a transaction costs twice the write capacity.

Each write is first guarded by the batch's lowest sequence number, one value for the whole batch
(so a compiled-request cache on the endpoint serves every write of the batch), and retried with the
item's own number only when that stricter guard stops it — see :meth:`ReplicaSink.apply`.

Within a batch only the last change of each item is written (the earlier ones would be overwritten
by it anyway), which also keeps one item out of a transaction twice.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Sequence
from typing import Any, Final, Literal

import orjson

from dynaflow.cdc.model import SNAPSHOT_SEQ, Change, Item
from dynaflow.cdc.retry import error_code, error_extra
from dynaflow.dynamo.client import DynamoClient

SEQ_ATTRIBUTE: Final = "_dynaflow_seq"
TOMBSTONE_ATTRIBUTE: Final = "_dynaflow_deleted"
EXPIRES_ATTRIBUTE: Final = "_dynaflow_expires"
#: Everything the sink adds to a replica item (parity's DEFAULT_IGNORED must include these).
BOOKKEEPING: Final = frozenset({SEQ_ATTRIBUTE, TOMBSTONE_ATTRIBUTE, EXPIRES_ATTRIBUTE})

_NEWER: Final = "attribute_not_exists(#s) OR #s < :s"
_ABSENT: Final = "attribute_not_exists(#s)"
#: Every write names the sequence attribute the same way: one shared (never mutated) mapping.
_NAMES: Final = {"#s": SEQ_ATTRIBUTE}
_TRANSACTION_ITEMS: Final = 100
_TRANSACTION_BYTES: Final = 3_500_000
#: What a replica write adds to the change's ``SizeBytes`` in a transaction's 4 MB budget, at most:
#: the bookkeeping attributes, the condition and its value (a tombstone's are the largest, ~150).
_WRITE_OVERHEAD: Final = 512

WriteMode = Literal["single", "transact"]


def key_id(keys: Item) -> bytes:
    """A hashable identity of a key as the stream renders it (binary values as base64)."""
    return orjson.dumps(keys, option=orjson.OPT_SORT_KEYS, default=_b64)


def _b64(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(type(value).__name__)


class ReplicaSink:
    """Apply stream changes, snapshot rows and repairs to ``table`` through ``client``."""

    def __init__(self, client: DynamoClient, table: str, *, mode: WriteMode = "single", concurrency: int = 32,
                 tombstone_retention: float = 48 * 3600.0) -> None:
        self.client, self.table, self.mode = client, table, mode
        self.tombstone_retention = tombstone_retention
        self._gate = asyncio.Semaphore(concurrency)
        self._transaction_gate = asyncio.Semaphore(concurrency)
        #: Writes skipped because the replica already held a newer change (replays, snapshot overlap).
        self.stale = 0

    # ------------------------------------------------------------ building writes

    def tombstone(self, keys: Item, seq: str) -> Item:
        return {**keys, SEQ_ATTRIBUTE: {"S": seq}, TOMBSTONE_ATTRIBUTE: {"BOOL": True},
                EXPIRES_ATTRIBUTE: {"N": str(int(time.time() + self.tombstone_retention))}}

    def _item_of(self, change: Change) -> Item:
        if change.new_image is None:
            return self.tombstone(change.keys, change.seq)
        return {**change.new_image, SEQ_ATTRIBUTE: {"S": change.seq}}

    def _put(self, item: Item, seq: str, condition: str = _NEWER, values: Item | None = None) -> dict[str, Any]:
        """A conditional put of ``item``; ``values`` may pass ``{":s": {"S": seq}}`` built once per batch."""
        request: dict[str, Any] = {"TableName": self.table, "Item": item, "ConditionExpression": condition,
                                   "ExpressionAttributeNames": _NAMES}
        if ":s" in condition:
            request["ExpressionAttributeValues"] = values if values is not None else {":s": {"S": seq}}
        return request

    # ------------------------------------------------------------ applying

    async def apply(self, changes: Sequence[Change]) -> None:
        """Durably apply ``changes`` (in stream order); returns once every one is on the replica.

        Every write of a batch is first conditioned on the batch's *lowest* sequence number
        (``#s < :floor``), the same value for all of them: an endpoint that caches compiled requests
        (dynaflow does) compiles the condition once per batch instead of once per item. The floor
        guard is stricter than the item's own (``floor <= seq``), so a write it lets through is
        always right; one it stops (the replica holds something at least as new as the floor: a
        replay, an overlap with another worker) is retried with the item's own sequence number, which
        decides exactly as before.
        """
        latest: dict[bytes, Change] = {}
        for change in changes:
            latest[key_id(change.keys)] = change
        kept = list(latest.values())
        floor = min(c.seq for c in kept) if kept else SNAPSHOT_SEQ
        guard = {":s": {"S": floor}}
        writes = [self._put(self._item_of(c), floor, values=guard) for c in kept]
        exact = [c.seq for c in kept]
        if self.mode == "transact" and len(writes) > 1:
            await self._transact(writes, exact, [c.size for c in kept])
        else:
            await self._singles(writes, exact)

    async def copy(self, items: Sequence[Item]) -> None:
        """Write snapshot rows: only where the replica holds nothing for the key yet."""
        await self._singles([self._put({**item, SEQ_ATTRIBUTE: {"S": SNAPSHOT_SEQ}}, SNAPSHOT_SEQ, _ABSENT)
                             for item in items])

    async def repair(self, keys: Item, item: Item | None) -> None:
        """Make the replica row equal to ``item`` (None: deleted) unless a change lands meanwhile.

        The row keeps the sequence number it had, so the stream's later changes still win and its
        older ones still lose; the write is conditional on that number being unchanged.
        """
        found = await self.client.call("GetItem", {
            "TableName": self.table, "Key": keys, "ConsistentRead": True,
            "ProjectionExpression": "#s", "ExpressionAttributeNames": {"#s": SEQ_ATTRIBUTE},
        })
        current = (found.get("Item") or {}).get(SEQ_ATTRIBUTE, {}).get("S")
        seq = current or SNAPSHOT_SEQ
        written = self.tombstone(keys, seq) if item is None else {**item, SEQ_ATTRIBUTE: {"S": seq}}
        condition = "#s = :s" if current else _ABSENT
        await self._singles([self._put(written, seq, condition)])

    async def _one(self, request: dict[str, Any], exact: str | None = None) -> None:
        """One conditional put; a failed floor guard is retried with the item's own number ``exact``."""
        async with self._gate:
            try:
                await self.client.call("PutItem", request)
                return
            except Exception as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise
                if exact is None or exact == request["ExpressionAttributeValues"][":s"]["S"]:
                    self.stale += 1
                    return
            try:
                await self.client.call("PutItem", {**request, "ExpressionAttributeValues": {":s": {"S": exact}}})
            except Exception as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise
                self.stale += 1

    async def _singles(self, writes: list[dict[str, Any]], exact: Sequence[str | None] | None = None) -> None:
        seqs: Sequence[str | None] = exact if exact is not None else [None] * len(writes)
        if len(writes) == 1:
            await self._one(writes[0], seqs[0])
            return
        results = await asyncio.gather(*(self._one(w, e) for w, e in zip(writes, seqs, strict=True)),
                                       return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _transact(self, writes: list[dict[str, Any]], exact: list[str], sizes: list[int | None]) -> None:
        """Group ``writes`` into transactions of at most 100 items and ~3.5 MB of DynamoDB size
        (the limit is 4 MB), and send them all at once (up to ``concurrency`` in flight). A change's
        stream record states its size (``SizeBytes``: keys and images, so at least the written
        item's); a write without one is weighed by its JSON.

        The transactions of one batch hold different items (the batch keeps one change per item)
        and every write is guarded by sequence numbers, so their order does not matter; sent one
        after another, the endpoint idled for every round trip (~17 % of a target server's time).
        """
        chunks: list[list[tuple[dict[str, Any], str]]] = []
        chunk: list[tuple[dict[str, Any], str]] = []
        size = 0
        for write, seq, stated in zip(writes, exact, sizes, strict=True):
            weight = (stated + _WRITE_OVERHEAD if stated is not None
                      else len(orjson.dumps(write["Item"], default=_b64)))
            if chunk and (len(chunk) >= _TRANSACTION_ITEMS or size + weight > _TRANSACTION_BYTES):
                chunks.append(chunk)
                chunk, size = [], 0
            chunk.append((write, seq))
            size += weight
        if chunk:
            chunks.append(chunk)
        if len(chunks) == 1:
            await self._transaction(chunks[0])
            return
        results = await asyncio.gather(*(self._gated_transaction(c) for c in chunks), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _gated_transaction(self, writes: list[tuple[dict[str, Any], str]]) -> None:
        # A gate of its own: the single puts a transaction falls back to take ``_gate``.
        async with self._transaction_gate:
            await self._transaction(writes)

    async def _transaction(self, writes: list[tuple[dict[str, Any], str]]) -> None:
        guarded: list[tuple[dict[str, Any], str]] = []  # stopped by the floor guard: decided one by one
        while len(writes) > 1:
            try:
                await self.client.call("TransactWriteItems", {"TransactItems": [{"Put": w} for w, _ in writes]})
                writes = []
                break
            except Exception as exc:
                reasons = error_extra(exc, "CancellationReasons")
                if error_code(exc) != "TransactionCanceledException" or not reasons:
                    raise
                codes = [r.get("Code", "None") for r in reasons]
                if any(c not in ("None", "ConditionalCheckFailed") for c in codes):
                    raise
                guarded += [w for w, c in zip(writes, codes, strict=True) if c == "ConditionalCheckFailed"]
                writes = [w for w, c in zip(writes, codes, strict=True) if c != "ConditionalCheckFailed"]
        await self._singles([w for w, _ in writes + guarded], [e for _, e in writes + guarded])
