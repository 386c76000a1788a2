"""DynamoDB Streams: change records written in the item's transaction, shards, retention, wake-ups.

**Capture.** A table whose stream is enabled carries a :class:`Recorder` among its change observers
(``catalog._observers``). ``changes.write_change`` calls it inside the writer's transaction for
every item change, so a stream record commits atomically with the change: the stream can neither
miss nor invent one. A change that leaves the item equal by DynamoDB's rules (sets unordered,
numbers by value) emits nothing, and neither does a delete of a missing item (DynamoDB documents
both: a PutItem or UpdateItem "that does not change any data in an item" writes no record).

**Layout** in the ``stream`` sub-database::

    s | stream id (4)                          -> stream metadata (JSON, see below)
    a | stream ARN                             -> stream id (4)
    r | stream id (4) | shard (4) | seq (8)    -> flags (1) | created, epoch s (4) | record JSON
    n/stream-id, n/seq                         -> allocation counters

The record value has the 5-byte header of an item record (``records.py``: flags, then 4 bytes
that here hold the creation second instead of a size), so ``Output.stored`` splices a record's
JSON into a wire response unchanged, and the trimmer reads a record's age without decoding it.

**Sequence numbers** come from one counter per data directory, assigned in the writer's thread,
so they increase in commit order across every shard and stream (a consumer can merge shards by
sequence number). The counter lives in memory; ``n/seq`` holds a reservation a block ahead,
rewritten in the transaction that crosses it, so a restart continues above anything ever used
and the common write pays no extra put. Gaps are allowed, as in DynamoDB.

**Shards.** A stream has ``Settings.stream_shards`` open shards; an item's shard is chosen from its
partition-key hash (the bytes that already prefix its LMDB key), so each item's records stay in
order within one shard. With ``Settings.stream_rotation`` set, the maintenance pass closes the
open shards every so many seconds and opens children whose ``ParentShardId`` names them, as
DynamoDB does every few hours: consumers can be tested against shard lineage. A shard's
``EndingSequenceNumber`` is its last record's number, read when described, because writes that
share a group commit with the rotation still land in the old shard (they commit together with the
closure; the new shards take over in the group's ``after_commit``).

**Retention.** Records older than ``Settings.stream_retention`` (24 h by default) are trimmed in
the background; each shard remembers the sequence number it is trimmed through, so a position
inside the trimmed range answers ``TrimmedDataAccessException`` rather than silently skipping.
Closed shards and disabled streams disappear once they are older than the retention and empty.
DeleteTable disables its table's stream in the same transaction (the records stay readable, as
DynamoDB keeps them); the same pass also disables any stream whose table is gone without that,
as in data directories written before DeleteTable did it.

**Clock.** Every decision reads ``EngineState.clock``; :meth:`StreamHub.maintain` runs one
maintenance pass (rotation, trimming) on demand, so tests step time deterministically.

**Wake-ups.** In-process subscribers (``stream_read.Subscription``, :meth:`StreamHub.wait_for_records`)
sleep on the hub; a group commit that wrote stream records wakes them from its ``after_commit``
hook, before the writes are even acknowledged. Without subscribers a write pays nothing for this.

Rejected: one counter or record list per shard in memory (lost on crash, races the group commit);
deriving shards from the clock (rotation would then depend on when a write happens to run);
storing the open shards in the table description (every rotation would swap the table and race
UpdateTable).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import threading
import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Literal

import orjson

from dynaflow.engine import errors, records
from dynaflow.engine.keys import next_prefix
from dynaflow.engine.values import Item, item_size, values_equal

if TYPE_CHECKING:
    from dynaflow.engine.changes import Change
    from dynaflow.engine.lmdb_env import LmdbEnv
    from dynaflow.engine.state import EngineState
    from dynaflow.engine.stream_read import Subscription
    from dynaflow.engine.writer import WriteContext

log = logging.getLogger(__name__)

#: Stored table-description field of an enabled stream: {"Id", "ViewType", "Region"}.
FIELD: Final = "_Stream"
VIEW_TYPES: Final = ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")
_NEW_VIEWS: Final = frozenset({"NEW_IMAGE", "NEW_AND_OLD_IMAGES"})
_OLD_VIEWS: Final = frozenset({"OLD_IMAGE", "NEW_AND_OLD_IMAGES"})

META: Final = b"s"
ARN: Final = b"a"
RECORD: Final = b"r"
_NEXT_STREAM: Final = b"n/stream-id"
_SEQ_RESERVE: Final = b"n/seq"
#: Sequence numbers reserved ahead by one ``n/seq`` write.
SEQ_BLOCK: Final = 1 << 20
#: Record value header: flags, creation second.
HEADER: Final = 5
HAS_BINARY: Final = 0x01
_ID: Final = struct.Struct(">I")
_IDS: Final = struct.Struct(">II")
_SEQ: Final = struct.Struct(">Q")
#: A stream record's header: flags (HAS_BINARY), then its creation time in whole seconds.
_RECORD_HEADER: Final = struct.Struct(">BI")
#: Trimming deletes at most this many records per writer job, so live writes never wait long.
TRIM_CHUNK: Final = 2048


def seq_text(seq: int) -> str:
    """A sequence number as DynamoDB shows it: decimal, 21 digits at least."""
    return f"{seq:021d}"


def stream_prefix(stream_id: int) -> bytes:
    return RECORD + _ID.pack(stream_id)


def shard_prefix(stream_id: int, shard: int) -> bytes:
    return RECORD + _IDS.pack(stream_id, shard)


def record_key(stream_id: int, shard: int, seq: int) -> bytes:
    return RECORD + _IDS.pack(stream_id, shard) + _SEQ.pack(seq)


def key_seq(key: bytes) -> int:
    value: int = _SEQ.unpack_from(key, 9)[0]
    return value


def record_created(value: bytes) -> int:
    return int.from_bytes(value[1:HEADER], "big")


def meta_key(stream_id: int) -> bytes:
    return META + _ID.pack(stream_id)


def load_meta(txn: Any, env: LmdbEnv, stream_id: int) -> dict[str, Any] | None:
    raw = txn.get(meta_key(stream_id), db=env.stream)
    return None if raw is None else dict(orjson.loads(raw))


def store_meta(txn: Any, env: LmdbEnv, meta: dict[str, Any]) -> None:
    txn.put(meta_key(meta["Id"]), orjson.dumps(meta), db=env.stream)


def stream_id_of(txn: Any, env: LmdbEnv, arn: str) -> int | None:
    raw = txn.get(ARN + arn.encode(), db=env.stream)
    return None if raw is None else int(_ID.unpack(raw)[0])


def last_seq(txn: Any, env: LmdbEnv, stream_id: int, shard: int) -> int | None:
    """The sequence number of the shard's newest record (None when it holds none)."""
    prefix = shard_prefix(stream_id, shard)
    cursor = txn.cursor(db=env.stream)
    moved = cursor.prev() if cursor.set_range(next_prefix(prefix)) else cursor.last()
    if not moved:
        return None
    key = cursor.key()
    return key_seq(key) if key.startswith(prefix) else None


