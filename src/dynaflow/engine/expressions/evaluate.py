"""Evaluation: resolved condition and projection trees compiled to closures.

A resolved tree is compiled once per request into nested closures, so evaluating a filter against
each item of a Query or Scan is a chain of plain function calls with no tree walking or dispatch on
node types. Closures read items in wire form (``{"N": "1.5"}``) and never mutate them.

Condition evaluation never raises for input reasons; DynamoDB's semantics make every odd case
*false* instead:

- a missing attribute makes a comparison false (``<>`` true: the values differ), and a function
  on it false;
- values of different types are unequal and unordered; only S, N and B are ordered (N numerically,
  S by code point, B by unsigned bytes, see :func:`dynaflow.engine.values.compare_scalars`);
- ``size`` of N, BOOL or NULL has no value, so any comparison with it is false.

This is what lets an update apply its condition and its actions atomically: once a request has been
validated, evaluation cannot fail half way.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from dynaflow.engine import values
from dynaflow.engine.expressions.ast import (
    And,
    Arith,
    Between,
    Call,
    Compare,
    ConditionNode,
    FunctionCondition,
    In,
    Literal,
    Not,
    Operand,
    Or,
    Path,
    PathElement,
    ProjectionNode,
    ValueRef,
)

AttributeValue = dict[str, Any]
Item = dict[str, AttributeValue]
Getter = Callable[[Item], AttributeValue | None]
Predicate = Callable[[Item], bool]

_values_equal = values.values_equal
_compare = values.compare_scalars


# ---------------------------------------------------------------- paths and operands


def lookup(value: AttributeValue | None, elements: tuple[PathElement, ...]) -> AttributeValue | None:
    """Follow ``elements`` (names and list indexes) down from ``value``; None when absent."""
    for element in elements:
        if value is None:
            return None
        if isinstance(element, str):
            members = value.get("M")
            if members is None:
                return None
            value = members.get(element)
        else:
            entries = value.get("L")
            if entries is None or element >= len(entries):
                return None
            value = entries[element]
    return value


def path_getter(path: Path) -> Getter:
    head = path.head
    rest = path.elements[1:]
    if not rest:
        return lambda item: item.get(head)
    if len(rest) == 1 and isinstance(rest[0], str):
        child = rest[0]

        def get_child(item: Item) -> AttributeValue | None:
            parent = item.get(head)
            members = parent.get("M") if parent is not None else None
            return members.get(child) if members is not None else None

        return get_child
    return lambda item: lookup(item.get(head), rest)


def size_of(value: AttributeValue | None) -> AttributeValue | None:
    """DynamoDB's ``size()``: characters of S, bytes of B, members of sets, L and M."""
    if value is None:
        return None
    ((tag, raw),) = value.items()
    if tag in ("N", "BOOL", "NULL"):
        return None
    if tag == "B":
        return {"N": str(len(base64.b64decode(raw)))}
    return {"N": str(len(raw))}


def operand_getter(operand: Operand) -> Getter:
    """A getter for an operand of a condition: paths, literals and ``size``."""
    if isinstance(operand, Path):
        return path_getter(operand)
    if isinstance(operand, Literal):
        constant = operand.value
        return lambda item: constant
    if isinstance(operand, Call) and operand.name == "size":
        inner = operand_getter(operand.args[0])
        return lambda item: size_of(inner(item))
    # Validation rejects anything else; an unresolvable operand simply has no value.
    assert isinstance(operand, Call | Arith | ValueRef)
    return lambda item: None


# ---------------------------------------------------------------- conditions


def _equal(a: AttributeValue | None, b: AttributeValue | None) -> bool:
    return a is not None and b is not None and (a == b or _values_equal(a, b))


def _begins_with(a: AttributeValue | None, b: AttributeValue | None) -> bool:
    if a is None or b is None:
        return False
    if "S" in a:
        return "S" in b and bool(a["S"].startswith(b["S"]))
    if "B" in a and "B" in b:
        return base64.b64decode(a["B"]).startswith(base64.b64decode(b["B"]))
    return False


def _contains(a: AttributeValue | None, b: AttributeValue | None) -> bool:
    if a is None or b is None:
        return False
    ((tag, raw),) = a.items()
    if tag == "S":
        return "S" in b and b["S"] in raw
    if tag == "SS":
        return "S" in b and b["S"] in raw
    if tag == "NS":
        return "N" in b and (b["N"] in raw or any(_values_equal({"N": n}, b) for n in raw))
    if tag == "B":
        return "B" in b and base64.b64decode(b["B"]) in base64.b64decode(raw)
    if tag == "BS":
        return "B" in b and base64.b64decode(b["B"]) in {base64.b64decode(x) for x in raw}
    if tag == "L":
        return any(_values_equal(entry, b) for entry in raw)
    return False


def _ordered(op: str) -> Callable[[int], bool]:
    if op == "<":
        return lambda c: c < 0
    if op == "<=":
        return lambda c: c <= 0
    if op == ">":
        return lambda c: c > 0
    return lambda c: c >= 0


