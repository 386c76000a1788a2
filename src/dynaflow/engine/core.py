"""The engine: executes DynamoDB operations on an open data directory.

:class:`Engine` opens a data directory and executes DynamoDB operations given as wire-form
requests (the JSON-decoded request body). Each operation lives in ``ops/<operation>.py`` and
exposes ``run(state, request, out)``, which validates and reads in the caller's thread and either
returns the response or, for writes, a :class:`~dynaflow.engine.state.Deferred` job that the
group-commit writer runs (``writer.py``).

Request handling order, the same for every operation and every caller:

1. shape check (``shape_check.py``): JSON types, then declared constraints;
2. table ARNs given where a table name may be are replaced by the name (``table_arns.py``);
3. the operation's semantic checks, then the checks that need the table;
4. reads, or the write job inside the writer's transaction (conditions first, then writes);
5. any exception that is not a :class:`DynamoError` becomes ``InternalServerError``.

The engine imports nothing from the platform above it.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dynaflow.engine import errors, indexes, table_arns, ttl
from dynaflow.engine.catalog import Catalog
from dynaflow.engine.errors import DynamoError
from dynaflow.engine.lmdb_env import Durability, LmdbEnv
from dynaflow.engine.ops import (
    batch_get_item,
    batch_write_item,
    create_table,
    delete_item,
    delete_table,
    describe_continuous_backups,
    describe_endpoints,
    describe_limits,
    describe_stream,
    describe_table,
    describe_time_to_live,
    export_table_to_point_in_time,
    get_item,
    get_records,
    get_shard_iterator,
    legacy_global_tables,
    list_streams,
    list_tables,
    list_tags_of_resource,
    put_item,
    query,
    scan,
    tag_resource,
    transact_get_items,
    transact_write_items,
    untag_resource,
    update_item,
    update_table,
    update_time_to_live,
)
from dynaflow.engine.shape_check import check_request
from dynaflow.engine.state import Deferred, EngineState, Output, Settings
from dynaflow.engine.values import forget_proofs
from dynaflow.engine.writer import Writer

__all__ = ["OPERATIONS", "DynamoError", "Engine", "Settings"]

log = logging.getLogger(__name__)

Handler = Callable[[EngineState, dict[str, Any], Output], "dict[str, Any] | Deferred"]

#: DynamoDB operation name -> handler. The registry is the list of what the engine implements.
OPERATIONS: dict[str, Handler] = {
    "CreateTable": create_table.run,
    "DescribeTable": describe_table.run,
    "ListTables": list_tables.run,
    "DeleteTable": delete_table.run,
    "UpdateTable": update_table.run,
    "PutItem": put_item.run,
    "GetItem": get_item.run,
    "UpdateItem": update_item.run,
    "DeleteItem": delete_item.run,
    "Query": query.run,
    "Scan": scan.run,
    "BatchGetItem": batch_get_item.run,
    "BatchWriteItem": batch_write_item.run,
    "TransactWriteItems": transact_write_items.run,
    "TransactGetItems": transact_get_items.run,
    "UpdateTimeToLive": update_time_to_live.run,
    "DescribeTimeToLive": describe_time_to_live.run,
    "TagResource": tag_resource.run,
    "UntagResource": untag_resource.run,
    "ListTagsOfResource": list_tags_of_resource.run,
    "DescribeLimits": describe_limits.run,
    "DescribeEndpoints": describe_endpoints.run,
    "DescribeContinuousBackups": describe_continuous_backups.run,
    "ExportTableToPointInTime": export_table_to_point_in_time.run,
    # Global tables version 2017.11.29 (Legacy): refused or not found, as DynamoDB answers today.
    "CreateGlobalTable": legacy_global_tables.create,
    "ListGlobalTables": legacy_global_tables.list_all,
    "DescribeGlobalTable": legacy_global_tables.not_found,
    "UpdateGlobalTable": legacy_global_tables.not_found,
    "DescribeGlobalTableSettings": legacy_global_tables.not_found,
    "UpdateGlobalTableSettings": legacy_global_tables.not_found,
    # DynamoDB Streams (``DynamoDBStreams_20120810``), served by the same engine.
    "ListStreams": list_streams.run,
    "DescribeStream": describe_stream.run,
    "GetShardIterator": get_shard_iterator.run,
    "GetRecords": get_records.run,
}

Shortcut = Callable[[EngineState, dict[str, Any], Output], "dict[str, Any] | Deferred | None"]

#: Operation -> a shortcut tried before the shape check: it answers (a response) only requests it
#: proves valid by cheaper means, and returns None for every other, which then takes the full path.
#: A request it answers must get exactly the response the full path would give. Shortcuts see
#: requests before any ``convert`` (``Engine.execute``), so they answer only requests made of
#: plain JSON values (no ``bytes``, no sets): the proofs they use accept nothing else.
SHORTCUTS: dict[str, Shortcut] = {
    "BatchWriteItem": batch_write_item.shortcut,
    "GetItem": get_item.shortcut,
    "PutItem": put_item.shortcut,
    "TransactWriteItems": transact_write_items.shortcut,
}


class Engine:
    """An open data directory executing DynamoDB operations."""

    def __init__(self, path: str | os.PathLike[str], *, durability: Durability = "fsync",
                 settings: Settings | None = None, clock: Callable[[], float] | None = None) -> None:
        self.path = Path(path)
        env = LmdbEnv(self.path, durability=durability)
        catalog = Catalog()
        with env.read() as txn:
            catalog.load(txn, env.meta)
        writer = Writer(env)
        writer.counts.open([table.table_id for table in catalog.tables.values()])
        self.state = EngineState(env=env, catalog=catalog, writer=writer,
                                 settings=settings or Settings(), clock=clock or time.time)
        self._closed = False
        self._resume_index_work()
        interval = self.state.settings.ttl_interval
        self._sweeper = ttl.Sweeper(self.state, interval) if interval > 0 else None
        #: Streams: sequence numbers, maintenance (``maintain()``), subscriptions (``streams.py``).
        self.streams = self.state.streams
        self.streams.start(self.state.settings.stream_maintenance_interval)

    def _resume_index_work(self) -> None:
        """Restart GSI backfills and drops that a previous process left unfinished."""
        for table in list(self.state.catalog.tables.values()):
            for index in table.indexes:
                if index.state.status in ("CREATING", "DELETING"):
                    indexes.start_background(self.state, table.name, table.table_id, index.name,
                                             drop=index.state.status == "DELETING")

    def expire_now(self) -> int:
        """Run one TTL expiry pass now (after any pending TTL backfill); return the items deleted."""
        for thread in list(self.state.ttl_backfills):
            thread.join()
        self.state.ttl_backfills[:] = [t for t in self.state.ttl_backfills if t.is_alive()]
        return ttl.sweep(self.state)

    def _prepare(self, operation: str, request: dict[str, Any], out: Output,
                 convert: Callable[[dict[str, Any]], dict[str, Any]] | None) -> dict[str, Any] | Deferred:
        if self._closed:
            raise errors.internal("the engine is closed")
        try:
            shortcut = SHORTCUTS.get(operation)
            if shortcut is not None:
                answer = shortcut(self.state, request, out)
                if answer is not None:
                    return answer
            handler = OPERATIONS.get(operation)
            if handler is None:
                raise errors.unknown_operation()
            if convert is not None:
                request = convert(request)
            check_request(operation, request)
            return handler(self.state, table_arns.resolve(self.state, request), out)
        finally:
            forget_proofs()

    def execute(self, operation: str, request: dict[str, Any], out: Output,
                convert: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> dict[str, Any]:
        """Run one operation, blocking until a write is durable.

        ``convert``: turns a request that is not in wire form yet (Python callers' ``bytes``) into
        wire form. It runs only when no shortcut answered, because shortcuts answer only requests
        made of plain JSON values, which need no converting (see ``SHORTCUTS``).
        """
        try:
            result = self._prepare(operation, request, out, convert)
            if isinstance(result, Deferred):
                return self.state.writer.submit(result.fn)
            return result
        except DynamoError:
            raise
        except Exception as exc:
            log.exception("internal error in %s", operation)
            raise errors.internal() from exc

    async def execute_async(self, operation: str, request: dict[str, Any], out: Output,
                            convert: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> dict[str, Any]:
        """Run one operation; reads run inline (microseconds), writes await their group commit."""
        try:
            result = self._prepare(operation, request, out, convert)
            if isinstance(result, Deferred):
                return await self.state.writer.submit_async(result.fn)
            return result
        except DynamoError:
            raise
        except Exception as exc:
            log.exception("internal error in %s", operation)
            raise errors.internal() from exc

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._sweeper is not None:
            self._sweeper.stop()
        self.streams.close()
        for thread in list(self.state.ttl_backfills):
            thread.join(timeout=10)
        self.state.writer.close()
        self.state.writer.counts.close()
        self.state.env.close()