def shard_end(txn: Any, env: LmdbEnv, stream_id: int, shard: dict[str, Any]) -> int:
    """A closed shard's EndingSequenceNumber: its last record, else how far it was trimmed/started."""
    last = last_seq(txn, env, stream_id, shard["N"])
    return last if last is not None else max(shard["Start"], shard["Trimmed"])


# ---------------------------------------------------------------- capture


class Recorder:
    """Change observer writing a table's stream records inside the item's transaction.

    This runs for every write to a stream-enabled table, so it avoids work the change already did:
    the new image is spliced from the item record ``write_change`` has just put (its JSON as
    ``orjson.dumps`` rendered it, its size from the record header) instead of being sized and
    serialized again, and equality is decided by Python's ``==`` before DynamoDB's rules.
    """

    __slots__ = ("_event_prefix", "_shard_keys", "hub", "region", "stream_id", "view")

    def __init__(self, spec: dict[str, Any]) -> None:
        self.stream_id: int = int(spec["Id"])
        self.view: str = spec["ViewType"]
        self.region: str = spec["Region"]
        self.hub: StreamHub | None = None
        self._event_prefix = f"{self.stream_id:08x}"
        #: shard number -> the key prefix of its records
        self._shard_keys: dict[int, bytes] = {}

    def __call__(self, ctx: WriteContext, change: Change) -> None:
        old, new = change.old, change.new
        txn = ctx.txn
        stored: bytes | None = None
        if new is None:
            if old is None:
                return
            event = "REMOVE"
        else:
            if old is None:
                event = "INSERT"
            elif _same_item(old, new):
                return
            else:
                event = "MODIFY"
            stored = txn.get(change.key, db=ctx.env.items)  # the item record write_change has just put
        hub = self.hub
        if hub is None:
            hub = self.hub = hub_for(ctx.env)
        image: Item = new if new is not None else old  # type: ignore[assignment]
        keys = {name: image[name] for name in change.table.key_names}
        shards = hub.open_shards(ctx, self.stream_id)
        shard = shards[int.from_bytes(change.key[4:8], "big") % len(shards)]
        seq = hub.next_seq(ctx)
        now = int(hub.clock())
        size = item_size(keys)
        dynamodb: dict[str, Any] = {"ApproximateCreationDateTime": now, "Keys": keys}
        view = self.view
        if new is not None and view in _NEW_VIEWS:
            if stored is not None:
                dynamodb["NewImage"] = orjson.Fragment(records.item_json(stored))
                size += records.item_size(stored)
            else:  # pragma: no cover - write_change stores the item before it calls observers
                dynamodb["NewImage"] = new
                size += item_size(new)
        if old is not None and view in _OLD_VIEWS:
            if change.old_record is not None:
                dynamodb["OldImage"] = orjson.Fragment(records.item_json(change.old_record))
                size += records.item_size(change.old_record)
            else:
                dynamodb["OldImage"] = old
                size += item_size(old)
        dynamodb["SequenceNumber"] = str(seq).zfill(21)  # seq_text, inlined
        dynamodb["SizeBytes"] = size
        dynamodb["StreamViewType"] = view
        record: dict[str, Any] = {
            "eventID": self._event_prefix + format(seq, "024x"),
            "eventName": event,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": self.region,
            "dynamodb": dynamodb,
        }
        if change.service_identity is not None:
            record["userIdentity"] = change.service_identity
        body = orjson.dumps(record)
        if stored is not None and "OldImage" not in dynamodb:  # every image the record holds is in ``stored``
            flags = HAS_BINARY if records.has_binary(stored) else 0
        else:
            flags = HAS_BINARY if b'"B' in body else 0  # a false positive only costs a conversion walk
        header = _RECORD_HEADER.pack(flags, now if 0 <= now < 1 << 32 else 0)
        prefix = self._shard_keys.get(shard)
        if prefix is None:
            prefix = self._shard_keys[shard] = shard_prefix(self.stream_id, shard)
        txn.put(prefix + _SEQ.pack(seq), b"".join((header, body)), db=ctx.env.stream)
        if hub.subscribers:
            hub.schedule_wake(ctx)


