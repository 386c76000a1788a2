"""UpdateTimeToLive input."""

from __future__ import annotations

from typing import Final

from dynaflow.engine.shapes.common import KEY_ATTRIBUTE_NAME, TABLE_NAME
from dynaflow.engine.shapes.types import Boolean, required, struct

INPUT: Final = struct(
    "UpdateTimeToLiveInput",
    required("TableName", TABLE_NAME),
    required(
        "TimeToLiveSpecification",
        struct(
            "TimeToLiveSpecification",
            required("Enabled", Boolean()),
            required("AttributeName", KEY_ATTRIBUTE_NAME),
        ),
    ),
)
