"""The remote implementation of the client interface: any DynamoDB endpoint over HTTP.

:class:`RemoteClient` sends ``call(operation, request)`` through aiobotocore to an endpoint URL
(AWS, DynamoDB Local, ScyllaDB Alternator, or dynaflow's own wire server), so code written against
:class:`~dynaflow.dynamo.client.DynamoClient` runs unchanged on the embedded engine and remotely.

Two choices make it interchangeable with the embedded client:

* **One error type.** botocore's ``ClientError`` becomes :class:`DynamoError` with the same short
  ``type``, message and HTTP status, and the response's extra members (``CancellationReasons``,
  ``Item`` ...) in ``extra``. Connection failures and timeouts become a ``ServiceUnavailable``
  DynamoError (status 503), which dynaflow's retry policy treats as transient.
* **No client-side retries or validation.** botocore's retry handler is off (one attempt) and
  parameter validation is off: dynaflow's own retry policy decides what is retried and when, and
  the server is the one judge of a request's validity, as for the embedded engine.

``ResponseMetadata`` is dropped from responses, which the embedded client does not produce either.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AsyncExitStack
from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore import xform_name
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from dynaflow.engine.errors import DynamoError

__all__ = ["RemoteClient", "connect_remote"]

_TRANSPORT = (EndpointConnectionError, BotoConnectionError, ConnectTimeoutError, ReadTimeoutError)


def _translate(exc: Exception) -> DynamoError:
    if isinstance(exc, ClientError):
        response: dict[str, Any] = dict(exc.response)
        error = response.pop("Error", {}) or {}
        meta = response.pop("ResponseMetadata", {}) or {}
        code = str(error.get("Code") or "InternalServerError")
        message = str(error.get("Message") or "")
        status = int(meta.get("HTTPStatusCode") or 400)
        return DynamoError(code.rsplit("#", 1)[-1], message, status=status, extra=response or None)
    if isinstance(exc, (*_TRANSPORT, TimeoutError, OSError)):
        return DynamoError("ServiceUnavailable", f"endpoint unreachable: {exc}", status=503)
    return DynamoError("InternalServerError", f"{type(exc).__name__}: {exc}", status=500)


class RemoteClient:
    """asyncio DynamoDB client for an endpoint URL; ``call`` raises only :class:`DynamoError`."""

    def __init__(self, client: Any, stack: AsyncExitStack, endpoint_url: str | None) -> None:
        self._client: Any = client
        self._stack = stack
        self.endpoint_url = endpoint_url
        self._methods: dict[str, Any] = {}

    async def call(self, operation: str, request: Mapping[str, Any]) -> dict[str, Any]:
        method = self._methods.get(operation)
        if method is None:
            if self._client is None:
                raise RuntimeError("the client is closed")
            method = getattr(self._client, xform_name(operation), None)
            if method is None:
                raise DynamoError("UnknownOperationException", f"unknown operation {operation}")
            self._methods[operation] = method
        try:
            response: dict[str, Any] = await method(**request)
        except (ClientError, BotoCoreError, TimeoutError, OSError) as exc:
            raise _translate(exc) from exc
        response.pop("ResponseMetadata", None)
        return response

    def __getattr__(self, name: str) -> Any:
        operation = "".join(part.capitalize() for part in name.split("_"))

        async def method(**kwargs: Any) -> dict[str, Any]:
            return await self.call(operation, kwargs)

        method.__name__ = name
        return method

    async def close(self) -> None:
        if self._client is not None:
            self._client = None
            self._methods.clear()
            await self._stack.aclose()

    async def __aenter__(self) -> RemoteClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def connect_remote(
    endpoint_url: str | None,
    *,
    region: str = "us-east-1",
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
    max_connections: int = 64,
    timeout_s: float = 30.0,
) -> RemoteClient:
    """Open a client for ``endpoint_url`` (None: the region's AWS endpoint)."""
    config = AioConfig(
        retries={"total_max_attempts": 1, "mode": "standard"},
        parameter_validation=False,
        max_pool_connections=max_connections,
        connect_timeout=timeout_s,
        read_timeout=timeout_s,
    )
    session = get_session()
    stack = AsyncExitStack()
    client = await stack.enter_async_context(session.create_client(
        "dynamodb", endpoint_url=endpoint_url, region_name=region, config=config,
        aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key,
    ))
    return RemoteClient(client, stack, endpoint_url)
