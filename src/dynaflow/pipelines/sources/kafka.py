"""Kafka source: a confluent-kafka consumer in a consumer group, committing only what it is told.

Partitions are the unit of parallelism: every process started with the same ``group.id`` gets a
share of the topics' partitions, and a partition is read by one process at a time, in offset
order. Auto-commit and the automatic offset store are off — offsets are committed explicitly
(synchronously) by the runtime once the records below them are durably handled.

The consumer's blocking calls (``poll_batch``, ``commit``) are meant to run in a worker thread so
the event loop keeps writing meanwhile. Rebalance callbacks run inside ``poll_batch``, in that
thread; the runtime's callbacks block there until in-flight writes for revoked partitions are
done and committed (see ``runtime.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from dynaflow.config import KafkaSettings
from dynaflow.pipelines.model import Record

__all__ = ["KafkaSource"]

log = logging.getLogger(__name__)

Partitions = list[tuple[str, int]]


class KafkaSource:
    """One consumer of a consumer group, producing :class:`Record` batches."""

    def __init__(self, settings: KafkaSettings, topics: Sequence[str], *,
                 on_assign: Callable[[Partitions], None] | None = None,
                 on_revoke: Callable[[Partitions], None] | None = None,
                 group_id: str | None = None, extra: dict[str, Any] | None = None) -> None:
        conf = settings.consumer_config()
        conf.update({
            "group.id": group_id or settings.group_id,
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "auto.offset.reset": settings.auto_offset_reset,
            "enable.partition.eof": False,
            "fetch.wait.max.ms": 10,
            "queued.max.messages.kbytes": 65536,
        })
        conf.update(extra or {})
        self._on_assign = on_assign
        self._on_revoke = on_revoke
        self.consumer = Consumer(conf, logger=log)
        self.topics = list(topics)
        self.consumer.subscribe(self.topics, on_assign=self._assigned, on_revoke=self._revoked,
                                on_lost=self._revoked)
        self.paused = False

    def _assigned(self, _consumer: Any, partitions: list[TopicPartition]) -> None:
        if self._on_assign is not None:
            self._on_assign([(p.topic, p.partition) for p in partitions])

    def _revoked(self, _consumer: Any, partitions: list[TopicPartition]) -> None:
        if self._on_revoke is not None:
            self._on_revoke([(p.topic, p.partition) for p in partitions])

    def subscribe(self, topics: Sequence[str]) -> None:
        if sorted(topics) != sorted(self.topics):
            self.topics = list(topics)
            self.consumer.subscribe(self.topics, on_assign=self._assigned, on_revoke=self._revoked,
                                    on_lost=self._revoked)

    def poll_batch(self, max_records: int, timeout_s: float) -> list[Record]:
        """Up to ``max_records`` records, waiting at most ``timeout_s`` for the first ones."""
        messages: list[Message] = self.consumer.consume(max_records, timeout_s)
        if _native_records is not None:  # the loop below in C, for a batch without error events
            converted = _native_records(messages, Record, _headers)
            if converted is not None:
                return converted
        records: list[Record] = []
        append = records.append
        for msg in messages:
            error = msg.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    continue
                if error.fatal():
                    raise KafkaException(error)
                log.warning("kafka: %s", error)
                continue
            headers = msg.headers()
            _, stamp = msg.timestamp()
            append(Record(msg.topic(), msg.partition(), msg.offset(), msg.key(), msg.value(),  # type: ignore[arg-type]
                          stamp if stamp > 0 else None, _headers(headers) if headers else ()))
        return records

    def commit(self, offsets: dict[tuple[str, int], int]) -> None:
        """Commit ``next offset`` per partition, synchronously."""
        if offsets:
            self.consumer.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()],
                                 asynchronous=False)

    def assignment(self) -> Partitions:
        return [(p.topic, p.partition) for p in self.consumer.assignment()]

    def pause(self) -> None:
        if not self.paused:
            assigned = self.consumer.assignment()
            if assigned:
                self.consumer.pause(assigned)
            self.paused = True

    def resume(self) -> None:
        if self.paused:
            assigned = self.consumer.assignment()
            if assigned:
                self.consumer.resume(assigned)
            self.paused = False

    def close(self) -> None:
        self.consumer.close()


def _load_native_records() -> Callable[..., list[Record] | None] | None:
    """The C build of :meth:`KafkaSource.poll_batch`'s loop (``_messages.c``), or None when the
    install had no C compiler."""
    try:
        from dynaflow.pipelines.sources._messages import records
    except ImportError:  # pragma: no cover - an install without a C compiler
        return None
    return records


_native_records = _load_native_records()


def _headers(headers: Any) -> tuple[tuple[str, bytes], ...]:
    pairs = headers.items() if isinstance(headers, dict) else headers
    return tuple((str(k), v if isinstance(v, bytes) else (v or "").encode()) for k, v in pairs)
