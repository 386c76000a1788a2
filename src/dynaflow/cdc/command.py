"""``dynaflow replicate``: run one replication worker until SIGINT/SIGTERM.

Start the command several times (on one machine or many) for several workers: they share the
stream's shards through the pipeline's lease table.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import Literal

from dynaflow.cdc.consumer import ConsumerSettings
from dynaflow.cdc.metrics import MemoryMetrics
from dynaflow.cdc.runtime import PipelineSettings, replicate
from dynaflow.parity.refs import open_ref, parse_ref


async def replicate_command(source: str, target: str, *, pipeline: str | None = None, state: str | None = None,
                            snapshot: bool = False, mode: Literal["single", "transact"] = "single",
                            lease_duration: float = 10.0, poll_interval: float = 0.2,
                            initial_position: Literal["TRIM_HORIZON", "LATEST"] = "TRIM_HORIZON",
                            status_every: float = 0.0) -> int:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    source_ref, target_ref = parse_ref(source), parse_ref(target)
    source_client = await open_ref(source_ref, "source", streams=True)
    target_client = await open_ref(target_ref, "target")
    state_client = await open_ref(parse_ref(state), "state") if state else None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    metrics = MemoryMetrics()
    settings = PipelineSettings(lease_duration=lease_duration, snapshot=snapshot, initial_position=initial_position,
                                consumer=ConsumerSettings(poll_interval=poll_interval))

    async def report() -> None:
        while status_every > 0 and not stop.is_set():
            await asyncio.sleep(status_every)
            logging.getLogger("dynaflow.cdc").info("applied %d changes, max lag %.3f s",
                                                   metrics.total_applied, metrics.max_lag)

    reporter = asyncio.create_task(report())
    try:
        await replicate(source=source_client, source_table=source_ref.table, target=target_client,
                        target_table=target_ref.table, pipeline=pipeline, state=state_client, settings=settings,
                        sink_mode=mode, metrics=metrics, stop=stop)
    finally:
        reporter.cancel()
        for client in (source_client, target_client, state_client):
            if client is not None:
                await client.close()
    return 0
