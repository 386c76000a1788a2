"""DeleteTable: drop the description and every item of a table in one transaction.

The table's stream, if it has one, is disabled in the same transaction (DynamoDB: it "goes into
the DISABLED state" and stays readable until its records expire), so no reader ever sees a
stream left enabled for a table that is gone.
"""

from __future__ import annotations

from typing import Any, Final

from dynaflow.engine import errors, keys, streams
from dynaflow.engine.catalog import Catalog
from dynaflow.engine.ops.describe_table import describe
from dynaflow.engine.state import Deferred, EngineState, Output
from dynaflow.engine.writer import WriteContext

#: DescribeTable fields that DeleteTable's TableDescription leaves out, as DynamoDB does.
_NOT_IN_DELETE_RESPONSE: Final = ("CreationDateTime", "KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes",
                                  "LocalSecondaryIndexes")


def run(state: EngineState, request: dict[str, Any], out: Output) -> Deferred:
    name = request["TableName"]
    state.catalog.get(name)

    def apply(ctx: WriteContext) -> dict[str, Any]:
        table = state.catalog.tables.get(name)
        if table is None or not Catalog.exists(ctx.txn, ctx.env.meta, name):
            raise errors.table_not_found(name)
        if table.description.get("DeletionProtectionEnabled"):
            raise errors.validation(
                "Resource cannot be deleted as it is currently protected against deletion. Disable "
                "deletion protection first."
            )
        description = describe(state, table, ctx.txn)
        description["TableStatus"] = "DELETING"
        for field in _NOT_IN_DELETE_RESPONSE:
            description.pop(field, None)
        prefix = table.prefix
        end = keys.next_prefix(prefix)
        for db in (ctx.env.items, ctx.env.index):
            cursor = ctx.txn.cursor(db=db)
            if cursor.set_range(prefix):
                while cursor.key() and cursor.key() < end:
                    if not cursor.delete():
                        break
        streams.disable_stream(state, ctx, dict(table.description), state.clock())
        Catalog.remove(ctx.txn, ctx.env.meta, table)
        ctx.drop_counts(table.table_id)
        ctx.after_commit.append(lambda: state.catalog.forget(name))
        return {"TableDescription": description}

    return Deferred(apply)
