"""Leases and checkpoints, kept in a table reached through the client interface (as the KCL does).

One row per unit of work — a stream shard (``shard#<id>``), a snapshot segment (``segment#<n>``),
a reconcile pass (``reconcile``) — with its owner, a lease counter and its checkpoint. A worker
owns a row while it keeps incrementing the counter (``renew``, every third of the lease duration).

Expiry without trusting clocks: a worker never compares timestamps written by another machine. It
remembers, with its own monotonic clock, when it first saw each row's counter value; a row whose
counter has not moved for ``lease_duration`` is expired and may be taken. Every take, renewal and
checkpoint is a conditional write (on counter or owner), so two workers can never both believe they
hold a row: the loser's next renewal or checkpoint fails and it drops the work.

Checkpoints live in the lease row and are written with the condition ``owner = :me``: a worker that
lost its lease can never move a checkpoint. What they hold:

* shard rows: the last sequence number the sink durably applied, or ``TRIM_HORIZON``/``LATEST``
  before the first one, or ``SHARD_END`` once the shard is closed and fully applied;
* segment rows: the ``LastEvaluatedKey`` of the last Scan page applied, and ``done``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dynaflow.cdc.retry import error_code
from dynaflow.dynamo.client import DynamoClient

KEY = "lease"


@dataclass
class Lease:
    key: str
    owner: str | None
    counter: int
    checkpoint: str | None = None
    parents: tuple[str, ...] = ()
    tip: bool = False
    done: bool = False
    position: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Lease:
        return cls(
            key=item[KEY]["S"],
            owner=item["owner"]["S"] if "owner" in item else None,
            counter=int(item.get("counter", {"N": "0"})["N"]),
            checkpoint=item["checkpoint"]["S"] if "checkpoint" in item else None,
            parents=tuple(p["S"] for p in item.get("parents", {"L": []})["L"]),
            tip=bool(item.get("tip", {"BOOL": False})["BOOL"]),
            done=bool(item.get("done", {"BOOL": False})["BOOL"]),
            position=item["position"]["M"] if "position" in item else None,
            extra={k: v for k, v in item.items()
                   if k not in (KEY, "owner", "counter", "checkpoint", "parents", "tip", "done", "position")},
        )


def _failed_condition(exc: BaseException) -> bool:
    return error_code(exc) == "ConditionalCheckFailedException"


class LeaseTable:
    """The state table of one pipeline: leases, checkpoints, and (by default) dead letters."""

    def __init__(self, client: DynamoClient, table: str) -> None:
        self.client, self.table = client, table

    async def ensure(self, timeout: float = 60.0) -> None:
        """Create the table if it does not exist, and wait until it is ACTIVE."""
        try:
            await self.client.call("CreateTable", {
                "TableName": self.table, "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": [{"AttributeName": KEY, "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": KEY, "AttributeType": "S"}],
            })
        except Exception as exc:
            if error_code(exc) != "ResourceInUseException":
                raise
        deadline = time.monotonic() + timeout
        while True:
            described = await self.client.call("DescribeTable", {"TableName": self.table})
            if described["Table"].get("TableStatus", "ACTIVE") == "ACTIVE":
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"state table {self.table} is not ACTIVE after {timeout}s")
            await asyncio.sleep(0.2)

    async def list(self, prefix: str = "") -> list[Lease]:
        request: dict[str, Any] = {"TableName": self.table, "ConsistentRead": True}
        leases: list[Lease] = []
        while True:
            page = await self.client.call("Scan", request)
            for item in page.get("Items", ()):
                key = item[KEY]["S"]
                if key.startswith(prefix) and not key.startswith("dead#"):
                    leases.append(Lease.from_item(item))
            if not page.get("LastEvaluatedKey"):
                return leases
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    async def get(self, key: str) -> Lease | None:
        found = await self.client.call("GetItem", {"TableName": self.table, "Key": {KEY: {"S": key}},
                                                   "ConsistentRead": True})
        item = found.get("Item")
        return None if item is None else Lease.from_item(item)

    async def create(self, key: str, *, checkpoint: str | None = None, parents: Iterable[str] = (),
                     **attributes: dict[str, Any]) -> bool:
        """Add a row unless it exists; True when this call created it."""
        item: dict[str, Any] = {KEY: {"S": key}, "counter": {"N": "0"}, **attributes}
        if checkpoint is not None:
            item["checkpoint"] = {"S": checkpoint}
        parent_list = list(parents)
        if parent_list:
            item["parents"] = {"L": [{"S": p} for p in parent_list]}
        try:
            await self.client.call("PutItem", {"TableName": self.table, "Item": item,
                                               "ConditionExpression": "attribute_not_exists(#k)",
                                               "ExpressionAttributeNames": {"#k": KEY}})
        except Exception as exc:
            if _failed_condition(exc):
                return False
            raise
        return True

    async def take(self, lease: Lease, owner: str) -> Lease | None:
        """Take ``lease`` as last seen (same counter); None if someone moved it meanwhile."""
        try:
            response = await self.client.call("UpdateItem", {
                "TableName": self.table, "Key": {KEY: {"S": lease.key}},
                "UpdateExpression": "SET #o = :me, #c = #c + :one",
                "ConditionExpression": "#c = :seen",
                "ExpressionAttributeNames": {"#o": "owner", "#c": "counter"},
                "ExpressionAttributeValues": {":me": {"S": owner}, ":one": {"N": "1"},
                                              ":seen": {"N": str(lease.counter)}},
                "ReturnValues": "ALL_NEW",
            })
        except Exception as exc:
            if _failed_condition(exc):
                return None
            raise
        return Lease.from_item(response["Attributes"])

    async def renew(self, lease: Lease, owner: str) -> bool:
        """Increment the counter of a row ``owner`` holds; False once the row is someone else's."""
        try:
            response = await self.client.call("UpdateItem", {
                "TableName": self.table, "Key": {KEY: {"S": lease.key}},
                "UpdateExpression": "SET #c = #c + :one",
                "ConditionExpression": "#o = :me",
                "ExpressionAttributeNames": {"#o": "owner", "#c": "counter"},
                "ExpressionAttributeValues": {":me": {"S": owner}, ":one": {"N": "1"}},
                "ReturnValues": "UPDATED_NEW",
            })
        except Exception as exc:
            if _failed_condition(exc):
                return False
            raise
        lease.counter = int(response["Attributes"]["counter"]["N"])
        return True

    async def update(self, key: str, owner: str, values: dict[str, dict[str, Any]],
                     remove: Iterable[str] = ()) -> bool:
        """Set attributes (a checkpoint...) on a row ``owner`` holds; False if it lost the row."""
        names = {f"#a{i}": name for i, name in enumerate(values)}
        sets = [f"#a{i} = :v{i}" for i in range(len(values))]
        removed = list(remove)
        names.update({f"#r{i}": name for i, name in enumerate(removed)})
        expression = ("SET " + ", ".join(sets)) if sets else ""
        if removed:
            expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(removed)))
        try:
            await self.client.call("UpdateItem", {
                "TableName": self.table, "Key": {KEY: {"S": key}},
                "UpdateExpression": expression.strip(),
                "ConditionExpression": "#o = :me",
                "ExpressionAttributeNames": {"#o": "owner", **names},
                "ExpressionAttributeValues": {":me": {"S": owner},
                                              **{f":v{i}": v for i, v in enumerate(values.values())}},
            })
        except Exception as exc:
            if _failed_condition(exc):
                return False
            raise
        return True

    async def add(self, key: str, name: str, amount: int = 1) -> None:
        """Add to a counter attribute of a row, whoever holds it (a reconcile request)."""
        await self.client.call("UpdateItem", {
            "TableName": self.table, "Key": {KEY: {"S": key}}, "UpdateExpression": "ADD #a :n",
            "ExpressionAttributeNames": {"#a": name}, "ExpressionAttributeValues": {":n": {"N": str(amount)}},
        })

    async def release(self, lease: Lease, owner: str) -> None:
        """Give a row up (graceful shutdown), so another worker takes it at once."""
        try:
            await self.client.call("UpdateItem", {
                "TableName": self.table, "Key": {KEY: {"S": lease.key}},
                "UpdateExpression": "REMOVE #o SET #c = #c + :one",
                "ConditionExpression": "#o = :me",
                "ExpressionAttributeNames": {"#o": "owner", "#c": "counter"},
                "ExpressionAttributeValues": {":me": {"S": owner}, ":one": {"N": "1"}},
            })
        except Exception as exc:
            if not _failed_condition(exc):
                raise


class ExpiryClock:
    """Decides which rows are expired from counters seen over time, with the local monotonic clock."""

    def __init__(self, lease_duration: float) -> None:
        self.lease_duration = lease_duration
        self._seen: dict[str, tuple[int, float]] = {}

    def expired(self, lease: Lease, now: float | None = None) -> bool:
        if lease.owner is None:
            return True
        now = time.monotonic() if now is None else now
        seen = self._seen.get(lease.key)
        if seen is None or seen[0] != lease.counter:
            self._seen[lease.key] = (lease.counter, now)
            return False
        return now - seen[1] >= self.lease_duration
