"""The values that flow through a pipeline: source records, their positions, and table mutations.

A :class:`Record` is what a source hands over, byte for byte (key, value, position, timestamp); a
rule turns it into a :class:`Put` or :class:`Delete` of one table item. Mutations carry the
record they came from, so a failed write can dead-letter the original bytes with its position.
``identity`` is the item's primary key in a hashable form: two mutations with the same identity
target the same item, which is what coalescing and per-key ordering key on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

#: One DynamoDB item in boto3's low-level shape (``{"pk": {"S": "a"}}``), binary values as bytes.
Item = dict[str, Any]


class Position(NamedTuple):
    """Where a record sits in its source: a Kafka topic, partition and offset."""

    topic: str
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.topic}/{self.partition}/{self.offset}"


class Record(NamedTuple):
    """One source record, unchanged: ``value`` None is a tombstone.

    A named tuple rather than a frozen dataclass: one is built per consumed message, and a named
    tuple is as immutable but ~4x cheaper to build (a frozen dataclass's ``__init__`` assigns each
    field through ``object.__setattr__``).
    """

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int | None = None
    headers: tuple[tuple[str, bytes], ...] = ()

    @property
    def position(self) -> Position:
        return Position(self.topic, self.partition, self.offset)


@dataclass(slots=True)
class Put:
    """Write ``item`` (its key included) to ``table``."""

    table: str
    identity: tuple[Any, ...]
    item: Item
    record: Record
    version: int | None = None
    """The source offset, when the rule keeps one in ``version_attribute``."""
    version_attribute: str | None = None
    conditional: bool = False
    """Write only if the stored version is not newer (records replayed after a (re)assignment)."""
    rule: str = ""
    rule_version: int = 0


@dataclass(slots=True)
class Delete:
    """Delete the item with primary key ``key`` from ``table``."""

    table: str
    identity: tuple[Any, ...]
    key: Item
    record: Record
    version: int | None = None
    """The source offset, when the rule keeps one in ``version_attribute``."""
    version_attribute: str | None = None
    conditional: bool = False
    """Write only if the stored version is not newer (records replayed after a (re)assignment)."""
    rule: str = ""
    rule_version: int = 0


Mutation = Put | Delete
