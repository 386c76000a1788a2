"""The embedded implementation of the client interface: the engine, in-process.

:func:`connect` gives a blocking client with boto3's low-level method names
(``client.put_item(TableName=..., Item=...)``); :func:`connect_async` the asyncio flavor. Both take
and return boto3's shapes: binary values are ``bytes`` and timestamps in table descriptions are
``datetime``s, as boto3 returns them. Errors are :class:`~dynaflow.engine.errors.DynamoError`,
whose ``.response`` reads like botocore's ``ClientError.response``.

:meth:`AsyncEmbeddedClient.call_wire` is the wire-form entry used by dynaflow's own HTTP server:
requests are JSON-decoded bodies, and stored items come back as pre-serialized JSON
(``orjson.Fragment``) to be spliced into the response.

Several clients opened on the same directory in one process share one engine (one LMDB
environment, one writer); the engine closes with the last client.
"""

from __future__ import annotations

import base64
import os
import re
import threading
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import orjson

from dynaflow.engine.core import OPERATIONS, Engine
from dynaflow.engine.lmdb_env import Durability
from dynaflow.engine.state import PYTHON_OUTPUT, WIRE_OUTPUT

_TIMESTAMPS: Final = frozenset({
    "CreationDateTime", "LastIncreaseDateTime", "LastDecreaseDateTime",
    "LastUpdateToPayPerRequestDateTime", "ApproximateCreationDateTime", "CreationRequestDateTime",
})
#: Operations whose responses carry no items, so timestamps can be converted safely.
_CONTROL_PLANE: Final = frozenset({"CreateTable", "DescribeTable", "UpdateTable", "DeleteTable", "DescribeStream"})
_SNAKE: Final = {re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower(): name for name in OPERATIONS}

_engines: dict[Path, tuple[Engine, int]] = {}
_engines_lock = threading.Lock()


def _acquire(path: str | os.PathLike[str], durability: Durability) -> Engine:
    key = Path(path).resolve()
    with _engines_lock:
        engine, refs = _engines.get(key, (None, 0))
        if engine is None:
            engine = Engine(key, durability=durability)
        _engines[key] = (engine, refs + 1)
        return engine


def _release(engine: Engine) -> None:
    key = engine.path.resolve()
    with _engines_lock:
        current, refs = _engines.get(key, (None, 0))
        if current is not engine:
            return
        if refs <= 1:
            del _engines[key]
            engine.close()
        else:
            _engines[key] = (engine, refs - 1)


# ---------------------------------------------------------------- boto3 shape conversion


def to_wire(value: Any) -> Any:
    """boto3 request -> wire form: every ``bytes`` (a blob) becomes base64 text."""
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items()}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_wire(v) for v in value]
    return value


def _timestamps(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: datetime.fromtimestamp(v, tz=UTC)
            if k in _TIMESTAMPS and isinstance(v, (int, float)) else _timestamps(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_timestamps(v) for v in value]
    return value


def _prepare(request: Mapping[str, Any]) -> dict[str, Any]:
    """Wire form of a boto3-shaped request.

    orjson refuses ``bytes`` and sets, so a successful (sub-microsecond) serialization proves the
    request holds only JSON values and can be used as it is; otherwise it is converted.
    """
    try:
        orjson.dumps(request)
    except TypeError:
        converted: dict[str, Any] = to_wire(dict(request))
        return converted
    return request if type(request) is dict else dict(request)


def _finish(operation: str, response: dict[str, Any]) -> dict[str, Any]:
    if operation == "GetRecords":
        for record in response.get("Records", ()):
            info = record.get("dynamodb", {})
            stamp = info.get("ApproximateCreationDateTime")
            if isinstance(stamp, (int, float)):
                info["ApproximateCreationDateTime"] = datetime.fromtimestamp(stamp, tz=UTC)
        return response
    if operation in _CONTROL_PLANE:
        converted: dict[str, Any] = _timestamps(response)
        return converted
    return response


# ---------------------------------------------------------------- clients


class EmbeddedClient:
    """Blocking in-process DynamoDB client with boto3's low-level method names."""

    def __init__(self, engine: Engine) -> None:
        self._engine: Engine | None = engine

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("the client is closed")
        return self._engine

    def call(self, operation: str, request: Mapping[str, Any]) -> dict[str, Any]:
        # The request goes in as it is: _prepare converts it only if no engine shortcut answers.
        plain = request if type(request) is dict else dict(request)
        response = self.engine.execute(operation, plain, PYTHON_OUTPUT, _prepare)
        return _finish(operation, response)

    def __getattr__(self, name: str) -> Callable[..., dict[str, Any]]:
        operation = _SNAKE.get(name)
        if operation is None:
            raise AttributeError(name)
        finishes = operation == "GetRecords" or operation in _CONTROL_PLANE

        def method(**kwargs: Any) -> dict[str, Any]:
            # ``call``, inlined: this is the path of every in-process request (kwargs is a dict).
            engine = self._engine
            if engine is None:
                raise RuntimeError("the client is closed")
            response = engine.execute(operation, kwargs, PYTHON_OUTPUT, _prepare)
            return _finish(operation, response) if finishes else response

        method.__name__ = name
        setattr(self, name, method)  # later lookups find it directly, without __getattr__
        return method

    def close(self) -> None:
        if self._engine is not None:
            _release(self._engine)
            self._engine = None

    def __enter__(self) -> EmbeddedClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncEmbeddedClient:
    """asyncio in-process DynamoDB client; also the wire server's entry to the engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine: Engine | None = engine

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, durability: Durability = "fsync") -> AsyncEmbeddedClient:
        return cls(_acquire(path, durability))

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("the client is closed")
        return self._engine

    async def call(self, operation: str, request: Mapping[str, Any]) -> dict[str, Any]:
        plain = request if type(request) is dict else dict(request)
        response = await self.engine.execute_async(operation, plain, PYTHON_OUTPUT, _prepare)
        return _finish(operation, response)

    def call_wire(self, operation: str, request: dict[str, Any]) -> Coroutine[Any, Any, dict[str, Any]]:
        """Wire-form request in, wire-form response out (items as ``orjson.Fragment``).

        Returns the engine's coroutine itself rather than wrapping it in one more: this is on
        the wire server's path of every request.
        """
        return self.engine.execute_async(operation, request, WIRE_OUTPUT)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        operation = _SNAKE.get(name)
        if operation is None:
            raise AttributeError(name)

        call = self.call

        async def method(**kwargs: Any) -> dict[str, Any]:
            return await call(operation, kwargs)

        method.__name__ = name
        setattr(self, name, method)
        return method

    async def close(self) -> None:
        if self._engine is not None:
            _release(self._engine)
            self._engine = None


def connect(path: str | os.PathLike[str], *, durability: Durability = "fsync") -> EmbeddedClient:
    """Open (or create) a data directory and return a blocking client for it."""
    return EmbeddedClient(_acquire(path, durability))


def connect_async(path: str | os.PathLike[str], *, durability: Durability = "fsync") -> AsyncEmbeddedClient:
    """Open (or create) a data directory and return an asyncio client for it."""
    return AsyncEmbeddedClient.open(path, durability=durability)
