"""Types of the C build of the record mapper's per-field work (``_mapping.c``)."""

from collections.abc import Callable, Mapping, Set
from typing import Any

def json_item(document: dict[str, Any], drops: Set[str] | None, renames: Mapping[str, str] | None,
              fallback: Callable[[Any], dict[str, Any]], /) -> dict[str, Any]: ...

class RecordMapper:
    """A whole JSON record as ``(item, identity)`` for the commonest rule shape, or None."""

    def __init__(self, loads: Callable[[bytes], Any],
                 keys: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...],
                 drops: Set[str] | None, renames: Mapping[str, str] | None,
                 fallback: Callable[[Any], dict[str, Any]], version: str | None, /) -> None: ...
    def __call__(self, value: bytes, offset: int, /) -> tuple[dict[str, Any], tuple[Any, ...]] | None: ...
