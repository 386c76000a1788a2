"""Small helpers shared by the expression tests."""

from __future__ import annotations

from typing import Any

import pytest

from dynaflow.engine.errors import DynamoError
from dynaflow.engine.expressions import RequestExpressions, compile_expressions

KEYS = (("pk", "S"), ("sk", "S"))


def compile_(operation: str, key_schema: Any = None, **request: Any) -> RequestExpressions:
    return compile_expressions(request, operation=operation, key_schema=key_schema)


def error_of(operation: str, key_schema: Any = None, **request: Any) -> str:
    with pytest.raises(DynamoError) as info:
        compile_expressions(request, operation=operation, key_schema=key_schema)
    assert info.value.type == "ValidationException"
    return info.value.message


def values(**kw: Any) -> dict[str, Any]:
    """ExpressionAttributeValues from keyword arguments: values(v={"N": "1"}) -> {":v": {"N": "1"}}."""
    return {f":{k}": v for k, v in kw.items()}
