"""The on-failure destination: a change the sink cannot apply is parked here with its evidence.

A dead-letter entry keeps the stream record exactly as it was read (as JSON; binary values as
base64), the error's type and message, how many attempts were made, and the source position
(stream, shard, sequence number). Entries can be listed and replayed through a sink: the replica
sink's per-item sequence check makes a replay safe even after newer changes were applied.

The store is a table reached through the client interface (by default the pipeline's state table,
rows whose key starts with ``dead#``), so it lives wherever the checkpoints live.
"""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from dynaflow.cdc.model import Change
from dynaflow.dynamo.client import DynamoClient

PREFIX = "dead#"


def _default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if hasattr(value, "timestamp"):
        return value.timestamp()
    raise TypeError(type(value).__name__)


@dataclass(frozen=True)
class DeadLetter:
    stream_arn: str
    shard_id: str
    sequence_number: str
    payload: bytes
    error_type: str
    error_message: str
    attempts: int
    at: float


class DeadLetterStore(Protocol):
    async def put(self, letter: DeadLetter) -> None: ...


def letter_for(change: Change, exc: BaseException, *, stream_arn: str, shard_id: str, attempts: int) -> DeadLetter:
    return DeadLetter(
        stream_arn=stream_arn, shard_id=shard_id, sequence_number=change.sequence_number,
        payload=orjson.dumps(change.raw, default=_default), error_type=type(exc).__name__ if not hasattr(
            exc, "type") else str(exc.type), error_message=str(exc), attempts=attempts, at=time.time(),
    )


class TableDeadLetters:
    """Dead letters as rows of a table with a string hash key (``key_name``)."""

    def __init__(self, client: DynamoClient, table: str, *, key_name: str = "lease") -> None:
        self.client, self.table, self.key_name = client, table, key_name

    async def put(self, letter: DeadLetter) -> None:
        item = {
            self.key_name: {"S": f"{PREFIX}{letter.shard_id}#{letter.sequence_number}"},
            "stream": {"S": letter.stream_arn}, "shard": {"S": letter.shard_id},
            "sequence_number": {"S": letter.sequence_number}, "payload": {"S": letter.payload.decode()},
            "error_type": {"S": letter.error_type}, "error_message": {"S": letter.error_message[:10_000]},
            "attempts": {"N": str(letter.attempts)}, "at": {"N": repr(letter.at)},
        }
        await self.client.call("PutItem", {"TableName": self.table, "Item": item})

    async def list(self) -> AsyncIterator[DeadLetter]:
        request: dict[str, Any] = {
            "TableName": self.table, "FilterExpression": "begins_with(#k, :p)",
            "ExpressionAttributeNames": {"#k": self.key_name}, "ExpressionAttributeValues": {":p": {"S": PREFIX}},
        }
        while True:
            page = await self.client.call("Scan", request)
            for item in page.get("Items", ()):
                yield DeadLetter(
                    stream_arn=item["stream"]["S"], shard_id=item["shard"]["S"],
                    sequence_number=item["sequence_number"]["S"], payload=item["payload"]["S"].encode(),
                    error_type=item["error_type"]["S"], error_message=item["error_message"]["S"],
                    attempts=int(item["attempts"]["N"]), at=float(item["at"]["N"]),
                )
            if not page.get("LastEvaluatedKey"):
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    async def remove(self, letter: DeadLetter) -> None:
        key = {self.key_name: {"S": f"{PREFIX}{letter.shard_id}#{letter.sequence_number}"}}
        await self.client.call("DeleteItem", {"TableName": self.table, "Key": key})


class MemoryDeadLetters:
    """Dead letters kept in a list (tests, and pipelines that only want to count them)."""

    def __init__(self) -> None:
        self.letters: list[DeadLetter] = []

    async def put(self, letter: DeadLetter) -> None:
        self.letters.append(letter)


def decode_payload(letter: DeadLetter) -> Change:
    """The dead-lettered change, ready to replay (binary values come back as base64 text)."""
    return Change.from_record(orjson.loads(letter.payload))
