"""Types of the C build of the Kafka source's message-to-record loop (``_messages.c``)."""

from collections.abc import Callable
from typing import Any, TypeVar

_R = TypeVar("_R", bound=tuple[Any, ...])

def records(messages: list[Any], record_type: type[_R], headers: Callable[[Any], tuple[tuple[str, bytes], ...]],
            /) -> list[_R] | None: ...
