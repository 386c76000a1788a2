"""BatchWriteItem input.

Shape constraints: at least one table, table-name keys, 1..25 write requests per table (reported as
"Map value must satisfy constraint"). The 25-requests limit across all tables, "exactly one of
PutRequest/DeleteRequest" and duplicate keys are semantic checks made after these.
"""

from __future__ import annotations

from typing import Final

from dynaflow.engine.shapes.common import (
    ATTRIBUTE_MAP,
    ITEM,
    NAME_PATTERN,
    RETURN_CONSUMED_CAPACITY,
    RETURN_ITEM_COLLECTION_METRICS,
)
from dynaflow.engine.shapes.types import List, Map, String, optional, required, struct

WRITE_REQUEST: Final = struct(
    "WriteRequest",
    optional("DeleteRequest", struct("DeleteRequest", required("Key", ATTRIBUTE_MAP))),
    optional("PutRequest", struct("PutRequest", required("Item", ITEM))),
)

INPUT: Final = struct(
    "BatchWriteItemInput",
    optional("ReturnConsumedCapacity", RETURN_CONSUMED_CAPACITY),
    optional("ReturnItemCollectionMetrics", RETURN_ITEM_COLLECTION_METRICS),
    required(
        "RequestItems",
        Map(
            List(WRITE_REQUEST, min=1, max=25),
            key=String(min=3, max=255, pattern=NAME_PATTERN, arn_max=1024),
            min=1,
        ),
    ),
)
