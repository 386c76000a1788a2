"""Checkpoints: which offsets may be committed, and in which order things happen before that.

A :class:`Checkpoint` covers one micro-batch. Its commit order, the ingest delivery guarantee:

1. flush the sink: every mutation of the batch is acknowledged by the table, or listed as failed;
2. flush the dead-letter store: every failed or unparseable record is durably stored there (a Kafka
   dead-letter topic's producer is flushed and every delivery verified);
3. commit offsets: per partition, one past the highest offset of the batch, synchronously;
4. (no local state to flush: the table is the state).

Before step 1 the batch's highest offset per partition is recorded as a write intent
(:class:`ProgressStore`), so whoever reads the partition next knows which records may already be in
the table and must be written conditionally.

A step that fails leaves the checkpoint ``FAILED`` and nothing is committed: the records are read
again by whoever owns the partition next, and rewriting them is idempotent (same key, same item).

States: ``OPEN`` (records being added) -> ``WRITTEN`` (steps 1-2 done) -> ``COMMITTED``; any ->
``FAILED``. Methods check the state on entry, so a checkpoint cannot be committed twice or before
its writes.
"""

from __future__ import annotations

import asyncio
import enum
from typing import Any

from dynaflow.dynamo.client import DynamoClient
from dynaflow.pipelines.model import Record

__all__ = ["Checkpoint", "CheckpointState", "InvalidCheckpointState", "ProgressStore"]


class CheckpointState(enum.Enum):
    OPEN = "open"
    WRITTEN = "written"
    COMMITTED = "committed"
    FAILED = "failed"


class InvalidCheckpointState(RuntimeError):
    pass


class Checkpoint:
    """The offsets of one micro-batch and its progress through the commit order."""

    __slots__ = ("offsets", "records", "state")

    def __init__(self) -> None:
        self.offsets: dict[tuple[str, int], int] = {}
        self.records = 0
        self.state = CheckpointState.OPEN

    def _expect(self, *states: CheckpointState) -> None:
        if self.state not in states:
            raise InvalidCheckpointState(f"checkpoint is {self.state.value}, expected "
                                         f"{' or '.join(s.value for s in states)}")

    def add(self, records: list[Record]) -> None:
        self._expect(CheckpointState.OPEN)
        offsets = self.offsets
        for record in records:  # records of a partition arrive in offset order
            offsets[(record.topic, record.partition)] = record.offset + 1
        self.records += len(records)

    def drop_partitions(self, partitions: set[tuple[str, int]]) -> None:
        """Forget revoked partitions: their records are someone else's now."""
        for tp in partitions:
            self.offsets.pop(tp, None)

    def written(self) -> None:
        self._expect(CheckpointState.OPEN)
        self.state = CheckpointState.WRITTEN

    def committed(self) -> None:
        self._expect(CheckpointState.WRITTEN)
        self.state = CheckpointState.COMMITTED

    def failed(self) -> None:
        self.state = CheckpointState.FAILED


class ProgressStore:
    """Write intents: the highest offset per partition that a writer may have written.

    Before a batch's writes start, the ingester records, per partition, the highest offset in the
    batch (``mark``). A process that is later assigned the partition reads it (``intents``): records
    up to that offset may already be in the table, written by the previous owner past its last
    commit, so they are replays and are written conditionally on the version attribute. Records
    beyond it cannot have been written by anyone and take the fast unconditional path. Items live in
    a dynaflow-owned table (``_dynaflow_progress``), key ``group|topic|partition``.
    """

    def __init__(self, client: DynamoClient, group: str, table: str = "_dynaflow_progress") -> None:
        self.client = client
        self.group = group
        self.table = table
        self._ready = False
        self._marked: dict[tuple[str, int], int] = {}

    def _key(self, tp: tuple[str, int]) -> str:
        return f"{self.group}|{tp[0]}|{tp[1]}"

    async def ensure(self) -> None:
        if not self._ready:
            from dynaflow.pipelines.deadletter import ensure_table

            await ensure_table(self.client, self.table, "partition")
            self._ready = True

    async def mark(self, highest: dict[tuple[str, int], int]) -> None:
        """Durably record ``highest`` offset per partition before writing up to it."""
        await self.ensure()
        marked = self._marked
        for tp, offset in highest.items():  # never lower a mark, whichever concurrent batch writes last
            marked[tp] = max(offset, marked.get(tp, -1))
        requests = [{"PutRequest": {"Item": {"partition": {"S": self._key(tp)}, "intent": {"N": str(marked[tp])}}}}
                    for tp in highest]
        for i in range(0, len(requests), 25):
            pending: list[dict[str, Any]] = requests[i:i + 25]
            for attempt in range(1, 1000):
                response = await self.client.call("BatchWriteItem", {"RequestItems": {self.table: pending}})
                pending = (response.get("UnprocessedItems") or {}).get(self.table) or []
                if not pending:
                    break
                await asyncio.sleep(min(1.0, 0.01 * attempt))

    async def intents(self, partitions: list[tuple[str, int]]) -> dict[tuple[str, int], int]:
        """The recorded intent per partition (-1 where none was recorded)."""
        await self.ensure()
        found = {tp: -1 for tp in partitions}
        by_key = {self._key(tp): tp for tp in partitions}
        keys = list(by_key)
        for i in range(0, len(keys), 100):
            pending: dict[str, Any] = {self.table: {
                "Keys": [{"partition": {"S": k}} for k in keys[i:i + 100]], "ConsistentRead": True}}
            while pending:
                response = await self.client.call("BatchGetItem", {"RequestItems": pending})
                for item in response.get("Responses", {}).get(self.table, []):
                    found[by_key[item["partition"]["S"]]] = int(item["intent"]["N"])
                pending = response.get("UnprocessedKeys") or {}
        return found
