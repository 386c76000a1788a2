"""The conformance suite's tiny helper library.

Everything here works the same against every target: a boto3 client (errors are botocore's
``ClientError``) or dynaflow's embedded client (errors are ``dynaflow.DynamoError``). Both carry
``.response["Error"] == {"Code": ..., "Message": ...}``, which is all the helpers read.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest


def assert_dynamo_error(call_or_excinfo: Callable[[], Any] | pytest.ExceptionInfo[BaseException],
                        code: str, *substrings: str) -> dict[str, Any]:
    """Check a DynamoDB error's code and that its message contains every substring.

    Takes either a zero-argument callable (which must raise) or a ``pytest.raises`` ExceptionInfo.
    Returns the error's ``response`` so a test can check extra fields (``Item``, reasons...).
    """
    if isinstance(call_or_excinfo, pytest.ExceptionInfo):
        exc: BaseException = call_or_excinfo.value
    else:
        try:
            result = call_or_excinfo()
        except Exception as caught:
            exc = caught
        else:
            pytest.fail(f"expected {code}, got a response: {result!r}")
    response = getattr(exc, "response", None)
    if not isinstance(response, dict) or "Error" not in response:
        raise AssertionError(f"expected a DynamoDB error {code}, got {exc!r}") from exc
    error = response["Error"]
    assert error.get("Code") == code, f"expected {code}, got {error}"
    message = error.get("Message") or ""
    missing = [s for s in substrings if s not in message]
    assert not missing, f"{code} message {message!r} lacks {missing}"
    return response


def unique(prefix: str = "k") -> str:
    """A random key (or table-name suffix), so tests sharing a table never collide."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"
