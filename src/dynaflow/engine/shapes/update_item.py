"""UpdateItem input. Member order is the order DynamoDB reports violations in (observed)."""

from __future__ import annotations

from typing import Final

from dynaflow.engine.shapes.common import (
    ATTRIBUTE_ACTION,
    ATTRIBUTE_MAP,
    CONDITIONAL_OPERATOR,
    EXPECTED,
    EXPRESSION_ATTRIBUTE_NAMES,
    EXPRESSION_ATTRIBUTE_VALUES,
    RETURN_CONSUMED_CAPACITY,
    RETURN_ITEM_COLLECTION_METRICS,
    RETURN_VALUES,
    RETURN_VALUES_ON_CONDITION_CHECK_FAILURE,
    TABLE_NAME,
    TEXT,
)
from dynaflow.engine.shapes.types import ATTRIBUTE_VALUE, Map, optional, required, struct

ATTRIBUTE_VALUE_UPDATE: Final = struct(
    "AttributeValueUpdate",
    optional("Value", ATTRIBUTE_VALUE),
    optional("Action", ATTRIBUTE_ACTION),
)

INPUT: Final = struct(
    "UpdateItemInput",
    optional("ReturnConsumedCapacity", RETURN_CONSUMED_CAPACITY),
    required("TableName", TABLE_NAME),
    optional("ReturnItemCollectionMetrics", RETURN_ITEM_COLLECTION_METRICS),
    optional("ReturnValues", RETURN_VALUES),
    required("Key", ATTRIBUTE_MAP),
    optional("ConditionalOperator", CONDITIONAL_OPERATOR),
    optional("Expected", EXPECTED),
    optional("AttributeUpdates", Map(ATTRIBUTE_VALUE_UPDATE)),
    optional("ConditionExpression", TEXT),
    optional("UpdateExpression", TEXT),
    optional("ExpressionAttributeValues", EXPRESSION_ATTRIBUTE_VALUES),
    optional("ExpressionAttributeNames", EXPRESSION_ATTRIBUTE_NAMES),
    optional("ReturnValuesOnConditionCheckFailure", RETURN_VALUES_ON_CONDITION_CHECK_FAILURE),
)
