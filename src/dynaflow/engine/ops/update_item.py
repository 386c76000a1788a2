"""UpdateItem: edit attributes of one item (creating it if absent), optionally under a condition."""

from __future__ import annotations

from typing import Any, ClassVar

from dynaflow.engine import errors
from dynaflow.engine.expressions import Projection, RequestExpressions
from dynaflow.engine.expressions.ast import ProjectionNode
from dynaflow.engine.rmw import DELETE, RmwOperation, compile_for
from dynaflow.engine.state import Deferred, EngineState, Output
from dynaflow.engine.values import MAX_ITEM_SIZE, Item, item_size, validate_item


class UpdateItem(RmwOperation):
    operation = "UpdateItem"
    return_values_allowed: ClassVar[tuple[str, ...]] = (
        "NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW",
    )

    def __init__(self, state: EngineState, request: dict[str, Any], out: Output,
                 compiled: RequestExpressions | None = None) -> None:
        super().__init__(state, request, out)
        key = validate_item(request.get("Key"))
        compiled = compile_for(request, "UpdateItem", compiled)
        self.condition = compiled.condition
        self.update = compiled.update
        self.table = state.catalog.get(request["TableName"])
        self.key = self.table.key_from_key(key)
        self.key_item = key
        if self.update is not None:
            for name in self.table.key_names:
                if name in self.update.top_level_names:
                    raise errors.invalid_parameters(
                        f"Cannot update attribute {name}. This attribute is part of the key"
                    )

    def _wants_old(self) -> bool:
        return True

    def apply(self, old: Item | None) -> Item | object:
        if old is None and self.update is not None and self.update.only_removes:
            return DELETE  # nothing to delete: the missing item stays missing (``Update.only_removes``)
        base = old if old is not None else dict(self.key_item or {})
        return self.update.apply(base) if self.update is not None else base

    def new_size(self, item: Item) -> int:
        size = item_size(item)
        if size > MAX_ITEM_SIZE:
            raise errors.validation("Item size to update has exceeded the maximum allowed size")
        return size

    def returned(self, old_record: bytes | None, old: Item | None, new: Item | None) -> Any:
        mode = self.return_values
        if mode == "ALL_NEW" and new is not None:
            return self.out.item(new)
        if mode in ("UPDATED_OLD", "UPDATED_NEW"):
            source = old if mode == "UPDATED_OLD" else new
            if not source or self.update is None:
                return None
            paths = tuple(action.path for action in self.update.node.actions)
            picked = Projection(ProjectionNode(paths)).apply(source)
            return self.out.item(picked) if picked else None
        return super().returned(old_record, old, new)


def run(state: EngineState, request: dict[str, Any], out: Output) -> Deferred:
    return Deferred(UpdateItem(state, request, out).run)
