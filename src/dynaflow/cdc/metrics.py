"""The CDC runtime's metric hooks: a small interface, injected, never global.

The runtime calls a :class:`CdcMetrics`; an exporter (Prometheus, logs) implements it. Lag is the
age of the last change applied — now minus its ``ApproximateCreationDateTime`` — per shard, and 0
once a read finds the shard caught up, as the KCL reports ``MillisBehindLatest``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class CdcMetrics(Protocol):
    def applied(self, shard_id: str, count: int, lag_seconds: float) -> None: ...

    def dead_lettered(self, shard_id: str, count: int) -> None: ...

    def retried(self, shard_id: str, error: str) -> None: ...


@dataclass
class ShardStats:
    applied: int = 0
    lag_seconds: float = 0.0
    dead_lettered: int = 0
    retries: int = 0


class MemoryMetrics:
    """Per-shard counters and the last lag, in memory (tests, the CLI's status line)."""

    def __init__(self) -> None:
        self.shards: dict[str, ShardStats] = {}

    def _stats(self, shard_id: str) -> ShardStats:
        stats = self.shards.get(shard_id)
        if stats is None:
            stats = self.shards[shard_id] = ShardStats()
        return stats

    def applied(self, shard_id: str, count: int, lag_seconds: float) -> None:
        stats = self._stats(shard_id)
        stats.applied += count
        stats.lag_seconds = lag_seconds

    def dead_lettered(self, shard_id: str, count: int) -> None:
        self._stats(shard_id).dead_lettered += count

    def retried(self, shard_id: str, error: str) -> None:
        self._stats(shard_id).retries += 1

    @property
    def total_applied(self) -> int:
        return sum(s.applied for s in self.shards.values())

    @property
    def max_lag(self) -> float:
        return max((s.lag_seconds for s in self.shards.values()), default=0.0)
