"""Table ARNs where DynamoDB takes a table name or its ARN.

DynamoDB's operations accept a table's ARN (``arn:aws:dynamodb:<region>:<account>:table/<name>``)
wherever they take a ``TableName``, and in the table keys of BatchGetItem and BatchWriteItem and
the actions of TransactGetItems and TransactWriteItems. The engine resolves them to names once,
after the shape check, so operations only ever see names. An ARN of another region or account, or
one that is not a table ARN, is left as it is: no table has that name, so the operation answers
ResourceNotFoundException naming what was given.
"""

from __future__ import annotations

import re
from typing import Any, Final

from dynaflow.engine.state import EngineState

_TABLE_ARN: Final = re.compile(r"arn:aws[a-z-]*:dynamodb:([a-z0-9-]*):(\d{12}):table/([A-Za-z0-9_.-]{3,255})")


def resolve(state: EngineState, request: dict[str, Any]) -> dict[str, Any]:
    """``request`` with every table ARN of this engine's region and account replaced by the name;
    the request itself when it holds none (the common case costs one look at ``TableName``)."""
    name = request.get("TableName")
    if name.__class__ is str and name.startswith("arn:"):
        request = {**request, "TableName": _name(state, name)}
    items = request.get("RequestItems")
    if items.__class__ is dict and any(key.startswith("arn:") for key in items):
        request = {**request, "RequestItems": {_name(state, key): value for key, value in items.items()}}
    actions = request.get("TransactItems")
    if actions.__class__ is list and any(_action_arn(action) for action in actions):
        request = {**request, "TransactItems": [_resolved_action(state, action) for action in actions]}
    return request


def table_of(state: EngineState, arn: str) -> str | None:
    """The table name in a table ARN of this engine's region and account; None for anything else."""
    match = _TABLE_ARN.fullmatch(arn)
    if match is None or match.group(1) != state.settings.region or match.group(2) != state.settings.account:
        return None
    return match.group(3)


def is_table_arn(arn: str) -> bool:
    """Whether ``arn`` has the shape of a table ARN, of any region or account."""
    return _TABLE_ARN.fullmatch(arn) is not None


def _name(state: EngineState, arn: str) -> str:
    name = table_of(state, arn)
    return arn if name is None else name


def _action_arn(action: Any) -> bool:
    if action.__class__ is not dict:
        return False
    return any(inner.__class__ is dict and str(inner.get("TableName", "")).startswith("arn:")
               for inner in action.values())


def _resolved_action(state: EngineState, action: Any) -> Any:
    if not _action_arn(action):
        return action
    return {kind: ({**inner, "TableName": _name(state, inner["TableName"])}
                   if inner.__class__ is dict and str(inner.get("TableName", "")).startswith("arn:") else inner)
            for kind, inner in action.items()}
