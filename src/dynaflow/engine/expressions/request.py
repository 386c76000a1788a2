"""compile_expressions: every expression-related parameter of one request, checked and compiled.

This is the package's single entry point. Given a request (or one per-table block of BatchGetItem,
or one action of TransactWriteItems/TransactGetItems) and the DynamoDB operation name, it returns
:class:`RequestExpressions` with compiled objects, or raises the ValidationException DynamoDB
raises. DynamoDB's order of checks, which decides *which* error a request with several problems
gets, is:

1. expression and legacy parameters mixed ("Can not use both expression and non-expression
   parameters ..."); ExpressionAttributeNames/Values given without an expression that could use
   them;
2. legacy parameters (Expected, QueryFilter/ScanFilter, AttributesToGet, AttributeUpdates), then
   for Query the presence of KeyConditions or KeyConditionExpression;
3. ExpressionAttributeNames and ExpressionAttributeValues themselves (not empty, well-formed keys,
   valid values);
4. each expression in the order Update, Condition, KeyCondition, Filter, Projection: parse (cached),
   resolve, validate (:mod:`.parser`, :mod:`.resolve`, :mod:`.validate`);
5. names, then values, defined but not used by any expression;
6. the key condition against the key schema, and a Query filter against the key attributes.

A request with none of these parameters takes a fast path that costs one set-disjointness test; a
request that repeats an earlier one exactly (same texts, names and values) is answered from the
compiled-request cache (:mod:`.cache`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import orjson

from dynaflow.engine import errors, values
from dynaflow.engine.expressions import legacy
from dynaflow.engine.expressions.ast import (
    And,
    Arith,
    Between,
    Call,
    Compare,
    ConditionNode,
    ExpressionKind,
    In,
    Not,
    Operand,
    Or,
    Path,
    ProjectionNode,
    UpdateNode,
)
from dynaflow.engine.expressions.cache import _compiled, compiled_put, parsed
from dynaflow.engine.expressions.evaluate import Condition, Projection
from dynaflow.engine.expressions.keycondition import KeyCondition, KeySchema, build_key_condition
from dynaflow.engine.expressions.resolve import Problems, Resolver
from dynaflow.engine.expressions.update import Update
from dynaflow.engine.expressions.validate import (
    key_conditions,
    validate_condition,
    validate_projection,
    validate_update,
)


@dataclass(frozen=True, slots=True)
class RequestExpressions:
    """The compiled expression parameters of one request; None where the request has none."""

    condition: Condition | None
    filter: Condition | None
    projection: Projection | None
    update: Update | None
    key_condition: KeyCondition | None
    #: What the parameters add to a transaction's 4 MB payload: the UpdateExpression and
    #: ConditionExpression texts and the ExpressionAttributeValues' sizes. Kept with the compiled
    #: request so a cached one answers without walking the values again.
    payload_size: int = 0


@dataclass(frozen=True, slots=True)
class _Spec:
    expressions: tuple[str, ...]
    legacy: tuple[str, ...]
    legacy_keys: frozenset[str]


def _spec(expressions: tuple[str, ...], legacy: tuple[str, ...]) -> _Spec:
    return _Spec(expressions, legacy, frozenset(legacy))


_GET: Final = _spec(("ProjectionExpression",), ("AttributesToGet",))
_WRITE: Final = _spec(("ConditionExpression",), ("Expected", "ConditionalOperator"))
_TRANSACT_WRITE: Final = _spec(("ConditionExpression",), ())
_SPECS: Final = {
    "GetItem": _GET,
    "BatchGetItem": _GET,
    "Get": _spec(("ProjectionExpression",), ()),
    "PutItem": _WRITE,
    "DeleteItem": _WRITE,
    "UpdateItem": _spec(
        ("UpdateExpression", "ConditionExpression"), ("AttributeUpdates", "Expected", "ConditionalOperator")
    ),
    "Query": _spec(
        ("ProjectionExpression", "FilterExpression", "KeyConditionExpression"),
        ("AttributesToGet", "QueryFilter", "ConditionalOperator", "KeyConditions"),
    ),
    "Scan": _spec(
        ("ProjectionExpression", "FilterExpression"), ("AttributesToGet", "ScanFilter", "ConditionalOperator")
    ),
    "Put": _TRANSACT_WRITE,
    "Delete": _TRANSACT_WRITE,
    "ConditionCheck": _TRANSACT_WRITE,
    "Update": _spec(("UpdateExpression", "ConditionExpression"), ()),
}
_ALL_KEYS: Final = frozenset(
    {
        "ConditionExpression",
        "FilterExpression",
        "KeyConditionExpression",
        "ProjectionExpression",
        "UpdateExpression",
        "ExpressionAttributeNames",
        "ExpressionAttributeValues",
        "Expected",
        "ConditionalOperator",
        "QueryFilter",
        "ScanFilter",
        "KeyConditions",
        "AttributeUpdates",
        "AttributesToGet",
    }
)
#: The order in which DynamoDB parses a request's expressions (and so reports their errors).
_PARSE_ORDER: Final[tuple[ExpressionKind, ...]] = (
    "UpdateExpression",
    "ConditionExpression",
    "KeyConditionExpression",
    "FilterExpression",
    "ProjectionExpression",
)
_NAME_KEY: Final = re.compile(r"#[0-9A-Za-z_]+")
_VALUE_KEY: Final = re.compile(r":[0-9A-Za-z_]+")
_NO_EXPRESSIONS: Final = RequestExpressions(None, None, None, None, None)
_MISSING_KEY_CONDITION: Final = (
    "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."
)


def compile_expressions(
    request: Mapping[str, Any], *, operation: str, key_schema: KeySchema | None = None,
    index_name: str | None = None,
) -> RequestExpressions:
    """Validate and compile the expression-related parameters of ``request``.

    ``operation`` is the DynamoDB operation (GetItem, PutItem, UpdateItem, DeleteItem, Query, Scan,
    BatchGetItem) or transaction action (Put, Update, Delete, ConditionCheck, Get). ``key_schema`` is
    ``((hash_name, type), (range_name, type) | None)`` of the table or index a Query reads; it is
    needed to check key conditions and Query filters.
    """
    if _ALL_KEYS.isdisjoint(request):
        if operation == "Query":
            raise errors.validation(_MISSING_KEY_CONDITION)
        return _NO_EXPRESSIONS
    spec = _SPECS.get(operation)
    if spec is None:
        raise ValueError(f"unknown operation {operation!r}")
    key = _cache_key(request, operation, spec, key_schema, index_name)
    if key is not None:
        cached: RequestExpressions | None = _compiled.get(key)
        if cached is not None:
            return cached
    result = _compile(request, operation, spec, key_schema, index_name)
    if key is not None:
        compiled_put(key, result)
    return result


def _cache_key(
    request: Mapping[str, Any], operation: str, spec: _Spec, key_schema: KeySchema | None,
    index_name: str | None = None,
) -> tuple[Any, ...] | None:
    """A hashable key of everything the compiled request depends on; None if not worth caching."""
    if not spec.legacy_keys.isdisjoint(request):
        return None
    get = request.get
    names = get("ExpressionAttributeNames")
    raw_values = get("ExpressionAttributeValues")
    try:
        key = (
            operation,
            key_schema,
            index_name,
            *map(get, spec.expressions),
            tuple(names.items()) if names.__class__ is dict else names,
            orjson.dumps(raw_values) if raw_values is not None else None,
        )
        hash(key)
    except (TypeError, orjson.JSONEncodeError):
        return None
    return key


def _compile(
    request: Mapping[str, Any], operation: str, spec: _Spec, key_schema: KeySchema | None,
    index_name: str | None = None,
) -> RequestExpressions:
    texts = {k: request[k] for k in spec.expressions if request.get(k) is not None}
    names: Mapping[str, str] | None = request.get("ExpressionAttributeNames")
    raw_values: Mapping[str, Any] | None = request.get("ExpressionAttributeValues")
    _check_parameter_mix(request, operation, spec, texts, names, raw_values)

    # Legacy parameters.
    conditional_operator = request.get("ConditionalOperator")
    if conditional_operator is not None and not any(request.get(k) for k in ("Expected", "QueryFilter", "ScanFilter")):
        raise errors.validation("ConditionalOperator cannot be used without Filter or Expected")
    condition_node: ConditionNode | None = None
    filter_node: ConditionNode | None = None
    projection_node: ProjectionNode | None = None
    update_node: UpdateNode | None = None
    if request.get("Expected") is not None:
        condition_node = legacy.expected_node(request["Expected"], conditional_operator)
    legacy_filter = "QueryFilter" if operation == "Query" else "ScanFilter"
    if request.get(legacy_filter) is not None:
        filter_node = legacy.filter_node(request[legacy_filter], conditional_operator)
    if request.get("AttributesToGet") is not None:
        projection_node = legacy.projection_node(request["AttributesToGet"])
    if request.get("AttributeUpdates") is not None:
        update_node = legacy.update_node(request["AttributeUpdates"])
    if operation == "Query" and request.get("KeyConditions") is None and "KeyConditionExpression" not in texts:
        raise errors.validation(_MISSING_KEY_CONDITION)

    # Expressions.
    key_node: ConditionNode | None = None
    if texts:
        resolved = _compile_texts(texts, names, _checked_values(names, raw_values))
        condition_node = resolved.get("ConditionExpression", condition_node)
        filter_node = resolved.get("FilterExpression", filter_node)
        key_node = resolved.get("KeyConditionExpression")
        projection_node = resolved.get("ProjectionExpression", projection_node)
        update_node = resolved.get("UpdateExpression", update_node)

    key_condition: KeyCondition | None = None
    if operation == "Query":
        if key_node is not None:
            conditions = key_conditions(key_node)
        else:
            checked = legacy.filter_conditions(request["KeyConditions"])
            conditions = {name: (op, tuple(vs)) for name, (op, vs) in checked.items()}
        key_condition = build_key_condition(conditions, key_schema, legacy=key_node is None, index_name=index_name)
        if filter_node is not None and key_schema is not None:
            _check_filter_keys(filter_node, key_schema, "FilterExpression" in texts)

    return RequestExpressions(
        condition=Condition(condition_node) if condition_node is not None else None,
        filter=Condition(filter_node) if filter_node is not None else None,
        projection=Projection(projection_node) if projection_node is not None else None,
        update=(Update(update_node, legacy="AttributeUpdates" in request and "UpdateExpression" not in texts)
                if update_node is not None else None),
        key_condition=key_condition,
        payload_size=_payload_size(texts, raw_values),
    )


def _payload_size(texts: Mapping[str, Any], raw_values: Mapping[str, Any] | None) -> int:
    size = sum(len(texts[name].encode()) for name in ("ConditionExpression", "UpdateExpression")
               if texts.get(name))
    if raw_values:
        size += sum(values.value_size(v) for v in raw_values.values())
    return size


def _check_parameter_mix(
    request: Mapping[str, Any],
    operation: str,
    spec: _Spec,
    texts: Mapping[str, Any],
    names: object,
    raw_values: object,
) -> None:
    if texts:
        legacy_params = [k for k in spec.legacy if request.get(k) is not None]
        if operation == "Query" and "KeyConditionExpression" not in texts and "KeyConditions" in legacy_params:
            legacy_params.remove("KeyConditions")
        if legacy_params:
            raise errors.validation(
                "Can not use both expression and non-expression parameters in the same request: "
                f"Non-expression parameters: {{{', '.join(legacy_params)}}} "
                f"Expression parameters: {{{', '.join(texts)}}}"
            )
    if names is not None and not texts:
        raise errors.validation("ExpressionAttributeNames can only be specified when using expressions")
    value_expressions = [k for k in spec.expressions if k != "ProjectionExpression"]
    if value_expressions and raw_values is not None and not any(k in texts for k in value_expressions):
        verb = "are" if len(value_expressions) > 1 else "is"
        raise errors.validation(
            "ExpressionAttributeValues can only be specified when using expressions: "
            f"{' and '.join(value_expressions)} {verb} null"
        )


def _checked_values(names: Mapping[str, str] | None, raw: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if names is not None:
        if not names:
            raise errors.validation("ExpressionAttributeNames must not be empty")
        for key, name in names.items():
            if not _NAME_KEY.fullmatch(key):
                raise errors.validation(f'ExpressionAttributeNames contains invalid key: Syntax error; key: "{key}"')
            if name == "":
                raise errors.validation(
                    f"ExpressionAttributeNames contains invalid value: Empty attribute name for key {key}"
                )
            if len(name) > values.MAX_NAME_BYTES // 4 and len(name.encode()) > values.MAX_NAME_BYTES:
                raise errors.validation(f"ExpressionAttributeNames contains invalid value: {values.NAME_TOO_LARGE} "
                                        f"for key {key}")
    if raw is None:
        return None
    if not raw:
        raise errors.validation("ExpressionAttributeValues must not be empty")
    for key in raw:
        if not _VALUE_KEY.fullmatch(key):
            raise errors.validation(f'ExpressionAttributeValues contains invalid key: Syntax error; key: "{key}"')
    checked: dict[str, Any] = {}
    for key, value in raw.items():
        if values.too_deep(value):
            raise errors.validation(values.NESTING_MESSAGE)
        try:
            checked[key] = values.validate_value(value)
        except errors.DynamoError as exc:
            if exc.type != "ValidationException":
                raise
            reason = exc.message.removesuffix(".")  # "... contains duplicates for key :v", as DynamoDB words it
            raise errors.validation(
                f"ExpressionAttributeValues contains invalid value: {reason} for key {key}"
            ) from None
    return checked


def _compile_texts(
    texts: Mapping[str, Any], names: Mapping[str, str] | None, checked_values: Mapping[str, Any] | None
) -> dict[str, Any]:
    resolver = Resolver(names, checked_values)
    resolved: dict[str, Any] = {}
    for kind in _PARSE_ORDER:
        text = texts.get(kind)
        if text is None:
            continue
        result = parsed(kind, text)
        problems = Problems(kind)
        if result.syntax is not None:
            problems.add("syntax", result.syntax)
        node = result.node
        if isinstance(node, UpdateNode):
            update = resolver.resolve(node, problems)
            assert isinstance(update, UpdateNode)
            validate_update(update, problems, duplicate_section=result.duplicate_section,
                            redundant_parens=result.redundant_parens)
            node = update
        elif isinstance(node, ProjectionNode):
            projection = resolver.resolve(node, problems)
            assert isinstance(projection, ProjectionNode)
            validate_projection(projection, problems)
            node = projection
        else:
            node = validate_condition(node, resolver, problems, redundant_parens=result.redundant_parens)
        problems.raise_first()
        resolved[kind] = node
    if names:
        unused = [k for k in names if k not in resolver.used_names]
        if unused:
            raise errors.validation(
                f"Value provided in ExpressionAttributeNames unused in expressions: keys: {{{', '.join(unused)}}}"
            )
    if checked_values:
        unused = [k for k in checked_values if k not in resolver.used_values]
        if unused:
            raise errors.validation(
                f"Value provided in ExpressionAttributeValues unused in expressions: keys: {{{', '.join(unused)}}}"
            )
    return resolved


def _operand_heads(operand: Operand, out: list[str]) -> None:
    if isinstance(operand, Path):
        out.append(operand.head)
    elif isinstance(operand, Call):
        for arg in operand.args:
            _operand_heads(arg, out)
    elif isinstance(operand, Arith):
        _operand_heads(operand.left, out)
        _operand_heads(operand.right, out)


def _condition_heads(node: ConditionNode, out: list[str]) -> None:
    """Top-level attribute names a condition reads, in reading order."""
    if isinstance(node, And | Or):
        _condition_heads(node.left, out)
        _condition_heads(node.right, out)
    elif isinstance(node, Not):
        _condition_heads(node.operand, out)
    elif isinstance(node, Compare):
        _operand_heads(node.left, out)
        _operand_heads(node.right, out)
    elif isinstance(node, Between):
        for operand in (node.operand, node.low, node.high):
            _operand_heads(operand, out)
    elif isinstance(node, In):
        for operand in (node.operand, *node.choices):
            _operand_heads(operand, out)
    else:
        _operand_heads(node.call, out)


def _check_filter_keys(node: ConditionNode, key_schema: KeySchema, expression: bool) -> None:
    (hash_name, _), range_key = key_schema
    keys = {hash_name} | ({range_key[0]} if range_key is not None else set())
    heads: list[str] = []
    _condition_heads(node, heads)
    for head in heads:
        if head in keys:
            if expression:
                raise errors.validation(
                    f"Filter Expression can only contain non-primary key attributes: Primary key attribute: {head}"
                )
            raise errors.validation(
                f"QueryFilter can only contain non-primary key attributes: Primary key attribute: {head}"
            )
