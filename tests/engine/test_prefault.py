"""The ``os``-mode prefaulter (``engine/prefault.py``): it stays ahead of the database, changes no
data, and steps aside where the kernel refuses it."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dynaflow.engine import prefault
from dynaflow.engine.core import Engine
from dynaflow.engine.prefault import Prefaulter
from dynaflow.engine.state import PYTHON_OUTPUT


def _call(engine: Engine, name: str, **request: Any) -> dict[str, Any]:
    return engine.execute(name, request, PYTHON_OUTPUT)


def _eventually(condition: Callable[[], bool], seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def _open(path: Path, durability: str = "os") -> Engine:
    engine = Engine(path, durability=durability)  # type: ignore[arg-type]
    _call(engine, "CreateTable", TableName="pages", BillingMode="PAY_PER_REQUEST",
          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    return engine


def _write(engine: Engine, start: int, count: int) -> None:
    for first in range(start, start + count, 25):
        _call(engine, "BatchWriteItem", RequestItems={"pages": [
            {"PutRequest": {"Item": {"pk": {"S": f"k{n:06d}"}, "v": {"S": f"{n}" * 300}}}}
            for n in range(first, min(first + 25, start + count))]})


def _used(engine: Engine) -> int:
    env = engine.state.env.env
    return int((env.info()["last_pgno"] + 1) * env.stat()["psize"])


def _prefaulter(engine: Engine) -> Prefaulter:
    found = engine.state.env._prefault
    assert found is not None
    return found


def _resident(path: Path) -> int:
    """Bytes of this process's map of ``path`` backed by pages (``Rss`` in ``/proc/self/smaps``)."""
    real = str(path.resolve())
    inside = False
    with open("/proc/self/smaps", encoding="utf-8") as smaps:
        for line in smaps:
            fields = line.split()
            if "-" in fields[0] and len(fields) >= 5 and ":" in fields[3]:  # a mapping's header line
                inside = fields[-1] == real
            elif inside and fields[0] == "Rss:":
                return int(fields[1]) * 1024
    return 0


def test_pages_are_populated_ahead_of_the_database(tmp_path: Path) -> None:
    engine = _open(tmp_path)
    data = tmp_path / "lmdb" / "data.mdb"
    try:
        pages = _prefaulter(engine)
        assert _eventually(lambda: pages.populated >= _used(engine) + prefault.MIN_AHEAD - 8192
                           or not pages._thread.is_alive())
        if not pages.populated:
            pytest.skip("this kernel refuses MADV_POPULATE_WRITE (Linux 5.14 or later has it)")
        _write(engine, 0, 6000)  # ~6 MB: the distance ahead grows with the database
        used = _used(engine)
        assert used > 4 * prefault.MIN_AHEAD
        assert _eventually(lambda: pages.populated >= 2 * _used(engine) - 8192)
        # The pages are really there, in LMDB's own map: more resident than the database uses.
        assert _resident(data) >= pages.populated - 8192 > _used(engine)
        assert pages._thread.is_alive()
    finally:
        engine.close()
    assert not pages._thread.is_alive()


def test_populating_changes_no_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Why: the prefaulter works on the very pages LMDB is writing; every item written while it
    # runs flat out must read back exactly, also after a reopen.
    monkeypatch.setattr(prefault, "INTERVAL", 0.0)
    monkeypatch.setattr(prefault, "CHUNK", 64 << 10)
    engine = _open(tmp_path)
    try:
        _write(engine, 0, 4000)
        _call(engine, "DeleteItem", TableName="pages", Key={"pk": {"S": "k000007"}})
        _write(engine, 4000, 2000)
    finally:
        engine.close()
    reopened = Engine(tmp_path, durability="os")
    try:
        items: list[dict[str, Any]] = []
        request: dict[str, Any] = {"TableName": "pages"}
        while True:
            page = _call(reopened, "Scan", **request)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        expected = {f"k{n:06d}": f"{n}" * 300 for n in range(6000) if n != 7}
        assert {item["pk"]["S"]: item["v"]["S"] for item in items} == expected
    finally:
        reopened.close()


def test_a_kernel_that_refuses_the_advice_leaves_the_writer_as_it_was(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prefault, "_MADV_POPULATE_WRITE", 0x7FFF)  # no such advice: EINVAL
    engine = _open(tmp_path)
    try:
        pages = _prefaulter(engine)
        assert _eventually(lambda: not pages._thread.is_alive())
        assert pages.populated == 0
        _write(engine, 0, 100)
        assert _call(engine, "Scan", TableName="pages", Select="COUNT")["Count"] == 100
    finally:
        engine.close()


def test_fsync_mode_has_no_prefaulter(tmp_path: Path) -> None:
    # Why: without the writable map LMDB takes no write faults; populating would only cost disk.
    engine = _open(tmp_path, "fsync")
    try:
        assert engine.state.env._prefault is None
    finally:
        engine.close()


def test_a_file_not_mapped_is_not_found(tmp_path: Path) -> None:
    (tmp_path / "plain").write_bytes(b"x" * 8192)
    assert prefault._mapping_of(str(tmp_path / "plain")) is None