def _same_item(old: Item, new: Item) -> bool:
    """DynamoDB equality of two items (``values.items_equal``), deciding most attributes with
    Python's ``==``: structurally equal values are equal by DynamoDB's rules too, so only values
    that differ structurally (set order, base64 text against bytes, a differing value) take the
    semantic comparison."""
    if old == new:
        return True
    if old.keys() != new.keys():
        return False
    for name, value in new.items():
        other = old[name]
        if value != other and not values_equal(value, other):
            return False
    return True


def observers(description: dict[str, Any]) -> tuple[Recorder, ...]:
    """The stream observer a table description calls for: one while its stream is enabled."""
    spec = description.get(FIELD)
    return () if spec is None else (Recorder(spec),)


# ---------------------------------------------------------------- the hub

_HUBS: weakref.WeakKeyDictionary[Any, StreamHub] = weakref.WeakKeyDictionary()
_HUBS_LOCK = threading.Lock()


def hub_for(env: LmdbEnv) -> StreamHub:
    """The hub of an open environment (a bare one, on the wall clock, if no engine made one)."""
    with _HUBS_LOCK:
        hub = _HUBS.get(env)
        if hub is None:
            hub = _HUBS[env] = StreamHub(env)
        return hub


class StreamHub:
    """Per data directory: the sequence counter, the open shards, maintenance and wake-ups."""

    def __init__(self, env: LmdbEnv, state: EngineState | None = None) -> None:
        import time

        self.env = env
        self.state = state
        self.clock: Callable[[], float] = (lambda: state.clock()) if state is not None else time.time
        with env.read() as txn:
            raw = txn.get(_SEQ_RESERVE, db=env.stream)
            reserved = int(raw) if raw else 0
            self._open: dict[int, tuple[int, ...]] = {}
            cursor = txn.cursor(db=env.stream)
            if cursor.set_range(META):
                for key, value in cursor:
                    if not key.startswith(META):
                        break
                    meta = orjson.loads(value)
                    if meta["Status"] == "ENABLED":
                        self._open[meta["Id"]] = open_numbers(meta)
        self._next = reserved + 1
        self._durable = reserved
        self._reserve_ctx: Any = None
        self._reserve_upto = 0
        #: Wake-ups: a version bumped by every group commit that wrote records while anyone listens.
        self.subscribers = 0
        self.version = 0
        self._cond = threading.Condition()
        self._async: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Event]] = {}
        self._wake_ctx: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        with _HUBS_LOCK:
            _HUBS[env] = self

    # ------------------------------------------------------------ inside the writer's transaction

    def next_seq(self, ctx: WriteContext) -> int:
        seq = self._next
        self._next = seq + 1
        if seq > self._durable and (self._reserve_ctx is not ctx or seq > self._reserve_upto):
            upto = seq + SEQ_BLOCK
            ctx.txn.put(_SEQ_RESERVE, str(upto).encode(), db=ctx.env.stream)
            self._reserve_ctx, self._reserve_upto = ctx, upto
            ctx.after_commit.append(lambda: self._reserved(upto))
        return seq

    def _reserved(self, upto: int) -> None:
        self._durable = max(self._durable, upto)

    def peek_seq(self) -> int:
        return self._next

    def open_shards(self, ctx: WriteContext, stream_id: int) -> tuple[int, ...]:
        shards = self._open.get(stream_id)
        if shards is None:  # created or re-opened in this very group: not swapped in yet
            meta = load_meta(ctx.txn, ctx.env, stream_id)
            if meta is None or not open_numbers(meta):
                raise errors.internal(f"stream {stream_id} has no open shard")
            shards = open_numbers(meta)
        return shards

    def set_open(self, stream_id: int, shards: tuple[int, ...] | None) -> None:
        if shards:
            self._open[stream_id] = shards
        else:
            self._open.pop(stream_id, None)

    def schedule_wake(self, ctx: WriteContext) -> None:
        if self._wake_ctx is not ctx:
            self._wake_ctx = ctx
            ctx.after_commit.append(self.wake)

    # ------------------------------------------------------------ wake-ups

    def wake(self) -> None:
        with self._cond:
            self.version += 1
            self._cond.notify_all()
            waiters = list(self._async.values())
        for loop, event in waiters:
            with contextlib.suppress(RuntimeError):  # the loop was closed
                loop.call_soon_threadsafe(event.set)

    def wait(self, version: int, timeout: float | None) -> bool:
        """Block until a commit after ``version`` wrote stream records; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self.version != version, timeout)

    async def wait_async(self, version: int, timeout: float | None) -> bool:
        loop = asyncio.get_running_loop()
        event = asyncio.Event()
        token = id(event)
        with self._cond:
            if self.version != version:
                return True
            self._async[token] = (loop, event)
        try:
            await asyncio.wait_for(event.wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            with self._cond:
                self._async.pop(token, None)

    def listen(self, delta: int) -> None:
        with self._cond:
            self.subscribers += delta

    def subscribe(self, table_name: str, *, start: Literal["LATEST", "TRIM_HORIZON"] = "LATEST"
                  ) -> Subscription:
        """An in-process consumer of the table's current stream (``stream_read.Subscription``)."""
        from dynaflow.engine.stream_read import Subscription

        if self.state is None:
            raise RuntimeError("subscriptions need an engine")
        return Subscription(self.state, table_name, start=start)

    def wait_for_records(self, stream_arn: str, shard_id: str, timeout: float | None,
                         after: str | None = None) -> bool:
        """Block until the shard holds a record after ``after`` (or, without it, until the next
        commit writing stream records); False on timeout. The embedded client's waiting hook."""
        self.listen(1)
        try:
            while True:
                version = self.version
                if after is not None and self._has_after(stream_arn, shard_id, after):
                    return True
                if not self.wait(version, timeout) or after is None:
                    return self.version != version
        finally:
            self.listen(-1)

    async def wait_for_records_async(self, stream_arn: str, shard_id: str, timeout: float | None,
                                     after: str | None = None) -> bool:
        """:meth:`wait_for_records` for asyncio callers."""
        self.listen(1)
        try:
            while True:
                version = self.version
                if after is not None and self._has_after(stream_arn, shard_id, after):
                    return True
                if not await self.wait_async(version, timeout) or after is None:
                    return self.version != version
        finally:
            self.listen(-1)

    def _has_after(self, stream_arn: str, shard_id: str, after: str) -> bool:
        with self.env.read() as txn:
            stream_id = stream_id_of(txn, self.env, stream_arn)
            meta = load_meta(txn, self.env, stream_id) if stream_id is not None else None
            shard = next((s for s in meta["Shards"] if s["Id"] == shard_id), None) if meta else None
            if meta is None or shard is None:
                return True  # gone: let the caller find out
            last = last_seq(txn, self.env, meta["Id"], shard["N"])
            return (last is not None and last > int(after)) or shard["Closed"] is not None

    # ------------------------------------------------------------ background maintenance

    def start(self, interval: float) -> None:
        if interval > 0 and self._thread is None:
            self._thread = threading.Thread(target=self._run, args=(interval,), name="dynaflow-streams",
                                            daemon=True)
            self._thread.start()

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.maintain()
            except Exception:
                if self._stop.is_set():
                    return
                log.exception("stream maintenance failed")

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        self.wake()

    def maintain(self) -> None:
        """One pass: streams of deleted tables disabled, shards rotated, old records trimmed, and
        expired closed shards and disabled streams forgotten."""
        state = self.state
        if state is None:
            return
        with self.env.read() as txn:
            ids = [int(_ID.unpack(key[1:])[0]) for key in _keys(txn, self.env, META)]
        for stream_id in ids:
            while state.writer.submit(self._trim_job(stream_id)):
                pass
            state.writer.submit(self._lifecycle_job(stream_id))

    def _lifecycle_job(self, stream_id: int) -> Callable[[WriteContext], None]:
        state = self.state
        assert state is not None

        def job(ctx: WriteContext) -> None:
            meta = load_meta(ctx.txn, ctx.env, stream_id)
            if meta is None:
                return
            now = state.clock()
            changed = False
            if meta["Status"] == "ENABLED":
                table = state.catalog.tables.get(meta["TableName"])
                spec = table.description.get(FIELD) if table is not None else None
                if table is None or table.table_id != meta["TableId"] or not spec or spec["Id"] != stream_id:
                    close_stream(self, ctx, meta, now)  # the table was deleted
                    changed = True
                elif state.settings.stream_rotation > 0 and now - meta["RotatedAt"] >= state.settings.stream_rotation:
                    rotate(self, ctx, meta, now)
                    changed = True
            cutoff = now - state.settings.stream_retention
            kept = []
            for shard in meta["Shards"]:
                closed = shard["Closed"]
                if closed is not None and closed < cutoff and last_seq(ctx.txn, ctx.env, stream_id, shard["N"]) is None:
                    changed = True
                    continue
                kept.append(shard)
            meta["Shards"] = kept
            if meta["Status"] == "DISABLED" and not kept and (meta["Closed"] or 0) < cutoff:
                ctx.txn.delete(meta_key(stream_id), db=ctx.env.stream)
                ctx.txn.delete(ARN + meta["Arn"].encode(), db=ctx.env.stream)
            elif changed:
                store_meta(ctx.txn, ctx.env, meta)

        return job

    def _trim_job(self, stream_id: int) -> Callable[[WriteContext], bool]:
        """Delete up to TRIM_CHUNK expired records of the stream; True while more may remain."""
        state = self.state
        assert state is not None

        def job(ctx: WriteContext) -> bool:
            meta = load_meta(ctx.txn, ctx.env, stream_id)
            if meta is None:
                return False
            cutoff = state.clock() - state.settings.stream_retention
            budget = TRIM_CHUNK
            changed = False
            cursor = ctx.txn.cursor(db=ctx.env.stream)
            for shard in meta["Shards"]:
                prefix = shard_prefix(stream_id, shard["N"])
                if not cursor.set_range(prefix):
                    continue
                while budget and cursor.key().startswith(prefix) and record_created(cursor.value()) < cutoff:
                    shard["Trimmed"] = max(shard["Trimmed"], key_seq(cursor.key()))
                    changed = True
                    budget -= 1
                    if not cursor.delete():
                        break
            if changed:
                store_meta(ctx.txn, ctx.env, meta)
            return budget == 0

        return job


