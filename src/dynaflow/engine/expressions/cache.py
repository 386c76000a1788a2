"""Caches: parsed expressions keyed by (kind, text), and whole compiled requests.

Applications send the same few expression strings over and over with different values, so the
parse result (an unresolved tree, see :mod:`.ast`) is cached by the expression kind and text alone
and shared (an LRU); resolution against each request's names and values happens afterwards.

Resolution, validation and compilation still cost tens of microseconds, more than a whole in-process
GetItem may, so the compiled result of a request is cached too, keyed by everything it depends on:
operation, key schema, expression texts, names and values (values as their JSON text). Requests
that repeat exactly (a projection with its names, a filter with fixed values) then cost one dict
lookup. That cache evicts the oldest entry when full, which is cheaper to maintain than LRU order
and loses little when most entries are one-off values.

Everything cached is immutable (frozen trees, closures over frozen trees), so sharing is safe.
Failures are not cached: a bad expression is re-checked, which only costs the caller who keeps
sending it.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from functools import lru_cache
from typing import Any, Final

from dynaflow.engine.expressions.ast import ExpressionKind
from dynaflow.engine.expressions.parser import Parsed, parse
from dynaflow.engine.expressions.validate import syntax_problem

#: Distinct (kind, text) pairs kept; a tree is a few hundred bytes to a few KB.
CACHE_SIZE: Final = 4096
#: Compiled requests kept.
COMPILED_CACHE_SIZE: Final = 2048

_compiled: dict[Any, Any] = {}


@lru_cache(maxsize=CACHE_SIZE)
def parsed(kind: ExpressionKind, text: str) -> Parsed:
    """The parse of ``text`` as ``kind``, with its syntax problem if any, from the cache when it has
    been seen before."""
    result = parse(kind, text)
    return replace(result, syntax=syntax_problem(result.node))


def compiled_get(key: Any) -> Any:
    """The compiled request stored under ``key``, or None."""
    return _compiled.get(key)


def compiled_put(key: Any, value: Any) -> None:
    if len(_compiled) >= COMPILED_CACHE_SIZE:
        # Another thread may empty or change the dict between the two steps; losing a race is harmless.
        with contextlib.suppress(StopIteration, KeyError, RuntimeError):
            del _compiled[next(iter(_compiled))]
    _compiled[key] = value


def clear() -> None:
    parsed.cache_clear()
    _compiled.clear()
