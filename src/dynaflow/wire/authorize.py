"""From a DynamoDB request to the IAM checks it needs: (action, resource ARN, condition context).

IAM authorizes each table an operation touches: a ``BatchWriteItem`` over two tables is two
``dynamodb:BatchWriteItem`` checks, a ``TransactWriteItems`` is a ``PutItem``/``UpdateItem``/
``DeleteItem``/``ConditionCheckItem`` check per item, a ``Query`` on an index is checked against
``table/T/index/I``. Operations without a table (``ListTables``, ``DescribeLimits`` ...) are
checked against ``*``, and ``GetRecords`` (whose shard iterator is opaque here) against every
stream of the account.

Condition context:

* ``dynamodb:LeadingKeys`` - the partition-key values of the items touched (``S`` text, ``N``
  digits, ``B`` base64). Finding them needs the table's key schema, read once per table through
  the same client (``DescribeTable``) and cached briefly; only policies that mention the key pay
  for it. A ``Query`` whose partition-key equality cannot be found is given a value no policy
  value equals, so it is denied rather than let through.
* ``dynamodb:Attributes`` - top-level attribute names the request names: item and key attributes,
  ``AttributesToGet``/``AttributeUpdates`` and every attribute path in its expressions.
* ``dynamodb:Select`` and ``dynamodb:ReturnValues`` - the request's parameters when given.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from dynaflow.engine import errors
from dynaflow.wire.policy import Policy, denial_message
from dynaflow.wire.sigv4 import Identity

KeySchemaLookup = Callable[[str], Awaitable[dict[str, str]]]
"""``table name -> {"": table partition key, "<index>": index partition key}``."""

UNKNOWN_KEY: Final = "\x00unknown-partition-key"
_SCHEMA_TTL: Final = 10.0
_TOKEN = re.compile(r"#\w+|:\w+|[A-Za-z_]\w*|\S")
_KEYWORDS: Final = frozenset(
    {"and", "or", "not", "between", "in", "set", "remove", "add", "delete", "size"}
)
_TRANSACT_ACTIONS: Final = {
    "Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


@dataclass(slots=True)
class Check:
    action: str
    resource: str
    context: dict[str, list[str]]


def expression_names(expression: Any, names: Any) -> set[str]:
    """Top-level attribute names in a DynamoDB expression (``#n`` resolved, functions skipped)."""
    out: set[str] = set()
    if not isinstance(expression, str):
        return out
    tokens = _TOKEN.findall(expression)
    depth = 0
    for i, token in enumerate(tokens):
        if token == "[":
            depth += 1
            continue
        if token == "]":
            depth -= 1
            continue
        previous = tokens[i - 1] if i else ""
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        if depth or previous == "." or following == "(":
            continue
        if token.startswith("#"):
            resolved = names.get(token) if isinstance(names, dict) else None
            if isinstance(resolved, str):
                out.add(resolved)
            else:
                out.add(token)
        elif (token[0].isalpha() or token[0] == "_") and token.lower() not in _KEYWORDS:
            out.add(token)
    return out


def _key_string(value: Any) -> str:
    if isinstance(value, dict) and len(value) == 1:
        inner = next(iter(value.values()))
        if isinstance(inner, str):
            return inner
    return UNKNOWN_KEY


def _query_partition_value(request: dict[str, Any], pk: str) -> str:
    conditions = request.get("KeyConditions")
    if isinstance(conditions, dict):
        cond = conditions.get(pk)
        if isinstance(cond, dict) and isinstance(cond.get("AttributeValueList"), list) and cond[
            "AttributeValueList"
        ]:
            return _key_string(cond["AttributeValueList"][0])
        return UNKNOWN_KEY
    expression = request.get("KeyConditionExpression")
    names = request.get("ExpressionAttributeNames") or {}
    values = request.get("ExpressionAttributeValues") or {}
    if not isinstance(expression, str) or not isinstance(values, dict):
        return UNKNOWN_KEY
    tokens = _TOKEN.findall(expression)

    def attr(token: str) -> str | None:
        if token.startswith("#"):
            resolved = names.get(token) if isinstance(names, dict) else None
            return resolved if isinstance(resolved, str) else None
        return None if token.startswith(":") else token

    for i in range(1, len(tokens) - 1):
        if tokens[i] != "=":
            continue
        left, right = tokens[i - 1], tokens[i + 1]
        if attr(left) == pk and right.startswith(":"):
            return _key_string(values.get(right))
        if attr(right) == pk and left.startswith(":"):
            return _key_string(values.get(left))
    return UNKNOWN_KEY


def _attributes(request: dict[str, Any]) -> set[str]:
    names = request.get("ExpressionAttributeNames")
    out: set[str] = set()
    for field in ("Item", "Key", "AttributeUpdates"):
        value = request.get(field)
        if isinstance(value, dict):
            out.update(value)
    get = request.get("AttributesToGet")
    if isinstance(get, list):
        out.update(a for a in get if isinstance(a, str))
    for field in ("ProjectionExpression", "UpdateExpression", "ConditionExpression", "FilterExpression",
                  "KeyConditionExpression"):
        out |= expression_names(request.get(field), names)
    for field in ("KeyConditions", "QueryFilter", "ScanFilter", "Expected"):
        value = request.get(field)
        if isinstance(value, dict):
            out.update(value)
    return out


class Authorizer:
    """Evaluates a signed request against its key's policy; raises ``AccessDeniedException``."""

    def __init__(self, describe: KeySchemaLookup, *, account_id: str = "000000000000") -> None:
        self._describe = describe
        self._account_id = account_id
        self._schemas: dict[str, tuple[float, dict[str, str]]] = {}

    def forget(self, table: str) -> None:
        """Drop a cached key schema (the table was deleted, created or changed)."""
        self._schemas.pop(table, None)

    async def _schema(self, table: str) -> dict[str, str]:
        now = time.monotonic()
        cached = self._schemas.get(table)
        if cached is not None and now - cached[0] < _SCHEMA_TTL:
            return cached[1]
        schema = await self._describe(table)
        self._schemas[table] = (now, schema)
        return schema

    def _arn(self, region: str, table: str, index: str | None = None) -> str:
        prefix = f"arn:aws:dynamodb:{region}:{self._account_id}:table/"
        base = table if table.startswith("arn:") else prefix + table
        return f"{base}/index/{index}" if index else base

    async def authorize(self, identity: Identity, operation: str, request: dict[str, Any]) -> None:
        policy = identity.policy
        if not isinstance(policy, Policy):
            return
        need_keys = policy.uses_leading_keys
        for check in await self.checks(identity.region, operation, request, need_keys=need_keys):
            decision = policy.evaluate(check.action, check.resource, check.context)
            if decision != "allow":
                raise errors.access_denied(
                    denial_message(identity.principal, check.action, check.resource, decision)
                )

    async def checks(
        self, region: str, operation: str, request: dict[str, Any], *, need_keys: bool = True
    ) -> list[Check]:
        """The IAM checks ``operation`` with ``request`` needs."""
        action = f"dynamodb:{operation}"
        if operation in ("BatchGetItem", "BatchWriteItem"):
            items = request.get("RequestItems")
            out = []
            for table, spec in (items.items() if isinstance(items, dict) else ()):
                out.append(await self._item_check(action, region, str(table), spec, operation, need_keys))
            return out or [Check(action, "*", {})]
        if operation in ("TransactGetItems", "TransactWriteItems"):
            transact = request.get("TransactItems")
            out = []
            for entry in transact if isinstance(transact, list) else ():
                if not isinstance(entry, dict):
                    continue
                for kind, inner in entry.items():
                    if kind in _TRANSACT_ACTIONS and isinstance(inner, dict):
                        out.append(await self._single(
                            f"dynamodb:{_TRANSACT_ACTIONS[kind]}", region, inner, _TRANSACT_ACTIONS[kind],
                            need_keys))
            return out or [Check(action, "*", {})]
        if operation in ("TagResource", "UntagResource", "ListTagsOfResource"):
            return [Check(action, str(request.get("ResourceArn", "*")), {})]
        if operation == "ExportTableToPointInTime":
            return [Check(action, str(request.get("TableArn", "*")), {})]
        if operation in ("DescribeStream", "GetShardIterator"):
            return [Check(action, str(request.get("StreamArn", "*")), {})]
        if operation == "GetRecords":
            return [Check(action, f"arn:aws:dynamodb:{region}:{self._account_id}:table/*/stream/*", {})]
        if operation == "ListStreams" and isinstance(request.get("TableName"), str):
            return [Check(action, self._arn(region, request["TableName"]) + "/stream/*", {})]
        if isinstance(request.get("TableName"), str):
            return [await self._single(action, region, request, operation, need_keys)]
        return [Check(action, "*", {})]

    async def _single(
        self, action: str, region: str, request: dict[str, Any], operation: str, need_keys: bool
    ) -> Check:
        table = request.get("TableName")
        if not isinstance(table, str):
            return Check(action, "*", {})
        index = request.get("IndexName") if operation in ("Query", "Scan") else None
        resource = self._arn(region, table, index if isinstance(index, str) else None)
        context: dict[str, list[str]] = {}
        attributes = _attributes(request)
        if attributes:
            context["dynamodb:attributes"] = sorted(attributes)
        for field in ("Select", "ReturnValues"):
            if isinstance(request.get(field), str):
                context[f"dynamodb:{field.lower()}"] = [request[field]]
        if need_keys and operation not in ("Scan", "CreateTable", "DescribeTable", "DeleteTable",
                                           "UpdateTable", "DescribeTimeToLive", "UpdateTimeToLive",
                                           "DescribeContinuousBackups"):
            schema = await self._lookup(table)
            if schema is not None:
                if operation == "Query":
                    pk = schema.get(index if isinstance(index, str) else "", "")
                    context["dynamodb:leadingkeys"] = [_query_partition_value(request, pk)]
                else:
                    source = request.get("Item") if operation == "PutItem" else request.get("Key")
                    pk = schema.get("", "")
                    if isinstance(source, dict):
                        context["dynamodb:leadingkeys"] = [_key_string(source.get(pk))]
        return Check(action, resource, context)

    async def _item_check(
        self, action: str, region: str, table: str, spec: Any, operation: str, need_keys: bool
    ) -> Check:
        resource = self._arn(region, table)
        context: dict[str, list[str]] = {}
        keys: list[Any] = []
        attributes: set[str] = set()
        if operation == "BatchGetItem" and isinstance(spec, dict):
            raw_keys = spec.get("Keys")
            keys = list(raw_keys) if isinstance(raw_keys, list) else []
            for key in keys:
                if isinstance(key, dict):
                    attributes.update(key)
            attributes |= expression_names(spec.get("ProjectionExpression"), spec.get("ExpressionAttributeNames"))
            if isinstance(spec.get("AttributesToGet"), list):
                attributes.update(a for a in spec["AttributesToGet"] if isinstance(a, str))
        elif operation == "BatchWriteItem" and isinstance(spec, list):
            for write in spec:
                if not isinstance(write, dict):
                    continue
                put, delete = write.get("PutRequest"), write.get("DeleteRequest")
                if isinstance(put, dict) and isinstance(put.get("Item"), dict):
                    keys.append(put["Item"])
                    attributes.update(put["Item"])
                if isinstance(delete, dict) and isinstance(delete.get("Key"), dict):
                    keys.append(delete["Key"])
                    attributes.update(delete["Key"])
        if attributes:
            context["dynamodb:attributes"] = sorted(attributes)
        if need_keys and keys:
            schema = await self._lookup(table)
            if schema is not None:
                pk = schema.get("", "")
                context["dynamodb:leadingkeys"] = sorted(
                    {_key_string(k.get(pk)) if isinstance(k, dict) else UNKNOWN_KEY for k in keys}
                )
        return Check(action, resource, context)

    async def _lookup(self, table: str) -> dict[str, str] | None:
        try:
            return await self._schema(table)
        except errors.DynamoError:
            return None  # no such table: the operation itself answers ResourceNotFound


def key_schema_from_description(description: dict[str, Any]) -> dict[str, str]:
    """``{"": table pk, index: index pk}`` from a ``DescribeTable`` response."""
    table = description.get("Table", {})
    out: dict[str, str] = {}

    def hash_key(schema: Iterable[Any]) -> str:
        for element in schema:
            if isinstance(element, dict) and element.get("KeyType") == "HASH":
                return str(element.get("AttributeName", ""))
        return ""

    out[""] = hash_key(table.get("KeySchema", []))
    for field in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        for index in table.get(field, []) or []:
            out[str(index.get("IndexName", ""))] = hash_key(index.get("KeySchema", []))
    return out
