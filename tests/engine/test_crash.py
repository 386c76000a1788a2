"""kill -9 in the middle of a durable write load loses nothing that was acknowledged."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import dynaflow

WRITER = textwrap.dedent("""
    import sys, threading
    import dynaflow
    client = dynaflow.connect(sys.argv[1], durability="fsync")
    client.create_table(
        TableName="crash",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST",
    )
    lock = threading.Lock()
    print("ready", flush=True)

    def ack(line):
        with lock:
            sys.stdout.write(line + "\\n")
            sys.stdout.flush()

    def puts(worker):
        for i in range(10**9):
            client.put_item(TableName="crash", Item={"pk": {"S": f"w{worker}"}, "sk": {"N": str(i)},
                                                     "v": {"S": "x" * 200}})
            ack(f"put w{worker} {i}")

    def batches(worker):
        for i in range(10**9):
            requests = [{"PutRequest": {"Item": {"pk": {"S": f"b{worker}-{i}"}, "sk": {"N": str(j)}}}}
                        for j in range(25)]
            client.batch_write_item(RequestItems={"crash": requests})
            ack(f"batch b{worker}-{i}")

    threads = [threading.Thread(target=puts, args=(n,)) for n in range(4)]
    threads += [threading.Thread(target=batches, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
""")


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [300, 1500])
def test_kill_9_loses_no_acknowledged_write(tmp_path: Path, kill_after: int) -> None:
    # Why: in fsync mode, acknowledged means on disk; a crash must not lose it or tear a batch.
    data = tmp_path / "data"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(data)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    acked: list[str] = []
    deadline = time.monotonic() + 120
    try:
        assert proc.stdout.readline().strip() == "ready"
        while len(acked) < kill_after and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            acked.append(line.strip())
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert len(acked) >= kill_after, "the writer stopped before the crash point"

    with dynaflow.connect(data) as client:
        items = []
        request: dict[str, object] = {"TableName": "crash"}
        while True:
            page = client.scan(**request)
            items.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        present = {(i["pk"]["S"], int(i["sk"]["N"])) for i in items}
        for line in acked:
            kind, name, *rest = line.split()
            if kind == "put":
                assert (name, int(rest[0])) in present, f"acknowledged {line} was lost"
        batches: dict[str, int] = {}
        for pk, _ in present:
            if pk.startswith("b"):
                batches[pk] = batches.get(pk, 0) + 1
        assert all(n == 25 for n in batches.values()), "a batch was torn by the crash"
        for line in acked:
            if line.startswith("batch"):
                assert batches.get(line.split()[1]) == 25, f"acknowledged {line} was lost"
        described = client.describe_table(TableName="crash")["Table"]
        assert described["ItemCount"] == len(items), "counters disagree with the data after recovery"
