"""ListTagsOfResource input."""

from __future__ import annotations

from typing import Final

from dynaflow.engine.shapes.common import RESOURCE_ARN, TEXT
from dynaflow.engine.shapes.types import optional, required, struct

INPUT: Final = struct(
    "ListTagsOfResourceInput",
    required("ResourceArn", RESOURCE_ARN),
    optional("NextToken", TEXT),
)
