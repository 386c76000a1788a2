"""DeleteItem: remove one item by key, optionally under a condition."""

from __future__ import annotations

from typing import Any

from dynaflow.engine.expressions import RequestExpressions
from dynaflow.engine.rmw import DELETE, RmwOperation, compile_for
from dynaflow.engine.state import Deferred, EngineState, Output
from dynaflow.engine.values import Item, validate_item


class DeleteItem(RmwOperation):
    operation = "DeleteItem"

    def __init__(self, state: EngineState, request: dict[str, Any], out: Output,
                 compiled: RequestExpressions | None = None) -> None:
        super().__init__(state, request, out)
        key = validate_item(request.get("Key"))
        self.condition = compile_for(request, "DeleteItem", compiled).condition
        self.table = state.catalog.get(request["TableName"])
        self.key = self.table.key_from_key(key)
        self.key_item = key

    def apply(self, old: Item | None) -> object:
        return DELETE

    def new_size(self, item: Item) -> int:
        raise AssertionError("DeleteItem never stores an item")


def run(state: EngineState, request: dict[str, Any], out: Output) -> Deferred:
    return Deferred(DeleteItem(state, request, out).run)
