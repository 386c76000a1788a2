"""Replication between two endpoints with different credentials, under kill -9, proven by parity.

The source is a dynaflow server when its engine serves the DynamoDB Streams API, and DynamoDB Local
(which implements Streams) either way; the target is always a dynaflow server with its own access
keys. Replication runs as ``dynaflow replicate`` worker processes that are killed with SIGKILL and
restarted at random while a writer runs puts, updates, deletes and expiring rows on the source.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dynaflow.cdc import BOOKKEEPING, TOMBSTONE_ATTRIBUTE
from dynaflow.dynamo.remote import connect_remote
from dynaflow.parity import TableRef, check_parity
from support import peers

SOURCE_KEY, SOURCE_SECRET = "AKSOURCEACCOUNT", "source-secret"
TARGET_KEY, TARGET_SECRET = "AKTARGETACCOUNT", "target-secret"
KEYS = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
ATTRS = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}]


def _server(tmp: Path, name: str, key: str, secret: str) -> Iterator[str]:
    keys = tmp / f"{name}-keys.json"
    keys.write_text(json.dumps({"account_id": "111111111111" if name == "source" else "222222222222",
                                "keys": [{"access_key_id": key, "secret_access_key": secret}]}))
    keys.chmod(0o600)
    port = peers.free_port()
    cmd = [sys.executable, "-m", "dynaflow", "serve", "--data", str(tmp / name), "--port", str(port),
           "--keys-file", str(keys), "--durability", "os", "--no-access-log"]
    with peers.serve(cmd, port, log=tmp / f"{name}.log") as url:
        yield url


@pytest.fixture
def target_server(tmp_path: Path) -> Iterator[str]:
    yield from _server(tmp_path, "target", TARGET_KEY, TARGET_SECRET)


@pytest.fixture
def source_server(tmp_path: Path) -> Iterator[str]:
    yield from _server(tmp_path, "source", SOURCE_KEY, SOURCE_SECRET)


async def _has_streams(url: str, key: str, secret: str) -> bool:
    from dynaflow.cdc.endpoints import connect_with_streams

    client = await connect_with_streams(url, access_key_id=key, secret_access_key=secret)
    try:
        await client.call("ListStreams", {})
        return True
    except Exception:
        return False
    finally:
        await client.close()


@pytest.fixture(params=["dynaflow", "dynamodb-local"])
def source(request: pytest.FixtureRequest) -> tuple[str, str, str]:
    """(endpoint, access key, secret) of the source."""
    if request.param == "dynamodb-local":
        return request.getfixturevalue("dynamodb_local_endpoint"), SOURCE_KEY, SOURCE_SECRET
    url = request.getfixturevalue("source_server")
    if not asyncio.run(_has_streams(url, SOURCE_KEY, SOURCE_SECRET)):
        pytest.skip("dynaflow's engine does not serve the DynamoDB Streams API yet")
    return url, SOURCE_KEY, SOURCE_SECRET


async def _create(client: Any, table: str, *, stream: bool) -> None:
    request: dict[str, Any] = {"TableName": table, "KeySchema": KEYS, "AttributeDefinitions": ATTRS,
                               "BillingMode": "PAY_PER_REQUEST"}
    if stream:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    await client.call("CreateTable", request)
    for _ in range(100):
        if (await client.call("DescribeTable", {"TableName": table}))["Table"]["TableStatus"] == "ACTIVE":
            return
        await asyncio.sleep(0.1)


async def _live_rows(client: Any, table: str) -> dict[tuple[str, str], dict[str, Any]]:
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    request: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = await client.call("Scan", request)
        for item in page.get("Items", ()):
            if TOMBSTONE_ATTRIBUTE not in item:
                rows[(item["pk"]["S"], item["sk"]["N"])] = {k: v for k, v in item.items() if k not in BOOKKEEPING}
        if not page.get("LastEvaluatedKey"):
            return rows
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class Workers:
    """``dynaflow replicate`` processes that can be killed with SIGKILL and restarted."""

    def __init__(self, source: str, target: str, env: dict[str, str], log: Path) -> None:
        self.cmd = [sys.executable, "-m", "dynaflow", "replicate", source, target, "--lease-duration", "1.5",
                    "--poll-interval", "0.05"]
        self.env, self.log = env, log
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        with open(self.log, "ab") as out:
            proc = subprocess.Popen(self.cmd, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def kill_one(self, rng: random.Random) -> None:
        alive = [p for p in self.procs if p.poll() is None]
        victim = rng.choice(alive)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        self.procs.remove(victim)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.mark.slow
async def test_replication_survives_kill_9_and_parity_is_full(source: tuple[str, str, str], target_server: str,
                                                              tmp_path: Path) -> None:
    # Why: the proof: mixed writes, workers killed at random, and at the end a 100% replica.
    source_url, source_key, source_secret = source
    table = f"orders{random.randrange(10**6)}"
    src = await connect_remote(source_url, access_key_id=source_key, secret_access_key=source_secret)
    dst = await connect_remote(target_server, access_key_id=TARGET_KEY, secret_access_key=TARGET_SECRET)
    await _create(src, table, stream=True)
    await _create(dst, "replica", stream=False)
    ttl = False
    try:  # expiring rows: real TTL where the source has it; otherwise those rows are deleted directly
        await src.call("UpdateTimeToLive", {"TableName": table, "TimeToLiveSpecification": {
            "Enabled": True, "AttributeName": "expires"}})
        ttl = True
    except Exception:
        ttl = False
    env = {**os.environ, "DYNAFLOW_SOURCE__ACCESS_KEY_ID": source_key,
           "DYNAFLOW_SOURCE__SECRET_ACCESS_KEY": source_secret,
           "DYNAFLOW_TARGET__ACCESS_KEY_ID": TARGET_KEY, "DYNAFLOW_TARGET__SECRET_ACCESS_KEY": TARGET_SECRET}
    workers = Workers(f"{source_url}/{table}", f"{target_server}/replica", env, tmp_path / "workers.log")
    rng = random.Random(6)
    try:
        for _ in range(3):
            workers.start()

        async def write() -> None:
            deadline = time.monotonic() + 12
            n = 0
            while time.monotonic() < deadline:
                n += 1
                k = rng.randrange(400)
                key = {"pk": {"S": f"c{k % 17}"}, "sk": {"N": str(k)}}
                roll = rng.random()
                if roll < 0.5:
                    await src.call("PutItem", {"TableName": table, "Item": {**key, "n": {"N": str(n)},
                                                                            "data": {"B": os.urandom(8)}}})
                elif roll < 0.75:
                    await src.call("UpdateItem", {"TableName": table, "Key": key,
                                                  "UpdateExpression": "SET n = :n ADD hits :one",
                                                  "ExpressionAttributeValues": {":n": {"N": str(n)},
                                                                                ":one": {"N": "1"}}})
                elif roll < 0.9:
                    await src.call("DeleteItem", {"TableName": table, "Key": key})
                else:  # an expiring row
                    item = {**key, "expires": {"N": str(int(time.time()) - 10)}, "n": {"N": str(n)}}
                    await src.call("PutItem", {"TableName": table, "Item": item})
                    if not ttl:
                        await src.call("DeleteItem", {"TableName": table, "Key": key})
                await asyncio.sleep(0.002)

        async def chaos() -> None:
            deadline = time.monotonic() + 12
            while time.monotonic() < deadline:
                await asyncio.sleep(rng.uniform(1.0, 2.5))
                workers.kill_one(rng)
                workers.start()

        await asyncio.gather(write(), chaos())
        if ttl:  # let the TTL process remove what expired (dynaflow sweeps every few seconds)
            for _ in range(100):
                page = await src.call("Scan", {"TableName": table, "FilterExpression": "attribute_exists(expires)",
                                               "Select": "COUNT"})
                if page["Count"] == 0:
                    break
                await asyncio.sleep(0.3)
        deadline = time.monotonic() + 60
        while True:
            report = await check_parity(TableRef(src, table), TableRef(dst, "replica"), recheck_delay=0.05)
            if report.differing_rows == 0 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        assert report.differing_rows == 0, report.as_dict()
        assert report.parity_percent == 100.0
        # The parity tool, as an operator runs it.
        tool = subprocess.run([sys.executable, "-m", "dynaflow", "parity", "check", f"{source_url}/{table}",
                               f"{target_server}/replica"], env=env, capture_output=True, text=True, timeout=120)
        assert tool.returncode == 0 and "100.000000 %" in tool.stdout, tool.stdout + tool.stderr
        # And an independent full comparison: both tables scanned, compared as dicts.
        expected, got = await _live_rows(src, table), await _live_rows(dst, "replica")
        assert expected == got and len(expected) > 20
    finally:
        workers.stop()
        await src.close()
        await dst.close()


async def test_parity_finds_exactly_the_corrupted_rows_between_two_servers_and_repair_fixes_them(
        source_server: str, target_server: str) -> None:
    # Why: parity over the wire with two credentials must name exactly the damaged rows; repair must fix them.
    src = await connect_remote(source_server, access_key_id=SOURCE_KEY, secret_access_key=SOURCE_SECRET)
    dst = await connect_remote(target_server, access_key_id=TARGET_KEY, secret_access_key=TARGET_SECRET)
    await _create(src, "accounts", stream=False)
    await _create(dst, "accounts", stream=False)
    items = [{"pk": {"S": f"a{n % 23}"}, "sk": {"N": str(n)}, "v": {"S": f"value {n}"}} for n in range(1500)]
    for chunk in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": i}} for i in items[chunk:chunk + 25]]
        await src.call("BatchWriteItem", {"RequestItems": {"accounts": batch}})
        await dst.call("BatchWriteItem", {"RequestItems": {"accounts": batch}})
    for n in (3, 500, 1499):
        await dst.call("DeleteItem", {"TableName": "accounts", "Key": {"pk": {"S": f"a{n % 23}"}, "sk": {"N": str(n)}}})
    for n in (7, 800):
        await dst.call("PutItem", {"TableName": "accounts", "Item": {**items[n], "v": {"S": "corrupt"}}})
    await dst.call("PutItem", {"TableName": "accounts", "Item": {"pk": {"S": "ghost"}, "sk": {"N": "1"}}})
    env = {**os.environ, "DYNAFLOW_SOURCE__ACCESS_KEY_ID": SOURCE_KEY,
           "DYNAFLOW_SOURCE__SECRET_ACCESS_KEY": SOURCE_SECRET,
           "DYNAFLOW_TARGET__ACCESS_KEY_ID": TARGET_KEY, "DYNAFLOW_TARGET__SECRET_ACCESS_KEY": TARGET_SECRET}
    cmd = [sys.executable, "-m", "dynaflow", "parity", "check", f"{source_server}/accounts",
           f"{target_server}/accounts", "--json"]
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 1, first.stderr
    report = json.loads(first.stdout)
    assert (report["missing"], report["different"], report["extra"]) == (3, 2, 1)
    assert sorted(k["sk"]["N"] for k in report["first_missing"]) == ["1499", "3", "500"]
    assert sorted(k["sk"]["N"] for k in report["first_different"]) == ["7", "800"]
    assert report["first_extra"] == [{"pk": {"S": "ghost"}, "sk": {"N": "1"}}]
    repaired = subprocess.run([*cmd, "--repair"], env=env, capture_output=True, text=True, timeout=120)
    assert json.loads(repaired.stdout)["repaired"] == 6
    after = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert after.returncode == 0 and json.loads(after.stdout)["parity_percent"] == 100.0
    assert await _live_rows(src, "accounts") == await _live_rows(dst, "accounts")
    await src.close()
    await dst.close()
