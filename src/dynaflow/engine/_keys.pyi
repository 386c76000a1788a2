"""Types of the C build of the string-key builder's common case (``_keys.c``)."""

from typing import Any

def string_key(item: Any, hash_name: str, range_name: str | None, prefixes: dict[str, bytes], table: bytes,
               max_exact: int, max_sort: int, max_partition: int, long_partition: int, cache_size: int, /
               ) -> Any: ...

class StringKeyBuilder:
    """``string_key`` with its arguments bound, handing NotImplemented cases to ``fallback``."""

    def __init__(self, fallback: Any, hash_name: str, range_name: str | None, prefixes: dict[str, bytes],
                 table: bytes, max_exact: int, max_sort: int, max_partition: int, long_partition: int,
                 cache_size: int, /) -> None: ...
    def __call__(self, item: Any, /) -> bytes | None: ...
