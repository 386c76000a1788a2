"""Applying an update expression (or legacy AttributeUpdates) to an item, on a copy.

``Update.apply(item)`` works in two phases, as DynamoDB does:

1. every right-hand side (``SET a = b + :n``, ``list_append``, ``if_not_exists``) is computed from
   the item *as it was before the update*, so ``SET a = b, b = a`` swaps;
2. the actions are applied to a new item: SET, then ADD and DELETE, then REMOVE (list elements from
   the highest index down, so ``REMOVE a[1], a[2]`` removes the two original elements).

The input item is never mutated: the new item shares every container it does not change, and each
map or list along a changed path is copied once per action. The writer may therefore retry or batch
an update against the same stored item.

Unlike condition evaluation, applying an update can fail because of what the item holds; each such
failure is a ValidationException with DynamoDB's wording ("The document path provided in the update
expression is invalid for update", "An operand in the update expression has an incorrect data
type", "The provided expression refers to an attribute that does not exist in the item"). All of
them are raised before the new item is returned, so a failed update changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from dynaflow.engine import errors, values
from dynaflow.engine.expressions.ast import (
    Arith,
    Call,
    Literal,
    Operand,
    Path,
    PathElement,
    UpdateAction,
    UpdateNode,
)
from dynaflow.engine.expressions.evaluate import lookup

AttributeValue = dict[str, Any]
Item = dict[str, AttributeValue]
Compute = Callable[[Item], AttributeValue]

INVALID_PATH: Final = "The document path provided in the update expression is invalid for update"
WRONG_TYPE: Final = "An operand in the update expression has an incorrect data type"
#: WRONG_TYPE in DynamoDB's words for the legacy AttributeUpdates.
LEGACY_WRONG_TYPE: Final = "Type mismatch for attribute to update"
MISSING_OPERAND: Final = "The provided expression refers to an attribute that does not exist in the item"
_SET_ELEMENT: Final = {"SS": "S", "NS": "N", "BS": "B"}


def _compute(operand: Operand) -> Compute:
    """A function computing a SET right-hand side from the old item; raises for bad input."""
    if isinstance(operand, Literal):
        constant = operand.value
        return lambda item: constant
    if isinstance(operand, Path):
        head, rest = operand.head, operand.elements[1:]

        def read(item: Item) -> AttributeValue:
            value = lookup(item.get(head), rest)
            if value is None:
                raise errors.validation(MISSING_OPERAND)
            return value

        return read
    if isinstance(operand, Arith):
        left, right = _compute(operand.left), _compute(operand.right)
        subtract = operand.op == "-"

        def arith(item: Item) -> AttributeValue:
            a, b = left(item), right(item)
            if "N" not in a or "N" not in b:
                raise errors.validation(WRONG_TYPE)
            return {"N": values.add_numbers(a["N"], b["N"], subtract=subtract)}

        return arith
    assert isinstance(operand, Call), operand
    if operand.name == "if_not_exists":
        target = operand.args[0]
        assert isinstance(target, Path)
        head, rest = target.head, target.elements[1:]
        fallback = _compute(operand.args[1])

        def if_not_exists(item: Item) -> AttributeValue:
            value = lookup(item.get(head), rest)
            return value if value is not None else fallback(item)

        return if_not_exists
    assert operand.name == "list_append"
    first, second = _compute(operand.args[0]), _compute(operand.args[1])

    def list_append(item: Item) -> AttributeValue:
        a, b = first(item), second(item)
        if "L" not in a or "L" not in b:
            raise errors.validation(WRONG_TYPE)
        return {"L": [*a["L"], *b["L"]]}

    return list_append


# ---------------------------------------------------------------- copy-on-write path edits


def _copy_container(value: AttributeValue | None) -> AttributeValue:
    if value is not None:
        if "M" in value:
            return {"M": dict(value["M"])}
        if "L" in value:
            return {"L": list(value["L"])}
    raise errors.validation(INVALID_PATH)


def _parent(item: Item, elements: tuple[PathElement, ...]) -> AttributeValue:
    """Copy the containers down to the parent of the last element; return the (new) parent."""
    head = elements[0]
    assert isinstance(head, str)
    node = _copy_container(item.get(head))
    item[head] = node
    for element in elements[1:-1]:
        if isinstance(element, str):
            members = node.get("M")
            if members is None:
                raise errors.validation(INVALID_PATH)
            child = _copy_container(members.get(element))
            members[element] = child
        else:
            entries = node.get("L")
            if entries is None or element >= len(entries):
                raise errors.validation(INVALID_PATH)
            child = _copy_container(entries[element])
            entries[element] = child
        node = child
    return node


def _assign(item: Item, path: Path, value: AttributeValue) -> None:
    elements = path.elements
    if len(elements) == 1:
        item[path.head] = value
        return
    parent = _parent(item, elements)
    last = elements[-1]
    if isinstance(last, str):
        if "M" not in parent:
            raise errors.validation(INVALID_PATH)
        parent["M"][last] = value
    else:
        entries = parent.get("L")
        if entries is None:
            raise errors.validation(INVALID_PATH)
        if last < len(entries):
            entries[last] = value
        else:
            entries.append(value)


def _remove(item: Item, path: Path) -> None:
    elements = path.elements
    if len(elements) == 1:
        item.pop(path.head, None)
        return
    if lookup(item.get(path.head), elements[1:]) is None:
        # Removing what is not there is a no-op, but only if the parent path is a document.
        parent = lookup(item.get(path.head), elements[1:-1]) if len(elements) > 2 else item.get(path.head)
        last = elements[-1]
        if parent is None or ("M" not in parent if isinstance(last, str) else "L" not in parent):
            raise errors.validation(INVALID_PATH)
        return
    container = _parent(item, elements)
    last = elements[-1]
    if isinstance(last, str):
        del container["M"][last]
    else:
        del container["L"][last]


def _current(item: Item, path: Path) -> AttributeValue | None:
    return lookup(item.get(path.head), path.elements[1:])


def _add(item: Item, path: Path, value: AttributeValue) -> None:
    current = _current(item, path)
    if current is None:
        _assign(item, path, value)
        return
    ((tag, raw),) = value.items()
    if tag == "N" and "N" in current:
        _assign(item, path, {"N": values.add_numbers(current["N"], raw)})
    elif tag in _SET_ELEMENT and tag in current:
        members = list(current[tag])
        known = set(members)
        members.extend(m for m in raw if m not in known)
        _assign(item, path, {tag: members})
    else:
        raise errors.validation(WRONG_TYPE)


def _delete(item: Item, path: Path, value: AttributeValue) -> None:
    current = _current(item, path)
    if current is None:
        return
    ((tag, raw),) = value.items()
    if tag not in _SET_ELEMENT or tag not in current:
        raise errors.validation(WRONG_TYPE)
    drop = set(raw)
    kept = [m for m in current[tag] if m not in drop]
    if kept:
        _assign(item, path, {tag: kept})
    else:
        _remove(item, path)


def _remove_order(action: UpdateAction) -> int:
    last = action.path.elements[-1]
    return -last if isinstance(last, int) else 0


class Update:
    """A compiled UpdateExpression (or legacy AttributeUpdates).

    ``apply(item)`` returns the updated item as a new dict; pass ``{}`` when the item does not exist.
    ``top_level_names`` lists the attributes the update touches, so the caller can reject updates of
    key attributes before applying anything. ``only_removes``: every action is a REMOVE or DELETE
    (there is at least one), an update that DynamoDB does not apply to a missing item at all: it
    creates no item and reports no bad path.

    SET actions that write past the end of a list append in the order of their indexes, not of the
    expression (``SET a[9] = :x, a[5] = :y`` appends ``:y`` then ``:x``), as DynamoDB does; every
    value is computed from the item before the update, so no other order can show.
    """

    __slots__ = ("_adds", "_removes", "_sets", "legacy", "node", "only_removes", "top_level_names")

    def __init__(self, node: UpdateNode, *, legacy: bool = False) -> None:
        self.node = node
        #: Built from AttributeUpdates: a type mismatch is then worded as DynamoDB words it there.
        self.legacy = legacy
        sets = [a for a in node.actions if a.kind == "SET" and a.value]
        sets.sort(key=_index_order)
        self._sets = [(a.path, _compute(a.value)) for a in sets if a.value]
        self._adds: list[tuple[str, Path, AttributeValue]] = []
        for action in node.actions:
            if action.kind in ("ADD", "DELETE"):
                assert isinstance(action.value, Literal)
                self._adds.append((action.kind, action.path, action.value.value))
        removes = [a for a in node.actions if a.kind == "REMOVE"]
        self._removes = [a.path for a in sorted(removes, key=_remove_order)]
        self.top_level_names: frozenset[str] = frozenset(a.path.head for a in node.actions)
        self.only_removes = bool(node.actions) and all(a.kind in ("REMOVE", "DELETE") for a in node.actions)

    def apply(self, item: Item) -> Item:
        try:
            return self._apply(item)
        except errors.DynamoError as exc:
            if self.legacy and exc.message == WRONG_TYPE:
                raise errors.validation(LEGACY_WRONG_TYPE) from None
            raise

    def _apply(self, item: Item) -> Item:
        computed = [(path, compute(item)) for path, compute in self._sets]
        new = dict(item)
        for path, value in computed:
            _assign(new, path, value)
        for kind, path, value in self._adds:
            if kind == "ADD":
                _add(new, path, value)
            else:
                _delete(new, path, value)
        for path in self._removes:
            _remove(new, path)
        return new

    def __repr__(self) -> str:
        return f"Update({self.node!r})"


def _index_order(action: UpdateAction) -> int:
    last = action.path.elements[-1]
    return last if isinstance(last, int) else -1
