"""Typed syntax trees for DynamoDB expressions, separate from the parser that builds them.

One node set covers all five expression kinds. The parser produces *unresolved* trees: a path
element written ``#n`` is kept as the string ``"#n"`` and a value written ``:v`` is a
:class:`ValueRef`. Literal attribute names can never start with ``#`` in expression text, so the two
cannot be confused before resolution. :mod:`.resolve` then returns a *resolved* tree of the same node
types in which every path element is a real attribute name (which may itself contain ``#``) and
every value is a :class:`Literal`. Legacy parameters (Expected, AttributeUpdates, KeyConditions ...)
build resolved trees directly, so everything after resolution has one shape to handle.

Nodes are frozen, slotted dataclasses: unresolved trees are shared through the parse cache, and
resolved trees are shared by every evaluation of a request, so nothing may mutate them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from typing import Literal as TypingLiteral

AttributeValue = dict[str, Any]
PathElement = str | int

Comparator = TypingLiteral["=", "<>", "<", "<=", ">", ">="]
UpdateKind = TypingLiteral["SET", "REMOVE", "ADD", "DELETE"]
ExpressionKind = TypingLiteral[
    "ConditionExpression", "FilterExpression", "KeyConditionExpression", "ProjectionExpression", "UpdateExpression"
]


# ---------------------------------------------------------------- operands


@dataclass(frozen=True, slots=True)
class Path:
    """A document path: attribute names and list indexes, e.g. ``a.b[2].c`` -> ("a", "b", 2, "c")."""

    elements: tuple[PathElement, ...]

    @property
    def head(self) -> str:
        head = self.elements[0]
        assert isinstance(head, str)
        return head

    def __str__(self) -> str:
        """DynamoDB's rendering in error messages: ``[a, b, [2], c]``."""
        return "[" + ", ".join(f"[{e}]" if isinstance(e, int) else e for e in self.elements) + "]"


@dataclass(frozen=True, slots=True)
class ValueRef:
    """An unresolved ``:name`` reference into ExpressionAttributeValues."""

    name: str


@dataclass(frozen=True, slots=True)
class Literal:
    """A constant value (a resolved ``:name``, or a value from a legacy parameter)."""

    value: AttributeValue


@dataclass(frozen=True, slots=True)
class Call:
    """A function call: ``size(a)``, ``if_not_exists(a, :v)``, ``begins_with(a, :p)`` ..."""

    name: str
    args: tuple[Operand, ...]


@dataclass(frozen=True, slots=True)
class Arith:
    """``x + y`` or ``x - y`` on the right-hand side of SET."""

    op: TypingLiteral["+", "-"]
    left: Operand
    right: Operand


Operand = Path | ValueRef | Literal | Call | Arith


# ---------------------------------------------------------------- conditions


@dataclass(frozen=True, slots=True)
class Compare:
    op: Comparator
    left: Operand
    right: Operand


@dataclass(frozen=True, slots=True)
class Between:
    operand: Operand
    low: Operand
    high: Operand


@dataclass(frozen=True, slots=True)
class In:
    operand: Operand
    choices: tuple[Operand, ...]


@dataclass(frozen=True, slots=True)
class And:
    left: ConditionNode
    right: ConditionNode


@dataclass(frozen=True, slots=True)
class Or:
    left: ConditionNode
    right: ConditionNode


@dataclass(frozen=True, slots=True)
class Not:
    operand: ConditionNode


@dataclass(frozen=True, slots=True)
class FunctionCondition:
    """A function used as a condition: ``attribute_exists(a)``, ``contains(a, :v)`` ..."""

    call: Call


ConditionNode = Compare | Between | In | And | Or | Not | FunctionCondition


# ---------------------------------------------------------------- projection and update


@dataclass(frozen=True, slots=True)
class ProjectionNode:
    paths: tuple[Path, ...]


@dataclass(frozen=True, slots=True)
class UpdateAction:
    """One action of an update expression; ``value`` is None only for REMOVE."""

    kind: UpdateKind
    path: Path
    value: Operand | None


@dataclass(frozen=True, slots=True)
class UpdateNode:
    actions: tuple[UpdateAction, ...]


Node = ConditionNode | ProjectionNode | UpdateNode
