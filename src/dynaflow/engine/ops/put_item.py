"""PutItem: create or replace a whole item, optionally under a condition."""

from __future__ import annotations

from typing import Any

from dynaflow.engine import errors
from dynaflow.engine.rmw import RmwOperation, compile_for
from dynaflow.engine.state import Deferred, EngineState, Output
from dynaflow.engine.values import MAX_ITEM_SIZE, Item, validate_item_sized


class PutItem(RmwOperation):
    operation = "PutItem"

    def __init__(self, state: EngineState, request: dict[str, Any], out: Output) -> None:
        super().__init__(state, request, out)
        self.item, self.size = validate_item_sized(request.get("Item"))
        self.condition = compile_for(request, "PutItem").condition
        self.table = state.catalog.get(request["TableName"])
        self.key = self.table.key_from_item(self.item)
        if self.size > MAX_ITEM_SIZE:
            raise errors.validation("Item size has exceeded the maximum allowed size")

    def apply(self, old: Item | None) -> Item:
        return self.item

    def new_size(self, item: Item) -> int:
        return self.size


def run(state: EngineState, request: dict[str, Any], out: Output) -> Deferred:
    return Deferred(PutItem(state, request, out).run)
