"""Types of the C build of the record mapper's per-field work (``_mapping.c``)."""

from collections.abc import Callable, Mapping, Set
from typing import Any

def json_item(document: dict[str, Any], drops: Set[str] | None, renames: Mapping[str, str] | None,
              fallback: Callable[[Any], dict[str, Any]], /) -> dict[str, Any]: ...
