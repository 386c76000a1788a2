"""Legacy conditional parameters converted into the expression trees.

DynamoDB still accepts the pre-expression parameters: ``Expected`` (+ ``ConditionalOperator``),
``QueryFilter``/``ScanFilter``, ``KeyConditions``, ``AttributeUpdates`` and ``AttributesToGet``.
Rather than a second evaluator, each is validated with DynamoDB's legacy messages and then built
into the same resolved AST the expression parser produces, so evaluation has one implementation:

- ``{"a": {"ComparisonOperator": "EQ", "AttributeValueList": [v]}}`` -> ``a = v``;
  NE/LT/LE/GT/GE likewise, NULL -> ``attribute_not_exists(a)``, NOT_NULL -> ``attribute_exists(a)``,
  CONTAINS -> ``contains(a, v)``, NOT_CONTAINS -> ``attribute_exists(a) AND NOT contains(a, v)``,
  BEGINS_WITH, IN and BETWEEN as themselves;
- ``Expected`` ``{"Value": v}`` -> ``a = v``, ``{"Exists": false}`` -> ``attribute_not_exists(a)``;
- ``AttributeUpdates`` PUT -> SET, DELETE without a value -> REMOVE, DELETE with a set -> DELETE,
  ADD of a number or set -> ADD, ADD of a list -> ``SET a = list_append(if_not_exists(a, []), v)``;
- ``AttributesToGet`` -> a projection of top-level names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from dynaflow.engine import errors, values
from dynaflow.engine.expressions.ast import (
    And,
    Between,
    Call,
    Compare,
    ConditionNode,
    FunctionCondition,
    In,
    Literal,
    Not,
    Or,
    Path,
    ProjectionNode,
    UpdateAction,
    UpdateNode,
)

AttributeValue = dict[str, Any]

#: Number of values each ComparisonOperator takes (IN: one or more).
_ARITY: Final = {
    "EQ": 1,
    "NE": 1,
    "LE": 1,
    "LT": 1,
    "GE": 1,
    "GT": 1,
    "CONTAINS": 1,
    "NOT_CONTAINS": 1,
    "BEGINS_WITH": 1,
    "NULL": 0,
    "NOT_NULL": 0,
    "IN": -1,
    "BETWEEN": 2,
}
_TYPES: Final = {
    # The documentation lists scalars and sets; DynamoDB also takes lists, maps, booleans and nulls.
    "EQ": ("S", "N", "B", "SS", "NS", "BS", "L", "M", "BOOL", "NULL"),
    "NE": ("S", "N", "B", "SS", "NS", "BS", "L", "M", "BOOL", "NULL"),
    "LE": ("S", "N", "B"),
    "LT": ("S", "N", "B"),
    "GE": ("S", "N", "B"),
    "GT": ("S", "N", "B"),
    "CONTAINS": ("S", "N", "B"),
    "NOT_CONTAINS": ("S", "N", "B"),
    "BEGINS_WITH": ("S", "B"),
    "IN": ("S", "N", "B"),
    "BETWEEN": ("S", "N", "B"),
}
_COMPARATORS: Final = {"EQ": "=", "NE": "<>", "LT": "<", "LE": "<=", "GT": ">", "GE": ">="}


def _invalid(detail: str) -> errors.DynamoError:
    return errors.invalid_parameters(detail)


def _check_values(operator: str, operands: list[AttributeValue]) -> None:
    """Arity, same-type, per-operator type and BETWEEN order checks on one legacy condition."""
    arity = _ARITY.get(operator)
    if arity is None or (len(operands) != arity if arity >= 0 else not operands):
        raise _invalid(f"Invalid number of argument(s) for the {operator} ComparisonOperator")
    if not operands:
        return
    first = next(iter(operands[0]))
    if any(next(iter(v)) != first for v in operands):
        raise _invalid("AttributeValues inside AttributeValueList must be of same type")
    allowed = _TYPES.get(operator, ())
    for value in operands:
        tag = next(iter(value))
        if tag not in allowed:
            raise _invalid(f"ComparisonOperator {operator} is not valid for {tag} AttributeValue type")
    if operator == "BETWEEN":
        order = values.compare_scalars(operands[0], operands[1])
        if order is not None and order > 0:
            raise errors.validation(
                "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"
            )


def _node(name: str, operator: str, operands: list[AttributeValue]) -> ConditionNode:
    path = Path((name,))
    literals = [Literal(v) for v in operands]
    comparator = _COMPARATORS.get(operator)
    if comparator is not None:
        return Compare(comparator, path, literals[0])  # type: ignore[arg-type]
    if operator == "NULL":
        return FunctionCondition(Call("attribute_not_exists", (path,)))
    if operator == "NOT_NULL":
        return FunctionCondition(Call("attribute_exists", (path,)))
    if operator == "CONTAINS":
        return FunctionCondition(Call("contains", (path, literals[0])))
    if operator == "NOT_CONTAINS":  # false for a missing attribute, like CONTAINS
        return And(FunctionCondition(Call("attribute_exists", (path,))),
                   Not(FunctionCondition(Call("contains", (path, literals[0])))))
    if operator == "BEGINS_WITH":
        return FunctionCondition(Call("begins_with", (path, literals[0])))
    if operator == "IN":
        return In(path, tuple(literals))
    assert operator == "BETWEEN"
    return Between(path, literals[0], literals[1])


def _combine(nodes: list[ConditionNode], conditional_operator: str | None) -> ConditionNode | None:
    if not nodes:
        return None
    result = nodes[0]
    for node in nodes[1:]:
        result = Or(result, node) if conditional_operator == "OR" else And(result, node)
    return result


def _value_list(raw: object) -> list[AttributeValue]:
    if not isinstance(raw, list):
        return []
    return [values.validate_value(v) for v in raw]


def filter_conditions(filters: Mapping[str, Any]) -> dict[str, tuple[str, list[AttributeValue]]]:
    """Validate QueryFilter/ScanFilter/KeyConditions: ``{name: (operator, values)}``."""
    out: dict[str, tuple[str, list[AttributeValue]]] = {}
    for name, condition in filters.items():
        operator = condition.get("ComparisonOperator")
        operands = _value_list(condition.get("AttributeValueList"))
        _check_values(str(operator), operands)
        out[name] = (str(operator), operands)
    return out


def filter_node(filters: Mapping[str, Any], conditional_operator: str | None) -> ConditionNode | None:
    checked = filter_conditions(filters)
    return _combine([_node(n, op, vs) for n, (op, vs) in checked.items()], conditional_operator)


def expected_node(expected: Mapping[str, Any], conditional_operator: str | None) -> ConditionNode | None:
    """Validate and convert ``Expected`` with DynamoDB's legacy messages."""
    nodes: list[ConditionNode] = []
    for name, condition in expected.items():
        has_list = "AttributeValueList" in condition
        has_value = condition.get("Value") is not None
        if has_list and has_value:
            raise _invalid(f"Value and AttributeValueList cannot be used together for Attribute: {name}")
        operator = condition.get("ComparisonOperator")
        if operator is not None:
            if "Exists" in condition:
                raise _invalid(f"Exists and ComparisonOperator cannot be used together for Attribute: {name}")
            if operator not in ("NULL", "NOT_NULL") and not has_list and not has_value:
                raise _invalid(
                    f"Value or AttributeValueList must be used with ComparisonOperator: {operator} "
                    f"for Attribute: {name}"
                )
            operands = (
                _value_list(condition.get("AttributeValueList"))
                if has_list
                else [values.validate_value(condition["Value"])]
                if has_value
                else []
            )
            _check_values(str(operator), operands)
            nodes.append(_node(name, str(operator), operands))
            continue
        if has_list:
            raise _invalid(f"AttributeValueList can only be used with a ComparisonOperator for Attribute: {name}")
        exists = condition.get("Exists")
        if exists is None or exists:
            if not has_value:
                shown = "null" if exists is None else "true"
                raise _invalid(f"Value must be provided when Exists is {shown} for Attribute: {name}")
            nodes.append(Compare("=", Path((name,)), Literal(values.validate_value(condition["Value"]))))
        else:
            if has_value:
                raise _invalid(f"Value cannot be used when Exists is false for Attribute: {name}")
            nodes.append(FunctionCondition(Call("attribute_not_exists", (Path((name,)),))))
    return _combine(nodes, conditional_operator)


