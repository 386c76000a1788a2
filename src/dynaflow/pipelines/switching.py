"""The interpreter's thread switch interval while an ingester runs: a finished poll is not kept
waiting for the busy event loop.

The ingester's Kafka consumer polls in a worker thread (its calls block) while the event loop maps
and writes the batches before. A poll that returns needs the interpreter lock to turn its messages
into records, and CPython lets the thread holding the lock keep it for the *switch interval*
(5 ms by default) before it must hand it over: every record of that poll waits with it, and so
does the write that waits for the records. While an ingester runs the interval is
:data:`SWITCH_INTERVAL`, the wire server's setting for its writer thread (``wire/server.py``).

Measured with the ingest benchmark's latency run (5,000 records/s, three alternating pairs):
the time from a poll's return to its records being written fell from p50 3.0 ms to 2.2 ms and its
p99 from 11-20 ms to 8.5-17 ms, and the sink's write of a batch from p99 7-9 ms to 4.4-6.6 ms.

The setting is process-wide (``shared_setting.py``): it is applied by the first running ingester
and restored when the last one stops, as ``collector.tuned_collector`` is.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import AbstractContextManager

from dynaflow.pipelines.shared_setting import SharedSetting

__all__ = ["SWITCH_INTERVAL", "quick_handoff"]

#: Seconds the event loop may keep the interpreter lock while the polling thread waits for it.
SWITCH_INTERVAL = 0.0005


def _apply() -> Callable[[], None]:
    saved = sys.getswitchinterval()
    if saved <= SWITCH_INTERVAL:  # never raise an interval the process lowered itself
        return lambda: None
    sys.setswitchinterval(SWITCH_INTERVAL)
    return lambda: sys.setswitchinterval(saved)


_SETTING = SharedSetting(_apply)


def quick_handoff() -> AbstractContextManager[None]:
    """Lower the switch interval to :data:`SWITCH_INTERVAL` (never raise it) until the block exits."""
    return _SETTING.held()
