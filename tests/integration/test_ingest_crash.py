"""Crash test: ``kill -9`` the ingester in the middle of 200,000 records, restart, compare the table.

The topic holds 200,000 records over 4 partitions for 20,000 keys (each key updated ~10 times, in
one partition, the Kafka key choosing it), with tombstones in between. ``dynaflow ingest`` runs as
a real process; once it has committed part of the stream it is killed with SIGKILL, started again
on the same data directory and consumer group, and stopped when every offset is committed. The
table must then equal the last record per key — no loss, no older record winning over a newer.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

import dynaflow

N_RECORDS = 200_000
N_KEYS = 20_000
PARTITIONS = 4

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def committed(bootstrap: str, group: str, topic: str) -> int:
    """Records committed by ``group`` on ``topic`` (offsets start at 0 on a fresh topic)."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        offsets = consumer.committed([TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=10)
        return sum(max(tp.offset, 0) for tp in offsets)
    finally:
        consumer.close()


def start(config: Path, log: Path) -> subprocess.Popen[bytes]:
    out = open(log, "ab")  # noqa: SIM115 - inherited by the child, closed with the test
    return subprocess.Popen([sys.executable, "-m", "dynaflow", "ingest", "--config", str(config)],
                            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str, proc: subprocess.Popen[bytes],
             log: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if proc.poll() is not None:
            raise AssertionError(f"ingester exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)


# Why: the delivery guarantee — offsets committed only after durable writes, replays conditional on
# the version attribute — must leave exactly the expected final state after a SIGKILL mid-stream.
def test_kill_9_mid_stream_then_restart_leaves_the_expected_final_state(
        kafka_bootstrap: str, topic_factory: Callable[..., str], produce_all: Callable[..., None],
        tmp_path: Path) -> None:
    topic = topic_factory(partitions=PARTITIONS, prefix="crash")
    group = f"crash-{uuid.uuid4().hex[:8]}"
    data = tmp_path / "data"
    config = tmp_path / "dynaflow.yaml"
    config.write_text(yaml.safe_dump({
        "engine": {"data": str(data), "durability": "os"},
        "kafka": {"bootstrap_servers": kafka_bootstrap, "group_id": group,
                  "extra": {"session.timeout.ms": "2000", "heartbeat.interval.ms": "300"}},
        "ingest": {"batch_size": 5000, "linger_ms": 5},
    }))
    rule = tmp_path / "rule.yaml"
    rule.write_text(yaml.safe_dump({
        "name": "crash", "topics": [topic], "table": "CrashState",
        "partition_key": {"attribute": "pk", "type": "S", "from": "$key"},
        "stream": {"enabled": False},
    }))
    onboarded = subprocess.run([sys.executable, "-m", "dynaflow", "onboard", str(rule), "--config", str(config)],
                               capture_output=True, text=True, timeout=60)
    assert onboarded.returncode == 0, onboarded.stderr

    expected: dict[str, int | None] = {}
    records: list[tuple[bytes | None, bytes | None]] = []
    for seq in range(N_RECORDS):
        key = f"k{(seq * 7919) % N_KEYS}"
        if seq % 17 == 0:
            records.append((key.encode(), None))
            expected[key] = None
        else:
            records.append((key.encode(), orjson.dumps({"seq": seq, "pad": "x" * 40})))
            expected[key] = seq
    produce_all(topic, records)

    log = tmp_path / "ingest.log"
    first = start(config, log)
    try:
        wait_for(lambda: committed(kafka_bootstrap, group, topic) >= N_RECORDS // 5, 60,
                 "a fifth of the records", first, log)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        at_kill = committed(kafka_bootstrap, group, topic)
        assert at_kill < N_RECORDS, "the ingester finished before it could be killed"
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()

    second = start(config, log)
    try:
        wait_for(lambda: committed(kafka_bootstrap, group, topic) >= N_RECORDS, 90, "every record", second, log)
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0, log.read_text()[-3000:]
    finally:
        if second.poll() is None:
            second.kill()
            second.wait()

    client = dynaflow.connect(data, durability="os")
    try:
        actual: dict[str, Any] = {}
        request: dict[str, Any] = {"TableName": "CrashState"}
        while True:
            page = client.scan(**request)
            for item in page["Items"]:
                actual[item["pk"]["S"]] = int(item["seq"]["N"])
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    finally:
        client.close()
    wanted = {key: seq for key, seq in expected.items() if seq is not None}
    missing = sorted(set(wanted) - set(actual))
    stale = sorted(k for k in set(wanted) & set(actual) if actual[k] != wanted[k])
    resurrected = sorted(set(actual) - set(wanted))
    assert not missing and not stale and not resurrected, (len(missing), len(stale), len(resurrected))
    assert os.path.exists(data)
