"""Table references on the command line: where a table lives, which table, and whose credentials.

A reference is one string::

    http://127.0.0.1:8000/orders            a table on any DynamoDB endpoint (dynaflow serve,
    https://dynamodb.eu-west-1.amazonaws.com/orders   DynamoDB Local, Alternator, AWS)
    aws://eu-west-1/orders                  a table in AWS, in that region (the default endpoint)
    dir:./data/orders                       a table in a data directory, opened in-process
                                            (the last path segment is the table; the directory
                                            must not be owned by a running server)

``?region=eu-west-1`` may follow an endpoint reference (default ``us-east-1``; an ``aws://``
reference names its region itself).

Credentials never go in the reference (it shows up in process listings and shell history). Each
side reads its own from the environment, so source and target may belong to different accounts:

    DYNAFLOW_SOURCE__ACCESS_KEY_ID / DYNAFLOW_SOURCE__SECRET_ACCESS_KEY
    DYNAFLOW_TARGET__ACCESS_KEY_ID / DYNAFLOW_TARGET__SECRET_ACCESS_KEY

and, when those are unset, botocore's default chain (``AWS_PROFILE``, ``AWS_ACCESS_KEY_ID``, the
instance role...).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from dynaflow.dynamo.client import DynamoClient

Side = Literal["source", "target", "state"]


class RefError(ValueError):
    """A table reference that cannot be understood; the message shows the accepted forms."""


FORMS = "http(s)://HOST[:PORT]/TABLE[?region=R], aws://REGION/TABLE or dir:PATH/TABLE"


@dataclass(frozen=True)
class Ref:
    kind: Literal["endpoint", "dir"]
    table: str
    endpoint_url: str | None = None
    region: str = "us-east-1"
    path: str | None = None

    def __str__(self) -> str:
        where = self.path if self.kind == "dir" else (self.endpoint_url or f"aws {self.region}")
        return f"{where} table {self.table}"


def parse_ref(text: str) -> Ref:
    if text.startswith("dir:"):
        path, _, table = text[4:].rstrip("/").rpartition("/")
        if not path or not table:
            raise RefError(f"{text!r}: a data directory reference is dir:PATH/TABLE")
        return Ref("dir", table, path=path)
    parts = urlsplit(text)
    table = parts.path.strip("/")
    if not table or "/" in table:
        raise RefError(f"{text!r}: expected {FORMS}")
    if parts.scheme == "aws":
        if not parts.netloc:
            raise RefError(f"{text!r}: an AWS reference is aws://REGION/TABLE")
        return Ref("endpoint", table, None, parts.netloc)
    if parts.scheme in ("http", "https") and parts.netloc:
        region = parse_qs(parts.query).get("region", ["us-east-1"])[0]
        return Ref("endpoint", table, f"{parts.scheme}://{parts.netloc}", region)
    raise RefError(f"{text!r}: expected {FORMS}")


def credentials(side: Side) -> tuple[str | None, str | None]:
    prefix = f"DYNAFLOW_{side.upper()}__"
    return os.environ.get(prefix + "ACCESS_KEY_ID"), os.environ.get(prefix + "SECRET_ACCESS_KEY")


async def open_ref(ref: Ref, side: Side, *, streams: bool = False, durability: Literal["fsync", "os"] = "fsync"
                   ) -> DynamoClient:
    """A client for ``ref``; with ``streams`` it also answers the DynamoDB Streams API."""
    if ref.kind == "dir":
        import dynaflow

        assert ref.path is not None
        client: DynamoClient = dynaflow.connect_async(ref.path, durability=durability)
        return client
    key_id, secret = credentials(side)
    if streams:
        from dynaflow.cdc.endpoints import connect_with_streams

        return await connect_with_streams(ref.endpoint_url, region=ref.region, access_key_id=key_id,
                                          secret_access_key=secret)
    if side == "target":
        from dynaflow.cdc.endpoints import connect_target

        return await connect_target(ref.endpoint_url, region=ref.region, access_key_id=key_id,
                                    secret_access_key=secret)
    from dynaflow.dynamo.remote import connect_remote

    return await connect_remote(ref.endpoint_url, region=ref.region, access_key_id=key_id, secret_access_key=secret)
