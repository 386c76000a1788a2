"""GetItem input. Member order is the order DynamoDB reports violations in (observed)."""

from __future__ import annotations

from typing import Final

from dynaflow.engine.shapes.common import (
    ATTRIBUTE_MAP,
    ATTRIBUTES_TO_GET,
    EXPRESSION_ATTRIBUTE_NAMES,
    RETURN_CONSUMED_CAPACITY,
    TABLE_NAME,
    TEXT,
)
from dynaflow.engine.shapes.types import Boolean, optional, required, struct

INPUT: Final = struct(
    "GetItemInput",
    optional("ReturnConsumedCapacity", RETURN_CONSUMED_CAPACITY),
    optional("AttributesToGet", ATTRIBUTES_TO_GET),
    required("TableName", TABLE_NAME),
    required("Key", ATTRIBUTE_MAP),
    optional("ConsistentRead", Boolean()),
    optional("ProjectionExpression", TEXT),
    optional("ExpressionAttributeNames", EXPRESSION_ATTRIBUTE_NAMES),
)
