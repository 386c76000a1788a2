"""Query input. Member order is the order DynamoDB reports violations in (observed)."""

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
    "QueryInput",
    optional("Limit", Integer(min=1)),
    optional("ExclusiveStartKey", ATTRIBUTE_MAP),
    optional("ReturnConsumedCapacity", RETURN_CONSUMED_CAPACITY),
    optional("AttributesToGet", ATTRIBUTES_TO_GET),
    optional("QueryFilter", CONDITION_MAP),
    optional("Select", SELECT),
    optional("ConditionalOperator", CONDITIONAL_OPERATOR),
    optional("KeyConditions", CONDITION_MAP),
    required("TableName", TABLE_NAME),
    optional("ConsistentRead", Boolean()),
    optional("IndexName", INDEX_NAME),
    optional("ScanIndexForward", Boolean()),
    optional("KeyConditionExpression", TEXT),
    optional("FilterExpression", TEXT),
    optional("ProjectionExpression", TEXT),
    optional("ExpressionAttributeValues", EXPRESSION_ATTRIBUTE_VALUES),
    optional("ExpressionAttributeNames", EXPRESSION_ATTRIBUTE_NAMES),
)
