"""kill -9 during a TransactWriteItems load: every transaction is all or nothing, none acknowledged is lost.

A child process runs several threads in fsync mode; each thread runs transactions one after another,
each writing FOUR items that share the transaction id and moving the thread's counter item to the
transaction's number under a condition on its previous value. A torn transaction would show as a
transaction id with 1..3 items, or a counter that disagrees with the items present. Each
transaction carries its id as ClientRequestToken, so the token store is crash-tested too: after the
reopen, replaying the last acknowledged transaction must succeed without applying it again.
"""

from __future__ import annotations

import inspect
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import dynaflow

WORKERS = 4
ITEMS_PER_TRANSACTION = 4  # as build_transaction writes

WRITER = textwrap.dedent("""
    import sys, threading
    import dynaflow
    client = dynaflow.connect(sys.argv[1], durability="fsync")
    client.create_table(
        TableName="txn",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST",
    )
    lock = threading.Lock()
    print("ready", flush=True)

    BUILDER

    def run(worker):
        for i in range(10**9):
            client.transact_write_items(TransactItems=build_transaction(worker, i),
                                        ClientRequestToken=f"w{worker}-{i}")
            with lock:
                sys.stdout.write(f"tx {worker} {i}\\n")
                sys.stdout.flush()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
""")


def build_transaction(worker: int, i: int) -> list[dict[str, Any]]:
    """Transaction ``i`` of ``worker``: four items sharing its id, and the worker's counter moved to ``i``."""
    txid = f"w{worker}-{i}"
    actions: list[dict[str, Any]] = [
        {"Put": {"TableName": "txn", "Item": {"pk": {"S": txid}, "sk": {"N": str(j)}, "tx": {"S": txid},
                                              "pad": {"S": "p" * 300}}}}
        for j in range(4)
    ]
    counter: dict[str, Any] = {
        "TableName": "txn", "Key": {"pk": {"S": f"counter-w{worker}"}, "sk": {"N": "0"}},
        "UpdateExpression": "SET n = :i", "ExpressionAttributeValues": {":i": {"N": str(i)}},
    }
    if i == 0:
        counter["ConditionExpression"] = "attribute_not_exists(n)"
    else:
        counter["ConditionExpression"] = "n = :prev"
        counter["ExpressionAttributeValues"][":prev"] = {"N": str(i - 1)}
    return [*actions, {"Update": counter}]


WRITER = WRITER.replace("BUILDER", "from typing import Any\n" + inspect.getsource(build_transaction)).replace(
    "WORKERS", str(WORKERS))


def scan_all(client: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": "txn"}
    while True:
        page = client.scan(**request)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [200, 1000])
def test_kill_9_leaves_every_transaction_whole(tmp_path: Path, kill_after: int) -> None:
    # Why: in fsync mode an acknowledged transaction is on disk, and no transaction is ever partly applied.
    data = tmp_path / "data"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(data)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    acked: dict[int, int] = {}
    count = 0
    deadline = time.monotonic() + 120
    try:
        assert proc.stdout.readline().strip() == "ready"
        while count < kill_after and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            _, worker, i = line.split()
            acked[int(worker)] = max(acked.get(int(worker), -1), int(i))
            count += 1
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert count >= kill_after, "the writer stopped before the crash point"

    with dynaflow.connect(data) as client:
        items = scan_all(client)
        per_tx = Counter(item["pk"]["S"] for item in items if not item["pk"]["S"].startswith("counter-"))
        torn = {txid: n for txid, n in per_tx.items() if n != ITEMS_PER_TRANSACTION}
        assert not torn, f"transactions applied in part: {torn}"
        counters = {item["pk"]["S"]: int(item["n"]["N"]) for item in items if item["pk"]["S"].startswith("counter-")}
        for worker in range(WORKERS):
            last = counters.get(f"counter-w{worker}", -1)
            assert last >= acked.get(worker, -1), f"worker {worker}: an acknowledged transaction was lost"
            committed = {txid for txid in per_tx if txid.startswith(f"w{worker}-")}
            assert committed == {f"w{worker}-{i}" for i in range(last + 1)}, (
                f"worker {worker}: the counter and the transactions' items disagree")
        assert client.describe_table(TableName="txn")["Table"]["ItemCount"] == len(items)

        # The last acknowledged transaction replays from its token without being applied again
        # (applying it again would fail its counter condition).
        worker = max(acked, key=lambda w: acked[w])
        i = acked[worker]
        txid = f"w{worker}-{i}"
        if counters[f"counter-w{worker}"] == i:
            client.transact_write_items(TransactItems=build_transaction(worker, i), ClientRequestToken=txid)
            assert len(scan_all(client)) == len(items)

