"""Measure the wire server's CPU per request: ``python tests/wire/cpu_per_request.py``.

Starts ``dynaflow serve`` (durability ``fsync`` unless ``--durability os``, access log off unless
``--access-log``) and, in the same run, a bare ``asyncio.Protocol`` + ``httptools`` server on uvloop
that answers every request with a fixed body - the floor any Python server on this machine pays.
Then, for each workload (GetItem of a 1 KB item, PutItem of it, a 20-item Query, a 25-item
BatchWriteItem), it drives keep-alive connections from a callback-driven raw client (one request
in flight per connection, like an SDK) and reads the server process's CPU time (user + system of
all its threads, from ``/proc/<pid>/stat``) before and after. Each figure is the median of
``--repeat`` rounds; the bare server's figure comes from the same rounds, so the ratio to it is
what to compare across runs on a shared machine.

With ``--keys`` the server verifies SigV4 on every request (each request is signed once by
botocore and replayed; a signature stays valid for 15 minutes). Without it the same signed
requests are sent and any credentials are accepted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import httptools
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

TICKS = os.sysconf("SC_CLK_TCK")
KEY, SECRET = "AKIDBENCH", "bench-secret"
ITEM = {"pk": {"S": "k"}, "payload": {"S": "x" * 900}, "n": {"N": "42"}}


def cpu_seconds(pid: int) -> float:
    return sum(cpu_split(pid))


def cpu_split(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of a process, all its threads included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICKS, int(fields[12]) / TICKS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_request(url: str, target: str, payload: dict[str, Any]) -> bytes:
    body = json.dumps(payload).encode()
    request = AWSRequest(method="POST", url=url + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"DynamoDB_20120810.{target}"})
    SigV4Auth(Credentials(KEY, SECRET), "dynamodb", "us-east-1").add_auth(request)
    host = url.split("//")[1]
    lines = [b"POST / HTTP/1.1", b"Host: " + host.encode()]
    lines += [f"{k}: {v}".encode() for k, v in request.headers.items()]
    lines.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


# --- the bare baseline server ----------------------------------------------------------------
_BARE_BODY = b'{"Item":{"pk":{"S":"k"}}}'
_BARE_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: "
    + str(len(_BARE_BODY)).encode() + b"\r\nx-amzn-RequestId: " + b"A" * 52 + b"\r\nx-amz-crc32: 0\r\n\r\n"
    + _BARE_BODY
)


class _BareConnection(asyncio.Protocol):
    def __init__(self) -> None:
        self.parser = httptools.HttpRequestParser(self)
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_message_complete(self) -> None:
        self.transport.write(_BARE_RESPONSE)


def run_bare(port: int) -> None:
    import uvloop

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(_BareConnection, "127.0.0.1", port)
        await server.serve_forever()

    uvloop.run(main())


# --- the load generator ----------------------------------------------------------------------
class _ClientConnection(asyncio.Protocol):
    def __init__(self, request: bytes, count: int, done: asyncio.Future[None], failures: list[bytes]) -> None:
        self.request = request
        self.left = count
        self.done = done
        self.failures = failures
        self.parser = httptools.HttpResponseParser(self)
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_body(self, body: bytes) -> None:
        if self.parser.get_status_code() != 200 and len(self.failures) < 3:
            self.failures.append(body)

    def on_message_complete(self) -> None:
        self.left -= 1
        if self.left > 0:
            self.transport.write(self.request)
        else:
            self.transport.close()
            if not self.done.done():
                self.done.set_result(None)


async def drive(port: int, request: bytes, count: int, connections: int) -> list[bytes]:
    loop = asyncio.get_running_loop()
    failures: list[bytes] = []
    waits = []
    for _ in range(connections):
        done: asyncio.Future[None] = loop.create_future()
        await loop.create_connection(
            lambda done=done: _ClientConnection(request, count // connections, done, failures), "127.0.0.1", port)
        waits.append(done)
    await asyncio.gather(*waits)
    return failures


def measure(pid: int, port: int, request: bytes, count: int, connections: int) -> tuple[float, float]:
    """(requests per second, server CPU µs per request) for one round."""
    import uvloop

    before, started = cpu_seconds(pid), time.perf_counter()
    failures = uvloop.run(drive(port, request, count, connections))
    elapsed, used = time.perf_counter() - started, cpu_seconds(pid) - before
    if failures:
        raise SystemExit(f"non-200 answers, e.g. {failures[0][:300]!r}")
    return count / elapsed, used / count * 1e6


def wait_ready(url: str) -> None:
    for _ in range(300):
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=10000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--durability", choices=("fsync", "os"), default="fsync")
    parser.add_argument("--keys", action="store_true", help="verify SigV4 against a keys file")
    parser.add_argument("--access-log", action="store_true")
    parser.add_argument("--workloads", default="GetItem,PutItem,Query-20,BatchWriteItem-25")
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        run_bare(args.bare_server)
        return

    tmp = Path(tempfile.mkdtemp())
    port, bare_port = free_port(), free_port()
    cmd = [sys.executable, "-m", "dynaflow", "serve", "--data", str(tmp / "data"), "--port", str(port),
           "--durability", args.durability, "--access-log" if args.access_log else "--no-access-log"]
    if args.keys:
        keys = tmp / "keys.json"
        keys.write_text(json.dumps({"keys": [{"access_key_id": KEY, "secret_access_key": SECRET}]}))
        keys.chmod(0o600)
        cmd += ["--keys-file", str(keys)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    bare = subprocess.Popen([sys.executable, __file__, "--bare-server", str(bare_port)])
    url, bare_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{bare_port}"
    try:
        wait_ready(url)
        wait_ready(bare_url)
        client = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id=KEY,
                              aws_secret_access_key=SECRET)
        client.create_table(TableName="bench", BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                       {"AttributeName": "sk", "KeyType": "RANGE"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                  {"AttributeName": "sk", "AttributeType": "N"}])
        item = dict(ITEM, sk={"N": "0"})
        client.put_item(TableName="bench", Item=item)
        for i in range(20):
            client.put_item(TableName="bench", Item={"pk": {"S": "q"}, "sk": {"N": str(i)}, "v": {"S": "y" * 100}})
        workloads = {
            "GetItem": build_request(url, "GetItem", {"TableName": "bench", "Key": {"pk": {"S": "k"}, "sk": {"N": "0"}}}
                                     ),
            "PutItem": build_request(url, "PutItem", {"TableName": "bench", "Item": item}),
            "Query-20": build_request(url, "Query", {
                "TableName": "bench", "KeyConditionExpression": "pk = :p",
                "ExpressionAttributeValues": {":p": {"S": "q"}}}),
            "BatchWriteItem-25": build_request(url, "BatchWriteItem", {"RequestItems": {"bench": [
                {"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"N": str(i)}, "v": {"S": "z" * 100}}}}
                for i in range(25)]}}),
        }
        chosen = args.workloads.split(",")
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in ["bare", *chosen]}
        warm = min(2000, args.requests)
        for name in chosen:
            measure(proc.pid, port, workloads[name], warm, args.connections)
        measure(bare.pid, bare_port, workloads["GetItem"], warm, args.connections)
        for _ in range(args.repeat):
            results["bare"].append(measure(bare.pid, bare_port, workloads["GetItem"], args.requests,
                                           args.connections))
            for name in chosen:
                results[name].append(measure(proc.pid, port, workloads[name], args.requests, args.connections))
        print(f"{args.connections} connections, durability={args.durability}, sigv4={'on' if args.keys else 'off'},"
              f" access log={'on' if args.access_log else 'off'}, median of {args.repeat} x {args.requests}")
        bare_cpu = statistics.median(cpu for _, cpu in results["bare"])
        for name, rounds in results.items():
            rate = statistics.median(r for r, _ in rounds)
            cpu = statistics.median(c for _, c in rounds)
            print(f"  {name:18} {rate:9,.0f} req/s  server CPU {cpu:6.1f} µs/request  "
                  f"({cpu / bare_cpu:4.1f}x bare; rounds {', '.join(f'{c:.0f}' for _, c in rounds)})")
    finally:
        for p in (proc, bare):
            p.terminate()
            p.wait(10)


if __name__ == "__main__":
    main()
