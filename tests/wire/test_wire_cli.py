"""`dynaflow serve` as a process: flags, safety refusals, TLS, signals, and the AWS CLI against it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from wire_support import free_port

VENV_BIN = Path(sys.executable).parent


def serve_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "dynaflow", "serve", *args]


def spawn(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start ``dynaflow serve`` with its output in a log file (a pipe nobody reads would fill up)."""
    log = open(tmp_path / "serve.log", "ab")  # noqa: SIM115 - the child holds it; closed with the test dir
    return subprocess.Popen(serve_cmd(*args), env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL)


def wait_ready(proc: subprocess.Popen[bytes], url: str, **kw: Any) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1, **kw).read()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("server did not answer")


def stop(proc: subprocess.Popen[bytes]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return int(proc.returncode)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    proc = spawn(tmp_path, "--data", str(tmp_path / "data"), "--host", "127.0.0.1", "--port", str(port),
                 "--durability", "os")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(proc, url)
        yield url
    finally:
        stop(proc)


# A non-loopback bind without keys is refused, with the reason and the way out.
def test_refuses_non_loopback_without_keys(tmp_path: Path) -> None:
    out = subprocess.run(serve_cmd("--data", str(tmp_path), "--host", "0.0.0.0", "--port", "0"),
                         capture_output=True, timeout=60)
    assert out.returncode == 2
    assert b"--allow-non-loopback-without-auth" in out.stderr


# A keys file readable by others is refused before binding.
def test_refuses_world_readable_keys(tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text('{"keys": [{"access_key_id": "a", "secret_access_key": "b"}]}')
    keys.chmod(0o644)
    out = subprocess.run(serve_cmd("--data", str(tmp_path), "--port", "0", "--keys-file", str(keys)),
                         capture_output=True, timeout=60)
    assert out.returncode == 2 and b"chmod 600" in out.stderr


# Environment variables configure the server like flags do; SIGTERM stops it cleanly (exit 0).
def test_env_vars_and_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "DYNAFLOW_DATA": str(tmp_path / "d"), "DYNAFLOW_SERVE__PORT": str(port),
           "DYNAFLOW_SERVE__DURABILITY": "os"}
    proc = spawn(tmp_path, env=env)
    try:
        wait_ready(proc, f"http://127.0.0.1:{port}")
    finally:
        assert stop(proc) == 0
    assert (tmp_path / "d").exists()


# With a certificate and key the server speaks HTTPS.
@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_tls(tmp_path: Path) -> None:
    import ssl

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True, timeout=60)
    port = free_port()
    proc = spawn(tmp_path, "--data", str(tmp_path / "d"), "--port", str(port), "--tls-cert", str(cert),
                 "--tls-key", str(key), "--durability", "os")
    try:
        context = ssl.create_default_context(cafile=str(cert))
        context.check_hostname = False
        wait_ready(proc, f"https://127.0.0.1:{port}", context=context)
        from wire_support import boto3_client

        client = boto3_client(f"https://127.0.0.1:{port}", verify=str(cert))
        assert client.list_tables()["TableNames"] == []
    finally:
        stop(proc)


def aws(url: str, *args: str) -> Any:
    exe = VENV_BIN / "aws"
    if not exe.exists():
        pytest.skip("the AWS CLI is not installed in the environment")
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": ""}
    out = subprocess.run([str(exe), "dynamodb", *args, "--endpoint-url", url, "--output", "json"],
                         capture_output=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr.decode()
    return json.loads(out.stdout) if out.stdout.strip() else None


# The AWS CLI works unchanged: create-table, put-item, get-item, query, scan, delete-table.
def test_aws_cli(served: str) -> None:
    aws(served, "create-table", "--table-name", "cli", "--billing-mode", "PAY_PER_REQUEST",
        "--attribute-definitions", "AttributeName=pk,AttributeType=S", "AttributeName=sk,AttributeType=N",
        "--key-schema", "AttributeName=pk,KeyType=HASH", "AttributeName=sk,KeyType=RANGE")
    for sk in ("1", "2"):
        aws(served, "put-item", "--table-name", "cli", "--item",
            json.dumps({"pk": {"S": "a"}, "sk": {"N": sk}, "v": {"S": f"value {sk}"}}))
    got = aws(served, "get-item", "--table-name", "cli", "--key", '{"pk": {"S": "a"}, "sk": {"N": "2"}}')
    assert got["Item"]["v"] == {"S": "value 2"}
    queried = aws(served, "query", "--table-name", "cli", "--key-condition-expression", "pk = :p",
                  "--expression-attribute-values", '{":p": {"S": "a"}}')
    assert [i["sk"]["N"] for i in queried["Items"]] == ["1", "2"]
    assert aws(served, "scan", "--table-name", "cli")["Count"] == 2
    aws(served, "delete-table", "--table-name", "cli")
    assert aws(served, "list-tables")["TableNames"] == []
