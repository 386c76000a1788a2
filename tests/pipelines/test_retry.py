"""Failure classification and backoff."""

from __future__ import annotations

import random

import pytest

from dynaflow.engine.errors import DynamoError
from dynaflow.pipelines.retry import Backoff, Fatal, Terminal, Transient, classify
from dynaflow.pipelines.rules import RecordError


# Why: the retry policy reads markers; DynamoDB error types map to them in one place.
@pytest.mark.parametrize("error, marker", [
    (DynamoError("ProvisionedThroughputExceededException", "x"), Transient),
    (DynamoError("ThrottlingException", "x"), Transient),
    (DynamoError("ServiceUnavailable", "x", status=503), Transient),
    (DynamoError("SomethingNew", "x", status=500), Transient),
    (DynamoError("ValidationException", "Item size has exceeded the maximum allowed size"), Terminal),
    (DynamoError("ResourceNotFoundException", "x"), Fatal),
    (DynamoError("UnrecognizedClientException", "x"), Fatal),
    (RecordError("MalformedValue", "x"), Terminal),
    (ValueError("bug"), Fatal),
])
def test_classification(error: BaseException, marker: type) -> None:
    assert classify(error) is marker


# Why: full jitter draws from [0, min(cap, base * 2**(attempt-1))]; attempts and throttle time are bounded.
def test_backoff_full_jitter_and_bounds() -> None:
    backoff = Backoff(max_attempts=3, base_s=0.1, cap_s=0.5, throttle_budget_s=2.0)
    rng = random.Random(1)
    for attempt, bound in ((1, 0.1), (2, 0.2), (3, 0.4), (4, 0.5), (40, 0.5)):
        delays = [backoff.delay(attempt, rng) for _ in range(200)]
        assert min(delays) >= 0 and max(delays) <= bound and max(delays) > bound * 0.8
    assert not backoff.gives_up(2, 0.0, throttled=False) and backoff.gives_up(3, 0.0, throttled=False)
    assert not backoff.gives_up(50, 1.9, throttled=True) and backoff.gives_up(1, 2.0, throttled=True)
