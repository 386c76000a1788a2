"""ItemCount and TableSizeBytes (``engine/table_counts.py``): exact while running, saved in batches,
recounted after a process that did not close.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from dynaflow.engine import table_counts
from dynaflow.engine.catalog import Catalog
from dynaflow.engine.core import Engine
from dynaflow.engine.keys import table_prefix
from dynaflow.engine.lmdb_env import LmdbEnv
from dynaflow.engine.state import PYTHON_OUTPUT


def _call(engine: Engine, name: str, **request: Any) -> dict[str, Any]:
    return engine.execute(name, request, PYTHON_OUTPUT)


def _create(engine: Engine, name: str) -> int:
    _call(engine, "CreateTable", TableName=name, BillingMode="PAY_PER_REQUEST",
          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    return engine.state.catalog.tables[name].table_id


def _figures(engine: Engine, name: str) -> tuple[int, int]:
    table = _call(engine, "DescribeTable", TableName=name)["Table"]
    return table["ItemCount"], table["TableSizeBytes"]


def _stored(engine: Engine, table_id: int) -> tuple[int, int]:
    with engine.state.env.read() as txn:
        return Catalog.counts(txn, engine.state.env.meta, table_id)


def _put(engine: Engine, name: str, pk: str, value: str = "v") -> None:
    _call(engine, "PutItem", TableName=name, Item={"pk": {"S": pk}, "a": {"S": value}})


def _size(pk: str, value: str = "v") -> int:
    return len("pk") + len(pk) + len("a") + len(value)


def test_figures_are_exact_before_they_are_saved(tmp_path: Path) -> None:
    # Why: changes wait in memory for up to a second; DescribeTable must still count every one.
    engine = Engine(tmp_path, durability="os")
    try:
        table_id = _create(engine, "counted")
        for n in range(5):
            _put(engine, "counted", f"k{n}")
        _put(engine, "counted", "k0", "longer value")  # a replacement: one item, a new size
        _call(engine, "DeleteItem", TableName="counted", Key={"pk": {"S": "k4"}})
        expected = (4, sum(_size(f"k{n}") for n in range(1, 4)) + _size("k0", "longer value"))
        assert _figures(engine, "counted") == expected
        assert _stored(engine, table_id) == (0, 0)  # not saved yet: the second has not passed
    finally:
        engine.close()
    reopened = Engine(tmp_path, durability="os")
    try:
        assert not reopened.state.writer.counts.recounted  # a clean close saved them
        assert _figures(reopened, "counted") == expected
        assert _stored(reopened, table_id) == expected
    finally:
        reopened.close()


def test_a_due_save_stores_the_figures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(table_counts, "SAVE_INTERVAL", 0.0)
    engine = Engine(tmp_path, durability="os")
    try:
        table_id = _create(engine, "counted")
        _put(engine, "counted", "a")
        _put(engine, "counted", "b")  # the save is due at this commit: it stores the first put
        assert _stored(engine, table_id) == (1, _size("a"))
        assert _figures(engine, "counted") == (2, _size("a") + _size("b"))
    finally:
        engine.close()


def test_an_unclean_stop_is_recounted_at_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Why: a killed process takes its unsaved changes with it; the marker it leaves makes the next
    # open count the items again instead of serving stale figures.
    engine = Engine(tmp_path, durability="os")
    table_id = _create(engine, "counted")
    for n in range(30):
        _put(engine, "counted", f"k{n:02d}")
    monkeypatch.setattr(engine.state.writer.counts, "close", lambda: None)
    engine.close()  # as a killed process would stop: the figures are never saved, the marker stays
    reopened = Engine(tmp_path, durability="os")
    try:
        assert reopened.state.writer.counts.recounted
        expected = (30, sum(_size(f"k{n:02d}") for n in range(30)))
        assert _stored(reopened, table_id) == expected
        assert _figures(reopened, "counted") == expected
    finally:
        reopened.close()
    again = Engine(tmp_path, durability="os")
    try:
        assert not again.state.writer.counts.recounted
    finally:
        again.close()


def test_a_deleted_table_leaves_no_figures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Why: a save after DeleteTable must not write the deleted table's counter back.
    engine = Engine(tmp_path, durability="os")
    try:
        old_id = _create(engine, "gone")
        _put(engine, "gone", "a")
        monkeypatch.setattr(table_counts, "SAVE_INTERVAL", 0.0)
        engine.state.writer.counts._save_at = 0.0
        _call(engine, "DeleteTable", TableName="gone")  # a due save, in the deleting transaction
        engine.state.writer.counts.add({old_id: [1, 1]}, None)  # a straggler for the deleted table
        new_id = _create(engine, "gone")
        _put(engine, "gone", "b")
        _put(engine, "gone", "c")  # a due save
        assert _figures(engine, "gone") == (2, _size("b") + _size("c"))
    finally:
        engine.close()
    env = LmdbEnv(tmp_path, durability="os")
    try:
        with env.read() as txn:
            assert txn.get(b"c/" + table_prefix(old_id), db=env.meta) is None
            assert Catalog.counts(txn, env.meta, new_id) == (2, _size("b") + _size("c"))
    finally:
        env.close()


def test_readers_never_count_a_change_twice_across_saves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Why: a save moves changes from memory to the store; a reader racing it must see each change
    # once. Every put adds one item, so a reader's count can never pass the puts begun so far, and
    # never goes back.
    monkeypatch.setattr(table_counts, "SAVE_INTERVAL", 0.0)
    engine = Engine(tmp_path, durability="os")
    try:
        _create(engine, "raced")
        begun = [0]
        done = threading.Event()

        def write() -> None:
            for n in range(1500):
                begun[0] = n + 1
                _put(engine, "raced", f"k{n}")
            done.set()

        writer = threading.Thread(target=write)
        writer.start()
        seen = 0
        while not done.is_set():
            count = engine.state.writer.counts.figures(None, engine.state.catalog.tables["raced"].table_id)[0]
            assert seen <= count <= begun[0]
            seen = count
        writer.join()
        assert _figures(engine, "raced")[0] == 1500
    finally:
        engine.close()


def test_a_reader_waits_for_a_save_to_end(tmp_path: Path) -> None:
    # Why: between a save's commit and the moment its changes stop waiting they are both stored and
    # waiting; a reader in that window would count them twice, so it must wait for the window to end.
    engine = Engine(tmp_path, durability="os")
    try:
        table_id = _create(engine, "counted")
        counts = engine.state.writer.counts
        counts.add({table_id: [3, 30]}, None)
        counts._save_at = 0.0
        txn = engine.state.env.write()
        assert counts.save_due(txn, None)
        txn.commit()
        read: list[tuple[int, int]] = []
        reader = threading.Thread(target=lambda: read.append(counts.figures(None, table_id)))
        reader.start()
        reader.join(0.2)
        assert reader.is_alive() and not read
        counts.saved(True)
        reader.join()
        assert read == [(3, 30)]
    finally:
        engine.close()
