"""Measure the wire server's CPU per request: ``python tests/wire/cpu_per_request.py``.

Starts ``dynaflow serve`` (durability ``os``, access log off unless ``--access-log``), creates a
table with one item, then sends GetItem requests (and optionally PutItem) over keep-alive
connections from a raw asyncio client, and reads the server process's CPU time (user + system,
from ``/proc/<pid>/stat``) before and after. With ``--keys`` the server verifies SigV4 on every
request (one request pre-signed by botocore is replayed; it stays valid for 15 minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def build_request(url: str, target: str, body: bytes, key: str, secret: str) -> bytes:
    request = AWSRequest(method="POST", url=url + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"DynamoDB_20120810.{target}"})
    SigV4Auth(Credentials(key, secret), "dynamodb", "us-east-1").add_auth(request)
    host = url.split("//")[1]
    lines = [b"POST / HTTP/1.1", b"Host: " + host.encode()]
    lines += [f"{k}: {v}".encode() for k, v in request.headers.items()]
    lines.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


async def drive(port: int, request: bytes, count: int, connections: int) -> None:
    async def one(n: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(n):
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
        writer.close()

    await asyncio.gather(*(one(count // connections) for _ in range(connections)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--keys", action="store_true", help="verify SigV4 against a keys file")
    parser.add_argument("--access-log", action="store_true")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp())
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "dynaflow", "serve", "--data", str(tmp / "data"), "--port", str(port),
           "--durability", "os", "--access-log" if args.access_log else "--no-access-log"]
    key, secret = "AKIDBENCH", "bench-secret"
    if args.keys:
        keys = tmp / "keys.json"
        keys.write_text(json.dumps({"keys": [{"access_key_id": key, "secret_access_key": secret}]}))
        keys.chmod(0o600)
        cmd += ["--keys-file", str(keys)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url, timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        client = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                              aws_secret_access_key=secret)
        client.create_table(TableName="bench", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                            BillingMode="PAY_PER_REQUEST")
        item = {"pk": {"S": "k"}, "payload": {"S": "x" * 900}, "n": {"N": "42"}}
        client.put_item(TableName="bench", Item=item)
        get = build_request(url, "GetItem", json.dumps({"TableName": "bench", "Key": {"pk": {"S": "k"}}}).encode(),
                            key, secret)
        put = build_request(url, "PutItem", json.dumps({"TableName": "bench", "Item": item}).encode(), key, secret)
        for name, request in (("GetItem", get), ("PutItem", put)):
            asyncio.run(drive(port, request, 2000, args.connections))  # warm up
            before, started = cpu_seconds(proc.pid), time.perf_counter()
            asyncio.run(drive(port, request, args.requests, args.connections))
            elapsed, used = time.perf_counter() - started, cpu_seconds(proc.pid) - before
            per_request = used / args.requests * 1e6
            print(f"{name}: {args.requests / elapsed:,.0f} req/s, server CPU {per_request:.1f} µs/request"
                  f" ({args.connections} connections, sigv4={'on' if args.keys else 'off'}, "
                  f"access log={'on' if args.access_log else 'off'})")
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
