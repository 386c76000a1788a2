"""One shard, read to its end: GetRecords -> sink -> checkpoint, in that order, forever.

The commit order, per batch (one ``GetRecords`` page, at most ``batch_limit`` records):

1. hand the page's changes to the sink, which returns once they are durably applied;
2. move the shard's checkpoint to the last sequence number of the page (conditional on still
   owning the lease — a worker that lost it stops here and the new owner replays from the last
   checkpoint, which the sink's per-item sequence check makes harmless);
3. report the batch to the metrics.

While a page is applied, the next one is already being read (``ConsumerSettings.prefetch``): its
``GetRecords`` overlaps the sink's writes. A failed prefetch is handled as a failed read of that
page would be (an expired iterator is re-made from the checkpoint).

A page's checkpoint is written while the next page is applied: step 2 of page N overlaps step 1 of
page N+1, and page N+1's checkpoint is written only once page N's has succeeded. A checkpoint still
never passes a change the sink has not applied. On an endpoint busy with the sink's writes (every
shard's), the checkpoint's conditional write waits behind them; awaited in line, it left the shard
with nothing in flight for that long. The one cost: a worker that lost its lease notices it one page
later, and applies that page too (harmless, as any replay is).

A failing batch is retried with backoff; if it keeps failing it is split in halves, recursively,
until the record that fails alone is found; that record goes to the dead-letter store with its
evidence and the checkpoint moves past it. A transient failure (the target is down, throttling)
is retried for as long as it lasts — an outage pauses the shard, it never dead-letters.

Positions that no longer exist: a checkpoint older than the stream's retention
(``TrimmedDataAccessException``) or a shard that disappeared (``ResourceNotFoundException``) means
changes were lost to the pipeline. The consumer never skips silently: it asks for a *reconcile*
(see :mod:`dynaflow.cdc.snapshot`), which re-copies only the rows that differ, and resumes from the
oldest record still retained (``TRIM_HORIZON``) — a position taken before the reconcile's scan.

Waiting for records: the generic path polls ``GetRecords`` every ``poll_interval`` while the shard
is idle. A client may offer ``wait_for_stream_records(stream_arn, shard_id, timeout)``, and the
embedded engine's client is served by the engine's stream hub (``StreamHub.wait_for_records_async``,
see :func:`dynaflow.cdc.endpoints.stream_waiter`), which returns as soon as the shard holds a record
past the checkpoint; the consumer then wakes within microseconds instead of a poll interval.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

from dynaflow.cdc.deadletter import DeadLetterStore, letter_for
from dynaflow.cdc.endpoints import stream_waiter
from dynaflow.cdc.leases import Lease, LeaseTable
from dynaflow.cdc.metrics import CdcMetrics
from dynaflow.cdc.model import LATEST, SHARD_END, TRIM_HORIZON, Change
from dynaflow.cdc.retry import Backoff, error_code
from dynaflow.cdc.sink import Sink
from dynaflow.dynamo.client import DynamoClient

Outcome = Literal["finished", "lost", "stopped"]


@dataclass(frozen=True)
class ConsumerSettings:
    batch_limit: int = 1000
    """Records per GetRecords page (one sink batch, one checkpoint)."""
    poll_interval: float = 0.05
    """Seconds between two reads of an idle shard (no in-process wake-up)."""
    backoff: Backoff = field(default_factory=Backoff)
    prefetch: bool = True
    """Read a shard's next page while its current page is applied."""


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Consume the outcome of a prefetch nobody awaits any more (no "never retrieved" warning)."""
    if not future.cancelled():
        future.exception()


class ShardConsumer:
    def __init__(self, *, source: DynamoClient, stream_arn: str, lease: Lease, owner: str, leases: LeaseTable,
                 sink: Sink, dead_letters: DeadLetterStore, metrics: CdcMetrics, settings: ConsumerSettings,
                 request_reconcile: Callable[[str], Awaitable[None]]) -> None:
        self.source, self.stream_arn, self.lease, self.owner = source, stream_arn, lease, owner
        self.leases, self.sink, self.dead_letters, self.metrics = leases, sink, dead_letters, metrics
        self.settings, self.request_reconcile = settings, request_reconcile
        self.shard_id = lease.key.removeprefix("shard#")
        self.checkpoint = lease.checkpoint or TRIM_HORIZON
        self._waiter = stream_waiter(source)
        #: The next page's GetRecords, started while the current page is applied.
        self._prefetched: asyncio.Future[dict[str, Any]] | None = None
        #: The last page's checkpoint, written while the next page is applied.
        self._committing: asyncio.Future[bool] | None = None

    # ------------------------------------------------------------ positions

    async def _iterator(self) -> str | None:
        """A shard iterator at the checkpoint; None when the shard is gone (a reconcile was asked)."""
        request: dict[str, Any] = {"StreamArn": self.stream_arn, "ShardId": self.shard_id}
        if self.checkpoint in (TRIM_HORIZON, LATEST):
            request["ShardIteratorType"] = self.checkpoint
        else:
            request.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=self.checkpoint)
        try:
            response = await self.settings.backoff.run(lambda: self.source.call("GetShardIterator", request))
        except Exception as exc:
            code = error_code(exc)
            if code == "TrimmedDataAccessException":
                await self._gap(f"checkpoint {self.checkpoint} is older than the stream's retention")
                return await self._iterator()
            if code == "ResourceNotFoundException":
                await self._gap("the shard is no longer in the stream")
                return None
            raise
        iterator = response.get("ShardIterator")
        return str(iterator) if iterator else None

    async def _gap(self, why: str) -> None:
        await self.request_reconcile(f"shard {self.shard_id}: {why}")
        self.checkpoint = TRIM_HORIZON

    # ------------------------------------------------------------ delivery

    async def _deliver(self, changes: Sequence[Change]) -> None:
        def note(exc: BaseException) -> None:
            self.metrics.retried(self.shard_id, error_code(exc) or type(exc).__name__)

        try:
            await self.settings.backoff.run(lambda: self.sink.apply(changes), on_retry=note)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if len(changes) > 1:
                middle = len(changes) // 2
                await self._deliver(changes[:middle])
                await self._deliver(changes[middle:])
                return
            await self.dead_letters.put(letter_for(changes[0], exc, stream_arn=self.stream_arn,
                                                   shard_id=self.shard_id, attempts=self.settings.backoff.attempts))
            self.metrics.dead_lettered(self.shard_id, 1)

    async def _settled(self) -> bool:
        """Wait for the checkpoint in flight, if any; False if it found the lease taken."""
        committing, self._committing = self._committing, None
        return True if committing is None else await committing

    async def _commit(self, checkpoint: str, **extra: dict[str, Any]) -> bool:
        if await self.leases.update(self.lease.key, self.owner, {"checkpoint": {"S": checkpoint}, **extra}):
            self.checkpoint = checkpoint
            return True
        return False

    # ------------------------------------------------------------ the loop

    async def run(self) -> Outcome:
        if self.checkpoint == SHARD_END:
            return "finished"
        iterator = await self._iterator()
        if iterator is None:
            return "finished" if await self._commit(SHARD_END) else "lost"
        try:
            return await self._loop(iterator)
        finally:
            for pending in (self._prefetched, self._committing):
                if pending is not None:
                    pending.cancel()
                    pending.add_done_callback(_retrieve)
            self._prefetched = self._committing = None

    async def _loop(self, iterator: str) -> Outcome:
        reached_tip = self.lease.tip
        while True:
            try:
                read, self._prefetched = self._prefetched, None
                response = await (read if read is not None else self._fetch(iterator))
            except Exception as exc:
                code = error_code(exc)
                if code in ("ExpiredIteratorException", "TrimmedDataAccessException") and not await self._settled():
                    return "lost"
                if code == "ExpiredIteratorException":
                    next_iterator = await self._iterator()
                    if next_iterator is None:
                        return "finished" if await self._commit(SHARD_END) else "lost"
                    iterator = next_iterator
                    continue
                if code == "TrimmedDataAccessException":
                    await self._gap("the iterator's position was trimmed while reading")
                    next_iterator = await self._iterator()
                    if next_iterator is None:
                        return "finished" if await self._commit(SHARD_END) else "lost"
                    iterator = next_iterator
                    continue
                raise
            records = response.get("Records") or []
            following = response.get("NextShardIterator")
            if records:
                changes = [Change.from_record(r) for r in records]
                if following and self.settings.prefetch:
                    # Read the next page while this one is applied.
                    self._prefetched = asyncio.ensure_future(self._fetch(str(following)))
                await self._deliver(changes)
                if not await self._settled():  # the previous page's checkpoint
                    return "lost"
                self._committing = asyncio.ensure_future(self._commit(changes[-1].sequence_number))
                created = changes[-1].created_at
                self.metrics.applied(self.shard_id, len(changes),
                                     max(0.0, time.time() - created) if created is not None else 0.0)
            if not following:
                return "finished" if await self._settled() and await self._commit(SHARD_END) else "lost"
            iterator = str(following)
            if not records:
                if not await self._settled():
                    return "lost"
                if not reached_tip:
                    if not await self.leases.update(self.lease.key, self.owner, {"tip": {"BOOL": True}}):
                        return "lost"
                    reached_tip = True
                self.metrics.applied(self.shard_id, 0, 0.0)
                await self._idle()

    async def _fetch(self, iterator: str) -> dict[str, Any]:
        return await self.settings.backoff.run(partial(self._read, iterator))

    async def _read(self, iterator: str) -> dict[str, Any]:
        return await self.source.call("GetRecords", {"ShardIterator": iterator, "Limit": self.settings.batch_limit})

    async def _idle(self) -> None:
        if self._waiter is not None:
            # The engine's in-process wake-up: returns as soon as the shard holds a record past our
            # checkpoint. Before the first record there is no position to compare with, and a commit
            # between our read and the wait would go unnoticed: wait one poll interval at most then.
            after = self.checkpoint if self.checkpoint.isdigit() else None
            timeout = self.settings.poll_interval * (20 if after is not None else 1)
            await self._waiter(self.stream_arn, self.shard_id, timeout, after)
        else:
            await asyncio.sleep(self.settings.poll_interval)
