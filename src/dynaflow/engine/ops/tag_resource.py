"""TagResource, and what the three tagging operations share: ARN resolution and tag rules.

A table's tags live in its stored description (``_Tags``, also written by CreateTable), so they
are created, dropped and read together with the table. A tag change rewrites the stored description
in the writer's transaction and then updates the cached description in place rather than swapping
the catalog's Table: tags change nothing a write depends on, and a swap would fail the writes
validated against the old Table (``rmw.py``).

The rules, as DynamoDB applies them (its messages, checked in this order):

1. the ARN: anything that is not ``<6 colon-separated parts>`` with a ``/`` in the resource is
   AccessDeniedException (IAM finds no such resource); a well-formed ARN that does not name a
   DynamoDB table is ``Invalid TableArn: Invalid ResourceArn provided as input <arn>``;
2. the tags: at least one; keys of 1..128 and values of 0..256 characters drawn from letters,
   digits, white space and ``+ - = . _ : / @``; no ``aws:`` prefix; no key twice;
3. the table: ``Requested resource not found: ResourcArn: <arn> not found`` (sic);
4. at most 50 tags on the table afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

from dynaflow.engine import errors
from dynaflow.engine.catalog import Catalog, Table
from dynaflow.engine.state import Deferred, EngineState, Output
from dynaflow.engine.writer import WriteContext

MAX_TAGS: Final = 50
MAX_KEY: Final = 128
MAX_VALUE: Final = 256
_CHARS: Final = re.compile(r"[\w\s+\-=.:/@]*")
_TABLE_NAME: Final = re.compile(r"[a-zA-Z0-9_.-]{3,255}")
FIELD: Final = "_Tags"


def resolve(state: EngineState, arn: str, operation: str) -> Table:
    """The table an ARN names, with DynamoDB's errors for malformed and unknown ARNs."""
    return lookup(state, arn, parse(state, arn, operation))


def parse(state: EngineState, arn: str, operation: str) -> str:
    """The table name in a table ARN (checks 1 of the module docstring)."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or "/" not in parts[5]:
        raise errors.access_denied(
            f"User: arn:aws:iam::{state.settings.account}:root is not authorized to perform: "
            f"dynamodb:{operation} on resource: {arn or '*'}"
        )
    kind, _, name = parts[5].partition("/")
    if parts[0] != "arn" or parts[2] != "dynamodb" or kind != "table" or not _TABLE_NAME.fullmatch(name):
        raise errors.validation(f"Invalid TableArn: Invalid ResourceArn provided as input {arn}")
    return name


def lookup(state: EngineState, arn: str, name: str) -> Table:
    table = state.catalog.tables.get(name)
    if table is None or state.table_arn(name) != arn:
        raise errors.resource_not_found(f"Requested resource not found: ResourcArn: {arn} not found")
    return table


def check_key(key: Any) -> str:
    if key.__class__ is not str or not key or len(key) > MAX_KEY or not _CHARS.fullmatch(key):
        raise errors.validation(f"The Tag Key provided is invalid, Key: {'null' if key is None else key}")
    return str(key)


def check_tags(tags: list[dict[str, Any]]) -> list[dict[str, str]]:
    if not tags:
        raise errors.validation("Atleast one Tag needs to be provided as Input.")
    seen: set[str] = set()
    checked: list[dict[str, str]] = []
    for tag in tags:
        key = check_key(tag.get("Key"))
        if key.startswith("aws:"):
            raise errors.validation(f"Tag Key cannot be prefixed with aws:, Key: {key}")
        value = tag.get("Value")
        if value.__class__ is not str or len(value) > MAX_VALUE or not _CHARS.fullmatch(value):
            raise errors.validation(
                f"The Tag Value provided is invalid, Value: {'null' if value is None else value}"
            )
        if key in seen:
            raise errors.validation(f"Duplicate Tag Keys provided as input: Duplicate Tag Key found {key}")
        seen.add(key)
        checked.append({"Key": key, "Value": str(value)})
    return checked


def too_many() -> errors.DynamoError:
    return errors.validation("Number of Tags exceed the current limit for the provided ResourceArn")


def change_tags(state: EngineState, table: Table, edit: Callable[[list[dict[str, str]]], list[dict[str, str]]]
                ) -> Deferred:
    """The writer job applying ``edit`` to the table's stored tags (it may raise before writing)."""
    name, table_id = table.name, table.table_id

    def apply(ctx: WriteContext) -> dict[str, Any]:
        live = state.catalog.tables.get(name)
        stored = Catalog.stored(ctx.txn, ctx.env.meta, name)
        if live is None or live.table_id != table_id or stored is None:
            raise errors.resource_not_found(
                f"Requested resource not found: ResourcArn: {state.table_arn(name)} not found"
            )
        tags = edit(list(stored.get(FIELD) or ()))
        stored[FIELD] = tags
        Catalog.store(ctx.txn, ctx.env.meta, stored)

        def publish() -> None:
            current = state.catalog.tables.get(name)
            if current is not None and current.table_id == table_id:
                current.description[FIELD] = tags

        ctx.after_commit.append(publish)
        return {}

    return Deferred(apply)


def run(state: EngineState, request: dict[str, Any], out: Output) -> Deferred:
    arn: str = request["ResourceArn"]
    name = parse(state, arn, "TagResource")
    new = check_tags(list(request.get("Tags") or ()))
    table = lookup(state, arn, name)

    def edit(tags: list[dict[str, str]]) -> list[dict[str, str]]:
        merged = {tag["Key"]: tag["Value"] for tag in tags}
        merged.update((tag["Key"], tag["Value"]) for tag in new)
        if len(merged) > MAX_TAGS:
            raise too_many()
        return [{"Key": key, "Value": value} for key, value in merged.items()]

    return change_tags(state, table, edit)
