"""What the CDC runtime moves: one :class:`Change` per stream record, ordered by sequence number.

A stream record (the ``Records`` entries of DynamoDB Streams' ``GetRecords``) becomes a ``Change``
that keeps the record byte for byte (``raw``, for the dead-letter store) next to the few fields the
runtime reads: the item's key, its new image (``None`` for a delete), the sequence number and the
approximate creation time.

Sequence numbers are decimal strings of 21 to 40 digits. :func:`seq_key` left-pads them to 40 so
that string order equals numeric order; the replica sink stores that form on every replica item and
compares it in a ``ConditionExpression`` (a DynamoDB number holds only 38 digits).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

Item = dict[str, Any]
EventName = Literal["INSERT", "MODIFY", "REMOVE"]

SEQ_WIDTH: Final = 40
#: The sequence "number" of a row copied by a snapshot or a repair: older than any stream change.
SNAPSHOT_SEQ: Final = "0" * SEQ_WIDTH
#: ``userIdentity`` of a delete made by DynamoDB's TTL process.
TTL_PRINCIPAL: Final = "dynamodb.amazonaws.com"


def seq_key(sequence_number: str) -> str:
    """The sequence number in a form whose string order is numeric order."""
    if sequence_number.isdigit():
        return sequence_number.rjust(SEQ_WIDTH, "0")
    return sequence_number  # not DynamoDB's digits: keep the endpoint's own (lexicographic) order


def _epoch(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value)


@dataclass(slots=True)
class Change:
    """One item change read from a shard.

    Treat it as read-only. It is not frozen: a frozen dataclass sets each field through
    ``object.__setattr__``, and building one cost 3.3 µs against 1.6 µs now (its fields are
    dicts, so it was never hashable anyway).
    """

    event: EventName
    keys: Item
    new_image: Item | None
    sequence_number: str
    created_at: float | None
    by_ttl: bool
    raw: dict[str, Any]
    #: ``sequence_number`` as :func:`seq_key` pads it (computed once: the sink compares it often).
    seq: str
    #: The record's ``SizeBytes`` (its images and keys by DynamoDB's size rules), when it has one.
    size: int | None

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Change:
        data = record["dynamodb"]
        identity = record.get("userIdentity")
        event: EventName = record["eventName"]
        sequence_number = data["SequenceNumber"]
        size = data.get("SizeBytes")
        return cls(
            event=event,
            keys=data["Keys"],
            new_image=None if event == "REMOVE" else data.get("NewImage"),
            sequence_number=sequence_number,
            created_at=_epoch(data.get("ApproximateCreationDateTime")),
            by_ttl=_is_ttl_delete(identity),
            raw=record,
            seq=seq_key(sequence_number),
            size=size if isinstance(size, int) else None,
        )


def _is_ttl_delete(identity: Any) -> bool:
    """Whether a record's ``userIdentity`` is the TTL service's: the Streams API spells its members
    ``Type``/``PrincipalId``, Lambda's event payloads ``type``/``principalId``."""
    if not isinstance(identity, dict):
        return False
    kind = identity.get("Type", identity.get("type"))
    principal = identity.get("PrincipalId", identity.get("principalId"))
    return kind == "Service" and principal == TTL_PRINCIPAL


@dataclass(frozen=True, slots=True)
class Position:
    """Where a shard's reading resumes: after ``sequence_number``, or a named start."""

    shard_id: str
    checkpoint: str  # a sequence number, "TRIM_HORIZON", "LATEST" or "SHARD_END"

    @property
    def finished(self) -> bool:
        return self.checkpoint == SHARD_END


TRIM_HORIZON: Final = "TRIM_HORIZON"
LATEST: Final = "LATEST"
SHARD_END: Final = "SHARD_END"