def _keys(txn: Any, env: LmdbEnv, prefix: bytes) -> list[bytes]:
    found: list[bytes] = []
    cursor = txn.cursor(db=env.stream)
    if cursor.set_range(prefix):
        for key in cursor.iternext(values=False):
            if not key.startswith(prefix):
                break
            found.append(bytes(key))
    return found


# ---------------------------------------------------------------- stream lifecycle (writer jobs)


def open_numbers(meta: dict[str, Any]) -> tuple[int, ...]:
    return tuple(s["N"] for s in meta["Shards"] if s["Closed"] is None)


def _shard_id(created: float, stream_id: int, number: int) -> str:
    return f"shardId-{int(created * 1000):020d}-{stream_id:04x}{number:04x}"


def _new_shards(hub: StreamHub, meta: dict[str, Any], now: float, parents: list[str | None]) -> None:
    start = hub.peek_seq()
    for parent in parents:
        number = meta["NextShard"]
        meta["NextShard"] = number + 1
        shard: dict[str, Any] = {"N": number, "Id": _shard_id(now, meta["Id"], number), "Start": start,
                                 "Trimmed": start - 1, "Created": now, "Closed": None}
        if parent is not None:
            shard["Parent"] = parent
        meta["Shards"].append(shard)


def _label(now: float) -> str:
    moment = datetime.fromtimestamp(now, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def create_stream(state: EngineState, ctx: WriteContext, description: dict[str, Any], view_type: str,
                  now: float) -> None:
    """Open a new stream for the table ``description`` describes (and record it there)."""
    env = ctx.env
    hub = state.streams
    raw = ctx.txn.get(_NEXT_STREAM, db=env.stream)
    stream_id = int(raw) if raw else 1
    ctx.txn.put(_NEXT_STREAM, str(stream_id + 1).encode(), db=env.stream)
    name = description["TableName"]
    moment = now
    while True:  # labels are unique per table: a second stream in the same millisecond moves on
        label = _label(moment)
        arn = f"{state.table_arn(name)}/stream/{label}"
        if ctx.txn.get(ARN + arn.encode(), db=env.stream) is None:
            break
        moment += 0.001
    meta: dict[str, Any] = {
        "Id": stream_id, "Arn": arn, "Label": label, "TableName": name, "TableId": int(description["_Id"]),
        "ViewType": view_type, "KeySchema": description["KeySchema"], "Status": "ENABLED", "Created": now,
        "Closed": None, "RotatedAt": now, "NextShard": 0, "Shards": [],
    }
    _new_shards(hub, meta, now, [None] * max(1, state.settings.stream_shards))
    store_meta(ctx.txn, env, meta)
    ctx.txn.put(ARN + arn.encode(), _ID.pack(stream_id), db=env.stream)
    shards = open_numbers(meta)
    ctx.after_commit.append(lambda: hub.set_open(stream_id, shards))
    description["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view_type}
    description["LatestStreamLabel"] = label
    description["LatestStreamArn"] = arn
    description[FIELD] = {"Id": stream_id, "ViewType": view_type, "Region": state.settings.region}


def close_stream(hub: StreamHub, ctx: WriteContext, meta: dict[str, Any], now: float) -> None:
    """Mark a stream DISABLED and close its shards (its records stay readable until trimmed)."""
    meta["Status"] = "DISABLED"
    meta["Closed"] = now
    for shard in meta["Shards"]:
        if shard["Closed"] is None:
            shard["Closed"] = now
    store_meta(ctx.txn, ctx.env, meta)
    stream_id = meta["Id"]
    ctx.after_commit.append(lambda: hub.set_open(stream_id, None))
    ctx.after_commit.append(hub.wake)


def disable_stream(state: EngineState, ctx: WriteContext, description: dict[str, Any], now: float) -> None:
    """Disable the table's stream: description fields go, LatestStreamArn/Label stay."""
    spec = description.pop(FIELD, None)
    description.pop("StreamSpecification", None)
    if spec is None:
        return
    meta = load_meta(ctx.txn, ctx.env, int(spec["Id"]))
    if meta is not None and meta["Status"] == "ENABLED":
        close_stream(state.streams, ctx, meta, now)


def rotate(hub: StreamHub, ctx: WriteContext, meta: dict[str, Any], now: float) -> None:
    """Close the open shards and open one child for each."""
    parents: list[str | None] = []
    for shard in meta["Shards"]:
        if shard["Closed"] is None:
            shard["Closed"] = now
            parents.append(shard["Id"])
    _new_shards(hub, meta, now, parents)
    meta["RotatedAt"] = now
    store_meta(ctx.txn, ctx.env, meta)
    stream_id, shards = meta["Id"], open_numbers(meta)
    ctx.after_commit.append(lambda: hub.set_open(stream_id, shards))
    ctx.after_commit.append(hub.wake)


# ---------------------------------------------------------------- StreamSpecification checks


def check_specification(spec: dict[str, Any] | None, *, creating: bool, table_name: str = "",
                        enabled_now: bool = False) -> str | None:
    """Validate a StreamSpecification; return the view type to enable, or None (nothing to enable).

    UpdateTable's "disable" is signalled by raising nothing and returning None with ``enabled_now``;
    callers compare with the current state.
    """
    if spec is None:
        return None
    enabled = bool(spec.get("StreamEnabled"))
    view = spec.get("StreamViewType")
    if enabled:
        if not view:
            raise errors.validation(
                "Invalid StreamViewType: Stream ViewType must not be null or empty when enabling streams.")
        if not creating and enabled_now:
            raise errors.validation(f"Table already has an enabled stream: TableName: {table_name}")
        return str(view)
    if view:
        if creating:
            raise errors.invalid_parameters(
                "Table is being created with a stream disabled, UpdateViewType should not be specified")
        raise errors.validation(
            "Invalid StreamViewType: Stream StreamEnabled was false but a StreamViewType was present.")
    if not creating and not enabled_now:
        raise errors.validation("Table has no stream to disable")
    return None
