"""UntagResource input."""

from __future__ import annotations

from typing import Final

from dynaflow.engine.shapes.common import RESOURCE_ARN
from dynaflow.engine.shapes.types import List, String, required, struct

INPUT: Final = struct(
    "UntagResourceInput",
    required("ResourceArn", RESOURCE_ARN),
    required("TagKeys", List(String(min=1, max=128))),
)
