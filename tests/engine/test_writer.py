"""The group-commit writer: every job applied once, failures isolated, sync and async callers."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from dynaflow.engine import errors
from dynaflow.engine.lmdb_env import DataDirLocked, LmdbEnv
from dynaflow.engine.writer import WriteContext, Writer


@pytest.fixture
def env(tmp_path: Path) -> Any:
    env = LmdbEnv(tmp_path, durability="os")
    yield env
    env.close()


@pytest.fixture(params=["os", "fsync"])
def any_env(tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    """Both durability modes: in ``os`` mode a lone write commits alone, in ``fsync`` as a group."""
    env = LmdbEnv(tmp_path, durability=request.param)
    yield env
    env.close()


def _put(key: bytes) -> Any:
    def job(ctx: WriteContext) -> bytes:
        ctx.txn.put(key, b"v", db=ctx.env.items)
        return key
    return job


def _count(env: LmdbEnv) -> int:
    with env.read() as txn:
        return int(txn.stat(env.items)["entries"])


def test_concurrent_sync_writers_all_commit(env: LmdbEnv) -> None:
    # Why: leader/follower hand-offs must never strand a waiting caller or drop a job.
    writer = Writer(env)
    results: list[bytes] = []

    def worker(n: int) -> None:
        for i in range(300):
            results.append(writer.submit(_put(b"%d-%d" % (n, i))))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    writer.close()
    assert len(results) == 2400 == len(set(results)) == _count(env)


def test_async_and_sync_writers_mix(env: LmdbEnv) -> None:
    # Why: the wire server (async) and in-process tools (sync) share one writer.
    writer = Writer(env)

    async def many() -> list[bytes]:
        return list(await asyncio.gather(*(writer.submit_async(_put(b"a%d" % i)) for i in range(500))))

    sync_done: list[bytes] = []
    thread = threading.Thread(target=lambda: [sync_done.append(writer.submit(_put(b"s%d" % i)))
                                              for i in range(500)])
    thread.start()
    async_done = asyncio.run(many())
    thread.join(timeout=60)
    writer.close()
    assert len(async_done) == 500 and len(sync_done) == 500
    assert _count(env) == 1000


def test_dynamo_error_fails_only_its_own_job(any_env: LmdbEnv) -> None:
    # Why: a failed condition in one request must not abort the others in its group.
    env = any_env
    writer = Writer(env)

    def failing(ctx: WriteContext) -> None:
        raise errors.conditional_check_failed()

    with pytest.raises(errors.DynamoError) as info:
        writer.submit(failing)
    assert info.value.type == "ConditionalCheckFailedException"
    assert writer.submit(_put(b"ok")) == b"ok"
    writer.close()
    assert _count(env) == 1


def test_unexpected_exception_rolls_back_and_reports_internal_error(any_env: LmdbEnv) -> None:
    # Why: a bug in one job must not leave partial writes or take the writer down.
    env = any_env
    writer = Writer(env)

    def broken(ctx: WriteContext) -> None:
        ctx.txn.put(b"partial", b"x", db=ctx.env.items)
        raise RuntimeError("boom")

    with pytest.raises(errors.DynamoError) as info:
        writer.submit(broken)
    assert info.value.type == "InternalServerError"
    assert writer.submit(_put(b"after")) == b"after"
    writer.close()
    with env.read() as txn:
        assert txn.get(b"partial", db=env.items) is None


def test_second_owner_of_a_data_directory_is_refused(env: LmdbEnv) -> None:
    # Why: one process owns a data directory; a second writer would corrupt group commit.
    with pytest.raises(DataDirLocked):
        LmdbEnv(env.path)


def test_fsync_writers_gather_into_groups_and_all_commit(tmp_path: Path) -> None:
    # Why: in fsync mode a new leader may wait for the previous group's callers; that wait must
    # never strand a caller, and concurrent callers must share commits.
    env = LmdbEnv(tmp_path / "fsync", durability="fsync")
    writer = Writer(env)
    sizes: list[int] = []
    run_group = writer._run_group

    def counting(batch: list[Any]) -> None:
        sizes.append(len(batch))
        run_group(batch)

    writer._run_group = counting  # type: ignore[method-assign]
    results: list[bytes] = []

    def worker(n: int) -> None:
        for i in range(20):
            results.append(writer.submit(_put(f"{n}-{i}".encode())))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 160 and _count(env) == 160
    assert sum(sizes) == 160 and len(sizes) < 160
    writer.submit(_put(b"alone"))  # a lone caller after a large group still commits promptly
    writer.close()
    env.close()


def test_many_async_jobs_on_one_loop_are_each_acknowledged(env: LmdbEnv) -> None:
    # Why: async acknowledgements are batched per event loop; every future must still resolve with
    # its own job's result.
    writer = Writer(env)

    async def main() -> list[bytes]:
        return list(await asyncio.gather(*(writer.submit_async(_put(f"a{i}".encode())) for i in range(300))))

    assert asyncio.run(main()) == [f"a{i}".encode() for i in range(300)]
    assert _count(env) == 300
    writer.close()


def _where(ctx: WriteContext) -> int:
    ctx.txn.put(b"where-%d" % threading.get_ident(), b"v", db=ctx.env.items)
    return threading.get_ident()


@pytest.mark.parametrize("durability, inline", [("os", True), ("fsync", False)])
def test_async_jobs_lead_on_their_own_thread_only_in_os_mode(tmp_path: Path, durability: str, inline: bool) -> None:
    # Why: in os mode a commit is cheap and a thread hand-off is not, so an async caller that finds
    # no commit in progress commits its own job; in fsync mode the background thread commits, so
    # the event loop goes on serving during the fsync.
    env = LmdbEnv(tmp_path, durability=durability)  # type: ignore[arg-type]
    writer = Writer(env)

    async def main() -> tuple[int, int]:
        return threading.get_ident(), await writer.submit_async(_where)

    try:
        loop_thread, job_thread = asyncio.run(main())
        assert (job_thread == loop_thread) is inline
    finally:
        writer.close()
        env.close()


def test_several_event_loops_and_blocking_callers_share_the_os_mode_writer(env: LmdbEnv) -> None:
    # Why: async callers that lead inline and blocking callers that lead in turn must hand
    # leadership on without stranding a job, whichever arrives while another leads.
    writer = Writer(env)
    done: list[bytes] = []
    lock = threading.Lock()

    def loop_worker(n: int) -> None:
        async def main() -> list[bytes]:
            return list(await asyncio.gather(*(writer.submit_async(_put(b"l%d-%d" % (n, i))) for i in range(200))))
        keys = asyncio.run(main())
        with lock:
            done.extend(keys)

    def blocking_worker(n: int) -> None:
        for i in range(200):
            key = writer.submit(_put(b"b%d-%d" % (n, i)))
            with lock:
                done.append(key)

    threads = [threading.Thread(target=loop_worker, args=(n,)) for n in range(3)]
    threads += [threading.Thread(target=blocking_worker, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    writer.close()
    assert not any(t.is_alive() for t in threads)
    assert len(done) == 1200 == len(set(done)) == _count(env)
