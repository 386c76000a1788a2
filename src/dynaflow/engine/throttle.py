"""Throughput limits: token buckets that make a provisioned table throttle like DynamoDB.

**What is limited.** A PROVISIONED table has one read and one write bucket refilled at its
ReadCapacityUnits/WriteCapacityUnits per second, and each of its GSIs has its own pair (a GSI's
write bucket is drawn on by the table writes that change the index, and a table write is throttled
while one of its GSIs is out of write capacity, as in DynamoDB). LSIs share the table's buckets.
Every partition key of a provisioned table also has its own pair of buckets at DynamoDB's
per-partition ceiling of 3,000 RCU and 1,000 WCU per second (partitions are identified by the
4-byte partition hash of their LMDB keys, ``keys.py``). PAY_PER_REQUEST tables are unlimited unless
``Settings.on_demand_read_limit``/``on_demand_write_limit`` set a per-table cap, which raises
ThrottlingException instead.

**Burst.** DynamoDB banks up to 300 seconds of unused capacity; a bucket here holds at most 300
seconds of its rate (partition buckets: one second). A new table or GSI starts with its whole burst
(``Settings.initial_burst_seconds``, 300 by default): on AWS a table created a moment ago with
1 WCU takes a burst of writes without throttling (tests verified against AWS create small
provisioned tables and write dozens of items at once), and only sustained load beyond the
provisioned rate is throttled. Tests of the throttling itself start their buckets nearly empty.
An on-demand cap's bucket starts with one second's worth: the cap holds from the first request.

**Admission.** A request is admitted while the buckets it draws on are not in debt (tokens > 0)
and is then charged what it actually consumed, which may take a bucket below zero; the debt is
repaid by the refill before the next request is admitted. This is how a 400 KB write (400 WCU)
still succeeds on a 1 WCU table, as on DynamoDB, and why a read is charged after it has read (its
size is known only then). Writes are admitted before their job writes anything (the writer's job
contract) and charged afterwards.

**Cost.** Operations call into this module only when ``table.limited`` (PROVISIONED) or the
engine has on-demand caps (``state.capped``), so an on-demand table pays one attribute test.
Buckets refill from the engine's injectable clock, so tests step time instead of sleeping.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Final

from dynaflow.engine import errors, table_options

if TYPE_CHECKING:
    from dynaflow.engine.catalog import Table
    from dynaflow.engine.state import Settings

#: Seconds of unused capacity a table or GSI bucket banks (DynamoDB's burst capacity).
BURST_SECONDS: Final = 300.0
#: DynamoDB's per-partition ceilings, in units per second.
PARTITION_READ: Final = 3000.0
PARTITION_WRITE: Final = 1000.0
#: Partition buckets kept before idle (full) ones are forgotten.
MAX_PARTITIONS: Final = 100_000

_GSI_MESSAGE: Final = (
    "The level of configured provisioned throughput for one or more global secondary indexes of the "
    "table was exceeded. Consider increasing your provisioning level for the under-provisioned global "
    "secondary indexes with the UpdateTable API"
)


class Bucket:
    """Tokens refilled at ``rate`` per second up to ``rate * burst`` (may go below zero); a new
    bucket holds ``initial`` seconds' worth (at most its whole burst)."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float, now: float, initial: float = 1.0) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = rate * min(initial, burst)
        self.stamp = now

    def refill(self, now: float) -> float:
        elapsed = now - self.stamp
        if elapsed > 0:
            self.tokens = min(self.rate * self.burst, self.tokens + elapsed * self.rate)
            self.stamp = now
        return self.tokens


