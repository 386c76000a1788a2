"""TransactWriteItems input.

Shape constraints: 1..100 actions (the limit rose from 25 in 2022), a table name and a key or item in
each. "Exactly one action per element" and "two actions on one item" are semantic checks.
"""

from __future__ import annotations

from typing import Final

from dynaflow.engine.shapes.common import (
    ATTRIBUTE_MAP,
    EXPRESSION_ATTRIBUTE_NAMES,
    EXPRESSION_ATTRIBUTE_VALUES,
    ITEM,
    RETURN_CONSUMED_CAPACITY,
    RETURN_ITEM_COLLECTION_METRICS,
    RETURN_VALUES_ON_CONDITION_CHECK_FAILURE,
    TABLE_NAME,
    TEXT,
)
from dynaflow.engine.shapes.types import List, Member, String, optional, required, struct

#: Actions per transaction (the limit rose from 25 in 2022).
MAX_ACTIONS: Final = 100

_COMMON: Final[tuple[Member, ...]] = (
    required("TableName", TABLE_NAME),
    optional("ExpressionAttributeValues", EXPRESSION_ATTRIBUTE_VALUES),
    optional("ExpressionAttributeNames", EXPRESSION_ATTRIBUTE_NAMES),
    optional("ReturnValuesOnConditionCheckFailure", RETURN_VALUES_ON_CONDITION_CHECK_FAILURE),
)

PUT: Final = struct("Put", *_COMMON, optional("ConditionExpression", TEXT), required("Item", ITEM))
UPDATE: Final = struct(
    "Update",
    *_COMMON,
    optional("ConditionExpression", TEXT),
    required("Key", ATTRIBUTE_MAP),
    required("UpdateExpression", TEXT),
)
DELETE: Final = struct("Delete", *_COMMON, optional("ConditionExpression", TEXT), required("Key", ATTRIBUTE_MAP))
CONDITION_CHECK: Final = struct(
    "ConditionCheck",
    *_COMMON,
    required("ConditionExpression", TEXT),
    required("Key", ATTRIBUTE_MAP),
)

TRANSACT_WRITE_ITEM: Final = struct(
    "TransactWriteItem",
    optional("ConditionCheck", CONDITION_CHECK),
    optional("Put", PUT),
    optional("Delete", DELETE),
    optional("Update", UPDATE),
)

INPUT: Final = struct(
    "TransactWriteItemsInput",
    optional("ReturnConsumedCapacity", RETURN_CONSUMED_CAPACITY),
    optional("ReturnItemCollectionMetrics", RETURN_ITEM_COLLECTION_METRICS),
    optional("ClientRequestToken", String(min=1, max=36)),
    required("TransactItems", List(TRANSACT_WRITE_ITEM, min=1, max=MAX_ACTIONS)),
)
