"""TransactGetItems input: 1..100 Get actions."""

from __future__ import annotations

from typing import Final

from dynaflow.engine.shapes.common import (
    ATTRIBUTE_MAP,
    EXPRESSION_ATTRIBUTE_NAMES,
    RETURN_CONSUMED_CAPACITY,
    TABLE_NAME,
    TEXT,
)
from dynaflow.engine.shapes.types import List, optional, required, struct

GET: Final = struct(
    "Get",
    required("Key", ATTRIBUTE_MAP),
    required("TableName", TABLE_NAME),
    optional("ProjectionExpression", TEXT),
    optional("ExpressionAttributeNames", EXPRESSION_ATTRIBUTE_NAMES),
)

INPUT: Final = struct(
    "TransactGetItemsInput",
    required("TransactItems", List(struct("TransactGetItem", required("Get", GET)), min=1, max=100)),
    optional("ReturnConsumedCapacity", RETURN_CONSUMED_CAPACITY),
)