def _rates(table: Table, settings: Settings) -> tuple[float | None, float | None, dict[str, tuple[float, float]]]:
    """(read rate, write rate, {gsi: (read, write)}) of a table; None means unlimited."""
    description = table.description
    mode = (description.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
    if mode == "PAY_PER_REQUEST":
        read = table_options.on_demand_maximum(description, "MaxReadRequestUnits")
        write = table_options.on_demand_maximum(description, "MaxWriteRequestUnits")
        return (read if read is not None else settings.on_demand_read_limit,
                write if write is not None else settings.on_demand_write_limit, {})
    throughput = description.get("ProvisionedThroughput") or {}
    gsis = {
        spec["IndexName"]: (float(spec.get("ProvisionedThroughput", {}).get("ReadCapacityUnits", 0) or 0),
                            float(spec.get("ProvisionedThroughput", {}).get("WriteCapacityUnits", 0) or 0))
        for spec in description.get("GlobalSecondaryIndexes") or ()
    }
    return float(throughput.get("ReadCapacityUnits", 0)), float(throughput.get("WriteCapacityUnits", 0)), gsis


def is_provisioned(description: dict[str, Any]) -> bool:
    """True for PROVISIONED tables: capacity units, per-partition limits, burst, and
    ProvisionedThroughputExceededException (an on-demand cap answers ThrottlingException)."""
    mode = (description.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
    return bool(mode == "PROVISIONED")


def is_limited(description: dict[str, Any]) -> bool:
    """True for PROVISIONED tables and on-demand tables with a recorded maximum (the ones whose
    operations consult the limiter)."""
    if is_provisioned(description):
        return True
    return any(table_options.on_demand_maximum(description, unit) is not None
               for unit in table_options.ON_DEMAND_UNITS)


class Limiter:
    """The engine's buckets, keyed by table (its TableId survives UpdateTable's catalog swaps)."""

    def __init__(self, settings: Settings, clock: Callable[[], float]) -> None:
        self._settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str, str], Bucket] = {}
        self._partitions: dict[tuple[str, bytes, str], Bucket] = {}

    @property
    def capped(self) -> bool:
        return self._settings.on_demand_read_limit is not None or self._settings.on_demand_write_limit is not None

    # ------------------------------------------------------------ buckets

    def _bucket(self, table: Table, index: str, kind: str, rate: float, now: float) -> Bucket:
        description = table.description
        key = (description.get("TableId", table.name), index, kind)
        bucket = self._buckets.get(key)
        if bucket is None:  # capacity accrues from the table's creation, not from its first use
            created = description.get("CreationDateTime")
            start = created if isinstance(created, (int, float)) and created <= now else now
            # an on-demand cap is a limit set on purpose: it holds from the first request
            initial = self._settings.initial_burst_seconds if is_provisioned(description) else 1.0
            bucket = self._buckets[key] = Bucket(rate, BURST_SECONDS, start, initial)
        elif bucket.rate != rate:  # UpdateTable changed the provisioning: the new rate counts from then
            throughput = description.get("ProvisionedThroughput") or {}
            changed = max(throughput.get("LastIncreaseDateTime") or 0, throughput.get("LastDecreaseDateTime") or 0)
            bucket.refill(min(now, changed) if changed else now)
            bucket.rate = rate
        return bucket

    def _partition(self, table: Table, partition: bytes, kind: str, now: float) -> Bucket:
        key = (table.description.get("TableId", table.name), partition, kind)
        bucket = self._partitions.get(key)
        if bucket is None:
            if len(self._partitions) >= MAX_PARTITIONS:
                self._forget_idle(now)
            rate = PARTITION_READ if kind == "r" else PARTITION_WRITE
            bucket = self._partitions[key] = Bucket(rate, 1.0, now)
        return bucket

    def _forget_idle(self, now: float) -> None:
        for key, bucket in list(self._partitions.items()):
            if bucket.refill(now) >= bucket.rate:
                del self._partitions[key]

    def _denied(self, table: Table, gsi: bool) -> errors.DynamoError:
        if not is_provisioned(table.description):
            return errors.throttling()
        return errors.provisioned_throughput_exceeded(_GSI_MESSAGE) if gsi else errors.provisioned_throughput_exceeded()

    # ------------------------------------------------------------ reads

    def read(self, table: Table, partition: bytes | None, units: float, index: str | None = None) -> None:
        """Admit a read that consumed ``units`` (charging it), or raise if the table is out of capacity.

        ``index`` names a GSI read (charged to the GSI's bucket); ``partition`` is the partition hash
        of a single-partition read (GetItem, Query), None for a Scan.
        """
        error = self.try_read(table, partition, units, index)
        if error is not None:
            raise error

    def try_read(self, table: Table, partition: bytes | None, units: float, index: str | None = None
                 ) -> errors.DynamoError | None:
        now = self._clock()
        read_rate, _, gsis = _rates(table, self._settings)
        with self._lock:
            buckets: list[Bucket] = []
            if index is not None and index in gsis:
                buckets.append(self._bucket(table, index, "r", gsis[index][0], now))
            elif read_rate is not None:
                buckets.append(self._bucket(table, "", "r", read_rate, now))
            if partition is not None and is_provisioned(table.description):
                buckets.append(self._partition(table, partition, "r", now))
            for bucket in buckets:
                if bucket.refill(now) <= 0:
                    return self._denied(table, index is not None and index in gsis)
            for bucket in buckets:
                bucket.tokens -= units
        return None

    # ------------------------------------------------------------ writes

    def admit_write(self, table: Table, partition: bytes | None) -> errors.DynamoError | None:
        """The error to raise if a write to ``table`` must be throttled now, else None (no charge)."""
        now = self._clock()
        _, write_rate, gsis = _rates(table, self._settings)
        with self._lock:
            if write_rate is not None and self._bucket(table, "", "w", write_rate, now).refill(now) <= 0:
                return self._denied(table, False)
            if partition is not None and is_provisioned(table.description) and \
                    self._partition(table, partition, "w", now).refill(now) <= 0:
                return self._denied(table, False)
            for name, (_, rate) in gsis.items():
                if self._bucket(table, name, "w", rate, now).refill(now) <= 0:
                    return self._denied(table, True)
        return None

    def charge_write(self, table: Table, partition: bytes | None, units: float,
                     index_units: Iterable[tuple[str, bool, float]] = ()) -> None:
        """Charge a done write: ``units`` to the table, and per GSI ``(name, is_global, units)``."""
        now = self._clock()
        _, write_rate, gsis = _rates(table, self._settings)
        with self._lock:
            table_units = units
            for name, is_global, used in index_units:
                if is_global and name in gsis:
                    self._bucket(table, name, "w", gsis[name][1], now).tokens -= used
                elif not is_global:
                    table_units += used  # LSIs draw on the table's capacity
            if write_rate is not None:
                bucket = self._bucket(table, "", "w", write_rate, now)
                bucket.refill(now)
                bucket.tokens -= table_units
            if partition is not None and is_provisioned(table.description):
                bucket = self._partition(table, partition, "w", now)
                bucket.refill(now)
                bucket.tokens -= units
