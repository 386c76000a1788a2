"""The dead-letter store: records that could not be written, kept with their evidence.

A :class:`DeadLetter` holds the original record byte for byte (key, value, Kafka timestamp), its
source position (topic/partition/offset), the rule and rule version that handled it, the error
type and message, and how many attempts were made. Two stores exist, usable together:

* :class:`DeadLetterTable` — a dynaflow-owned table (``_dynaflow_deadletters`` by default) written
  through the same :class:`~dynaflow.dynamo.client.DynamoClient` as the data, so it works on any
  endpoint. Partition key ``rule``, sort key ``position`` (``topic/partition/offset``, zero-padded so
  it sorts by offset). Values too large for one item are split into ``#part`` items. This is the
  store ``dynaflow dlq list|replay`` reads.
* :class:`DeadLetterTopic` — a Kafka topic; the record keeps its key and value, the evidence goes in
  ``dynaflow.*`` headers. ``put`` returns only after the broker acknowledged every message.

``put`` returning is the durability point: the ingester commits a record's offset only after it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from dynaflow.dynamo.client import DynamoClient
from dynaflow.engine.errors import DynamoError
from dynaflow.pipelines.model import Position, Record
from dynaflow.pipelines.retry import Backoff, Transient, classify

__all__ = ["DeadLetter", "DeadLetterStore", "DeadLetterTable", "DeadLetterTopic", "ensure_table"]

#: Bytes of original value kept per item (DynamoDB's item limit is 400 KB including names).
_CHUNK = 350 * 1024


@dataclass(slots=True)
class DeadLetter:
    """One record that was not written, with the evidence of why."""

    rule: str
    rule_version: int
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    error_type: str
    error_message: str
    attempts: int
    timestamp_ms: int | None = None
    failed_at: float = field(default_factory=time.time)

    @classmethod
    def of(cls, record: Record, rule: str, rule_version: int, error_type: str, error_message: str,
           attempts: int) -> DeadLetter:
        return cls(rule, rule_version, record.topic, record.partition, record.offset, record.key, record.value,
                   error_type, error_message[:4000], attempts, record.timestamp_ms)

    @property
    def position(self) -> Position:
        return Position(self.topic, self.partition, self.offset)

    @property
    def sort_key(self) -> str:
        return f"{self.topic}/{self.partition:06d}/{self.offset:020d}"

    def record(self) -> Record:
        return Record(self.topic, self.partition, self.offset, self.key, self.value, self.timestamp_ms)


class DeadLetterStore(Protocol):
    async def put(self, letters: Sequence[DeadLetter]) -> None:
        """Store ``letters`` durably; return only when they are."""
        ...


async def _call_with_retry(client: DynamoClient, operation: str, request: dict[str, Any],
                           backoff: Backoff) -> dict[str, Any]:
    attempt = 0
    while True:
        attempt += 1
        try:
            return await client.call(operation, request)
        except DynamoError as exc:
            if classify(exc) is not Transient or backoff.exhausted(attempt):
                raise
            await asyncio.sleep(backoff.delay(attempt))


async def ensure_table(client: DynamoClient, name: str, hash_key: str, range_key: str | None = None,
                       *, timeout_s: float = 60.0) -> None:
    """Create an on-demand table with string keys if it does not exist; wait until ACTIVE."""
    try:
        description = (await client.call("DescribeTable", {"TableName": name}))["Table"]
    except DynamoError as exc:
        if exc.type != "ResourceNotFoundException":
            raise
        schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
        attributes = [{"AttributeName": hash_key, "AttributeType": "S"}]
        if range_key:
            schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
            attributes.append({"AttributeName": range_key, "AttributeType": "S"})
        try:
            description = (await client.call("CreateTable", {
                "TableName": name, "KeySchema": schema, "AttributeDefinitions": attributes,
                "BillingMode": "PAY_PER_REQUEST"}))["TableDescription"]
        except DynamoError as again:
            if again.type != "ResourceInUseException":  # created by a concurrent process: fine
                raise
            description = {"TableStatus": "CREATING"}
    deadline = time.monotonic() + timeout_s
    while description.get("TableStatus") not in ("ACTIVE", None):
        if time.monotonic() > deadline:
            raise TimeoutError(f"table {name} did not become ACTIVE within {timeout_s:.0f}s")
        await asyncio.sleep(0.2)
        description = (await client.call("DescribeTable", {"TableName": name}))["Table"]


class DeadLetterTable:
    """Dead letters in a DynamoDB table (``rule`` + ``position`` key)."""

    def __init__(self, client: DynamoClient, table: str = "_dynaflow_deadletters",
                 backoff: Backoff | None = None) -> None:
        self.client = client
        self.table = table
        self.backoff = backoff or Backoff(max_attempts=20)
        self._ready = False

    async def ensure(self) -> None:
        if not self._ready:
            await ensure_table(self.client, self.table, "rule", "position")
            self._ready = True

    def _items(self, letter: DeadLetter) -> list[dict[str, Any]]:
        item: dict[str, Any] = {
            "rule": {"S": letter.rule}, "position": {"S": letter.sort_key},
            "rule_version": {"N": str(letter.rule_version)},
            "topic": {"S": letter.topic}, "partition": {"N": str(letter.partition)},
            "offset": {"N": str(letter.offset)},
            "error_type": {"S": letter.error_type or "Unknown"}, "error_message": {"S": letter.error_message or "-"},
            "attempts": {"N": str(letter.attempts)}, "failed_at": {"N": f"{letter.failed_at:.3f}"},
        }
        if letter.timestamp_ms is not None:
            item["timestamp_ms"] = {"N": str(letter.timestamp_ms)}
        if letter.key is not None:
            item["record_key"] = {"B": letter.key[:_CHUNK]}
        items = [item]
        if letter.value is None:
            item["tombstone"] = {"BOOL": True}
        elif len(letter.value) <= _CHUNK:
            item["record_value"] = {"B": letter.value}
        else:
            parts = [letter.value[i:i + _CHUNK] for i in range(0, len(letter.value), _CHUNK)]
            item["parts"] = {"N": str(len(parts))}
            for number, part in enumerate(parts):
                items.append({"rule": {"S": letter.rule}, "position": {"S": f"{letter.sort_key}#part{number:04d}"},
                              "chunk": {"B": part}})
        return items

    async def put(self, letters: Sequence[DeadLetter]) -> None:
        if not letters:
            return
        await self.ensure()
        # PutItem per item: dead letters are rare and parts may be large (BatchWriteItem caps 16 MB).
        items = [item for letter in letters for item in self._items(letter)]
        await asyncio.gather(*(
            _call_with_retry(self.client, "PutItem", {"TableName": self.table, "Item": item}, self.backoff)
            for item in items))

    async def list(self, rule: str | None = None, *, limit: int | None = None) -> AsyncIterator[DeadLetter]:
        """Dead letters, by rule then position (all rules when ``rule`` is None)."""
        try:
            await self.client.call("DescribeTable", {"TableName": self.table})
        except DynamoError as exc:
            if exc.type == "ResourceNotFoundException":
                return
            raise
        request: dict[str, Any] = {"TableName": self.table}
        operation = "Scan"
        if rule is not None:
            operation = "Query"
            request.update(KeyConditionExpression="#r = :r", ExpressionAttributeNames={"#r": "rule"},
                           ExpressionAttributeValues={":r": {"S": rule}}, ConsistentRead=True)
        yielded = 0
        pending: dict[str, Any] | None = None
        chunks: list[bytes] = []
        while True:
            page = await self.client.call(operation, request)
            for item in page.get("Items", []):
                if "chunk" in item:
                    chunks.append(_bytes(item["chunk"]["B"]))
                    continue
                if pending is not None:
                    yield _letter(pending, b"".join(chunks))
                    yielded += 1
                    if limit is not None and yielded >= limit:
                        return
                pending, chunks = item, []
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        if pending is not None:
            yield _letter(pending, b"".join(chunks))

    async def delete(self, letter: DeadLetter, parts: int = 0) -> None:
        keys = [letter.sort_key] + [f"{letter.sort_key}#part{n:04d}" for n in range(parts)]
        for position in keys:
            await _call_with_retry(self.client, "DeleteItem", {
                "TableName": self.table, "Key": {"rule": {"S": letter.rule}, "position": {"S": position}}},
                self.backoff)


def _bytes(value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    import base64

    return base64.b64decode(value)


def _letter(item: dict[str, Any], chunked: bytes) -> DeadLetter:
    value: bytes | None
    if item.get("tombstone", {}).get("BOOL"):
        value = None
    elif "parts" in item:
        value = chunked
    else:
        value = _bytes(item["record_value"]["B"]) if "record_value" in item else b""
    return DeadLetter(
        rule=item["rule"]["S"], rule_version=int(item["rule_version"]["N"]),
        topic=item["topic"]["S"], partition=int(item["partition"]["N"]), offset=int(item["offset"]["N"]),
        key=_bytes(item["record_key"]["B"]) if "record_key" in item else None, value=value,
        error_type=item["error_type"]["S"], error_message=item["error_message"]["S"],
        attempts=int(item["attempts"]["N"]),
        timestamp_ms=int(item["timestamp_ms"]["N"]) if "timestamp_ms" in item else None,
        failed_at=float(item["failed_at"]["N"]),
    )


def parts_of(letter: DeadLetter) -> int:
    """How many ``#part`` items the table holds for ``letter``."""
    if letter.value is None or len(letter.value) <= _CHUNK:
        return 0
    return -(-len(letter.value) // _CHUNK)


class DeadLetterTopic:
    """Dead letters produced to a Kafka topic; evidence in ``dynaflow.*`` headers."""

    def __init__(self, producer: Any, topic: str, *, timeout_s: float = 30.0) -> None:
        self.producer = producer
        self.topic = topic
        self.timeout_s = timeout_s

    async def put(self, letters: Sequence[DeadLetter]) -> None:
        if not letters:
            return
        failures: list[str] = []

        def delivered(err: Any, _msg: Any) -> None:
            if err is not None:
                failures.append(str(err))

        for letter in letters:
            headers = [
                ("dynaflow.rule", letter.rule.encode()), ("dynaflow.rule_version", str(letter.rule_version).encode()),
                ("dynaflow.topic", letter.topic.encode()), ("dynaflow.partition", str(letter.partition).encode()),
                ("dynaflow.offset", str(letter.offset).encode()),
                ("dynaflow.error_type", letter.error_type.encode()),
                ("dynaflow.error_message", letter.error_message.encode()),
                ("dynaflow.attempts", str(letter.attempts).encode()),
            ]
            if letter.value is None:
                headers.append(("dynaflow.tombstone", b"1"))
            self.producer.produce(self.topic, key=letter.key, value=letter.value, headers=headers,
                                  on_delivery=delivered)
        remaining = await asyncio.to_thread(self.producer.flush, self.timeout_s)
        if remaining or failures:
            raise RuntimeError(f"dead-letter topic {self.topic}: {remaining} undelivered, errors: {failures[:3]}")


class CombinedStore:
    """Write every dead letter to each store (table and topic)."""

    def __init__(self, stores: Sequence[DeadLetterStore]) -> None:
        self.stores = list(stores)

    async def put(self, letters: Sequence[DeadLetter]) -> None:
        await asyncio.gather(*(store.put(letters) for store in self.stores))
