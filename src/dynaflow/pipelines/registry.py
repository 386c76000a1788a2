"""The rule registry: versioned write rules in a dynaflow-owned table, written through the client.

Rules live in ``_dynaflow_rules`` (partition key ``name``, sort key ``version``, a zero-padded
string so versions sort) on the same endpoint as the data, so the registry works on the embedded
engine and on any DynamoDB endpoint, and ``dynaflow up`` / ``dynaflow ingest`` find every rule
after a restart. Each item holds the rule's definition as JSON.

Registering a rule whose definition equals the latest version is a no-op; any change adds
version N+1 with a conditional put (``attribute_not_exists``), so two concurrent onboardings
cannot both claim the same version. Old versions stay for the record; ingesters use the latest.
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from dynaflow.dynamo.client import DynamoClient
from dynaflow.engine.errors import DynamoError
from dynaflow.pipelines.deadletter import ensure_table
from dynaflow.pipelines.rules import WriteRule, parse_rule

__all__ = ["RuleRegistry"]


def _sk(version: int) -> str:
    return f"{version:010d}"


class RuleRegistry:
    """Versioned write rules stored in a table."""

    def __init__(self, client: DynamoClient, table: str = "_dynaflow_rules") -> None:
        self.client = client
        self.table = table
        self._ready = False

    async def ensure(self) -> None:
        if not self._ready:
            await ensure_table(self.client, self.table, "name", "version")
            self._ready = True

    async def _exists(self) -> bool:
        try:
            await self.client.call("DescribeTable", {"TableName": self.table})
        except DynamoError as exc:
            if exc.type == "ResourceNotFoundException":
                return False
            raise
        return True

    async def latest(self, name: str) -> WriteRule | None:
        if not await self._exists():
            return None
        page = await self.client.call("Query", {
            "TableName": self.table, "KeyConditionExpression": "#n = :n",
            "ExpressionAttributeNames": {"#n": "name"}, "ExpressionAttributeValues": {":n": {"S": name}},
            "ScanIndexForward": False, "Limit": 1, "ConsistentRead": True})
        items = page.get("Items", [])
        return _rule(items[0]) if items else None

    async def register(self, rule: WriteRule) -> tuple[WriteRule, bool]:
        """Store ``rule`` as a new version unless it equals the latest; return it and whether it is new."""
        await self.ensure()
        for _ in range(5):
            current = await self.latest(rule.name)
            if current is not None and current.definition() == rule.definition():
                return current, False
            version = (current.version if current else 0) + 1
            try:
                await self.client.call("PutItem", {
                    "TableName": self.table,
                    "Item": {"name": {"S": rule.name}, "version": {"S": _sk(version)},
                             "definition": {"S": orjson.dumps(rule.definition()).decode()},
                             "registered_at": {"N": f"{time.time():.3f}"}},
                    "ConditionExpression": "attribute_not_exists(#n)",
                    "ExpressionAttributeNames": {"#n": "name"}})
            except DynamoError as exc:
                if exc.type == "ConditionalCheckFailedException":
                    continue  # another onboarding took this version: look again
                raise
            return rule.model_copy(update={"version": version}), True
        raise RuntimeError(f"rule {rule.name}: could not claim a version (concurrent changes)")

    async def all_latest(self) -> list[WriteRule]:
        """The latest version of every registered rule, by name."""
        if not await self._exists():
            return []
        latest: dict[str, dict[str, Any]] = {}
        request: dict[str, Any] = {"TableName": self.table, "ConsistentRead": True}
        while True:
            page = await self.client.call("Scan", request)
            for item in page.get("Items", []):
                name = item["name"]["S"]
                if name not in latest or item["version"]["S"] > latest[name]["version"]["S"]:
                    latest[name] = item
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return [_rule(item) for _, item in sorted(latest.items())]


def _rule(item: dict[str, Any]) -> WriteRule:
    data = orjson.loads(item["definition"]["S"])
    data["version"] = int(item["version"]["S"])
    return parse_rule(data, f"registered rule {item['name']['S']}")
