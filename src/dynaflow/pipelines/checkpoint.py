"""Checkpoints: which offsets may be committed, and in which order things happen before that.

A :class:`Checkpoint` covers one micro-batch. Its commit order, the ingest delivery guarantee:

1. flush the sink: every mutation of the batch is acknowledged by the table, or listed as failed;
2. flush the dead-letter store: every failed or unparseable record is durably stored there (a Kafka
   dead-letter topic's producer is flushed and every delivery verified);
3. commit offsets: per partition, one past the highest offset of the batch, synchronously;
4. (no local state to flush: the table is the state).

A step that fails leaves the checkpoint ``FAILED`` and nothing is committed: the records are read
again by whoever owns the partition next, and rewriting them is idempotent (same key, same item).

States: ``OPEN`` (records being added) -> ``WRITTEN`` (steps 1-2 done) -> ``COMMITTED``; any ->
``FAILED``. Methods check the state on entry, so a checkpoint cannot be committed twice or before
its writes.
"""

from __future__ import annotations

import enum

from dynaflow.pipelines.model import Record

__all__ = ["Checkpoint", "CheckpointState", "InvalidCheckpointState"]


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
