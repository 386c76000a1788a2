"""Which failures are retried, and when.

Failures carry a marker: :class:`Transient` (retry with backoff), :class:`Terminal` (never retry:
dead-letter the record with its evidence) or :class:`Fatal` (stop the pipeline without committing:
the store is gone or refuses us, and dead-lettering every record would be wrong). The policy reads
the marker, never the type name. DynamoDB errors are one class whose ``type`` is data, so
:func:`classify` maps a :class:`~dynaflow.engine.errors.DynamoError` to its marker once, here:

========================  ===========================================================================
Transient                 ProvisionedThroughputExceededException, ThrottlingException,
                          RequestLimitExceeded, InternalServerError, ServiceUnavailable,
                          TransactionConflictException, LimitExceededException, and any 5xx
Fatal                     ResourceNotFoundException (table missing), AccessDeniedException,
                          UnrecognizedClientException, MissingAuthenticationTokenException,
                          InvalidSignatureException, IncompleteSignature, ExpiredTokenException
Terminal                  everything else: ValidationException (item too large, bad key type),
                          SerializationException, ItemCollectionSizeLimitExceededException ...
========================  ===========================================================================

:class:`Backoff` is exponential backoff with full jitter (delay drawn uniformly from
``[0, min(cap, base * 2**attempt)]``), bounded by a number of attempts — except throttling, which is
bounded by accumulated backoff time (``throttle_budget_s``), so a slow table slows ingestion down
rather than filling the dead-letter store.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final

from dynaflow.engine.errors import DynamoError

__all__ = ["Backoff", "Fatal", "Terminal", "Transient", "classify"]


class Transient:
    """Marker: the same request may succeed later."""


class Terminal:
    """Marker: retrying cannot help; the record goes to the dead-letter store."""


class Fatal:
    """Marker: the pipeline must stop (and not commit)."""


class FatalStoreError(Fatal, RuntimeError):
    """The store refused the pipeline itself (missing table, bad credentials)."""


TRANSIENT_TYPES: Final = frozenset({
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    "InternalServerError", "ServiceUnavailable", "TransactionConflictException", "LimitExceededException",
    "TransactionInProgressException",
})
FATAL_TYPES: Final = frozenset({
    "ResourceNotFoundException", "AccessDeniedException", "UnrecognizedClientException",
    "MissingAuthenticationTokenException", "InvalidSignatureException", "IncompleteSignature",
    "ExpiredTokenException", "UnknownOperationException",
})
THROTTLING_TYPES: Final = frozenset({
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
})


def classify(exc: BaseException) -> type[Transient] | type[Terminal] | type[Fatal]:
    """The marker of ``exc``: its own mix-in if it has one, else by DynamoDB error type."""
    if isinstance(exc, Transient):
        return Transient
    if isinstance(exc, Terminal):
        return Terminal
    if isinstance(exc, Fatal):
        return Fatal
    if isinstance(exc, DynamoError):
        if exc.type in TRANSIENT_TYPES or exc.status >= 500:
            return Transient
        if exc.type in FATAL_TYPES:
            return Fatal
        return Terminal
    return Fatal


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with full jitter, up to ``max_attempts`` attempts in all."""

    max_attempts: int = 10
    """Attempts for transient errors other than throttling."""
    base_s: float = 0.025
    cap_s: float = 5.0
    throttle_budget_s: float = 300.0
    """Throttling is retried until this much backoff has accumulated: an under-provisioned table
    slows ingestion down (the consumer pauses) instead of sending records to the dead-letter store."""

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        bound = min(self.cap_s, self.base_s * (2 ** min(attempt - 1, 30)))
        return (rng or random).uniform(0.0, bound)

    def exhausted(self, attempt: int) -> bool:
        return attempt >= self.max_attempts

    def gives_up(self, attempt: int, waited_s: float, *, throttled: bool) -> bool:
        """Whether to stop retrying after ``attempt`` attempts and ``waited_s`` seconds of backoff."""
        if throttled:
            return waited_s >= self.throttle_budget_s
        return self.exhausted(attempt)
