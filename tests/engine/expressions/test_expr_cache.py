"""Caching and limits: repeated requests reuse compiled objects; big expressions stay within the stack."""

from __future__ import annotations

import pytest
from helpers_expr import compile_

from dynaflow.engine.errors import DynamoError


def test_identical_requests_share_one_compiled_result() -> None:
    # The compiled-request cache is what keeps GetItem with a projection within budget.
    request = {"ProjectionExpression": "a, #b", "ExpressionAttributeNames": {"#b": "b"}}
    assert compile_("GetItem", **request) is compile_("GetItem", **request)


def test_requests_with_different_values_compile_separately() -> None:
    # The cache key includes the values, so a cached condition never answers for other values.
    first = compile_("PutItem", ConditionExpression="a = :v", ExpressionAttributeValues={":v": {"S": "x"}})
    second = compile_("PutItem", ConditionExpression="a = :v", ExpressionAttributeValues={":v": {"S": "y"}})
    assert first.condition is not None and second.condition is not None
    assert first.condition.evaluate({"a": {"S": "x"}}) and not second.condition.evaluate({"a": {"S": "x"}})


def test_longest_and_chain_compiles_and_evaluates() -> None:
    # The longest chain DynamoDB accepts (300 operators) must not exhaust the recursion limit
    # anywhere in the pipeline, and a 4 KB one must be refused for its operators, not crash.
    expression = " AND ".join(["a = :v"] * 150)
    result = compile_("Scan", FilterExpression=expression, ExpressionAttributeValues={":v": {"N": "1"}})
    assert result.filter is not None and result.filter.evaluate({"a": {"N": "1"}})
    longest = " AND ".join(["a = :v"] * (4096 // len("a = :v AND ")))
    with pytest.raises(DynamoError, match="too many operators; operator count: 301"):
        compile_("Scan", FilterExpression=longest, ExpressionAttributeValues={":v": {"N": "1"}})
