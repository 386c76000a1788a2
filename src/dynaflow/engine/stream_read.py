"""Reading streams: ListStreams, DescribeStream, GetShardIterator, GetRecords, and in-process
subscriptions. Storage, capture and retention are in ``streams.py``.

Every read runs on one LMDB snapshot, so a shard's records and its closed/trimmed state agree:
a closed shard read to its end answers without ``NextShardIterator`` only when no record of it
can still be missing.

**Shard iterators** are opaque to callers but, like DynamoDB's, start with the stream ARN::

    <stream arn>|1|<base64url: stream id (4) | shard (4) | position (8) | issued ms (8)>

``position`` is the sequence number the iterator is *after* (records with larger numbers come
next). An iterator is valid for 15 minutes from ``issued`` (``ExpiredIteratorException`` after);
every GetRecords hands out a fresh one. A position at or below the shard's trim mark that still
had records to read answers ``TrimmedDataAccessException``.

**Subscriptions** (:class:`Subscription`) follow one table's current stream across all its shards,
children included, without iterators or polling: ``get()`` blocks (``get_async()`` awaits) until
a commit writes records, which it returns in commit order (by sequence number). They are the
engine's in-process consumer API; remote consumers use the four operations.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Literal

import orjson

from dynaflow.engine import errors, streams
from dynaflow.engine.keys import next_prefix
from dynaflow.engine.streams import FIELD, HAS_BINARY, HEADER, key_seq, load_meta, seq_text, shard_prefix

if TYPE_CHECKING:
    from dynaflow.engine.state import EngineState, Output
    from dynaflow.engine.streams import StreamHub

#: Iterators expire after 15 minutes, as DynamoDB's do.
ITERATOR_TTL_MS: Final = 15 * 60 * 1000
MAX_RECORDS: Final = 1000
#: GetRecords returns at most 1 MB of records.
MAX_BYTES: Final = 1024 * 1024
MAX_LIST: Final = 100
_ITERATOR: Final = struct.Struct(">IIQQ")
_IMAGES: Final = ("Keys", "NewImage", "OldImage")


# ---------------------------------------------------------------- lookups


#: The shape of a stream ARN, ``arn:aws:dynamodb:<region>:<account>:table/<table>/stream/<label>``;
#: anything else is not a stream that could exist, which DynamoDB answers with ValidationException.
_STREAM_ARN: Final = re.compile(r"arn:aws[a-z-]*:dynamodb:[a-z0-9-]*:\d{12}:table/[A-Za-z0-9_.-]{3,255}/stream/\S+")


def _check_arn(arn: str) -> None:
    if not _STREAM_ARN.fullmatch(arn):
        raise errors.validation("Invalid StreamArn")


def _find_stream(state: EngineState, txn: Any, arn: str) -> dict[str, Any]:
    _check_arn(arn)
    stream_id = streams.stream_id_of(txn, state.env, arn)
    meta = load_meta(txn, state.env, stream_id) if stream_id is not None else None
    if meta is None:
        raise errors.resource_not_found(f"Requested resource not found: Stream: {arn} not found")
    return meta


def _find_shard(meta: dict[str, Any], shard_id: str) -> dict[str, Any]:
    for shard in meta["Shards"]:
        if shard["Id"] == shard_id:
            return dict(shard)
    raise errors.resource_not_found("Requested resource not found: Shard does not exist")


def _now_ms(state: EngineState) -> int:
    return int(state.clock() * 1000)


# ---------------------------------------------------------------- ListStreams / DescribeStream


def list_streams(state: EngineState, request: dict[str, Any]) -> dict[str, Any]:
    table_name = request.get("TableName")
    limit = int(request.get("Limit") or MAX_LIST)  # the shape check caps it at MAX_LIST
    start = request.get("ExclusiveStartStreamArn")
    if start:
        _check_arn(start)
    env = state.env
    found: list[dict[str, Any]] = []
    more = False
    with env.read() as txn:
        start_id = streams.stream_id_of(txn, env, start) if start else None
        cursor = txn.cursor(db=env.stream)
        # Newest first, as DynamoDB answers; stream ids grow with creation.
        positioned = cursor.set_range(streams.meta_key(start_id) if start_id is not None
                                      else next_prefix(streams.META))
        moved = cursor.prev() if positioned else cursor.last()
        while moved and cursor.key().startswith(streams.META):
            meta = orjson.loads(cursor.value())
            if table_name is None or meta["TableName"] == table_name:
                if len(found) == limit:
                    more = True
                    break
                found.append({"StreamArn": meta["Arn"], "TableName": meta["TableName"],
                              "StreamLabel": meta["Label"]})
            moved = cursor.prev()
    response: dict[str, Any] = {"Streams": found}
    if more:
        response["LastEvaluatedStreamArn"] = found[-1]["StreamArn"]
    return response


def describe_stream(state: EngineState, request: dict[str, Any]) -> dict[str, Any]:
    limit = int(request.get("Limit") or MAX_LIST)  # the shape check caps it at MAX_LIST
    start = request.get("ExclusiveStartShardId")
    shard_filter = request.get("ShardFilter") or {}
    env = state.env
    with env.read() as txn:
        meta = _find_stream(state, txn, request["StreamArn"])
        shards = meta["Shards"]
        if shard_filter.get("Type") == "CHILD_SHARDS" and shard_filter.get("ShardId"):
            shards = [s for s in shards if s.get("Parent") == shard_filter["ShardId"]]
        if start:
            ids = [s["Id"] for s in shards]
            # After the named shard; a shard id that is not the stream's starts after it in id order.
            shards = shards[ids.index(start) + 1:] if start in ids else [s for s in shards if s["Id"] > start]
        page, rest = shards[:limit], shards[limit:]
        described = []
        for shard in page:
            entry: dict[str, Any] = {"ShardId": shard["Id"]}
            span = {"StartingSequenceNumber": seq_text(shard["Start"])}
            if shard["Closed"] is not None:
                span["EndingSequenceNumber"] = seq_text(streams.shard_end(txn, env, meta["Id"], shard))
            entry["SequenceNumberRange"] = span
            if "Parent" in shard:
                entry["ParentShardId"] = shard["Parent"]
            described.append(entry)
    description: dict[str, Any] = {
        "StreamArn": meta["Arn"],
        "StreamLabel": meta["Label"],
        "StreamStatus": meta["Status"],
        "StreamViewType": meta["ViewType"],
        "CreationRequestDateTime": meta["Created"],
        "TableName": meta["TableName"],
        "KeySchema": meta["KeySchema"],
        "Shards": described,
    }
    if rest:
        description["LastEvaluatedShardId"] = page[-1]["Id"]
    return {"StreamDescription": description}


# ---------------------------------------------------------------- iterators


def _iterator(arn: str, stream_id: int, shard: int, position: int, issued_ms: int) -> str:
    blob = base64.urlsafe_b64encode(_ITERATOR.pack(stream_id, shard, position, issued_ms)).decode()
    return f"{arn}|1|{blob}"


def _parse_iterator(text: str) -> tuple[str, int, int, int, int]:
    arn, _, rest = text.rpartition("|")
    arn, _, version = arn.rpartition("|")
    try:
        if version != "1" or not arn:
            raise ValueError(text)
        stream_id, shard, position, issued = _ITERATOR.unpack(base64.urlsafe_b64decode(rest.encode()))
    except (ValueError, struct.error, binascii.Error):
        raise errors.validation("Invalid ShardIterator") from None
    return arn, stream_id, shard, position, issued


def _parse_seq(text: object) -> int:
    if not isinstance(text, str) or not text.isdigit() or not text.isascii():
        raise errors.invalid_parameters("Invalid SequenceNumber")
    value = int(text)
    if value >= 1 << 64:
        raise errors.invalid_parameters("Invalid SequenceNumber")
    return value


def get_shard_iterator(state: EngineState, request: dict[str, Any]) -> dict[str, Any]:
    kind = request["ShardIteratorType"]
    seq_given = request.get("SequenceNumber")
    if kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        if seq_given is None:
            raise errors.invalid_parameters("Invalid SequenceNumber")
        seq = _parse_seq(seq_given)
    elif kind in ("TRIM_HORIZON", "LATEST"):
        if seq_given is not None:
            raise errors.invalid_parameters("SequenceNumber should not be passed for this iterator type")
        seq = 0
    else:
        raise errors.validation(f"Unsupported ShardIteratorType: {kind}")
    env = state.env
    with env.read() as txn:
        meta = _find_stream(state, txn, request["StreamArn"])
        shard = _find_shard(meta, request["ShardId"])
        if kind == "TRIM_HORIZON":
            position = shard["Trimmed"]
        elif kind == "LATEST":
            last = streams.last_seq(txn, env, meta["Id"], shard["N"])
            position = max(shard["Trimmed"], last if last is not None else shard["Start"] - 1)
        else:
            position = seq - 1 if kind == "AT_SEQUENCE_NUMBER" else seq
            if _lost(shard, position):
                raise _trimmed(seq_given)
    return {"ShardIterator": _iterator(meta["Arn"], meta["Id"], shard["N"], position, _now_ms(state))}


def _lost(shard: dict[str, Any], position: int) -> bool:
    """Whether records after ``position`` were trimmed: the trim mark, once past the shard's
    start, is the number of a record that existed and is gone."""
    trimmed: int = shard["Trimmed"]
    return position < trimmed and trimmed >= shard["Start"]


def _trimmed(seq: object = None) -> errors.DynamoError:
    if seq is not None:
        return errors.trimmed_data_access(
            f"Attempted to access data beyond the trim horizon: the records up to sequence number {seq} "
            "have been trimmed")
    return errors.trimmed_data_access(
        "The operation attempted to read past the oldest stream record in a shard")


# ---------------------------------------------------------------- GetRecords


def get_records(state: EngineState, request: dict[str, Any], out: Output) -> dict[str, Any]:
    arn, stream_id, shard_no, position, issued = _parse_iterator(request["ShardIterator"])
    limit = int(request.get("Limit") or MAX_RECORDS)
    now_ms = _now_ms(state)
    if now_ms - issued > ITERATOR_TTL_MS:
        raise errors.expired_iterator("Shard iterator has expired")
    env = state.env
    records: list[Any] = []
    with env.read() as txn:
        meta = load_meta(txn, env, stream_id)
        if meta is None or meta["Arn"] != arn:
            raise errors.resource_not_found(f"Requested resource not found: Stream: {arn} not found")
        shard = next((s for s in meta["Shards"] if s["N"] == shard_no), None)
        if shard is None:
            raise _trimmed()
        if _lost(shard, position):
            raise _trimmed()
        prefix = shard_prefix(stream_id, shard_no)
        cursor = txn.cursor(db=env.stream)
        size = 0
        exhausted = True
        if cursor.set_range(prefix + struct.pack(">Q", position + 1)):
            for key, value in cursor:
                if not key.startswith(prefix):
                    break
                if len(records) >= limit or (records and size + len(value) > MAX_BYTES):
                    exhausted = False
                    break
                size += len(value)
                records.append(_render(value, out))
                position = key_seq(key)
    response: dict[str, Any] = {"Records": records}
    if not (exhausted and shard["Closed"] is not None):
        response["NextShardIterator"] = _iterator(arn, stream_id, shard_no, position, now_ms)
    return response


def _render(value: bytes, out: Output) -> Any:
    """A stored record for the caller: spliced bytes, or a dict with binary values converted."""
    if not value[0] & HAS_BINARY:
        return out.stored(value)
    record = orjson.loads(memoryview(value)[HEADER:])
    dynamodb = record["dynamodb"]
    for name in _IMAGES:
        if name in dynamodb:
            dynamodb[name] = out.item(dynamodb[name])
    return record


# ---------------------------------------------------------------- in-process subscriptions


class Subscription:
    """Follows a table's current stream in-process: every record, in commit order, no polling.

    ``start="LATEST"`` delivers changes committed after the subscription was made;
    ``"TRIM_HORIZON"`` every retained record first. Records come as GetRecords returns them to
    Python callers (binary values as ``bytes``). A subscription ends (``ended``) once its stream
    is disabled and every shard is read to its end.
    """

    def __init__(self, state: EngineState, table_name: str, *,
                 start: Literal["LATEST", "TRIM_HORIZON"] = "LATEST") -> None:
        from dynaflow.engine.state import PYTHON_OUTPUT

        self._state = state
        self._hub: StreamHub = state.streams
        self._out = PYTHON_OUTPUT
        table = state.catalog.get(table_name)
        spec = table.description.get(FIELD)
        if spec is None:
            raise errors.validation(f"Table {table_name} has no enabled stream")
        self.stream_id: int = int(spec["Id"])
        self.stream_arn: str = table.description["LatestStreamArn"]
        self._positions: dict[int, int] = {}
        self._done: set[int] = set()
        self.ended = False
        self._closed = False
        self._hub.listen(1)
        env = state.env
        with env.read() as txn:
            meta = load_meta(txn, env, self.stream_id)
            assert meta is not None
            for shard in meta["Shards"]:
                last = streams.last_seq(txn, env, self.stream_id, shard["N"]) if start == "LATEST" else None
                self._positions[shard["N"]] = max(shard["Trimmed"], last if last is not None else -1)

    def poll(self, limit: int = MAX_RECORDS) -> list[dict[str, Any]]:
        """The records committed since the last call (at most ``limit``), without waiting."""
        env = self._state.env
        found: list[tuple[int, int, bytes]] = []
        finished: list[int] = []
        with env.read() as txn:
            meta = load_meta(txn, env, self.stream_id)
            if meta is None:
                self.ended = True
                return []
            cursor = txn.cursor(db=env.stream)
            for shard in meta["Shards"]:
                number = shard["N"]
                if number in self._done:
                    continue
                position = self._positions.setdefault(number, shard["Trimmed"])
                if _lost(shard, position):
                    raise _trimmed()
                prefix = shard_prefix(self.stream_id, number)
                taken = 0
                if cursor.set_range(prefix + struct.pack(">Q", position + 1)):
                    for key, value in cursor:
                        if not key.startswith(prefix) or taken >= limit:
                            break
                        found.append((key_seq(key), number, bytes(value)))
                        taken += 1
                if shard["Closed"] is not None and taken < limit:
                    finished.append(number)
            disabled = meta["Status"] == "DISABLED"
        found.sort()
        batch = found[:limit]
        for seq, number, _ in batch:
            self._positions[number] = seq
        complete = len(batch) == len(found)
        if complete:
            self._done.update(finished)
            if disabled and len(self._done) >= len(meta["Shards"]):
                self.ended = True
        return [self._decode(value) for _, _, value in batch]

    def _decode(self, value: bytes) -> dict[str, Any]:
        record: dict[str, Any] = _render(value, self._out)
        return record

    def get(self, timeout: float | None = None, limit: int = MAX_RECORDS) -> list[dict[str, Any]]:
        """Block until records arrive (or ``timeout`` seconds pass: then ``[]``)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            version = self._hub.version
            batch = self.poll(limit)
            if batch or self.ended or self._closed:
                return batch
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return []
            self._hub.wait(version, left)

    async def get_async(self, timeout: float | None = None, limit: int = MAX_RECORDS) -> list[dict[str, Any]]:
        """:meth:`get` for asyncio callers: awaits instead of blocking the loop."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            version = self._hub.version
            batch = self.poll(limit)
            if batch or self.ended or self._closed:
                return batch
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return []
            await self._hub.wait_async(version, left)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._hub.listen(-1)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
