"""The one client interface everything above the engine speaks.

Requests and responses are DynamoDB's low-level shapes, exactly as boto3's low-level client takes
and returns them. There are two implementations:

* :mod:`dynaflow.dynamo.embedded` calls the engine in-process (no HTTP, no JSON);
* a remote implementation talks to any DynamoDB endpoint (AWS, Alternator, DynamoDB Local,
  or dynaflow's own wire server).

``call(operation, request)`` is the primitive: ``operation`` is the DynamoDB operation name
(``"PutItem"``) and ``request`` its input shape. Errors are raised as
:class:`dynaflow.engine.errors.DynamoError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

Request = Mapping[str, Any]
Response = dict[str, Any]


@runtime_checkable
class DynamoClient(Protocol):
    """Async DynamoDB client: the interface pipelines, APIs and the wire server use."""

    async def call(self, operation: str, request: Request) -> Response:
        """Run one DynamoDB operation and return its response shape."""
        ...

    async def close(self) -> None:
        """Release the client's resources."""
        ...


@runtime_checkable
class SyncDynamoClient(Protocol):
    """Blocking flavor of :class:`DynamoClient` for scripts, tools and tests."""

    def call(self, operation: str, request: Request) -> Response:
        """Run one DynamoDB operation and return its response shape."""
        ...

    def close(self) -> None:
        """Release the client's resources."""
        ...
