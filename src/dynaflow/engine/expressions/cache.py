"""LRU cache of parsed expressions keyed by (kind, text).

Applications send the same few expression strings over and over with different values, so the
parse result (an unresolved tree, see :mod:`.ast`) is cached by the expression kind and text alone
and shared; resolution against each request's names and values happens afterwards and is cheap.
Trees are frozen, so sharing them is safe. Failed parses are not cached: a bad expression is
re-parsed, which only costs the caller who keeps sending it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

from dynaflow.engine.expressions.ast import ExpressionKind
from dynaflow.engine.expressions.parser import Parsed, parse

#: Distinct (kind, text) pairs kept; a tree is a few hundred bytes to a few KB.
CACHE_SIZE: Final = 4096


@lru_cache(maxsize=CACHE_SIZE)
def parsed(kind: ExpressionKind, text: str) -> Parsed:
    """The parse of ``text`` as ``kind``, from the cache when it has been seen before."""
    return parse(kind, text)


def clear() -> None:
    parsed.cache_clear()
