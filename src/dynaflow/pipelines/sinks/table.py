"""The table sink: a micro-batch of mutations written with BatchWriteItem, many calls in flight.

``write(mutations)`` takes a micro-batch in source order and:

1. **coalesces** it to the latest mutation per item (table + primary key), so no BatchWriteItem
   call names a key twice and a later record always wins over an earlier one in the same batch;
2. **splits** the survivors per table into calls of at most 25 requests, run concurrently (at most
   ``concurrency`` in flight) — on the embedded engine they share group commits;
3. **retries** ``UnprocessedItems`` and transient errors (throttling, 5xx) of a call with
   exponential backoff and full jitter, up to ``backoff.max_attempts`` attempts;
4. on a **terminal** error of a call (ValidationException: an item too large, a key of the wrong
   type), writes that call's mutations one by one, so only the offending records fail;
5. writes **conditional** mutations (records replayed after a partition (re)assignment, see
   ``runtime.py``) one by one with PutItem/DeleteItem and the condition
   ``attribute_not_exists(#v) OR #v <= :v`` on the version attribute: a replayed older record never
   overwrites a newer one. A failed condition means a newer record is already there: done.

It returns a :class:`WriteOutcome`; records that failed terminally or ran out of attempts are in
``failed`` with the error type, message and attempt count, for the dead-letter store. A
:class:`~dynaflow.pipelines.retry.Fatal` error (missing table, bad credentials) propagates: the
caller stops without committing. ``write`` returns only when every mutation is durably written
(the store acknowledged it) or listed in ``failed``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dynaflow.dynamo.client import DynamoClient
from dynaflow.engine.errors import DynamoError
from dynaflow.pipelines.model import Delete, Mutation, Put
from dynaflow.pipelines.retry import THROTTLING_TYPES, Backoff, Fatal, FatalStoreError, Terminal, classify

__all__ = ["Coalesced", "Failure", "TableSink", "WriteOutcome", "coalesce"]

MAX_BATCH = 25


@dataclass(slots=True)
class Failure:
    mutation: Mutation
    error_type: str
    error_message: str
    attempts: int


@dataclass(slots=True)
class WriteOutcome:
    written: int = 0
    """Mutations the store acknowledged (after coalescing)."""
    superseded: int = 0
    """Mutations dropped because a later one for the same item followed (in the batch or the table)."""
    failed: list[Failure] = field(default_factory=list)
    throttled: int = 0
    """Throttling answers (errors or UnprocessedItems) seen."""
    retries: int = 0


#: Per table: the mutation to write per item identity, in first-seen order (see :func:`coalesce`).
Coalesced = dict[str, dict[tuple[Any, ...], Mutation]]


def coalesce(mutations: Sequence[Mutation]) -> tuple[Coalesced, int]:
    """Latest mutation per item, grouped by table; and how many were superseded.

    Each table's dict is keyed by the item identity, so it also serves as the batch's key set (the
    runtime's per-key ordering checks overlaps on it) without building a (table, key) tuple per
    record.
    """
    tables: Coalesced = {}
    current: str | None = None
    latest: dict[tuple[Any, ...], Mutation] = {}
    for mutation in mutations:
        table = mutation.table
        if table != current:  # records of one rule come in runs: look the table up once per run
            found = tables.get(table)
            if found is None:
                found = tables[table] = {}
            latest, current = found, table
        latest[mutation.identity] = mutation  # dict keeps first-insert order; value = last
    kept = sum(len(latest) for latest in tables.values())
    return tables, len(mutations) - kept


def _requests(mutations: list[Mutation]) -> list[dict[str, Any]]:
    return [{"PutRequest": {"Item": m.item}} if type(m) is Put else {"DeleteRequest": {"Key": m.key}}  # type: ignore[union-attr]
            for m in mutations]


def _identity_of(request: dict[str, Any], names: tuple[str, ...]) -> tuple[Any, ...]:
    body = request.get("PutRequest", {}).get("Item") or request.get("DeleteRequest", {}).get("Key") or {}
    parts: list[Any] = []
    for name in names:
        ((tag, value),) = body[name].items()
        if isinstance(value, (bytearray, memoryview)):
            value = bytes(value)
        parts.extend((name, tag, value))
    return tuple(parts)


class TableSink:
    """Writes micro-batches of mutations through a :class:`DynamoClient`."""

    def __init__(self, client: DynamoClient, *, concurrency: int = 32, backoff: Backoff | None = None,
                 on_throttle: Callable[[], None] | None = None) -> None:
        self.client = client
        self.backoff = backoff or Backoff()
        self._slots = asyncio.Semaphore(concurrency)
        self._on_throttle = on_throttle

    async def write(self, mutations: Sequence[Mutation]) -> WriteOutcome:
        """Coalesce ``mutations`` (in source order) and write them."""
        return await self.write_coalesced(*coalesce(mutations))

    async def write_coalesced(self, tables: Coalesced, superseded: int = 0) -> WriteOutcome:
        """Write what :func:`coalesce` kept; ``superseded`` is counted in the outcome."""
        outcome = WriteOutcome(superseded=superseded)
        jobs = []
        for table, latest in tables.items():
            group = list(latest.values())
            plain = [m for m in group if not m.conditional]
            for i in range(0, len(plain), MAX_BATCH):
                jobs.append(self._batch(table, plain[i:i + MAX_BATCH], outcome))
            if len(plain) != len(group):
                jobs.extend(self._single(m, outcome) for m in group if m.conditional)
        results = await asyncio.gather(*jobs, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return outcome

    def _throttled(self, outcome: WriteOutcome) -> None:
        outcome.throttled += 1
        if self._on_throttle is not None:
            self._on_throttle()

    async def _pause(self, attempt: int) -> float:
        delay = self.backoff.delay(attempt)
        await asyncio.sleep(delay)
        return delay

    async def _batch(self, table: str, mutations: list[Mutation], outcome: WriteOutcome) -> None:
        pending = mutations
        attempt = 0
        waited = 0.0
        while pending:
            attempt += 1
            try:
                async with self._slots:
                    response = await self.client.call("BatchWriteItem", {"RequestItems": {table: _requests(pending)}})
            except DynamoError as exc:
                kind = classify(exc)
                if kind is Fatal:
                    raise FatalStoreError(f"{table}: {exc.type}: {exc.message}") from exc
                if kind is Terminal:  # one of them is poison: find it by writing them one by one
                    await asyncio.gather(*(self._single(m, outcome, attempt) for m in pending))
                    return
                throttled = exc.type in THROTTLING_TYPES
                if throttled:
                    self._throttled(outcome)
                if self.backoff.gives_up(attempt, waited, throttled=throttled):
                    outcome.failed.extend(Failure(m, exc.type, exc.message, attempt) for m in pending)
                    return
                waited += await self._pause(attempt)
                outcome.retries += 1
                continue
            unprocessed = (response.get("UnprocessedItems") or {}).get(table)
            if not unprocessed:
                outcome.written += len(pending)
                return
            names = pending[0].identity[0::3]
            left = {_identity_of(request, names) for request in unprocessed}
            still = [m for m in pending if m.identity in left]
            outcome.written += len(pending) - len(still)
            pending = still
            self._throttled(outcome)
            if self.backoff.gives_up(attempt, waited, throttled=True):
                outcome.failed.extend(
                    Failure(m, "UnprocessedItems", f"still unprocessed after {attempt} attempts", attempt)
                    for m in pending)
                return
            waited += await self._pause(attempt)
            outcome.retries += 1

    async def _single(self, mutation: Mutation, outcome: WriteOutcome, attempts: int = 0) -> None:
        request: dict[str, Any] = {"TableName": mutation.table}
        if type(mutation) is Put:
            operation = "PutItem"
            request["Item"] = mutation.item
        else:
            assert isinstance(mutation, Delete)
            operation = "DeleteItem"
            request["Key"] = mutation.key
        if mutation.conditional and mutation.version_attribute and mutation.version is not None:
            request["ConditionExpression"] = "attribute_not_exists(#v) OR #v <= :v"
            request["ExpressionAttributeNames"] = {"#v": mutation.version_attribute}
            request["ExpressionAttributeValues"] = {":v": {"N": str(mutation.version)}}
        attempt = attempts
        waited = 0.0
        while True:
            attempt += 1
            try:
                async with self._slots:
                    await self.client.call(operation, request)
                outcome.written += 1
                return
            except DynamoError as exc:
                if exc.type == "ConditionalCheckFailedException" and "ConditionExpression" in request:
                    outcome.superseded += 1  # the table already holds a newer record for this item
                    return
                kind = classify(exc)
                if kind is Fatal:
                    raise FatalStoreError(f"{mutation.table}: {exc.type}: {exc.message}") from exc
                if kind is Terminal:
                    outcome.failed.append(Failure(mutation, exc.type, exc.message, attempt))
                    return
                throttled = exc.type in THROTTLING_TYPES
                if throttled:
                    self._throttled(outcome)
                if self.backoff.gives_up(attempt, waited, throttled=throttled):
                    outcome.failed.append(Failure(mutation, exc.type, exc.message, attempt))
                    return
                waited += await self._pause(attempt)
                outcome.retries += 1
