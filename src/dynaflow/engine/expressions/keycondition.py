"""Key conditions of a Query, checked against the key schema of the table or index queried.

KeyConditionExpression and legacy KeyConditions both reduce to ``{attribute: (operator, values)}``
(see :func:`.validate.key_conditions` and :mod:`.legacy`); :func:`build_key_condition` applies
DynamoDB's rules to that form, so both inputs fail with the same words: one or two conditions, an
equality on the partition key, at most one range operator on the sort key, and values of the key's
declared type.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Final
from typing import Literal as TypingLiteral

from dynaflow.engine import errors, values

AttributeValue = dict[str, Any]
KeySchema = tuple[tuple[str, str], tuple[str, str] | None]
RangeOp = TypingLiteral["EQ", "LT", "LE", "GT", "GE", "BETWEEN", "BEGINS_WITH"]
KeyConditionMap = dict[str, tuple[str, tuple[AttributeValue, ...]]]

_RANGE_OPS: Final[frozenset[str]] = frozenset({"EQ", "LT", "LE", "GT", "GE", "BETWEEN", "BEGINS_WITH"})
_NOT_SUPPORTED: Final = "Query key condition not supported"
_NOT_INDEXABLE: Final = "Attempted conditional constraint is not an indexable operation"


@dataclass(frozen=True, slots=True)
class KeyCondition:
    """A Query's key condition: partition key equality plus an optional sort-key condition."""

    hash_name: str
    hash_value: AttributeValue
    range_name: str | None
    range_op: RangeOp | None
    range_values: tuple[AttributeValue, ...]

    def range_matches(self, value: AttributeValue | None) -> bool:
        """True when a sort-key value satisfies the sort-key condition (always, if there is none)."""
        op = self.range_op
        if op is None:
            return True
        if value is None:
            return False
        bound = self.range_values[0]
        if op == "BEGINS_WITH":
            if "S" in value and "S" in bound:
                return bool(value["S"].startswith(bound["S"]))
            if "B" in value and "B" in bound:
                return base64.b64decode(value["B"]).startswith(base64.b64decode(bound["B"]))
            return False
        order = values.compare_scalars(value, bound)
        if order is None:
            return False
        if op == "EQ":
            return order == 0
        if op == "LT":
            return order < 0
        if op == "LE":
            return order <= 0
        if op == "GT":
            return order > 0
        if op == "GE":
            return order >= 0
        upper = values.compare_scalars(value, self.range_values[1])
        return order >= 0 and upper is not None and upper <= 0


def build_key_condition(conditions: KeyConditionMap, key_schema: KeySchema | None, *,
                        legacy: bool = False, index_name: str | None = None) -> KeyCondition:
    """Check ``{attribute: (operator, values)}`` against the key schema and build the KeyCondition.

    ``legacy`` selects the KeyConditions wording for operators that cannot select a key range.
    Without a key schema the partition key is taken to be the attribute compared with EQ (the first
    one, if both are), which is enough for callers that check the schema themselves.
    """
    if len(conditions) not in (1, 2):
        raise errors.validation("Conditions can be of length 1 or 2 only")
    if key_schema is None:
        names = list(conditions)
        hash_name = next((n for n in names if conditions[n][0] == "EQ"), names[0])
        others = [n for n in names if n != hash_name]
        hash_type: str | None = None
        range_name: str | None = others[0] if others else None
        range_type: str | None = None
    else:
        (hash_name, hash_type), range_key = key_schema
        range_name, range_type = range_key if range_key is not None else (None, None)
        if hash_name not in conditions:
            raise errors.validation(f"Query condition missed key schema element: {hash_name}")
        for name in conditions:
            if name != hash_name and name != range_name:
                if range_name is not None and range_name not in conditions:
                    raise errors.validation(f"Query condition missed key schema element: {range_name}")
                raise errors.validation(_NOT_SUPPORTED)
    hash_op, hash_values = conditions[hash_name]
    if hash_op != "EQ":
        raise errors.validation(_NOT_SUPPORTED)
    _check_types(hash_values, hash_type)
    _check_not_empty(hash_values, hash_name, hash_type, index_name)
    if range_name is None or range_name not in conditions:
        return KeyCondition(hash_name, hash_values[0], None, None, ())
    range_op, range_values = conditions[range_name]
    if range_op not in _RANGE_OPS:
        raise errors.validation(_NOT_INDEXABLE if legacy else _NOT_SUPPORTED)
    _check_types(range_values, range_type)
    _check_not_empty(range_values, range_name, range_type, index_name)
    if range_op == "BEGINS_WITH" and range_type == "N":
        raise errors.validation(_NOT_SUPPORTED)
    return KeyCondition(hash_name, hash_values[0], range_name, range_op, range_values)  # type: ignore[arg-type]


def _check_not_empty(operands: tuple[AttributeValue, ...], name: str, key_type: str | None,
                     index_name: str | None) -> None:
    """A key value is never an empty string or binary, so no key condition may compare with one
    (begins_with and the range comparisons included, as DynamoDB rejects them). A Query of a
    secondary index names the index and its key, as DynamoDB words it."""
    if key_type not in ("S", "B"):
        return
    for value in operands:
        if not value[key_type]:
            empty = f"The AttributeValue for a key attribute cannot contain an empty " \
                    f"{'string' if key_type == 'S' else 'binary'} value."
            if index_name is not None:
                raise errors.validation("One or more parameter values are not valid. A value specified for a "
                                        f"secondary index key is not supported. {empty} IndexName: {index_name}, "
                                        f"IndexKey: {name}")
            raise errors.validation(f"One or more parameter values are not valid. {empty} Key: {name}")


def _check_types(operands: tuple[AttributeValue, ...], key_type: str | None) -> None:
    for value in operands:
        tag = next(iter(value))
        if (key_type is not None and tag != key_type) or tag not in ("S", "N", "B"):
            raise errors.invalid_parameters("Condition parameter type does not match schema type")
