"""The access-keys file: who may call the wire server, with which secret and which policy.

Format (JSON, or YAML for a ``.yaml``/``.yml`` file)::

    {
      "account_id": "000000000000",
      "keys": [
        {
          "access_key_id": "AKIAEXAMPLE1",
          "secret_access_key": "...",
          "user": "ingest",                      # principal arn:aws:iam::<account>:user/ingest
          "policy": {"Version": "2012-10-17", "Statement": [...]}   # optional; or "policies": [...]
        }
      ]
    }

A key without ``policy``/``policies`` may call every operation (the file is the trust boundary);
a key with one is limited to what it allows. ``session_token`` is optional; a key that has one
must send it as ``X-Amz-Security-Token``.

The file holds secrets, so it must be readable by its owner only: a file with any group or other
permission bit is refused (``chmod 600``), as ssh refuses a private key.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import orjson

from dynaflow.wire.policy import Policy, PolicyError
from dynaflow.wire.sigv4 import AccessKey


class KeysFileError(ValueError):
    """The keys file is missing, unsafe, or malformed; the message says which and how to fix it."""


def check_permissions(path: Path) -> None:
    try:
        st = path.stat()
    except OSError as exc:
        raise KeysFileError(f"cannot read keys file {path}: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise KeysFileError(f"keys file {path} is not a regular file")
    if os.name == "posix" and st.st_mode & 0o077:
        raise KeysFileError(
            f"keys file {path} is accessible by group or others (mode {stat.S_IMODE(st.st_mode):03o}); "
            f"it holds secrets: run `chmod 600 {path}`"
        )


def load_keys(path: str | os.PathLike[str]) -> tuple[dict[str, AccessKey], str]:
    """``({access key id: AccessKey}, account id)`` from the keys file at ``path``."""
    file = Path(path)
    check_permissions(file)
    text = file.read_bytes()
    try:
        if file.suffix in (".yaml", ".yml"):
            import yaml

            doc: Any = yaml.safe_load(text)
        else:
            doc = orjson.loads(text)
    except Exception as exc:
        raise KeysFileError(f"keys file {file} is not valid {file.suffix.lstrip('.') or 'JSON'}: {exc}") from None
    return parse_keys(doc, source=str(file))


def parse_keys(doc: Any, *, source: str = "keys") -> tuple[dict[str, AccessKey], str]:
    if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
        raise KeysFileError(f"{source}: expected an object with a 'keys' list")
    account = str(doc.get("account_id", "000000000000"))
    out: dict[str, AccessKey] = {}
    for i, entry in enumerate(doc["keys"]):
        where = f"{source}: keys[{i}]"
        if not isinstance(entry, dict):
            raise KeysFileError(f"{where} must be an object")
        key_id, secret = entry.get("access_key_id"), entry.get("secret_access_key")
        if not isinstance(key_id, str) or not key_id or not isinstance(secret, str) or not secret:
            raise KeysFileError(f"{where} needs non-empty 'access_key_id' and 'secret_access_key'")
        if key_id in out:
            raise KeysFileError(f"{where}: access key id {key_id!r} appears twice")
        user = str(entry.get("user", key_id))
        principal = str(entry.get("principal", f"arn:aws:iam::{account}:user/{user}"))
        documents = entry.get("policies", [entry["policy"]] if "policy" in entry else None)
        policy = None
        if documents is not None:
            if not isinstance(documents, list) or not all(isinstance(d, dict) for d in documents):
                raise KeysFileError(f"{where}: 'policies' must be a list of policy documents")
            try:
                policy = Policy.from_documents(documents)
            except PolicyError as exc:
                raise KeysFileError(f"{where}: {exc}") from None
        token = entry.get("session_token")
        out[key_id] = AccessKey(key_id, secret, principal, policy, token if isinstance(token, str) else None)
    if not out:
        raise KeysFileError(f"{source}: no keys")
    return out, account
