"""Types of the C build of a batch's plain-put preparation (``_proven_puts.c``)."""

from collections.abc import Callable
from typing import Any

def prepare_all(entries: list[Any], table: Any, canonical_size: Callable[[Any], int],
                fast_key: Callable[[Any], bytes | None], dumps: Callable[[Any], bytes], max_size: int, /
                ) -> list[tuple[Any, bytes, dict[str, Any], int, bytes]] | None: ...
def prepare(item: dict[str, Any], table: Any, canonical_size: Callable[[Any], int],
            fast_key: Callable[[Any], bytes | None], dumps: Callable[[Any], bytes], max_size: int, /
            ) -> tuple[Any, bytes, dict[str, Any], int, bytes] | None: ...
