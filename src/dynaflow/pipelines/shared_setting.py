"""A process-wide interpreter setting that pipelines hold while they run.

The garbage collector's thresholds (``collector.py``) and the thread switch interval
(``switching.py``) belong to the whole process, while ingesters and CDC workers come and go, one or
several at a time. A :class:`SharedSetting` is applied by its first holder and restored by its
last, under a lock, so a holder that stops early never takes the setting from one still running,
and code that runs after the last one sees the process as it was before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["SharedSetting"]


class SharedSetting:
    """``apply()`` sets the setting and returns what undoes it; ``each()``, if given, runs for every
    holder on entry (the collector freezes each new holder's objects)."""

    def __init__(self, apply: Callable[[], Callable[[], None]], each: Callable[[], None] | None = None) -> None:
        self._apply = apply
        self._each = each
        self._lock = threading.Lock()
        self._holders = 0
        self._undo: Callable[[], None] | None = None

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the setting until the block exits."""
        with self._lock:
            if self._holders == 0:
                self._undo = self._apply()
            self._holders += 1
            if self._each is not None:
                self._each()
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if self._holders == 0 and self._undo is not None:
                    self._undo()
                    self._undo = None
