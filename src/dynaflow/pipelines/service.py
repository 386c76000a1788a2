"""Entry points behind the CLI: open the client the settings name, onboard, ingest, dead letters.

Everything here takes :class:`~dynaflow.config.Settings` and works through a
:class:`~dynaflow.dynamo.client.DynamoClient`: the embedded engine on ``engine.data`` when
``dynamo.endpoint_url`` is unset, else the remote client for that endpoint.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from dynaflow.config import Settings
from dynaflow.dynamo.client import DynamoClient
from dynaflow.pipelines.deadletter import (
    CombinedStore,
    DeadLetter,
    DeadLetterStore,
    DeadLetterTable,
    DeadLetterTopic,
    parts_of,
)
from dynaflow.pipelines.onboarding import OnboardResult, onboard
from dynaflow.pipelines.registry import RuleRegistry
from dynaflow.pipelines.rules import RecordError, WriteRule
from dynaflow.pipelines.runtime import Ingester, IngestStats
from dynaflow.pipelines.sinks.table import TableSink

__all__ = ["ReplayResult", "dlq_list", "dlq_replay", "onboard_rule", "open_client", "run_ingest"]

log = logging.getLogger(__name__)


@asynccontextmanager
async def open_client(settings: Settings) -> AsyncIterator[DynamoClient]:
    """The client the settings name; closed on exit."""
    client: DynamoClient
    if settings.dynamo.endpoint_url:
        from dynaflow.dynamo.remote import connect_remote

        secret = settings.dynamo.secret_access_key
        client = await connect_remote(
            settings.dynamo.endpoint_url, region=settings.dynamo.region,
            access_key_id=settings.dynamo.access_key_id,
            secret_access_key=secret.get_secret_value() if secret else None,
            max_connections=settings.dynamo.max_connections, timeout_s=settings.dynamo.timeout_s)
    else:
        from dynaflow.dynamo.embedded import connect_async

        client = connect_async(settings.engine.data, durability=settings.engine.durability)
    try:
        yield client
    finally:
        await client.close()


async def onboard_rule(settings: Settings, rule: WriteRule) -> OnboardResult:
    async with open_client(settings) as client:
        return await onboard(client, rule, registry=RuleRegistry(client, settings.ingest.rules_table))


def dead_letter_store(settings: Settings, client: DynamoClient) -> DeadLetterStore:
    stores: list[DeadLetterStore] = []
    if settings.ingest.dead_letter_table:
        stores.append(DeadLetterTable(client, settings.ingest.dead_letter_table))
    if settings.ingest.dead_letter_topic:
        from confluent_kafka import Producer

        conf = settings.kafka.consumer_config()
        conf.update({"enable.idempotence": True, "acks": "all", "linger.ms": 5})
        stores.append(DeadLetterTopic(Producer(conf), settings.ingest.dead_letter_topic))
    if not stores:
        raise ValueError("no dead-letter store: set ingest.dead_letter_table and/or ingest.dead_letter_topic")
    return stores[0] if len(stores) == 1 else CombinedStore(stores)


async def run_ingest(settings: Settings, *, stop: asyncio.Event | None = None,
                     client: DynamoClient | None = None) -> IngestStats:
    """Run an ingester over every registered rule until ``stop`` is set."""
    settings.require("kafka", "bootstrap_servers")

    async def go(client: DynamoClient) -> IngestStats:
        table = DeadLetterTable(client, settings.ingest.dead_letter_table) \
            if settings.ingest.dead_letter_table else None
        if table is not None:
            await table.ensure()
        ingester = Ingester(client, settings.kafka, settings.ingest,
                            registry=RuleRegistry(client, settings.ingest.rules_table),
                            dead_letters=dead_letter_store(settings, client))
        if stop is not None:
            waiter = asyncio.create_task(stop.wait())
            waiter.add_done_callback(lambda _: ingester.stop())
        return await ingester.run()

    if client is not None:
        return await go(client)
    async with open_client(settings) as opened:
        return await go(opened)


async def dlq_list(settings: Settings, rule: str | None = None, *, limit: int | None = None) -> list[DeadLetter]:
    async with open_client(settings) as client:
        table = DeadLetterTable(client, settings.ingest.dead_letter_table or "_dynaflow_deadletters")
        return [letter async for letter in table.list(rule, limit=limit)]


@dataclass
class ReplayResult:
    replayed: int = 0
    superseded: int = 0
    failed: int = 0


async def dlq_replay(settings: Settings, rule: str | None = None, *, limit: int | None = None) -> ReplayResult:
    """Re-drive dead letters through the latest version of their rule, straight into the table.

    Each write is conditional on the version attribute (the record's original offset), so a
    replayed record never overwrites a newer one that arrived meanwhile. Replayed letters are
    removed; a letter that fails again stays, with the new error and attempt count.
    """
    result = ReplayResult()
    async with open_client(settings) as client:
        table = DeadLetterTable(client, settings.ingest.dead_letter_table or "_dynaflow_deadletters")
        registry = RuleRegistry(client, settings.ingest.rules_table)
        rules = {r.name: r.compile() for r in await registry.all_latest()}
        sink = TableSink(client, concurrency=settings.ingest.concurrency)
        letters = [letter async for letter in table.list(rule, limit=limit)]
        for letter in letters:
            compiled = rules.get(letter.rule)
            if compiled is None:
                result.failed += 1
                continue
            try:
                mutation = compiled.apply(letter.record())
            except RecordError as exc:
                await _again(table, letter, exc.type, exc.message)
                result.failed += 1
                continue
            if mutation is not None:
                mutation.conditional = mutation.version is not None
                outcome = await sink.write([mutation])
                if outcome.failed:
                    failure = outcome.failed[0]
                    await _again(table, letter, failure.error_type, failure.error_message, failure.attempts)
                    result.failed += 1
                    continue
                result.superseded += outcome.superseded
            await table.delete(letter, parts_of(letter))
            result.replayed += 1
    return result


async def _again(table: DeadLetterTable, letter: DeadLetter, error_type: str, message: str, attempts: int = 1) -> None:
    letter.error_type, letter.error_message = error_type, message
    letter.attempts += attempts
    await table.put([letter])


class IngestThread:
    """An ingester on its own event loop in a background thread (``dynaflow up``)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="dynaflow-ingest", daemon=True)

    def _main(self) -> None:
        async def go() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            await run_ingest(self.settings, stop=self._stop)

        try:
            asyncio.run(go())
        except BaseException as exc:  # reported by the caller
            self.error = exc
            log.exception("ingest stopped")

    def start(self) -> IngestThread:
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 30.0) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            loop.call_soon_threadsafe(stop.set)
        self._thread.join(timeout_s)


async def has_rules(settings: Settings) -> bool:
    async with open_client(settings) as client:
        return bool(await RuleRegistry(client, settings.ingest.rules_table).all_latest())


def describe(letter: DeadLetter) -> dict[str, Any]:
    """A dead letter as a JSON-ready summary (``dlq list --json``)."""
    return {
        "rule": letter.rule, "rule_version": letter.rule_version, "position": str(letter.position),
        "error_type": letter.error_type, "error_message": letter.error_message, "attempts": letter.attempts,
        "failed_at": letter.failed_at, "key": letter.key.decode("utf-8", "replace") if letter.key else None,
        "value_bytes": None if letter.value is None else len(letter.value),
        "value": None if letter.value is None else letter.value[:200].decode("utf-8", "replace"),
    }
