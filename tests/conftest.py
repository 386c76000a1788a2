"""Suite-wide pytest wiring: the ``--targets`` option and one DynamoDB client per target.

A *target* is something that speaks the DynamoDB API:

* ``embedded`` - dynaflow's in-process client (``dynaflow.connect``) on a temporary directory;
* ``wire`` - dynaflow's own server (``dynaflow serve``) in a subprocess, reached through boto3;
* ``dynamodb-local`` - AWS's DynamoDB Local, started once per session (see ``support.peers``);
* ``aws`` - real DynamoDB with the ambient credentials; never part of the default.

A test asks for the ``dynamodb`` fixture and is run once per selected target (the target is in the
test id). A target that cannot run here (no ``dynaflow.connect`` yet, no ``serve`` command, no Java,
no AWS credentials) is reported as skipped with the reason, never as an error.

Markers that relate a test to a target's known divergence turn that target's run into a strict
xfail, so the suite notices when the divergence goes away:

* ``dynamodb_local_differs(reason=...)`` - DynamoDB Local does not behave like AWS here;
* ``dynaflow_differs(reason=...)`` - dynaflow deliberately differs (embedded and wire runs).

Every such marker is backed by an entry in ``docs/compatibility.md``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# The machines that run this suite are small and shared: a property test's examples may take
# longer under load, so no per-example deadline; a failing property still fails, whatever its speed.
settings.register_profile("dynaflow", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("dynaflow")

ALL_TARGETS = ("embedded", "wire", "dynamodb-local", "aws")
DEFAULT_TARGETS = "embedded,wire,dynamodb-local"
DYNAFLOW_TARGETS = ("embedded", "wire")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--targets",
        default=DEFAULT_TARGETS,
        help=f"comma-separated DynamoDB targets to run against: {', '.join(ALL_TARGETS)} "
        f"(default: {DEFAULT_TARGETS})",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "dynaflow_differs(reason): dynaflow deliberately differs from AWS here; "
        "strict xfail on the embedded and wire targets")
    config.addinivalue_line(
        "markers", "dynamodb_local_differs(reason): DynamoDB Local diverges from AWS here; "
        "strict xfail on the dynamodb-local target")


def selected_targets(config: pytest.Config) -> list[str]:
    targets = [t.strip() for t in str(config.getoption("--targets")).split(",") if t.strip()]
    unknown = sorted(set(targets) - set(ALL_TARGETS))
    if unknown:
        raise pytest.UsageError(f"unknown --targets {unknown}; choose from {', '.join(ALL_TARGETS)}")
    return targets


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target" in metafunc.fixturenames:
        metafunc.parametrize("target", selected_targets(metafunc.config), indirect=True, scope="session")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        target = callspec.params.get("target") if callspec else None
        if target is None:
            continue
        local = item.get_closest_marker("dynamodb_local_differs")
        if local and target == "dynamodb-local":
            item.add_marker(pytest.mark.xfail(reason=local.kwargs.get("reason", ""), strict=True))
        ours = item.get_closest_marker("dynaflow_differs")
        if ours and target in DYNAFLOW_TARGETS:
            item.add_marker(pytest.mark.xfail(reason=ours.kwargs.get("reason", ""), strict=True))


def boto3_client(endpoint: str | None, **session: Any) -> Any:
    """A low-level boto3 DynamoDB client with client-side validation and retries off."""
    import boto3
    from botocore.config import Config

    config = Config(parameter_validation=False, retries={"max_attempts": 0}, connect_timeout=10,
                    read_timeout=60)
    if endpoint is None:  # real AWS: ambient credentials and region
        return boto3.session.Session(**session).client("dynamodb", config=config)
    return boto3.session.Session(
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name="us-east-1",
    ).client("dynamodb", endpoint_url=endpoint, config=config)


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> str:
    """The name of the DynamoDB target this test runs against."""
    return str(request.param)


@pytest.fixture(scope="session")
def embedded_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    import dynaflow

    connect = getattr(dynaflow, "connect", None)
    if connect is None:
        pytest.skip("embedded target: dynaflow.connect is not available yet")
    client = connect(tmp_path_factory.mktemp("embedded"), durability="os")
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def dynamodb_local_endpoint() -> Iterator[str]:
    from support import peers

    for tool in ("java", "npm"):
        if shutil.which(tool) is None:
            pytest.skip(f"dynamodb-local target: {tool} is not installed")
    with peers.dynamodb_local() as endpoint:
        yield endpoint


def _serve_command() -> list[str] | None:
    """The ``dynaflow serve`` command line, or None while the wire server does not exist."""
    cmd = [sys.executable, "-m", "dynaflow", "serve"]
    probe = subprocess.run([*cmd, "--help"], capture_output=True, timeout=60)
    return cmd if probe.returncode == 0 else None


@pytest.fixture(scope="session")
def wire_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from support import peers

    cmd = _serve_command()
    if cmd is None:
        pytest.skip("wire target: `dynaflow serve` is not available yet")
    port = peers.free_port()
    data = tmp_path_factory.mktemp("wire-data")
    with peers.serve([*cmd, "--data", str(data), "--host", "127.0.0.1", "--port", str(port)], port) as url:
        yield url


@pytest.fixture(scope="session")
def dynamodb(target: str, request: pytest.FixtureRequest) -> Any:
    """A DynamoDB client for ``target`` with boto3's low-level method names and shapes."""
    if target == "embedded":
        return request.getfixturevalue("embedded_client")
    if target == "dynamodb-local":
        return boto3_client(request.getfixturevalue("dynamodb_local_endpoint"))
    if target == "wire":
        return boto3_client(request.getfixturevalue("wire_endpoint"))
    import boto3

    if boto3.session.Session().get_credentials() is None:
        pytest.skip("aws target: no AWS credentials")
    return boto3_client(None, region_name=os.environ.get("AWS_REGION", os.environ.get(
        "AWS_DEFAULT_REGION", "us-east-1")))
