"""Declarative input shapes of the DynamoDB API, one module per operation.

Each module declares ``INPUT``, a :class:`~dynaflow.engine.shapes.types.Struct` built from the
vocabulary in :mod:`~dynaflow.engine.shapes.types`. ``engine.shape_check`` compiles them into checkers.
The tables below map the wire operation names (``X-Amz-Target`` suffixes) to those shapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from dynaflow.engine.shapes import (
    batch_get_item,
    batch_write_item,
    create_table,
    delete_item,
    delete_table,
    describe_continuous_backups,
    describe_endpoints,
    describe_limits,
    describe_table,
    describe_time_to_live,
    export_table_to_point_in_time,
    get_item,
    legacy_global_tables,
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
from dynaflow.engine.shapes.streams import describe_stream, get_records, get_shard_iterator, list_streams
from dynaflow.engine.shapes.types import Struct

#: ``DynamoDB_20120810`` operations.
DYNAMODB: Final[Mapping[str, Struct]] = MappingProxyType(
    {
        "BatchGetItem": batch_get_item.INPUT,
        "BatchWriteItem": batch_write_item.INPUT,
        "CreateTable": create_table.INPUT,
        "DeleteItem": delete_item.INPUT,
        "DeleteTable": delete_table.INPUT,
        "DescribeContinuousBackups": describe_continuous_backups.INPUT,
        "DescribeEndpoints": describe_endpoints.INPUT,
        "CreateGlobalTable": legacy_global_tables.CREATE,
        "UpdateGlobalTable": legacy_global_tables.UPDATE,
        "DescribeGlobalTable": legacy_global_tables.DESCRIBE,
        "DescribeGlobalTableSettings": legacy_global_tables.DESCRIBE_SETTINGS,
        "UpdateGlobalTableSettings": legacy_global_tables.UPDATE_SETTINGS,
        "ListGlobalTables": legacy_global_tables.LIST,
        "DescribeLimits": describe_limits.INPUT,
        "DescribeTable": describe_table.INPUT,
        "DescribeTimeToLive": describe_time_to_live.INPUT,
        "ExportTableToPointInTime": export_table_to_point_in_time.INPUT,
        "GetItem": get_item.INPUT,
        "ListTables": list_tables.INPUT,
        "ListTagsOfResource": list_tags_of_resource.INPUT,
        "PutItem": put_item.INPUT,
        "Query": query.INPUT,
        "Scan": scan.INPUT,
        "TagResource": tag_resource.INPUT,
        "TransactGetItems": transact_get_items.INPUT,
        "TransactWriteItems": transact_write_items.INPUT,
        "UntagResource": untag_resource.INPUT,
        "UpdateItem": update_item.INPUT,
        "UpdateTable": update_table.INPUT,
        "UpdateTimeToLive": update_time_to_live.INPUT,
    }
)

#: ``DynamoDBStreams_20120810`` operations.
DYNAMODB_STREAMS: Final[Mapping[str, Struct]] = MappingProxyType(
    {
        "DescribeStream": describe_stream.INPUT,
        "GetRecords": get_records.INPUT,
        "GetShardIterator": get_shard_iterator.INPUT,
        "ListStreams": list_streams.INPUT,
    }
)

__all__ = ["DYNAMODB", "DYNAMODB_STREAMS"]
