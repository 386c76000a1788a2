"""Checkpoints: which offsets may be committed, and in which order things happen before that.

A :class:`Checkpoint` covers one micro-batch. Its commit order, the ingest delivery guarantee:

1. flush the sink: every mutation of the batch is acknowledged by the table, or listed as failed;
2. flush the dead-letter store: every failed or unparseable record is durably stored there (a Kafka
   dead-letter topic's producer is flushed and every delivery verified);
3. commit offsets: per partition, one past the highest offset of the batch, in batch order; the
   :class:`OffsetCommitter` runs one synchronous commit at a time, merging the batches written
   while the previous commit was in flight;
4. (no local state to flush: the table is the state).

Before step 1 a durable write intent must cover the batch's highest offset per partition
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
import logging
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaException

from dynaflow.dynamo.client import DynamoClient
from dynaflow.pipelines.model import Record

__all__ = ["Checkpoint", "CheckpointState", "InvalidCheckpointState", "OffsetCommitter", "ProgressStore"]

log = logging.getLogger(__name__)


class CheckpointState(enum.Enum):
    OPEN = "open"
    WRITTEN = "written"
    COMMITTED = "committed"
    FAILED = "failed"


class InvalidCheckpointState(RuntimeError):
    pass


class Checkpoint:
    """The offsets of one micro-batch and its progress through the commit order."""

    __slots__ = ("lowest", "offsets", "records", "state")

    def __init__(self) -> None:
        #: Per partition: the offset to commit (one past the highest record).
        self.offsets: dict[tuple[str, int], int] = {}
        #: Per partition: the lowest offset of the batch.
        self.lowest: dict[tuple[str, int], int] = {}
        self.records = 0
        self.state = CheckpointState.OPEN

    def _expect(self, *states: CheckpointState) -> None:
        if self.state not in states:
            raise InvalidCheckpointState(f"checkpoint is {self.state.value}, expected "
                                         f"{' or '.join(s.value for s in states)}")

    def add(self, records: list[Record]) -> None:
        self._expect(CheckpointState.OPEN)
        offsets, lowest = self.offsets, self.lowest
        for record in records:  # records of a partition arrive in offset order
            tp = (record.topic, record.partition)
            if tp not in offsets:
                lowest[tp] = record.offset
            offsets[tp] = record.offset + 1
        self.records += len(records)

    def drop_partitions(self, partitions: set[tuple[str, int]]) -> None:
        """Forget revoked partitions: their records are someone else's now."""
        for tp in partitions:
            self.offsets.pop(tp, None)
            self.lowest.pop(tp, None)

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

    Before a batch's writes start, the ingester makes sure the recorded intent of each of its
    partitions covers the batch's highest offset (``cover``). A process that is later assigned the
    partition reads it (``intents``): records up to that offset may already be in the table,
    written by the previous owner past its last commit, so they are replays and are written
    conditionally on the version attribute. Records beyond it cannot have been written by anyone
    and take the fast unconditional path. Items live in a dynaflow-owned table
    (``_dynaflow_progress``), key ``group|topic|partition``.

    **Marking ahead.** An intent may overstate what was written (more replays are then written
    conditionally, which is only slower), never understate it. So ``cover`` records ``ahead``
    offsets beyond the batch: the next batches of the partition are covered already and write
    without waiting for a mark of their own. A partition costs one intent write per ``ahead``
    records instead of one per batch, and a restart writes at most ``ahead`` more records per
    partition conditionally. Intent writes are serialized, so they reach the table in increasing
    order; a batch whose offsets a write in progress covers waits for that write.
    """

    def __init__(self, client: DynamoClient, group: str, table: str = "_dynaflow_progress", *,
                 ahead: int = 0) -> None:
        self.client = client
        self.group = group
        self.table = table
        self.ahead = ahead
        self._ready = False
        #: Per partition: the intent durably recorded (or read) by this process.
        self._durable: dict[tuple[str, int], int] = {}
        self._writing: asyncio.Lock | None = None

    def _key(self, tp: tuple[str, int]) -> str:
        return f"{self.group}|{tp[0]}|{tp[1]}"

    async def ensure(self) -> None:
        if not self._ready:
            from dynaflow.pipelines.deadletter import ensure_table

            await ensure_table(self.client, self.table, "partition")
            self._ready = True

    def covers(self, highest: dict[tuple[str, int], int]) -> bool:
        """Whether the durable intents already cover ``highest`` (no write needed)."""
        durable = self._durable
        return all(offset <= durable.get(tp, -1) for tp, offset in highest.items())

    async def cover(self, highest: dict[tuple[str, int], int]) -> None:
        """Return once the durable intent of every partition is at least ``highest``."""
        if self.covers(highest):
            return
        if self._writing is None:
            self._writing = asyncio.Lock()
        async with self._writing:  # a write in progress may cover us: look again once it is done
            durable = self._durable
            short = {tp: offset + self.ahead for tp, offset in highest.items() if offset > durable.get(tp, -1)}
            if short:
                await self.mark(short)

    async def mark(self, highest: dict[tuple[str, int], int]) -> None:
        """Durably record ``highest`` offset per partition (never lowering a recorded one)."""
        await self.ensure()
        durable = self._durable
        marks = {tp: max(offset, durable.get(tp, -1)) for tp, offset in highest.items()}
        requests = [{"PutRequest": {"Item": {"partition": {"S": self._key(tp)}, "intent": {"N": str(offset)}}}}
                    for tp, offset in marks.items()]
        for i in range(0, len(requests), 25):
            pending: list[dict[str, Any]] = requests[i:i + 25]
            for attempt in range(1, 1000):
                response = await self.client.call("BatchWriteItem", {"RequestItems": {self.table: pending}})
                pending = (response.get("UnprocessedItems") or {}).get(self.table) or []
                if not pending:
                    break
                await asyncio.sleep(min(1.0, 0.01 * attempt))
        for tp, offset in marks.items():
            durable[tp] = max(offset, durable.get(tp, -1))

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
        self._durable.update(found)  # what is recorded now: a (re)assigned partition's marks start here
        return found


class OffsetCommitter:
    """Commits the offsets of written checkpoints in the background, one commit at a time.

    Checkpoints are handed over (``add``) in batch order once their batch is written (steps 1-2),
    and the batch is done: the commit round trip (3) no longer holds one of the runtime's slots for
    batches in flight. At most one commit is in flight; the checkpoints handed over meanwhile are
    merged into the next one (per partition the later offset wins, and a later batch's offset
    implies every earlier batch of the partition is written), so at high rates one commit covers
    several batches. Partitions in ``exclude`` (revoked meanwhile) are not committed.

    ``commit`` is the blocking source commit (run in a worker thread). A commit that raises
    :class:`~confluent_kafka.KafkaException` (the partitions were lost meanwhile) is logged and its
    checkpoints fail: the records are replayed by the partitions' next owner. Any other error fails
    the next ``add`` or ``flush``.
    """

    def __init__(self, commit: Callable[[dict[tuple[str, int], int]], None], *,
                 exclude: set[tuple[str, int]] | None = None,
                 on_committed: Callable[[dict[tuple[str, int], int]], None] | None = None) -> None:
        self._commit = commit
        self._exclude = exclude if exclude is not None else set()
        self._on_committed = on_committed
        self._pending: list[Checkpoint] = []
        self._task: asyncio.Task[None] | None = None
        self._error: BaseException | None = None

    def add(self, checkpoint: Checkpoint) -> None:
        """Commit ``checkpoint`` (``WRITTEN``) with the next commit."""
        self._raise()
        checkpoint._expect(CheckpointState.WRITTEN)
        self._pending.append(checkpoint)
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._run())

    async def flush(self) -> None:
        """Return once every checkpoint handed over is committed (or failed)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    async def _run(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            offsets: dict[tuple[str, int], int] = {}
            for checkpoint in batch:
                checkpoint.drop_partitions(self._exclude)
                offsets.update(checkpoint.offsets)
            try:
                if offsets:
                    await asyncio.to_thread(self._commit, offsets)
            except KafkaException as exc:
                log.warning("offset commit failed, the records will be replayed: %s", exc)
                for checkpoint in batch:
                    checkpoint.failed()
                continue
            except BaseException as exc:
                for checkpoint in batch:
                    checkpoint.failed()
                self._error = exc
                return
            for checkpoint in batch:
                checkpoint.committed()
            if self._on_committed is not None and offsets:
                self._on_committed(offsets)