def compile_condition(node: ConditionNode) -> Predicate:
    if isinstance(node, And):
        left, right = compile_condition(node.left), compile_condition(node.right)
        return lambda item: left(item) and right(item)
    if isinstance(node, Or):
        left, right = compile_condition(node.left), compile_condition(node.right)
        return lambda item: left(item) or right(item)
    if isinstance(node, Not):
        inner = compile_condition(node.operand)
        return lambda item: not inner(item)
    if isinstance(node, Compare):
        return _compile_compare(node)
    if isinstance(node, Between):
        get, low, high = operand_getter(node.operand), operand_getter(node.low), operand_getter(node.high)

        def between(item: Item) -> bool:
            value, lo, hi = get(item), low(item), high(item)
            if value is None or lo is None or hi is None:
                return False
            above = _compare(lo, value)
            if above is None or above > 0:
                return False
            below = _compare(value, hi)
            return below is not None and below <= 0

        return between
    if isinstance(node, In):
        get = operand_getter(node.operand)
        choices = [operand_getter(c) for c in node.choices]
        return lambda item: any(_equal(get(item), choice(item)) for choice in choices)
    return _compile_function(node)


def _compile_compare(node: Compare) -> Predicate:
    left, right = operand_getter(node.left), operand_getter(node.right)
    if node.op == "=":
        if isinstance(node.right, Literal) and isinstance(node.left, Path):
            constant = node.right.value

            def equals_constant(item: Item) -> bool:
                value = left(item)
                return value is not None and (value == constant or _values_equal(value, constant))

            return equals_constant
        return lambda item: _equal(left(item), right(item))
    if node.op == "<>":

        def not_equal(item: Item) -> bool:
            a, b = left(item), right(item)
            return a is None or b is None or not (a == b or _values_equal(a, b))

        return not_equal
    accept = _ordered(node.op)

    def ordered(item: Item) -> bool:
        a, b = left(item), right(item)
        if a is None or b is None:
            return False
        order = _compare(a, b)
        return order is not None and accept(order)

    return ordered


def _compile_function(node: FunctionCondition) -> Predicate:
    name, args = node.call.name, node.call.args
    first = operand_getter(args[0])
    if name == "attribute_exists":
        return lambda item: first(item) is not None
    if name == "attribute_not_exists":
        return lambda item: first(item) is None
    second = operand_getter(args[1]) if len(args) > 1 else (lambda item: None)
    if name == "attribute_type":

        def has_type(item: Item) -> bool:
            value, wanted = first(item), second(item)
            return value is not None and wanted is not None and wanted.get("S") in value

        return has_type
    if name == "begins_with":
        return lambda item: _begins_with(first(item), second(item))
    if name == "contains":
        return lambda item: _contains(first(item), second(item))
    return lambda item: False


class Condition:
    """A compiled ConditionExpression or FilterExpression (or legacy Expected/QueryFilter/ScanFilter).

    ``evaluate(item)`` is True when the item satisfies the condition; it never raises for any item.
    Pass ``{}`` for an item that does not exist.
    """

    __slots__ = ("evaluate", "node")

    def __init__(self, node: ConditionNode) -> None:
        self.node = node
        self.evaluate: Predicate = compile_condition(node)

    def __repr__(self) -> str:
        return f"Condition({self.node!r})"


# ---------------------------------------------------------------- projection

_Trie = dict[PathElement, "_Trie | None"]


def _project(value: AttributeValue, trie: _Trie) -> AttributeValue | None:
    keys = list(trie)
    if isinstance(keys[0], str):
        members = value.get("M")
        if members is None:
            return None
        out: dict[str, AttributeValue] = {}
        for key, sub in trie.items():
            assert isinstance(key, str)
            child = members.get(key)
            if child is None:
                continue
            projected = child if sub is None else _project(child, sub)
            if projected is not None:
                out[key] = projected
        return {"M": out} if out else None
    entries = value.get("L")
    if entries is None:
        return None
    picked: list[AttributeValue] = []
    for index in sorted(k for k in keys if isinstance(k, int)):
        if index < len(entries):
            sub = trie[index]
            projected = entries[index] if sub is None else _project(entries[index], sub)
            if projected is not None:
                picked.append(projected)
    return {"L": picked} if picked else None


class Projection:
    """A compiled ProjectionExpression (or legacy AttributesToGet).

    ``apply(item)`` returns a new item holding only the projected attributes, keeping the nesting
    DynamoDB returns: ``a.b`` gives ``{"a": {"M": {"b": ...}}}``, and list elements picked by index are
    returned in index order, compacted (``a[1], a[3]`` gives a two-element list).
    """

    __slots__ = ("_names", "_trie", "node", "top_level_names")

    def __init__(self, node: ProjectionNode) -> None:
        self.node = node
        trie: _Trie = {}
        for path in node.paths:
            level = trie
            *parents, last = path.elements
            for element in parents:
                sub = level.setdefault(element, {})
                assert sub is not None
                level = sub
            level[last] = None
        self._trie = trie
        self.top_level_names: frozenset[str] = frozenset(p.head for p in node.paths)
        flat = all(len(p.elements) == 1 for p in node.paths)
        self._names: tuple[str, ...] | None = tuple(p.head for p in node.paths) if flat else None

    def apply(self, item: Item) -> Item:
        names = self._names
        if names is not None:
            return {name: item[name] for name in names if name in item}
        out: Item = {}
        for key, sub in self._trie.items():
            assert isinstance(key, str)
            value = item.get(key)
            if value is None:
                continue
            projected = value if sub is None else _project(value, sub)
            if projected is not None:
                out[key] = projected
        return out

    def __repr__(self) -> str:
        return f"Projection({self.node!r})"
