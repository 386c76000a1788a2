"""`dynaflow up`, the README's main command, serves the DynamoDB API on loopback."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import boto3
from botocore.config import Config


def test_up_serves_a_durable_dynamodb_endpoint(tmp_path: Path) -> None:
    # Why: `python3 dev.py run` runs `dynaflow up`; it must give users a working endpoint on ./data.
    proc = subprocess.Popen([sys.executable, "-m", "dynaflow", "up", "--data", str(tmp_path), "--port", "0"],
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None and proc.stdout is not None
        url = None
        for _ in range(50):
            line = proc.stderr.readline() or proc.stdout.readline()
            match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            if match:
                url = match.group(1)
                break
        assert url is not None, "dynaflow up did not announce its endpoint"
        client = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1",
                              aws_access_key_id="any", aws_secret_access_key="any",
                              config=Config(retries={"max_attempts": 0}))
        client.create_table(TableName="up-test", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                            BillingMode="PAY_PER_REQUEST")
        client.put_item(TableName="up-test", Item={"pk": {"S": "a"}, "n": {"N": "1"}})
        assert client.get_item(TableName="up-test", Key={"pk": {"S": "a"}})["Item"]["n"] == {"N": "1"}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert (tmp_path / "lmdb").exists()


def test_serve_reads_its_settings_from_the_config_file(tmp_path: Path) -> None:
    # Why: every serve setting may come from dynaflow.yaml; flags and environment variables win over it.
    config = tmp_path / "dynaflow.yaml"
    config.write_text(f"engine:\n  data: {tmp_path / 'from-file'}\n  durability: os\nserve:\n  port: 0\n"
                      "  access_log: false\n")
    proc = subprocess.Popen([sys.executable, "-m", "dynaflow", "serve", "--config", str(config)],
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert re.search(r"listening on http://127\.0\.0\.1:(?!8000\b)\d+", line), line
        assert str(tmp_path / "from-file") in line
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert (tmp_path / "from-file" / "lmdb").exists()
