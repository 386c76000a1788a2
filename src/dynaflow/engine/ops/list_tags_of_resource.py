"""ListTagsOfResource: a table's tags in the order they were added (at most 50: one page)."""

from __future__ import annotations

from typing import Any

from dynaflow.engine.ops.tag_resource import FIELD, resolve
from dynaflow.engine.state import EngineState, Output


def run(state: EngineState, request: dict[str, Any], out: Output) -> dict[str, Any]:
    table = resolve(state, request["ResourceArn"], "ListTagsOfResource")
    return {"Tags": [dict(tag) for tag in table.description.get(FIELD) or ()]}
