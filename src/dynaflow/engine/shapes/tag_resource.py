"""TagResource input. Tag key/value rules beyond length ("The Tag Key provided is invalid") are
semantic checks."""

from __future__ import annotations

from typing import Final

from dynaflow.engine.shapes.common import RESOURCE_ARN, TAG
from dynaflow.engine.shapes.types import List, required, struct

INPUT: Final = struct(
    "TagResourceInput",
    required("ResourceArn", RESOURCE_ARN),
    required("Tags", List(TAG)),
)
