"""Resolution: substitute ``#names`` and ``:values`` into a parsed tree and record which were used.

The parse cache holds trees keyed by expression text alone, so the same tree serves requests with
different ExpressionAttributeNames/Values; resolution is the per-request step that turns it into a
tree of real attribute names and :class:`~.ast.Literal` values.

Problems are not raised on sight: they go to a :class:`Problems` collector, because DynamoDB ranks
errors in classes, reporting the first error of the best-ranked class found in the expression:

1. syntax: reserved words, unknown functions and functions used where they are not allowed,
   whichever comes first in reading order (``validate.syntax_problem``, on the unresolved tree);
2. for conditions, every other problem (an undefined ``#name`` or ``:value``, an operand count or
   type, operands that must differ, a path too deep) is one class too, first in reading order: an
   undefined value early in a condition wins over a wrong operand type later, and the reverse;
3. for update expressions and projections, the remaining categories keep a fixed rank.

The request layer keeps the used-name and used-value sets across all expressions of a request and
rejects the unused ones at the end, as DynamoDB does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from dynaflow.engine import errors
from dynaflow.engine.expressions.ast import (
    Arith,
    Call,
    ExpressionKind,
    Literal,
    Operand,
    Path,
    PathElement,
    ProjectionNode,
    UpdateAction,
    UpdateNode,
    ValueRef,
)

#: Error categories in the order DynamoDB ranks them, per expression kind.
_CONDITION_ORDER: Final = ("parens", "syntax", "node")
_UPDATE_ORDER: Final = (
    "parens",
    "syntax",
    "section",
    "undefined_name",
    "undefined_value",
    "overlap",
    "conflict",
    "operator_type",
    "operand_count",
    "operand_type",
    "path_depth",
)
_PROJECTION_ORDER: Final = ("syntax", "undefined", "overlap", "conflict", "path_depth")
#: In conditions these categories are one class, ranked by reading order (see the module docstring).
_NODE_CATEGORIES: Final = frozenset({"undefined", "operand_count", "distinct", "operand_type", "path_depth"})


class Problems:
    """First problem per category; :meth:`raise_first` raises the best-ranked one for the kind."""

    __slots__ = ("found", "kind", "merge")

    def __init__(self, kind: ExpressionKind) -> None:
        self.kind = kind
        #: Whether the node categories share one class (conditions, filters and key conditions).
        self.merge = kind not in ("UpdateExpression", "ProjectionExpression")
        self.found: dict[str, str] = {}

    def add(self, category: str, message: str) -> None:
        if self.merge and category in _NODE_CATEGORIES:
            category = "node"
        self.found.setdefault(category, message)

    def raise_first(self) -> None:
        if not self.found:
            return
        order = (
            _UPDATE_ORDER
            if self.kind == "UpdateExpression"
            else _PROJECTION_ORDER
            if self.kind == "ProjectionExpression"
            else _CONDITION_ORDER
        )
        for category in order:
            message = self.found.get(category)
            if message is not None:
                raise errors.validation(f"Invalid {self.kind}: {message}")
        raise AssertionError(f"unranked problem categories: {sorted(self.found)}")


class Resolver:
    """Resolves the trees of one request against its names and values, tracking what was used."""

    __slots__ = ("name_category", "names", "problems", "used_names", "used_values", "value_category", "values")

    def __init__(self, names: Mapping[str, str] | None, values: Mapping[str, Any] | None) -> None:
        self.names: Mapping[str, str] = names or {}
        self.values: Mapping[str, Any] = values or {}
        self.used_names: set[str] = set()
        self.used_values: set[str] = set()
        self.problems = Problems("ConditionExpression")
        self.value_category = "undefined"
        self.name_category = "undefined"

    def start(self, problems: Problems) -> None:
        """Record the problems of the next expression in ``problems``."""
        self.problems = problems
        update = problems.kind == "UpdateExpression"
        self.value_category = "undefined_value" if update else "undefined"
        self.name_category = "undefined_name" if update else "undefined"

    def resolve(self, node: ProjectionNode | UpdateNode, problems: Problems) -> ProjectionNode | UpdateNode:
        """Resolve a projection or update expression. Conditions are resolved in the walk that
        validates them (``validate.validate_condition``), with :meth:`operand` and :meth:`path`."""
        self.start(problems)
        if isinstance(node, ProjectionNode):
            return ProjectionNode(tuple(self.path(p) for p in node.paths))
        return UpdateNode(tuple(self.action(a) for a in node.actions))

    # ------------------------------------------------------------ pieces

    def path(self, path: Path) -> Path:
        out: list[PathElement] = []
        changed = False
        for element in path.elements:
            if isinstance(element, str) and element[0] == "#":
                real = self.names.get(element)
                if real is None:
                    self.problems.add(
                        self.name_category,
                        "An expression attribute name used in the document path is not defined; "
                        f"attribute name: {element}",
                    )
                else:
                    self.used_names.add(element)
                    out.append(real)
                    changed = True
                    continue
            out.append(element)
        return Path(tuple(out)) if changed else path

    def operand(self, operand: Operand) -> Operand:
        if isinstance(operand, Path):
            return self.path(operand)
        if isinstance(operand, ValueRef):
            value = self.values.get(operand.name)
            if value is None:
                self.problems.add(
                    self.value_category,
                    f"An expression attribute value used in expression is not defined; attribute value: {operand.name}",
                )
                return operand
            self.used_values.add(operand.name)
            return Literal(value)
        if isinstance(operand, Call):
            return Call(operand.name, tuple(self.operand(a) for a in operand.args))
        if isinstance(operand, Arith):
            return Arith(operand.op, self.operand(operand.left), self.operand(operand.right))
        return operand

    def action(self, action: UpdateAction) -> UpdateAction:
        path = self.path(action.path)
        value = self.operand(action.value) if action.value is not None else None
        return UpdateAction(action.kind, path, value)
