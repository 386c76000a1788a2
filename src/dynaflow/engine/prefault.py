"""Pages of the data file faulted in ahead of the writer, in ``os`` mode.

In ``os`` mode LMDB writes into its memory map (``MDB_WRITEMAP``, see ``lmdb_env.py``). A page the
database has never used is a hole of the sparse data file, and the first write to it takes a page
fault that allocates and zero-fills it in the kernel, in the writer's thread and under the
interpreter lock: ~0.5 such faults per ~1 KB PutItem. Measured here (``bench/engine.py``, PutItem
``os`` from one thread): 39-40k puts/s without this module, 55-58k/s with it.

So a background thread keeps the pages from LMDB's last used page to as many bytes beyond it as
the database uses (1 MB to 64 MB) faulted in: it finds LMDB's map of the file in
``/proc/self/maps`` and asks the kernel to populate that range as a write would
(``madvise(MADV_POPULATE_WRITE)``), which sets up the pages without changing a byte, so it cannot
disturb what LMDB writes into them. The call goes through ``ctypes``, which releases the
interpreter lock, so the work runs beside the writer instead of inside it.

Costs and limits: the populated pages are dirty file pages that the kernel writes back as zeros,
so the data file holds up to as many bytes more on disk as the database uses, 64 MB at most. The advice
needs Linux 5.14 or later; where it fails the thread stops and pages fault in the writer as
before. ``fsync`` mode needs none of this: without the writable map, LMDB writes pages with
``pwrite`` and takes no faults.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import mmap
import os
import threading
from typing import Any, Final

log = logging.getLogger(__name__)

#: Bytes kept populated beyond the database's last used page: as many as the database uses, at
#: least ``MIN_AHEAD`` and at most ``AHEAD`` (a small database is not given a large file).
AHEAD: Final = 64 << 20
MIN_AHEAD: Final = 1 << 20
#: Bytes populated per call.
CHUNK: Final = 4 << 20
#: Seconds between two looks at how far the database has grown.
INTERVAL: Final = 0.01
_MADV_POPULATE_WRITE: Final = 23


def _libc() -> Any | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    libc = ctypes.CDLL(name, use_errno=True)
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    return libc


class Prefaulter:
    """The background thread for one open environment (``env``: its py-lmdb ``Environment``)."""

    def __init__(self, env: Any, data_file: str | os.PathLike[str]) -> None:
        self._env = env
        self._libc = _libc()
        self._page = env.stat()["psize"]
        #: LMDB's own map of the data file: (address, length), from the process's memory maps.
        self._map = _mapping_of(os.fspath(data_file))
        #: Offset in the map up to which pages are populated.
        self.populated = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dynaflow-prefault", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                if not self.catch_up():
                    return
                self._stop.wait(INTERVAL)
        except Exception:  # never take the engine down: faults then happen in the writer
            log.exception("prefaulting stopped")

    def catch_up(self) -> bool:
        """Populate ahead of the last used page (see the module docstring); False if that cannot be
        done here (no libc, no map found, or the kernel refuses the advice)."""
        if self._libc is None or self._map is None:
            return False
        address, size = self._map
        used = (self._env.info()["last_pgno"] + 1) * self._page
        target = min(used + min(AHEAD, max(MIN_AHEAD, used)), size)
        start = max(self.populated, used - used % mmap.PAGESIZE)
        while start < target and not self._stop.is_set():
            length = min(CHUNK, target - start)
            if self._libc.madvise(address + start, length, _MADV_POPULATE_WRITE) != 0:
                log.debug("prefaulting unavailable: madvise errno %d", ctypes.get_errno())
                return False
            start += length
            self.populated = start
        return True

    def close(self) -> None:
        """Stop (before the environment unmaps the file)."""
        self._stop.set()
        self._thread.join(timeout=10)


def _mapping_of(path: str) -> tuple[int, int] | None:
    """(address, length) of the process's shared writable map of ``path``, if there is one."""
    real = os.path.realpath(path)
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                fields = line.split(maxsplit=5)
                if len(fields) == 6 and fields[5].rstrip("\n") == real and fields[1].startswith("rw") \
                        and fields[1][3] == "s" and int(fields[2], 16) == 0:
                    low, high = (int(x, 16) for x in fields[0].split("-"))
                    return low, high - low
    except OSError:
        return None
    return None
