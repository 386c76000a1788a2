"""LMDB environment lifecycle: one environment per data directory, named sub-databases.

* The map is opened large and sparse (LMDB reserves address space, not disk), because py-lmdb's
  10 MB default would fill at once and growing the map needs every transaction closed.
* ``durability="fsync"`` (default) makes a commit durable before it returns: acknowledged means
  on disk. ``"os"`` leaves flushing to the operating system: a process crash loses nothing, a power
  loss may; it is for tests and benchmarks.
* ``"os"`` mode also opens the map writable (LMDB's ``MDB_WRITEMAP``): a commit then writes its
  pages in place instead of copying each dirty page into a buffer and ``pwrite``-ing it, which
  measured ~3x cheaper here (a one-put commit ~6 µs against ~17 µs). Its costs are why ``fsync``
  mode does without it: LMDB sizes the data file to the whole map (a sparse file: ``ls`` shows the
  map size, the disk holds only what is used), and in ``fsync`` mode the fsync dominates a commit
  anyway (no measurable gain). Committed pages live in the shared file mapping, so a killed process
  still loses nothing. Pages the database has not used yet are faulted in ahead of the writer by a
  background thread (``prefault.py``).
* One process owns a data directory. A lock file holding the owner's pid enforces it, so a second
  process gets a clear error instead of a second writer.
* LMDB environments must not cross ``fork()``: the environment remembers the pid that opened it
  and refuses use from another.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Any, Final, Literal

import lmdb

from dynaflow.engine.prefault import Prefaulter

Durability = Literal["fsync", "os"]

DEFAULT_MAP_SIZE: Final = 1 << 40
SUBDBS: Final = (b"meta", b"items", b"index", b"stream", b"ttl")


class DataDirLocked(RuntimeError):
    """Another process owns the data directory."""


class LmdbEnv:
    """An open data directory: the LMDB environment and its named databases."""

    def __init__(self, path: str | os.PathLike[str], *, durability: Durability = "fsync",
                 map_size: int = DEFAULT_MAP_SIZE) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock_fd = self._take_lock()
        self.durability: Durability = durability
        self._pid = os.getpid()
        self.env: Any = lmdb.open(
            str(self.path / "lmdb"),
            map_size=map_size,
            max_dbs=len(SUBDBS) + 4,
            subdir=True,
            sync=durability == "fsync",
            metasync=durability == "fsync",
            readahead=False,
            writemap=durability == "os",
            max_readers=1024,
        )
        #: ``os`` mode: the data file's pages faulted in ahead of the writer (``prefault.py``).
        self._prefault = Prefaulter(self.env, self.path / "lmdb" / "data.mdb") if durability == "os" else None
        self.dbs: dict[bytes, Any] = {name: self.env.open_db(name) for name in SUBDBS}
        self.meta = self.dbs[b"meta"]
        self.items = self.dbs[b"items"]
        self.index = self.dbs[b"index"]
        self.stream = self.dbs[b"stream"]
        self.ttl = self.dbs[b"ttl"]

    def _take_lock(self) -> int:
        fd = os.open(self.path / "LOCK", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise DataDirLocked(
                f"data directory {self.path} is owned by another process (pid {owner}); "
                "reach it over the wire protocol instead"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return fd

    def check_pid(self) -> None:
        if os.getpid() != self._pid:
            raise RuntimeError("an LMDB environment cannot be used across fork(); open it in the child")

    def read(self) -> Any:
        """A read transaction (a consistent snapshot that never blocks on writers)."""
        return self.env.begin(write=False)

    def write(self) -> Any:
        return self.env.begin(write=True)

    def close(self) -> None:
        if self._lock_fd < 0:
            return
        if self._prefault is not None:
            self._prefault.close()
        self.env.close()
        fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        os.close(self._lock_fd)
        self._lock_fd = -1
