"""What the runtime needs from a sink.

``apply`` returns only once every change is durably on the destination: the runtime moves the
shard's checkpoint after it returns, never before. It may be called again with changes it already
applied (after a crash, a lease takeover, a retry) and must then leave the destination as it was.
``copy`` writes snapshot rows and must never overwrite a row a change already wrote; ``repair``
makes one row equal to the source's current value (``None``: absent).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from dynaflow.cdc.model import Change, Item


class Sink(Protocol):
    async def apply(self, changes: Sequence[Change]) -> None: ...

    async def copy(self, items: Sequence[Item]) -> None: ...

    async def repair(self, keys: Item, item: Item | None) -> None: ...