def _check_name(name: str) -> None:
    if len(name) > values.MAX_NAME_BYTES // 4 and len(name.encode()) > values.MAX_NAME_BYTES:
        raise _invalid(values.NAME_TOO_LARGE)


def projection_node(names: Sequence[str]) -> ProjectionNode:
    seen: set[str] = set()
    for name in names:
        _check_name(name)
        if name in seen:
            raise _invalid(f"Duplicate value in attribute name: {name}")
        seen.add(name)
    return ProjectionNode(tuple(Path((name,)) for name in names))


def update_node(updates: Mapping[str, Any]) -> UpdateNode:
    """Validate and convert ``AttributeUpdates``."""
    actions: list[UpdateAction] = []
    for name, update in updates.items():
        _check_name(name)
        action = update.get("Action") or "PUT"
        raw = update.get("Value")
        path = Path((name,))
        if raw is None:
            if action != "DELETE":
                raise _invalid("Only DELETE action is allowed when no attribute value is specified")
            actions.append(UpdateAction("REMOVE", path, None))
            continue
        value = values.validate_value(raw)
        tag = next(iter(value))
        if action == "PUT":
            actions.append(UpdateAction("SET", path, Literal(value)))
        elif action == "ADD":
            if tag == "L":
                appended = Call("list_append", (Call("if_not_exists", (path, Literal({"L": []}))), Literal(value)))
                actions.append(UpdateAction("SET", path, appended))
            elif tag in ("N", "SS", "NS", "BS"):
                actions.append(UpdateAction("ADD", path, Literal(value)))
            else:
                raise _invalid(f"ADD action is not supported for the type {_JAVA_TYPES.get(tag, tag)}")
        else:
            if tag not in ("SS", "NS", "BS"):
                raise _invalid(f"DELETE action with value is not supported for the type {_JAVA_TYPES.get(tag, tag)}")
            actions.append(UpdateAction("DELETE", path, Literal(value)))
    return UpdateNode(tuple(actions))


#: How DynamoDB names attribute types in AttributeUpdates errors.
_JAVA_TYPES: Final = {"S": "STRING", "B": "BINARY", "BOOL": "BOOLEAN", "NULL": "NULL", "M": "MAP", "L": "LIST"}
