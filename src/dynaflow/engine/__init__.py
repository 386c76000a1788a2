"""dynaflow's embedded storage engine: DynamoDB's data model and API on LMDB.

The engine is :class:`dynaflow.engine.core.Engine`; see that module for how a request flows.
This package initializer stays import-free so that leaf modules (``values``, ``keys``,
``expressions``...) can be imported on their own without pulling in every operation.
"""

from __future__ import annotations

from typing import Any

__all__ = ["OPERATIONS", "Engine"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from dynaflow.engine import core

        return getattr(core, name)
    raise AttributeError(name)
