"""Scheduled parity checks: compare every ``every`` seconds, alert past a threshold, optionally repair.

A check whose difference exceeds ``threshold_percent`` (default 0.0001 %: one row in a million)
raises an :class:`Alert` through an injected :class:`AlertSink` (the default logs one JSON line on
the ``dynaflow.parity`` logger) and, when ``repair`` is on, re-copies the differing rows from the
source (``apply`` lets a CDC replica keep its sequence numbers and tombstones, see
:func:`dynaflow.parity.repair.repair`). Every check's report also goes to an injected
:class:`ParityMetrics` — the hook an ops metrics module (Prometheus gauges) implements.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from dynaflow.parity.compare import DEFAULT_THRESHOLD_PERCENT, ParityReport, TableRef, check_parity
from dynaflow.parity.repair import Apply, repair

log = logging.getLogger("dynaflow.parity")


@dataclass(frozen=True)
class Alert:
    at: float
    source: str
    target: str
    difference_percent: float
    threshold_percent: float
    report: dict[str, Any]
    repaired: int | None


class AlertSink(Protocol):
    def alert(self, alert: Alert) -> None: ...


class ParityMetrics(Protocol):
    def checked(self, source: str, target: str, report: ParityReport, seconds: float) -> None: ...


class LogAlerts:
    """Alerts as one JSON line each on the ``dynaflow.parity`` logger (level WARNING)."""

    def alert(self, alert: Alert) -> None:
        log.warning("parity alert %s", orjson.dumps(alert.__dict__, default=str).decode())


class NoMetrics:
    def checked(self, source: str, target: str, report: ParityReport, seconds: float) -> None:
        return None


async def check_and_act(source: TableRef, target: TableRef, *, threshold_percent: float = DEFAULT_THRESHOLD_PERCENT,
                        repair_enabled: bool = False, apply: Apply | None = None, alerts: AlertSink | None = None,
                        metrics: ParityMetrics | None = None, names: tuple[str, str] = ("source", "target"),
                        **check: Any) -> tuple[ParityReport, Alert | None]:
    """One scheduled round: check, report to metrics, alert and repair past the threshold."""
    started = time.monotonic()
    report = await check_parity(source, target, **check)
    (metrics or NoMetrics()).checked(names[0], names[1], report, time.monotonic() - started)
    if report.within(threshold_percent):
        return report, None
    repaired = await repair(source, target, report, apply=apply) if repair_enabled else None
    alert = Alert(time.time(), names[0], names[1], report.difference_percent, threshold_percent,
                  report.as_dict(), repaired)
    (alerts or LogAlerts()).alert(alert)
    return report, alert


async def run_scheduled(source: TableRef, target: TableRef, *, every: float, stop: asyncio.Event | None = None,
                        **options: Any) -> None:
    """Run :func:`check_and_act` every ``every`` seconds until ``stop`` is set."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        try:
            await check_and_act(source, target, **options)
        except Exception:  # a failed round (endpoint down) is logged; the schedule goes on
            log.exception("parity check failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
