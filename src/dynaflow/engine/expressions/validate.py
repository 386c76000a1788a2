"""Semantic checks on resolved trees, with DynamoDB's wording.

What is checked, per kind:

- conditions and filters: the function allow-list (``size`` only as an operand, the boolean
  functions only as conditions), function arity, operand types of literal arguments
  (``begins_with`` on S/B, ``attribute_type`` with a known type name, ``size`` not on N/BOOL/NULL),
  operands that must be document paths, distinct operands (``a = a``), BETWEEN bounds of one type
  and in order, at most 100 IN operands, document-path depth;
- update expressions: one use per section, ``if_not_exists``/``list_append`` only, arithmetic and
  list operand types, ADD/DELETE operand types, overlapping and conflicting document paths;
- projections: overlapping and conflicting paths;
- key conditions: the shape DynamoDB accepts (one equality on the partition key, at most one of
  ``= < <= > >= BETWEEN begins_with`` on the sort key, joined by AND) and agreement with the key
  schema.

Only literal operands can be type-checked here; a document path's type is known only at
evaluation, where a mismatch makes a condition false (and an update fail, see :mod:`.evaluate`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final
from typing import Literal as TypingLiteral

from dynaflow.engine import errors, values
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
    Node,
    Not,
    Operand,
    Or,
    Path,
    ProjectionNode,
    UpdateNode,
)
from dynaflow.engine.expressions.parser import MAX_OPERATORS, TOO_MANY_OPERATORS
from dynaflow.engine.expressions.reserved import RESERVED_WORDS
from dynaflow.engine.expressions.resolve import Problems, Resolver

AttributeValue = dict[str, Any]
KeySchema = tuple[tuple[str, str], tuple[str, str] | None]
RangeOp = TypingLiteral["EQ", "LT", "LE", "GT", "GE", "BETWEEN", "BEGINS_WITH"]

#: DynamoDB's limit on document-path nesting.
MAX_PATH_DEPTH: Final = 32
MAX_IN_OPERANDS: Final = 100

CONDITION_FUNCTIONS: Final = {
    "attribute_exists": 1,
    "attribute_not_exists": 1,
    "attribute_type": 2,
    "begins_with": 2,
    "contains": 2,
    "size": 1,
}
UPDATE_FUNCTIONS: Final = {"if_not_exists": 2, "list_append": 2}
ATTRIBUTE_TYPES: Final = frozenset({"S", "N", "B", "NULL", "SS", "BOOL", "L", "BS", "NS", "M"})
_OPERATOR_TYPE_NAMES: Final = {
    "S": "STRING",
    "N": "NUMBER",
    "B": "BINARY",
    "NULL": "NULL",
    "BOOL": "BOOLEAN",
    "L": "LIST",
    "M": "MAP",
}
_MISUSED = "The function is not allowed to be used this way in an expression; function: "


def literal_type(operand: Operand) -> str | None:
    """The type tag of an operand whose type is known before evaluation."""
    if isinstance(operand, Literal):
        return next(iter(operand.value))
    if isinstance(operand, Arith):
        return "N"
    if isinstance(operand, Call):
        if operand.name == "size":
            return "N"
        if operand.name == "list_append":
            return "L"
    return None


def _wrong_type(name: str, type_: str) -> str:
    return f"Incorrect operand type for operator or function; operator or function: {name}, operand type: {type_}"


def _check_path(path: Path, problems: Problems) -> None:
    levels = len(path.elements)
    if levels > MAX_PATH_DEPTH:
        problems.add(
            "path_depth", f"The document path has too many nesting levels; nesting levels: {levels}"
        )


# ---------------------------------------------------------------- syntax: names and functions


def syntax_problem(node: Node) -> str | None:
    """The first reserved word, unknown function or misplaced function of an unresolved tree.

    DynamoDB reports these before any other problem of the expression, and the first one in reading
    order whatever its kind: ``data = :v AND foo(a)`` names the reserved word, ``foo(a) AND data =
    :v`` the function. They depend on the text alone. Misplaced functions: a condition function used
    as an operand, ``size`` used as a condition, an update function in a condition, a condition
    function in an update, and ``list_append`` anywhere in an update but as the whole value of a SET.
    """
    return next(_syntax(node), None)


def _syntax(node: Node) -> Iterator[str]:
    if isinstance(node, ProjectionNode):
        for path in node.paths:
            yield from _reserved(path)
    elif isinstance(node, UpdateNode):
        for action in node.actions:
            yield from _reserved(action.path)
            if action.value is not None:
                yield from _update_syntax(action.value, whole_value=True)
    else:
        yield from _condition_syntax(node)


def _reserved(path: Path) -> Iterator[str]:
    for element in path.elements:
        if isinstance(element, str) and element[0] != "#" and element.upper() in RESERVED_WORDS:
            yield f"Attribute name is a reserved keyword; reserved keyword: {element}"


def _condition_syntax(node: ConditionNode) -> Iterator[str]:
    if isinstance(node, And | Or):
        yield from _condition_syntax(node.left)
        yield from _condition_syntax(node.right)
    elif isinstance(node, Not):
        yield from _condition_syntax(node.operand)
    elif isinstance(node, Compare):
        yield from _operand_syntax(node.left)
        yield from _operand_syntax(node.right)
    elif isinstance(node, Between):
        for operand in (node.operand, node.low, node.high):
            yield from _operand_syntax(operand)
    elif isinstance(node, In):
        for operand in (node.operand, *node.choices):
            yield from _operand_syntax(operand)
    else:
        call = node.call
        if call.name == "size":
            yield _MISUSED + "size"
        yield from _condition_function(call.name)
        for arg in call.args:
            yield from _operand_syntax(arg)


def _condition_function(name: str) -> Iterator[str]:
    if name in UPDATE_FUNCTIONS:
        yield f"The function is not allowed in a condition expression; function: {name}"
    elif name not in CONDITION_FUNCTIONS:
        yield f"Invalid function name; function: {name}"


def _operand_syntax(operand: Operand) -> Iterator[str]:
    """An operand of a comparison, BETWEEN, IN or function: of the functions only ``size`` fits."""
    if isinstance(operand, Path):
        yield from _reserved(operand)
    elif isinstance(operand, Call):
        if operand.name != "size" and operand.name in CONDITION_FUNCTIONS:
            yield _MISUSED + operand.name
        yield from _condition_function(operand.name)
        for arg in operand.args:
            yield from _operand_syntax(arg)


def _update_syntax(operand: Operand, *, whole_value: bool) -> Iterator[str]:
    if isinstance(operand, Path):
        yield from _reserved(operand)
    elif isinstance(operand, Arith):
        yield from _update_syntax(operand.left, whole_value=False)
        yield from _update_syntax(operand.right, whole_value=False)
    elif isinstance(operand, Call):
        name = operand.name
        if name == "list_append" and not whole_value:
            yield _MISUSED + name
        elif name in CONDITION_FUNCTIONS:
            yield f"The function is not allowed in an update expression; function: {name}"
        elif name not in UPDATE_FUNCTIONS:
            yield f"Invalid function name; function: {name}"
        for arg in operand.args:
            yield from _update_syntax(arg, whole_value=False)


# ---------------------------------------------------------------- conditions


def validate_condition(node: ConditionNode, resolver: Resolver, problems: Problems, *,
                       redundant_parens: bool = False) -> ConditionNode:
    """Resolve a condition's names and values and check it, in one walk in reading order.

    One walk, because every problem a condition can have after its syntax is one class ranked by
    reading order (``resolve.py``): each node resolves its operands first (an undefined name or
    value, a path too deep), then checks itself (operand count, distinct operands, operand types).
    The walk also counts operators, an operation before its operands, and the 301st is a problem
    where it stands. Returns the resolved tree.
    """
    if redundant_parens:
        problems.add("parens", "The expression has redundant parentheses;")
    resolver.start(problems)
    return _ConditionWalk(resolver, problems).condition(node)


class _ConditionWalk:
    __slots__ = ("operators", "problems", "resolver")

    def __init__(self, resolver: Resolver, problems: Problems) -> None:
        self.resolver = resolver
        self.problems = problems
        self.operators = 0

    def count(self) -> None:
        self.operators += 1
        if self.operators == MAX_OPERATORS + 1:
            self.problems.add("operand_count", TOO_MANY_OPERATORS)

    def condition(self, node: ConditionNode) -> ConditionNode:
        problems = self.problems
        if isinstance(node, And | Or):
            self.count()
            first = self.condition(node.left)
            return type(node)(first, self.condition(node.right))
        if isinstance(node, Not):
            self.count()
            return Not(self.condition(node.operand))
        if isinstance(node, FunctionCondition):
            return FunctionCondition(self.call(node.call))
        self.count()
        if isinstance(node, Compare):
            left, right = self.operand(node.left), self.operand(node.right)
            _distinct(node.op, left, right, problems)
            if node.op not in ("=", "<>"):
                _comparable(node.op, (left, right), problems)
            return Compare(node.op, left, right)
        if isinstance(node, Between):
            operand, low, high = (self.operand(o) for o in (node.operand, node.low, node.high))
            _distinct("BETWEEN", operand, low, problems)
            _distinct("BETWEEN", operand, high, problems)
            if _comparable("BETWEEN", (operand, low, high), problems):
                _between_bounds(low, high, problems)
            return Between(operand, low, high)
        operand = self.operand(node.operand)
        choices = tuple(self.operand(c) for c in node.choices)
        for choice in choices:
            _distinct("IN", operand, choice, problems)
        if len(choices) > MAX_IN_OPERANDS:
            problems.add(
                "operand_count",
                f"The IN operator is provided with too many operands; number of operands: {len(choices)}",
            )
        return In(operand, choices)

    def operand(self, operand: Operand) -> Operand:
        if isinstance(operand, Call):
            return self.call(operand)
        resolved = self.resolver.operand(operand)
        if isinstance(resolved, Path):
            _check_path(resolved, self.problems)
        return resolved

    def call(self, call: Call) -> Call:
        name = call.name
        args = tuple(self.operand(a) for a in call.args)
        resolved = Call(name, args)
        arity = CONDITION_FUNCTIONS.get(name)
        if arity is not None:  # an unknown name is reported by syntax_problem
            _check_call(resolved, arity, self.problems)
        return resolved


def _comparable(name: str, operands: tuple[Operand, ...], problems: Problems) -> bool:
    """Ordering operators (``< <= > >=``, BETWEEN) take only strings, numbers and binaries."""
    for operand in operands:
        type_ = literal_type(operand)
        if type_ is not None and type_ not in ("S", "N", "B"):
            problems.add("operand_type", _wrong_type(name, type_))
            return False
    return True


def _check_call(call: Call, arity: int, problems: Problems) -> None:
    name, args = call.name, call.args
    if len(args) != arity:
        problems.add(
            "operand_count",
            "Incorrect number of operands for operator or function; "
            f"operator or function: {name}, number of operands: {len(args)}",
        )
        return
    if len(args) == 2:
        _distinct(name, args[0], args[1], problems)
    if name in ("attribute_exists", "attribute_not_exists") and not isinstance(args[0], Path):
        problems.add("operand_type", f"Operator or function requires a document path; operator or function: {name}")
        return
    if name == "begins_with":
        for arg in args:
            type_ = literal_type(arg)
            if type_ is not None and type_ not in ("S", "B"):
                problems.add("operand_type", _wrong_type(name, type_))
                return
    elif name == "attribute_type":
        type_ = literal_type(args[1])
        if type_ != "S":
            problems.add("operand_type", _wrong_type(name, type_ or "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}"))
            return
        assert isinstance(args[1], Literal)
        wanted = args[1].value["S"]
        if wanted not in ATTRIBUTE_TYPES:
            problems.add(
                "operand_type",
                f"Invalid attribute type name found; type: {wanted}, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}",
            )
    elif name == "size":
        type_ = literal_type(args[0])
        if type_ in ("N", "BOOL", "NULL"):
            problems.add("operand_type", _wrong_type(name, type_))


def _distinct(name: str, first: Operand, second: Operand, problems: Problems) -> None:
    if isinstance(first, Path) and isinstance(second, Path) and first.elements == second.elements:
        problems.add(
            "distinct",
            "The first operand must be distinct from the remaining operands for this operator or function; "
            f"operator: {name}, first operand: {first}",
        )


def _render(value: AttributeValue) -> str:
    ((tag, raw),) = value.items()
    return f"AttributeValue: {{{tag}:{raw}}}"


def _between_bounds(low: Operand, high: Operand, problems: Problems) -> None:
    if not (isinstance(low, Literal) and isinstance(high, Literal)):
        return
    detail = f"lower bound operand: {_render(low.value)}, upper bound operand: {_render(high.value)}"
    if next(iter(low.value)) != next(iter(high.value)):
        problems.add(
            "operand_type", f"The BETWEEN operator requires same data type for lower and upper bounds; {detail}"
        )
        return
    order = values.compare_scalars(low.value, high.value)
    if order is not None and order > 0:
        problems.add(
            "operand_type",
            f"The BETWEEN operator requires upper bound to be greater than or equal to lower bound; {detail}",
        )


# ---------------------------------------------------------------- update and projection


def _paths_clash(paths: list[Path], problems: Problems) -> None:
    for j, second in enumerate(paths):
        for first in paths[:j]:
            for a, b in zip(first.elements, second.elements, strict=False):
                if type(a) is not type(b):
                    problems.add(
                        "conflict",
                        "Two document paths conflict with each other; must remove or rewrite one of these "
                        f"paths; path one: {first}, path two: {second}",
                    )
                    break
                if a != b:
                    break
            else:
                problems.add(
                    "overlap",
                    "Two document paths overlap with each other; must remove or rewrite one of these paths; "
                    f"path one: {first}, path two: {second}",
                )


def validate_projection(node: ProjectionNode, problems: Problems) -> None:
    for path in node.paths:
        _check_path(path, problems)
    _paths_clash(list(node.paths), problems)


def validate_update(node: UpdateNode, problems: Problems, *, duplicate_section: str | None = None,
                    redundant_parens: bool = False) -> None:
    if redundant_parens:
        problems.add("parens", "The expression has redundant parentheses;")
    if duplicate_section is not None:
        problems.add("section", f'The "{duplicate_section}" section can only be used once in an update expression;')
    for action in node.actions:
        _check_path(action.path, problems)
        value = action.value
        if value is None:
            continue
        if action.kind == "SET":
            _update_value(value, problems)
            continue
        type_ = literal_type(value)
        if type_ in _OPERATOR_TYPE_NAMES and not (action.kind == "ADD" and type_ == "N"):
            problems.add(
                "operator_type",
                "Incorrect operand type for operator or function; "
                f"operator: {action.kind}, operand type: {_OPERATOR_TYPE_NAMES[type_]}, "
                f"typeSet: ALLOWED_FOR_{action.kind}_OPERAND",
            )
    _paths_clash([a.path for a in node.actions], problems)


def _update_value(value: Operand, problems: Problems) -> None:
    if isinstance(value, Arith):
        for side in (value.left, value.right):
            _update_value(side, problems)
            type_ = literal_type(side)
            if type_ is not None and type_ != "N":
                problems.add("operand_type", _wrong_type(value.op, type_))
    elif isinstance(value, Call):
        _update_call(value, problems)
    elif isinstance(value, Path):
        _check_path(value, problems)


def _update_call(call: Call, problems: Problems) -> None:
    name, args = call.name, call.args
    for arg in args:
        _update_value(arg, problems)
    arity = UPDATE_FUNCTIONS.get(name)
    if arity is None:  # reported by syntax_problem
        return
    if len(args) != arity:
        problems.add(
            "operand_count",
            "Incorrect number of operands for operator or function; "
            f"operator or function: {name}, number of operands: {len(args)}",
        )
        return
    if name == "if_not_exists":
        if not isinstance(args[0], Path):
            problems.add("operand_type", f"Operator or function requires a document path; operator or function: {name}")
    else:
        for arg in args:
            type_ = literal_type(arg)
            if type_ is not None and type_ != "L":
                problems.add("operand_type", _wrong_type(name, type_))
                return


# ---------------------------------------------------------------- key conditions

_FLIPPED: Final = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_RANGE_OPS: Final[dict[str, RangeOp]] = {"=": "EQ", "<": "LT", "<=": "LE", ">": "GT", ">=": "GE"}


def key_conditions(node: ConditionNode) -> dict[str, tuple[str, tuple[AttributeValue, ...]]]:
    """Flatten a validated KeyConditionExpression into ``{attribute: (legacy operator, values)}``."""
    found: dict[str, tuple[str, tuple[AttributeValue, ...]]] = {}
    _key_condition(node, found)
    return found


def _invalid(detail: str) -> errors.DynamoError:
    return errors.validation(detail)


def _key_condition(node: ConditionNode, found: dict[str, tuple[str, tuple[AttributeValue, ...]]]) -> None:
    if isinstance(node, And):
        _key_condition(node.left, found)
        _key_condition(node.right, found)
        return
    if isinstance(node, Or | Not | In):
        word = {Or: "OR", Not: "NOT", In: "IN"}[type(node)]
        raise _invalid(f"Invalid operator used in KeyConditionExpression: {word}")
    operands: tuple[Operand, ...]
    if isinstance(node, Compare):
        if node.op == "<>":
            raise _invalid("Invalid operator used in KeyConditionExpression: <>")
        operands = (node.left, node.right)
        op: str = node.op
    elif isinstance(node, Between):
        operands = (node.operand, node.low, node.high)
        op = "BETWEEN"
    else:
        assert isinstance(node, FunctionCondition)
        name = node.call.name
        if name != "begins_with":
            raise _invalid(f"Invalid operator used in KeyConditionExpression: {name}")
        operands = node.call.args
        op = "begins_with"
    if any(isinstance(o, Call | Arith) for o in operands):
        raise _invalid("KeyConditionExpressions cannot contain nested operations")
    if op in ("BETWEEN", "begins_with") and not isinstance(operands[0], Path):
        raise _invalid(
            f"Invalid condition in KeyConditionExpression: {op} operator must have the key attribute "
            "as its first operand"
        )
    paths = [(i, o) for i, o in enumerate(operands) if isinstance(o, Path)]
    if len(paths) > 1:
        raise _invalid("Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition")
    if not paths:
        raise _invalid("Invalid condition in KeyConditionExpression: No key attribute specified")
    index, path = paths[0]
    assert isinstance(path, Path)
    if len(path.elements) > 1:
        raise _invalid("KeyConditionExpressions cannot have conditions on nested attributes")
    name = path.head
    if name in found:
        raise _invalid("KeyConditionExpressions must only contain one condition per key")
    literals = tuple(o.value for o in operands if isinstance(o, Literal))
    if op == "BETWEEN":
        legacy = "BETWEEN"
    elif op == "begins_with":
        legacy = "BEGINS_WITH"
    else:
        legacy = _RANGE_OPS[_FLIPPED[op] if index else op]
    found[name] = (legacy, literals)
