"""Clients for a remote endpoint that also speak the DynamoDB Streams API.

Streams operations (``ListStreams``, ``DescribeStream``, ``GetShardIterator``, ``GetRecords``) belong
to a separate service (``dynamodbstreams``, its own endpoint on AWS: ``streams.dynamodb.<region>``;
the same URL on DynamoDB Local, Alternator and dynaflow's server). :func:`connect_with_streams`
opens both and returns one :class:`~dynaflow.dynamo.client.DynamoClient` that routes each operation
to the right one, so the CDC runtime keeps calling ``client.call(operation, request)``.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from typing import Any, Final

from dynaflow.dynamo.client import DynamoClient

#: ``wait(stream_arn, shard_id, timeout, after)``: returns once the shard may hold a record after
#: sequence number ``after`` (None: after the next commit that writes stream records) or on timeout.
StreamWaiter = Callable[[str, str, float, "str | None"], Awaitable[object]]

STREAMS_OPERATIONS: Final = frozenset({"ListStreams", "DescribeStream", "GetShardIterator", "GetRecords"})


class WithStreams:
    """One client over two: table operations to ``tables``, streams operations to ``streams``."""

    def __init__(self, tables: DynamoClient, streams: DynamoClient) -> None:
        self.tables, self.streams = tables, streams

    async def call(self, operation: str, request: Mapping[str, Any]) -> dict[str, Any]:
        target = self.streams if operation in STREAMS_OPERATIONS else self.tables
        return await target.call(operation, request)

    async def close(self) -> None:
        await self.tables.close()
        await self.streams.close()


async def connect_with_streams(endpoint_url: str | None, *, region: str = "us-east-1",
                               access_key_id: str | None = None, secret_access_key: str | None = None,
                               max_connections: int = 64, timeout_s: float = 30.0, lean: bool = True
                               ) -> DynamoClient:
    """A remote client for ``endpoint_url`` (None: AWS in ``region``) with the Streams API routed.

    With ``lean`` (and an endpoint URL and keys), ``GetRecords`` bypasses the SDK
    (:mod:`dynaflow.cdc.http_client`).
    """
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    from dynaflow.dynamo.remote import RemoteClient, connect_remote

    tables = await connect_remote(endpoint_url, region=region, access_key_id=access_key_id,
                                  secret_access_key=secret_access_key, max_connections=max_connections,
                                  timeout_s=timeout_s)
    config = AioConfig(retries={"total_max_attempts": 1, "mode": "standard"}, parameter_validation=False,
                       max_pool_connections=max_connections, connect_timeout=timeout_s, read_timeout=timeout_s)
    stack = AsyncExitStack()
    client = await stack.enter_async_context(get_session().create_client(
        "dynamodbstreams", endpoint_url=endpoint_url, region_name=region, config=config,
        aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key))
    routed = WithStreams(tables, RemoteClient(client, stack, endpoint_url))
    if not lean:
        return routed
    from dynaflow.cdc.http_client import connect_lean

    return await connect_lean(endpoint_url, routed, region=region, access_key_id=access_key_id,
                              secret_access_key=secret_access_key, max_connections=max_connections,
                              timeout_s=timeout_s)


async def connect_target(endpoint_url: str | None, *, region: str = "us-east-1", access_key_id: str | None = None,
                         secret_access_key: str | None = None, max_connections: int = 64, timeout_s: float = 30.0,
                         lean: bool = True) -> DynamoClient:
    """A remote client for a sink's endpoint; with ``lean`` (and an endpoint URL and keys) its bulk
    writes (``PutItem``, ``TransactWriteItems``) bypass the SDK (:mod:`dynaflow.cdc.http_client`)."""
    from dynaflow.cdc.http_client import connect_lean
    from dynaflow.dynamo.remote import connect_remote

    remote = await connect_remote(endpoint_url, region=region, access_key_id=access_key_id,
                                  secret_access_key=secret_access_key, max_connections=max_connections,
                                  timeout_s=timeout_s)
    if not lean:
        return remote
    return await connect_lean(endpoint_url, remote, region=region, access_key_id=access_key_id,
                              secret_access_key=secret_access_key, max_connections=max_connections,
                              timeout_s=timeout_s)


def stream_waiter(client: DynamoClient) -> StreamWaiter | None:
    """How to wait for a shard to grow without polling, when ``client`` can tell; else None.

    A client may offer ``wait_for_stream_records(stream_arn, shard_id, timeout)``; the embedded
    engine's client (``dynaflow.connect_async``) is served by its stream hub, which wakes waiters
    from the commit that wrote the records.
    """
    hook = getattr(client, "wait_for_stream_records", None)
    if hook is not None:
        async def hooked(stream_arn: str, shard_id: str, timeout: float, after: str | None) -> object:
            return await hook(stream_arn, shard_id, timeout)

        return hooked
    # A process that never imported the embedded client holds none; importing it to find out
    # (the whole engine) held a remote worker's event loop ~160 ms as its first shard started.
    embedded_module = sys.modules.get("dynaflow.dynamo.embedded")
    if embedded_module is None:
        return None
    if isinstance(client, embedded_module.AsyncEmbeddedClient):
        hub = client.engine.streams

        async def embedded(stream_arn: str, shard_id: str, timeout: float, after: str | None) -> object:
            return await hub.wait_for_records_async(stream_arn, shard_id, timeout, after=after)

        return embedded
    return None
