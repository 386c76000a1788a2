"""Repair: make a target's differing rows equal to the source's, through the client interface.

Each differing key is re-read from the source with a consistent read at repair time (never from
the report's snapshot), then written to the target — or deleted from it when the source no longer
has the row. A replica kept by a CDC pipeline passes ``apply=sink.repair``, which keeps the row's
replication sequence number and writes a tombstone instead of deleting, so the stream's ordering
guarantees survive the repair. Repair is therefore idempotent and safe to run while writes continue: it writes what
the source holds now, and a later change reaches the target through the normal replication path.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from dynaflow.parity.compare import ParityReport, TableRef

Apply = Callable[[dict[str, Any], "dict[str, Any] | None"], Awaitable[None]]


async def repair(source: TableRef, target: TableRef, report: ParityReport, *, concurrency: int = 16,
                 apply: Apply | None = None) -> int:
    """Copy every differing row of ``report`` from source to target; return how many were written.

    ``apply(key, item_or_None)`` replaces the plain PutItem/DeleteItem on the target.
    """
    gate = asyncio.Semaphore(concurrency)

    async def fix(key: dict[str, Any]) -> None:
        async with gate:
            found = await source.client.call(
                "GetItem", {"TableName": source.table, "Key": key, "ConsistentRead": True}
            )
            item = found.get("Item")
            if apply is not None:
                await apply(key, item)
            elif item is None:
                await target.client.call("DeleteItem", {"TableName": target.table, "Key": key})
            else:
                await target.client.call("PutItem", {"TableName": target.table, "Item": item})

    await asyncio.gather(*(fix(key) for key in report.all_differences))
    return len(report.all_differences)
