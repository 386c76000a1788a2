"""``dynaflow parity check``: the library entry behind the command (see :mod:`dynaflow.parity.refs`)."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from typing import TextIO

import orjson

from dynaflow.parity.compare import DEFAULT_THRESHOLD_PERCENT, TableRef
from dynaflow.parity.refs import open_ref, parse_ref
from dynaflow.parity.report import render
from dynaflow.parity.schedule import check_and_act


async def parity_check(source: str, target: str, *, segments: int = 8, sample: int = 20,
                       threshold_percent: float = DEFAULT_THRESHOLD_PERCENT, repair: bool = False,
                       replica: bool = False, every: float | None = None, as_json: bool = False,
                       out: TextIO = sys.stdout) -> int:
    """Check once (or every ``every`` seconds); exit status 0 within the threshold, 1 past it."""
    source_ref, target_ref = parse_ref(source), parse_ref(target)
    source_client = await open_ref(source_ref, "source")
    target_client = await open_ref(target_ref, "target")
    apply = None
    if repair and replica:
        from dynaflow.cdc.replica import ReplicaSink

        apply = ReplicaSink(target_client, target_ref.table).repair
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    status = 0
    try:
        while True:
            started = time.monotonic()
            report, alert = await check_and_act(
                TableRef(source_client, source_ref.table), TableRef(target_client, target_ref.table),
                threshold_percent=threshold_percent, repair_enabled=repair, apply=apply,
                names=(str(source_ref), str(target_ref)), segments=segments, sample=sample)
            seconds = time.monotonic() - started
            if as_json:
                out.write(orjson.dumps({**report.as_dict(), "seconds": seconds,
                                        "repaired": alert.repaired if alert else None}, default=str).decode() + "\n")
            else:
                out.write(render(report, source=str(source_ref), target=str(target_ref), seconds=seconds) + "\n")
                if alert is not None:
                    out.write(f"ALERT: {report.difference_percent:.6f} % of rows differ "
                              f"(threshold {threshold_percent} %)"
                              + (f"; repaired {alert.repaired} rows\n" if alert.repaired is not None else "\n"))
            out.flush()
            status = 0 if alert is None else 1
            if every is None or stop.is_set():
                return status
            try:
                await asyncio.wait_for(stop.wait(), every)
            except TimeoutError:
                continue
            return status
    finally:
        await source_client.close()
        await target_client.close()
