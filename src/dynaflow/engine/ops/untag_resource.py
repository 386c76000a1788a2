"""UntagResource: remove tags by key (absent keys are ignored); rules in ``tag_resource.py``."""

from __future__ import annotations

from typing import Any

from dynaflow.engine import errors
from dynaflow.engine.ops.tag_resource import MAX_TAGS, change_tags, check_key, lookup, parse, too_many
from dynaflow.engine.state import Deferred, EngineState, Output


def run(state: EngineState, request: dict[str, Any], out: Output) -> Deferred:
    arn: str = request["ResourceArn"]
    name = parse(state, arn, "UntagResource")
    tag_keys = list(request.get("TagKeys") or ())
    if not tag_keys:
        raise errors.validation("Atleast one Tag Key needs to be provided as Input.")
    removed = {check_key(key) for key in tag_keys}
    if len(tag_keys) > MAX_TAGS:
        raise too_many()
    table = lookup(state, arn, name)
    return change_tags(state, table, lambda tags: [tag for tag in tags if tag["Key"] not in removed])
