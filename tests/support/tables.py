"""Table helpers shared by the conformance fixtures and tests: names, creation, waiting."""

from __future__ import annotations

import contextlib
import time
import uuid
from typing import Any

RUN_ID = uuid.uuid4().hex[:8]


def table_name(label: str = "t") -> str:
    """A fresh table name, unique across runs sharing one account."""
    return f"conf-{RUN_ID}-{label}-{uuid.uuid4().hex[:6]}"


def wait_active(client: Any, name: str, timeout: float = 300.0) -> dict[str, Any]:
    """Wait until ``name`` is ACTIVE (immediate on local targets); return its description."""
    deadline = time.monotonic() + timeout
    while True:
        table = client.describe_table(TableName=name)["Table"]
        if table["TableStatus"] == "ACTIVE" or time.monotonic() > deadline:
            return table  # type: ignore[no-any-return]
        time.sleep(1)


def wait_deleted(client: Any, name: str, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            client.describe_table(TableName=name)
        except Exception as exc:
            if getattr(exc, "response", {}).get("Error", {}).get("Code") == "ResourceNotFoundException":
                return
            raise
        time.sleep(1)


def key_schema(hash_type: str, range_type: str | None = None,
               hash_name: str = "pk", range_name: str = "sk") -> dict[str, Any]:
    """CreateTable's KeySchema + AttributeDefinitions for a HASH[/RANGE] key."""
    schema = [{"AttributeName": hash_name, "KeyType": "HASH"}]
    defs = [{"AttributeName": hash_name, "AttributeType": hash_type}]
    if range_type:
        schema.append({"AttributeName": range_name, "KeyType": "RANGE"})
        defs.append({"AttributeName": range_name, "AttributeType": range_type})
    return {"KeySchema": schema, "AttributeDefinitions": defs}


def create_table(client: Any, name: str, hash_type: str = "S", range_type: str | None = None,
                 **extra: Any) -> dict[str, Any]:
    request = {"TableName": name, **key_schema(hash_type, range_type)}
    if "ProvisionedThroughput" not in extra:
        request["BillingMode"] = "PAY_PER_REQUEST"
    request.update(extra)
    client.create_table(**request)
    return wait_active(client, name)


def delete_quietly(client: Any, name: str) -> None:
    with contextlib.suppress(Exception):
        client.delete_table(TableName=name)
