"""dynaflow: a self-hostable DynamoDB-style data platform.

    >>> import dynaflow
    >>> client = dynaflow.connect("./data")
    >>> client.put_item(TableName="orders", Item={"pk": {"S": "a"}})

``connect`` returns a blocking in-process client with boto3's low-level method names;
``connect_async`` its asyncio flavor. Errors are :class:`DynamoError`.

The names are resolved on first use, so importing a leaf module (``dynaflow.engine.values``) does
not load the whole engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dynaflow.dynamo.embedded import AsyncEmbeddedClient, EmbeddedClient, connect, connect_async
    from dynaflow.engine.errors import DynamoError

__all__ = ["AsyncEmbeddedClient", "DynamoError", "EmbeddedClient", "connect", "connect_async"]


def __getattr__(name: str) -> Any:
    if name == "DynamoError":
        from dynaflow.engine.errors import DynamoError

        return DynamoError
    if name in __all__:
        from dynaflow.dynamo import embedded

        return getattr(embedded, name)
    raise AttributeError(f"module 'dynaflow' has no attribute {name!r}")
