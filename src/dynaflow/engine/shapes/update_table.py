"""UpdateTable input (the members an engine implements; replica and vector-index updates are not
declared, so they pass through unchecked like any unknown member).

Semantic checks made after these: at least one update, one GSI action per element and per index,
throughput upper bounds.
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
    WARM_THROUGHPUT,
)
from dynaflow.engine.shapes.types import Boolean, List, optional, required, struct

GLOBAL_SECONDARY_INDEX_UPDATE: Final = struct(
    "GlobalSecondaryIndexUpdate",
    optional(
        "Update",
        struct(
            "UpdateGlobalSecondaryIndexAction",
            required("IndexName", INDEX_NAME),
            optional("ProvisionedThroughput", PROVISIONED_THROUGHPUT),
            optional("OnDemandThroughput", ON_DEMAND_THROUGHPUT),
            optional("WarmThroughput", WARM_THROUGHPUT),
        ),
    ),
    optional(
        "Create",
        struct(
            "CreateGlobalSecondaryIndexAction",
            required("IndexName", INDEX_NAME),
            required("KeySchema", KEY_SCHEMA),
            required("Projection", PROJECTION),
            optional("ProvisionedThroughput", PROVISIONED_THROUGHPUT),
            optional("OnDemandThroughput", ON_DEMAND_THROUGHPUT),
            optional("WarmThroughput", WARM_THROUGHPUT),
        ),
    ),
    optional("Delete", struct("DeleteGlobalSecondaryIndexAction", required("IndexName", INDEX_NAME))),
)

INPUT: Final = struct(
    "UpdateTableInput",
    optional("AttributeDefinitions", List(ATTRIBUTE_DEFINITION)),
    required("TableName", TABLE_NAME),
    optional("BillingMode", BILLING_MODE),
    optional("ProvisionedThroughput", PROVISIONED_THROUGHPUT),
    optional("GlobalSecondaryIndexUpdates", List(GLOBAL_SECONDARY_INDEX_UPDATE)),
    optional("StreamSpecification", STREAM_SPECIFICATION),
    optional("SSESpecification", SSE_SPECIFICATION),
    optional("TableClass", TABLE_CLASS),
    optional("DeletionProtectionEnabled", Boolean()),
    optional("OnDemandThroughput", ON_DEMAND_THROUGHPUT),
    optional("WarmThroughput", WARM_THROUGHPUT),
)
