"""What every operation module is handed: the open environment, the catalog, the writer, the
engine's settings and clock, and the :class:`Output` that renders items for the caller.

Operations never build response items themselves: a stored item is returned through
``out.stored(record)`` and a computed one through ``out.item(item)``. The wire server's output
splices stored JSON bytes into the response unchanged (``orjson.Fragment``); the Python output
decodes them and turns base64 binary into ``bytes`` as boto3 does.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from dynaflow.engine import records
from dynaflow.engine.catalog import Catalog
from dynaflow.engine.lmdb_env import LmdbEnv
from dynaflow.engine.streams import StreamHub
from dynaflow.engine.throttle import Limiter
from dynaflow.engine.values import Item
from dynaflow.engine.writer import WriteContext, Writer


class Output(Protocol):
    """Renders items into a response for one kind of caller."""

    def stored(self, record: bytes) -> Any: ...

    def item(self, item: Item) -> Any: ...


class WireOutput:
    """For the wire server: stored items are spliced as pre-serialized JSON."""

    @staticmethod
    def stored(record: bytes) -> Any:
        return orjson.Fragment(records.item_json(record))

    @staticmethod
    def item(item: Item) -> Any:
        return item


class PythonOutput:
    """For in-process callers: plain dicts, with binary values as ``bytes``."""

    @staticmethod
    def stored(record: bytes) -> Any:
        # records.decode_item and records.has_binary, inlined: this runs once per item returned.
        item = orjson.loads(memoryview(record)[records.HEADER_SIZE:])
        return binary_to_bytes(item) if record[0] & records.HAS_BINARY else item

    @staticmethod
    def item(item: Item) -> Any:
        return binary_to_bytes(item)


def binary_to_bytes(item: Item) -> Item:
    return {name: _av_to_bytes(av) for name, av in item.items()}


def _av_to_bytes(av: dict[str, Any]) -> dict[str, Any]:
    if "B" in av:
        return {"B": base64.b64decode(av["B"])}
    if "BS" in av:
        return {"BS": [base64.b64decode(v) for v in av["BS"]]}
    if "M" in av:
        return {"M": binary_to_bytes(av["M"])}
    if "L" in av:
        return {"L": [_av_to_bytes(v) for v in av["L"]]}
    return av


WIRE_OUTPUT = WireOutput()
PYTHON_OUTPUT = PythonOutput()


@dataclass
class Settings:
    """Engine settings that shape responses."""

    region: str = "us-east-1"
    account: str = "000000000000"
    #: Seconds between two TTL expiry passes (``ttl.py``); 0 or less runs no background sweeper,
    #: leaving expiry to ``Engine.expire_now()``.
    ttl_interval: float = 1.0
    #: DescribeEndpoints' ``Address`` (the wire server's host:port when it serves one).
    endpoint_address: str = "localhost:8000"
    #: Optional caps for PAY_PER_REQUEST tables, in units per second (None: unlimited, as AWS's
    #: on-demand default); exceeding one raises ThrottlingException (``throttle.py``).
    on_demand_read_limit: float | None = None
    on_demand_write_limit: float | None = None
    #: Seconds of its provisioned rate a new table or GSI may spend at once (``throttle.py``):
    #: its whole 300-second burst, as on AWS; a small value makes new tables throttle at once.
    initial_burst_seconds: float = 300.0
    #: Streams (``streams.py``): open shards per stream, record retention in seconds, seconds
    #: between shard rotations (0: never), and seconds between maintenance passes (0 or less: none,
    #: leaving trimming and rotation to ``Engine.streams.maintain()``).
    stream_shards: int = 4
    stream_retention: float = 24 * 3600.0
    stream_rotation: float = 0.0
    stream_maintenance_interval: float = 1.0


@dataclass
class EngineState:
    env: LmdbEnv
    catalog: Catalog
    writer: Writer
    settings: Settings = field(default_factory=Settings)
    clock: Callable[[], float] = time.time
    #: TTL backfill threads started by UpdateTimeToLive (``ttl.py``), joined by ``expire_now``.
    ttl_backfills: list[threading.Thread] = field(default_factory=list)
    #: Token buckets of provisioned tables (``throttle.py``); ``capped`` when on-demand caps are set.
    limiter: Limiter = field(init=False)
    capped: bool = field(init=False)
    #: Stream sequence numbers, open shards, maintenance and subscriber wake-ups (``streams.py``).
    streams: StreamHub = field(init=False)

    def __post_init__(self) -> None:
        self.limiter = Limiter(self.settings, lambda: self.clock())
        self.capped = self.limiter.capped
        self.streams = StreamHub(self.env, self)

    def table_arn(self, name: str) -> str:
        return f"arn:aws:dynamodb:{self.settings.region}:{self.settings.account}:table/{name}"


class Deferred:
    """An operation's write half: run by the writer inside a group-commit transaction."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[WriteContext], dict[str, Any]]) -> None:
        self.fn = fn
