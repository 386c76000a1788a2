"""Scan input. Member order is the order DynamoDB reports violations in (observed).

Segment is 0..999999 and TotalSegments 1..1000000 (shape constraints); "Segment must be less than
TotalSegments" and "TotalSegments requires Segment" are semantic checks made after these.
"""

from __future__ import annotations

from typing import Final

from dynaflow.engine.shapes.common import (
    ATTRIBUTE_MAP,
    ATTRIBUTES_TO_GET,
    CONDITION_MAP,
    CONDITIONAL_OPERATOR,
    EXPRESSION_ATTRIBUTE_NAMES,
    EXPRESSION_ATTRIBUTE_VALUES,
    INDEX_NAME,
    RETURN_CONSUMED_CAPACITY,
    SELECT,
    TABLE_NAME,
    TEXT,
)
from dynaflow.engine.shapes.types import Boolean, Integer, optional, required, struct

INPUT: Final = struct(
    "ScanInput",
    optional("Limit", Integer(min=1)),
    optional("ReturnConsumedCapacity", RETURN_CONSUMED_CAPACITY),
    optional("AttributesToGet", ATTRIBUTES_TO_GET),
    optional("Segment", Integer(min=0, max=999999)),
    optional("Select", SELECT),
    optional("ScanFilter", CONDITION_MAP),
    optional("ConditionalOperator", CONDITIONAL_OPERATOR),
    optional("TotalSegments", Integer(min=1, max=1000000)),
    required("TableName", TABLE_NAME),
    optional("ExclusiveStartKey", ATTRIBUTE_MAP),
    optional("IndexName", INDEX_NAME),
    optional("FilterExpression", TEXT),
    optional("ProjectionExpression", TEXT),
    optional("ExpressionAttributeValues", EXPRESSION_ATTRIBUTE_VALUES),
    optional("ExpressionAttributeNames", EXPRESSION_ATTRIBUTE_NAMES),
    optional("ConsistentRead", Boolean()),
)
