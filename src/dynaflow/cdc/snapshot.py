"""Initial snapshot and reconcile: copying rows that the stream alone cannot deliver.

**Snapshot.** A new pipeline's shard leases start at ``TRIM_HORIZON`` — a position taken before the
scan begins — and the shards are consumed as usual. Once every shard has reached the tip of its
stream once (the retained history has been replayed), a parallel Scan copies the table, split in
``segments`` segments, each a lease row that any worker may take. A snapshot row is written only
where the replica holds nothing for its key (``attribute_not_exists(_dynaflow_seq)``): a row the
stream already wrote (or deleted, leaving a tombstone) is newer than the scan and wins, and a
stream change that arrives after the snapshot row overwrites it, because every real sequence
number is greater than the snapshot's ``000…0``. Each segment checkpoints its ``LastEvaluatedKey``
after each page is applied, so a crashed snapshot resumes where its segments stopped.

The stream is consumed *while* the snapshot runs, so a snapshot that outlasts the stream's
retention does not lose its starting position (the failure mode of connectors that hold the stream
until the copy ends).

**Reconcile.** When a shard's checkpoint was trimmed away (the pipeline stopped for longer than the
retention), changes are lost to the stream. Instead of re-copying the table, the reconcile runs the
parity comparison (bucketed digests over both tables, :mod:`dynaflow.parity`) and repairs only the
rows that differ, through :meth:`ReplicaSink.repair` (sequence-conditional, tombstones for
deletes). The shard has restarted from ``TRIM_HORIZON`` before the reconcile's scan begins, so a row
changed after the gap reaches the replica through the stream and one changed before it through the
repair. Requests are counted (``requested``) and passes record what they covered (``completed``), so
a gap found during a pass triggers another pass.
"""

from __future__ import annotations

from typing import Any

from dynaflow.cdc.leases import Lease, LeaseTable
from dynaflow.cdc.sink import Sink
from dynaflow.dynamo.client import DynamoClient

SEGMENT_PREFIX = "segment#"
RECONCILE = "reconcile"


async def copy_segment(*, source: DynamoClient, table: str, lease: Lease, owner: str, total: int,
                       leases: LeaseTable, sink: Sink, page_limit: int = 500) -> bool:
    """Copy one Scan segment from its checkpoint to its end; False if the lease was lost."""
    segment = int(lease.key.removeprefix(SEGMENT_PREFIX))
    request: dict[str, Any] = {"TableName": table, "ConsistentRead": True, "Limit": page_limit}
    if total > 1:
        request.update(Segment=segment, TotalSegments=total)
    if lease.position:
        request["ExclusiveStartKey"] = lease.position
    while True:
        page = await source.call("Scan", request)
        items = page.get("Items") or []
        if items:
            await sink.copy(items)
        last = page.get("LastEvaluatedKey")
        if not last:
            return await leases.update(lease.key, owner, {"done": {"BOOL": True}}, remove=["position"])
        if not await leases.update(lease.key, owner, {"position": {"M": last}}):
            return False
        request["ExclusiveStartKey"] = last


async def reconcile(*, source: DynamoClient, source_table: str, target: DynamoClient, target_table: str,
                    sink: Sink, segments: int = 8) -> int:
    """Repair every row of the replica that differs from the source; returns how many."""
    from dynaflow.parity import TableRef, check_parity, repair

    report = await check_parity(TableRef(source, source_table), TableRef(target, target_table), segments=segments)
    if not report.all_differences:
        return 0
    return await repair(TableRef(source, source_table), TableRef(target, target_table), report, apply=sink.repair)
