"""PutItem input. Member order is the order DynamoDB reports violations in (observed)."""

from __future__ import annotations

from typing import Final

from dynaflow.engine.shapes.common import (
    CONDITIONAL_OPERATOR,
    EXPECTED,
    EXPRESSION_ATTRIBUTE_NAMES,
    EXPRESSION_ATTRIBUTE_VALUES,
    ITEM,
    RETURN_CONSUMED_CAPACITY,
    RETURN_ITEM_COLLECTION_METRICS,
    RETURN_VALUES,
    RETURN_VALUES_ON_CONDITION_CHECK_FAILURE,
    TABLE_NAME,
    TEXT,
)
from dynaflow.engine.shapes.types import optional, required, struct

INPUT: Final = struct(
    "PutItemInput",
    optional("ReturnConsumedCapacity", RETURN_CONSUMED_CAPACITY),
    required("TableName", TABLE_NAME),
    required("Item", ITEM),
    optional("ConditionalOperator", CONDITIONAL_OPERATOR),
    optional("Expected", EXPECTED),
    optional("ReturnValues", RETURN_VALUES),
    optional("ReturnItemCollectionMetrics", RETURN_ITEM_COLLECTION_METRICS),
    optional("ConditionExpression", TEXT),
    optional("ExpressionAttributeValues", EXPRESSION_ATTRIBUTE_VALUES),
    optional("ExpressionAttributeNames", EXPRESSION_ATTRIBUTE_NAMES),
    optional("ReturnValuesOnConditionCheckFailure", RETURN_VALUES_ON_CONDITION_CHECK_FAILURE),
)
