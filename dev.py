#!/usr/bin/env python3
"""Bootstrap and run dynaflow from a fresh clone with nothing but Python >= 3.11.

    python3 dev.py run      # create .venv if needed, then run dynaflow on ./data
    python3 dev.py test     # create .venv if needed, then run the whole test suite
    python3 dev.py check    # ruff + mypy strict

The virtual environment lives in `.venv/` next to this file. It is (re)installed when
`pyproject.toml`, `setup.py` or a C extension's source changes, so both commands always run
against the declared dependencies and a current build.
Extra arguments after the verb are passed through (to `dynaflow` for `run`, to pytest for `test`).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
STAMP = VENV / ".dynaflow-installed"


#: What the installed environment is built from: a change to any of these reinstalls it (the C
#: extensions are compiled at install time, so their sources count too).
BUILD_INPUTS = ("pyproject.toml", "setup.py", "src/dynaflow/engine/_sizes.c", "src/dynaflow/engine/_keys.c")


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in BUILD_INPUTS:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_env() -> None:
    """Create the venv and install dynaflow with its dev extras unless already current."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs before the venv exists
        sys.exit("dynaflow needs Python >= 3.11")
    if not PY.exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == _fingerprint():
        return
    print("installing dynaflow and its dependencies into .venv ...", flush=True)
    pip = [str(PY), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(_fingerprint())


def main(argv: list[str]) -> int:
    verb, rest = (argv[0], argv[1:]) if argv else ("run", [])
    ensure_env()
    os.chdir(ROOT)
    if verb == "run":
        cmd = [str(BIN / "dynaflow"), *(rest or ["up"])]
    elif verb == "test":
        cmd = [str(PY), "-m", "pytest", *rest]
    elif verb == "check":
        code = subprocess.call([str(PY), "-m", "ruff", "check", "src", "tests", "bench"])
        return code or subprocess.call([str(PY), "-m", "mypy"])
    else:
        sys.exit(f"unknown verb {verb!r}: use run, test or check")
    return subprocess.call(cmd)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
