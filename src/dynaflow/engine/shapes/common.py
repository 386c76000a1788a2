"""Shapes several DynamoDB operations share.

Taken from botocore's ``dynamodb/2012-08-10/service-2.json`` and corrected to what DynamoDB enforces:

- table names are 3..255 characters of ``[a-zA-Z0-9_.-]+`` (the current model says ``TableArn``, 1..1024,
  because an ARN is accepted too; a value starting with ``arn:`` gets the ARN limits instead);
- ``KeySchema`` holds at most 2 elements (the model says only ``min: 1``);
- enum values are listed in the order DynamoDB prints them in "Member must satisfy enum value set",
  which is its own, not the model's (e.g. ``ReturnValues``: ALL_NEW, UPDATED_OLD, ALL_OLD, NONE,
  UPDATED_NEW);
- structures list their members in the order DynamoDB reports their violations where that has been
  observed (``ProvisionedThroughput``: write before read), otherwise in the model's order.
"""

from __future__ import annotations

from typing import Final

from dynaflow.engine.shapes.types import (
    ATTRIBUTE_VALUE,
    Boolean,
    Enum,
    List,
    Long,
    Map,
    String,
    Struct,
    optional,
    required,
    struct,
)

NAME_PATTERN: Final = "[a-zA-Z0-9_.-]+"

TABLE_NAME: Final = String(min=3, max=255, pattern=NAME_PATTERN, arn_max=1024)
INDEX_NAME: Final = String(min=3, max=255, pattern=NAME_PATTERN)
#: Names of key and index attributes (KeySchema, AttributeDefinitions, NonKeyAttributes, TTL).
KEY_ATTRIBUTE_NAME: Final = String(min=1, max=255)
#: A free-form string without constraints (expressions, tokens).
TEXT: Final = String()

RETURN_CONSUMED_CAPACITY: Final = Enum(("INDEXES", "TOTAL", "NONE"))
RETURN_ITEM_COLLECTION_METRICS: Final = Enum(("SIZE", "NONE"))
RETURN_VALUES: Final = Enum(("ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"))
RETURN_VALUES_ON_CONDITION_CHECK_FAILURE: Final = Enum(("ALL_OLD", "NONE"))
CONDITIONAL_OPERATOR: Final = Enum(("OR", "AND"))
COMPARISON_OPERATOR: Final = Enum(
    (
        "IN", "NULL", "BETWEEN", "LT", "NOT_CONTAINS", "EQ", "GT",
        "NOT_NULL", "NE", "LE", "BEGINS_WITH", "GE", "CONTAINS",
    )
)  # fmt: skip
SELECT: Final = Enum(("SPECIFIC_ATTRIBUTES", "COUNT", "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES"))
KEY_TYPE: Final = Enum(("HASH", "RANGE"))
SCALAR_ATTRIBUTE_TYPE: Final = Enum(("B", "N", "S"))
PROJECTION_TYPE: Final = Enum(("ALL", "INCLUDE", "KEYS_ONLY"))
BILLING_MODE: Final = Enum(("PROVISIONED", "PAY_PER_REQUEST"))
STREAM_VIEW_TYPE: Final = Enum(("OLD_IMAGE", "KEYS_ONLY", "NEW_AND_OLD_IMAGES", "NEW_IMAGE"))
SSE_TYPE: Final = Enum(("AES256", "KMS"))
#: Validated by the operations (``table_options.py``), which word the error as DynamoDB does.
TABLE_CLASS: Final = String()
ATTRIBUTE_ACTION: Final = Enum(("ADD", "PUT", "DELETE"))

#: ``{"attr": AttributeValue}``: Key, ExclusiveStartKey.
ATTRIBUTE_MAP: Final = Map(ATTRIBUTE_VALUE)
#: An item to store: an ATTRIBUTE_MAP whose check also proves and sizes it (``Map.item``).
ITEM: Final = Map(ATTRIBUTE_VALUE, item=True)
EXPRESSION_ATTRIBUTE_NAMES: Final = Map(TEXT)
EXPRESSION_ATTRIBUTE_VALUES: Final = Map(ATTRIBUTE_VALUE)
#: Legacy ``AttributesToGet``: 1..255 names (the model says only ``min: 1``).
ATTRIBUTES_TO_GET: Final = List(TEXT, min=1, max=255)

#: Legacy ``Expected`` entries (PutItem, UpdateItem, DeleteItem).
EXPECTED_ATTRIBUTE_VALUE: Final = struct(
    "ExpectedAttributeValue",
    optional("AttributeValueList", List(ATTRIBUTE_VALUE)),
    optional("ComparisonOperator", COMPARISON_OPERATOR),
    optional("Exists", Boolean()),
    optional("Value", ATTRIBUTE_VALUE),
)
EXPECTED: Final = Map(EXPECTED_ATTRIBUTE_VALUE)

#: Legacy ``KeyConditions`` / ``QueryFilter`` / ``ScanFilter`` entries.
CONDITION: Final = struct(
    "Condition",
    optional("AttributeValueList", List(ATTRIBUTE_VALUE)),
    required("ComparisonOperator", COMPARISON_OPERATOR),
)
CONDITION_MAP: Final = Map(CONDITION)

PROVISIONED_THROUGHPUT: Final = struct(
    "ProvisionedThroughput",
    required("WriteCapacityUnits", Long(min=1)),
    required("ReadCapacityUnits", Long(min=1)),
)
ON_DEMAND_THROUGHPUT: Final = struct(
    "OnDemandThroughput",
    optional("MaxReadRequestUnits", Long()),
    optional("MaxWriteRequestUnits", Long()),
)
WARM_THROUGHPUT: Final = struct(
    "WarmThroughput",
    optional("ReadUnitsPerSecond", Long()),
    optional("WriteUnitsPerSecond", Long()),
)

KEY_SCHEMA_ELEMENT: Final = struct(
    "KeySchemaElement",
    required("AttributeName", KEY_ATTRIBUTE_NAME),
    required("KeyType", KEY_TYPE),
)
KEY_SCHEMA: Final = List(KEY_SCHEMA_ELEMENT, min=1, max=2)

ATTRIBUTE_DEFINITION: Final = struct(
    "AttributeDefinition",
    required("AttributeName", KEY_ATTRIBUTE_NAME),
    required("AttributeType", SCALAR_ATTRIBUTE_TYPE),
)

PROJECTION: Final = struct(
    "Projection",
    optional("ProjectionType", PROJECTION_TYPE),
    optional("NonKeyAttributes", List(KEY_ATTRIBUTE_NAME, min=1, max=20)),
)

STREAM_SPECIFICATION: Final = struct(
    "StreamSpecification",
    required("StreamEnabled", Boolean()),
    optional("StreamViewType", STREAM_VIEW_TYPE),
)

SSE_SPECIFICATION: Final = struct(
    "SSESpecification",
    optional("Enabled", Boolean()),
    optional("SSEType", SSE_TYPE),
    optional("KMSMasterKeyId", TEXT),
)

TAG: Final = struct(
    "Tag",
    required("Key", String(min=1, max=128)),
    required("Value", String(min=0, max=256)),
)

RESOURCE_ARN: Final = String(min=1, max=1283)


def empty(name: str) -> Struct:
    """An input without members (DescribeLimits, DescribeEndpoints)."""
    return Struct(name, ())
