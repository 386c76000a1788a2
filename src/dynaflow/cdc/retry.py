"""Failure classification and backoff.

Errors are *transient* (worth retrying: throttling, timeouts, a server's 5xx, a connection reset)
or *terminal* (retrying cannot help: a validation error, an item too large for the target). The
policy reads a marker — :class:`Transient` / :class:`Terminal` mix-ins, or the DynamoDB error code
of a :class:`~dynaflow.engine.errors.DynamoError` or a botocore ``ClientError`` — never a type name
chosen ad hoc at the call site. Exceptions with neither are *unknown*: retried a few times, then
treated as terminal — a replica write that keeps failing for an unknown reason is bisected and
dead-lettered, so it can never stall a shard.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeVar

T = TypeVar("T")


class Transient(Exception):
    """Mix-in: the operation may succeed if retried."""


class Terminal(Exception):
    """Mix-in: retrying cannot help; the record goes to the dead-letter store."""


TRANSIENT_CODES: Final = frozenset({
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    "LimitExceededException", "InternalServerError", "InternalFailure", "ServiceUnavailable",
    "TransactionConflictException", "TransactionInProgressException", "ItemCollectionSizeLimitExceededException",
})
TERMINAL_CODES: Final = frozenset({
    "ValidationException", "SerializationException", "ResourceNotFoundException",
    "AccessDeniedException", "UnrecognizedClientException", "MissingAuthenticationTokenException",
    "InvalidSignatureException",
})


def error_code(exc: BaseException) -> str | None:
    """The DynamoDB error code of ``exc`` (engine ``DynamoError`` or botocore ``ClientError``)."""
    code = getattr(exc, "type", None)
    if isinstance(code, str):
        return code
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        found = response.get("Error", {}).get("Code")
        return found if isinstance(found, str) else None
    return None


def error_extra(exc: BaseException, name: str) -> Any:
    """A field of the error body (``CancellationReasons``...), wherever the client put it."""
    extra = getattr(exc, "extra", None)
    if isinstance(extra, dict) and name in extra:
        return extra[name]
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return response.get(name)
    return None


Kind = Literal["transient", "terminal", "unknown"]


def _network_errors() -> tuple[type[BaseException], ...]:
    found: list[type[BaseException]] = [OSError, TimeoutError, ConnectionError]
    try:
        from botocore import exceptions as boto

        found += [boto.EndpointConnectionError, boto.ConnectionClosedError, boto.ReadTimeoutError,
                  boto.ConnectTimeoutError, boto.HTTPClientError]
    except ImportError:  # pragma: no cover - botocore is optional
        pass
    try:
        import aiohttp

        found.append(aiohttp.ClientError)
    except ImportError:  # pragma: no cover
        pass
    return tuple(found)


_NETWORK: Final = _network_errors()


def classify(exc: BaseException) -> Kind:
    """``transient`` (retry until it passes), ``terminal`` (never retry) or ``unknown`` (retry a few times)."""
    if isinstance(exc, Terminal):
        return "terminal"
    if isinstance(exc, (Transient, *_NETWORK)):
        return "transient"
    code = error_code(exc)
    if code in TERMINAL_CODES:
        return "terminal"
    if code in TRANSIENT_CODES:
        return "transient"
    return "unknown"


def is_transient(exc: BaseException) -> bool:
    return classify(exc) == "transient"


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter: attempt *n* waits up to ``base * 2**n``, capped.

    Transient failures (throttling, a server error, a dropped connection) are retried for as long
    as they last: an outage of the target pauses a shard, it never dead-letters its records.
    Unknown failures are retried ``attempts`` times; terminal ones are raised at once.
    """

    base: float = 0.05
    cap: float = 5.0
    attempts: int = 5

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.cap, self.base * (2 ** attempt)))

    async def run(self, fn: Callable[[], Awaitable[T]], *, on_retry: Callable[[BaseException], None] | None = None
                  ) -> T:
        """Call ``fn`` until it succeeds, a terminal error occurs, or an unknown one repeats too often."""
        attempt = 0
        while True:
            try:
                return await fn()
            except Exception as exc:
                attempt += 1
                kind = classify(exc)
                if kind == "terminal" or (kind == "unknown" and attempt >= self.attempts):
                    raise
                if on_retry is not None:
                    on_retry(exc)
                await asyncio.sleep(self.delay(min(attempt, 30)))
