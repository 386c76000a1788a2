"""`dynaflow up` resumes registered ingest rules next to the endpoint, after a restart too."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from support.peers import free_port, wait_until_answering

pytestmark = [pytest.mark.timeout(120)]


def boto(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.session.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
                                 region_name="us-east-1").client(
        "dynamodb", endpoint_url=endpoint, config=Config(retries={"max_attempts": 0}))


# Why: rules live in dynaflow's own metadata, so `dynaflow up` alone resumes ingestion and the
# records become readable through the endpoint it serves.
def test_up_serves_and_resumes_registered_rules(
        kafka_bootstrap: str, topic_factory: Callable[..., str], produce_all: Callable[..., None],
        tmp_path: Path) -> None:
    topic = topic_factory(partitions=2)
    data = tmp_path / "data"
    rule = tmp_path / "rule.yaml"
    rule.write_text(yaml.safe_dump({"name": "up", "topics": [topic], "table": "UpTable",
                                    "partition_key": {"attribute": "pk", "from": "id"},
                                    "stream": {"enabled": False}}))
    onboarded = subprocess.run([sys.executable, "-m", "dynaflow", "onboard", str(rule), "--data", str(data)],
                               capture_output=True, text=True, timeout=60)
    assert onboarded.returncode == 0, onboarded.stderr
    produce_all(topic, [(None, orjson.dumps({"id": f"r{i}"})) for i in range(100)])
    env = {**os.environ, "DYNAFLOW_KAFKA__BOOTSTRAP_SERVERS": kafka_bootstrap,
           "DYNAFLOW_KAFKA__EXTRA": '{"session.timeout.ms": "2000", "heartbeat.interval.ms": "300"}'}
    port = free_port()
    log = tmp_path / "up.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "dynaflow", "up", "--data", str(data), "--port", str(port)],
                                env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        wait_until_answering(endpoint, proc)
        client = boto(endpoint)
        deadline = time.monotonic() + 60
        count = 0
        while time.monotonic() < deadline:
            count = client.scan(TableName="UpTable", Select="COUNT", ConsistentRead=True)["Count"]
            if count == 100:
                break
            time.sleep(0.2)
        assert count == 100, log.read_text()[-3000:]
        assert "resuming registered ingest rules" in log.read_text()
    finally:
        proc.terminate()
        proc.wait(30)
