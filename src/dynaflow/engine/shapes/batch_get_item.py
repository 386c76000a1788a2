"""BatchGetItem input.

Shape constraints: 1..100 tables, table-name keys, 1..100 keys per table. The 100-keys limit across
all tables ("Too many items requested for the BatchGetItem call") and duplicate keys are semantic
checks made after these.
"""

from __future__ import annotations

from typing import Final

from dynaflow.engine.shapes.common import (
    ATTRIBUTE_MAP,
    ATTRIBUTES_TO_GET,
    EXPRESSION_ATTRIBUTE_NAMES,
    NAME_PATTERN,
    RETURN_CONSUMED_CAPACITY,
    TEXT,
)
from dynaflow.engine.shapes.types import Boolean, List, Map, String, optional, required, struct

KEYS_AND_ATTRIBUTES: Final = struct(
    "KeysAndAttributes",
    required("Keys", List(ATTRIBUTE_MAP, min=1, max=100)),
    optional("AttributesToGet", ATTRIBUTES_TO_GET),
    optional("ConsistentRead", Boolean()),
    optional("ProjectionExpression", TEXT),
    optional("ExpressionAttributeNames", EXPRESSION_ATTRIBUTE_NAMES),
)

INPUT: Final = struct(
    "BatchGetItemInput",
    optional("ReturnConsumedCapacity", RETURN_CONSUMED_CAPACITY),
    required(
        "RequestItems",
        Map(
            KEYS_AND_ATTRIBUTES,
            key=String(min=3, max=255, pattern=NAME_PATTERN, arn_max=1024),
            min=1,
            max=100,
        ),
    ),
)
