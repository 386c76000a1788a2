"""CreateTable input. The first members are in the order DynamoDB reports violations in (observed);
the members added to the API later follow in the model's order.

Semantic checks made after these (elsewhere): key attributes defined, HASH before RANGE, index
limits, ProvisionedThroughput required with PROVISIONED billing and its upper bounds ("Given value
... is out of bounds"), projection rules.
"""

from __future__ import annotations

from typing import Final

from dynaflow.engine.shapes.common import (
    ATTRIBUTE_DEFINITION,
    BILLING_MODE,
    INDEX_NAME,
    KEY_SCHEMA,
    ON_DEMAND_THROUGHPUT,
    PROJECTION,
    PROVISIONED_THROUGHPUT,
    SSE_SPECIFICATION,
    STREAM_SPECIFICATION,
    TABLE_CLASS,
    TABLE_NAME,
    TAG,
    TEXT,
    WARM_THROUGHPUT,
)
from dynaflow.engine.shapes.types import Boolean, List, optional, required, struct

LOCAL_SECONDARY_INDEX: Final = struct(
    "LocalSecondaryIndex",
    required("IndexName", INDEX_NAME),
    required("KeySchema", KEY_SCHEMA),
    required("Projection", PROJECTION),
)

GLOBAL_SECONDARY_INDEX: Final = struct(
    "GlobalSecondaryIndex",
    required("IndexName", INDEX_NAME),
    required("KeySchema", KEY_SCHEMA),
    required("Projection", PROJECTION),
    optional("ProvisionedThroughput", PROVISIONED_THROUGHPUT),
    optional("OnDemandThroughput", ON_DEMAND_THROUGHPUT),
    optional("WarmThroughput", WARM_THROUGHPUT),
)

INPUT: Final = struct(
    "CreateTableInput",
    required("AttributeDefinitions", List(ATTRIBUTE_DEFINITION)),
    required("TableName", TABLE_NAME),
    optional("ProvisionedThroughput", PROVISIONED_THROUGHPUT),
    required("KeySchema", KEY_SCHEMA),
    optional("LocalSecondaryIndexes", List(LOCAL_SECONDARY_INDEX)),
    optional("GlobalSecondaryIndexes", List(GLOBAL_SECONDARY_INDEX)),
    optional("BillingMode", BILLING_MODE),
    optional("StreamSpecification", STREAM_SPECIFICATION),
    optional("SSESpecification", SSE_SPECIFICATION),
    optional("Tags", List(TAG)),
    optional("TableClass", TABLE_CLASS),
    optional("DeletionProtectionEnabled", Boolean()),
    optional("WarmThroughput", WARM_THROUGHPUT),
    optional("ResourcePolicy", TEXT),
    optional("OnDemandThroughput", ON_DEMAND_THROUGHPUT),
)
