"""Helpers for pipeline unit tests: a fault-injecting wrapper around the real embedded client.

:class:`FaultyClient` injects answers the engine gives only under load or on other endpoints
(throttling, UnprocessedItems, an unsupported operation), so retry and fallback paths are exercised
against real writes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dynaflow.engine.errors import DynamoError

Injector = Callable[[str, dict[str, Any]], "dict[str, Any] | DynamoError | None"]


class FaultyClient:
    """The embedded client, except where ``inject(operation, request)`` returns an answer first."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.inject: Injector = lambda operation, request: None

    async def call(self, operation: str, request: Any) -> dict[str, Any]:
        self.calls.append((operation, request))
        answer = self.inject(operation, request)
        if isinstance(answer, DynamoError):
            raise answer
        if answer is not None:
            partial = answer.pop("_write", None)  # write these for real, answer the rest as given
            if partial:
                await self.inner.call("BatchWriteItem", {"RequestItems": partial})
            return answer
        result: dict[str, Any] = await self.inner.call(operation, request)
        return result

    async def close(self) -> None:
        pass


async def make_table(client: Any, name: str = "Items", *, sort: bool = False) -> str:
    schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
    attributes = [{"AttributeName": "pk", "AttributeType": "S"}]
    if sort:
        schema.append({"AttributeName": "sk", "KeyType": "RANGE"})
        attributes.append({"AttributeName": "sk", "AttributeType": "N"})
    await client.call("CreateTable", {"TableName": name, "KeySchema": schema, "AttributeDefinitions": attributes,
                                      "BillingMode": "PAY_PER_REQUEST"})
    return name
