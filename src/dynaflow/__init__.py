"""dynaflow: a self-hostable DynamoDB-style data platform.

    >>> import dynaflow
    >>> client = dynaflow.connect("./data")
    >>> client.put_item(TableName="t", Item={"pk": {"S": "a"}})

``connect`` returns a blocking in-process client with boto3's low-level method names;
``connect_async`` its asyncio flavor. Errors are :class:`DynamoError`.
"""

from __future__ import annotations

from dynaflow.dynamo.embedded import AsyncEmbeddedClient, EmbeddedClient, connect, connect_async
from dynaflow.engine.errors import DynamoError

__all__ = ["AsyncEmbeddedClient", "DynamoError", "EmbeddedClient", "connect", "connect_async"]
