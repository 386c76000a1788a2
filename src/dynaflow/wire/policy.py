"""Access policies per access key, in IAM's JSON shape, evaluated as IAM evaluates them.

A policy document is what IAM takes (``{"Version": "2012-10-17", "Statement": [...]}``); each
statement has ``Effect`` (``Allow``/``Deny``), ``Action`` or ``NotAction`` (``dynamodb:GetItem``,
``dynamodb:Get*``, ``*``; case-insensitive), ``Resource`` or ``NotResource`` (table, index and stream
ARNs with ``*``/``?`` wildcards) and an optional ``Condition``. Evaluation follows IAM: an explicit
``Deny`` wins, otherwise an ``Allow`` is needed, otherwise the request is implicitly denied.

Conditions: ``StringEquals``, ``StringNotEquals``, ``StringLike``, ``StringNotLike`` (and the
``IgnoreCase`` equality variants), each optionally qualified ``ForAllValues:``/``ForAnyValue:`` and
suffixed ``IfExists``, over the keys ``dynamodb:LeadingKeys``, ``dynamodb:Attributes``,
``dynamodb:Select``, ``dynamodb:ReturnValues`` and ``aws:username``. IAM's set semantics hold,
including the one that surprises people: ``ForAllValues`` over a key the request does not carry is
true (a ``Scan`` has no leading keys), so a policy that restricts keys should not allow ``Scan``.
An operator or a key this module does not know fails when the policy is loaded, never silently.

How requests become (action, resource, context) checks is :mod:`dynaflow.wire.authorize`'s job;
this module only evaluates.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

Decision = Literal["allow", "explicit_deny", "implicit_deny"]

KNOWN_KEYS: Final = frozenset(
    {"dynamodb:leadingkeys", "dynamodb:attributes", "dynamodb:select", "dynamodb:returnvalues", "aws:username"}
)
_OPERATORS: Final = frozenset(
    {"StringEquals", "StringNotEquals", "StringLike", "StringNotLike", "StringEqualsIgnoreCase",
     "StringNotEqualsIgnoreCase"}
)


class PolicyError(ValueError):
    """A policy document this module cannot evaluate faithfully."""


def _glob(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    regex = fnmatch.translate(pattern.replace("[", "[[]"))  # IAM has * and ? only
    return re.compile(regex, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _strings(value: Any, what: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise PolicyError(f"{what} must be a string or a list of strings")


@dataclass(frozen=True, slots=True)
class Condition:
    """One ``operator: {key: values}`` test."""

    operator: str
    qualifier: Literal["", "ForAllValues", "ForAnyValue"]
    if_exists: bool
    key: str
    values: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...] = ()

    def _match_one(self, value: str) -> bool:
        op = self.operator
        if op in ("StringEquals", "StringNotEquals"):
            return value in self.values
        if op in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
            lowered = value.lower()
            return any(lowered == v.lower() for v in self.values)
        return any(p.fullmatch(value) for p in self.patterns)

    def holds(self, context: Mapping[str, Sequence[str]]) -> bool:
        negated = "Not" in self.operator
        present = context.get(self.key)
        if present is None:
            if self.if_exists or self.qualifier == "ForAllValues":
                return True
            return negated and self.qualifier == ""
        if self.qualifier == "ForAllValues":
            return all(self._match_one(v) != negated for v in present)
        if self.qualifier == "ForAnyValue":
            return any(self._match_one(v) != negated for v in present)
        if negated:
            return not any(self._match_one(v) for v in present)
        return any(self._match_one(v) for v in present)


@dataclass(frozen=True, slots=True)
class Statement:
    effect: Literal["Allow", "Deny"]
    actions: tuple[re.Pattern[str], ...]
    not_actions: bool
    resources: tuple[re.Pattern[str], ...]
    not_resources: bool
    conditions: tuple[Condition, ...]

    def applies(self, action: str, resource: str, context: Mapping[str, Sequence[str]]) -> bool:
        if any(p.fullmatch(action) for p in self.actions) == self.not_actions:
            return False
        if any(p.fullmatch(resource) for p in self.resources) == self.not_resources:
            return False
        return all(c.holds(context) for c in self.conditions)


def _parse_conditions(block: Any) -> tuple[Condition, ...]:
    if block is None:
        return ()
    if not isinstance(block, dict):
        raise PolicyError("Condition must be an object")
    out = []
    for raw_op, tests in block.items():
        qualifier, _, op = str(raw_op).rpartition(":")
        if qualifier not in ("", "ForAllValues", "ForAnyValue"):
            raise PolicyError(f"unsupported condition qualifier {qualifier!r}")
        if_exists = op.endswith("IfExists")
        if if_exists:
            op = op[: -len("IfExists")]
        if op not in _OPERATORS:
            raise PolicyError(f"unsupported condition operator {raw_op!r}")
        if not isinstance(tests, dict):
            raise PolicyError(f"condition {raw_op!r} must map keys to values")
        for key, values in tests.items():
            lowered = str(key).lower()
            if lowered not in KNOWN_KEYS:
                raise PolicyError(f"unsupported condition key {key!r}")
            strings = tuple(_strings(values, f"condition {key!r}"))
            patterns = tuple(_glob(v, ignore_case=False) for v in strings) if "Like" in op else ()
            out.append(Condition(op, qualifier, if_exists, lowered, strings, patterns))  # type: ignore[arg-type]
    return tuple(out)


def _parse_statement(raw: Any) -> Statement:
    if not isinstance(raw, dict):
        raise PolicyError("each Statement must be an object")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError("Effect must be 'Allow' or 'Deny'")
    if ("Action" in raw) == ("NotAction" in raw):
        raise PolicyError("a statement needs exactly one of Action and NotAction")
    if ("Resource" in raw) == ("NotResource" in raw):
        raise PolicyError("a statement needs exactly one of Resource and NotResource")
    actions = _strings(raw.get("Action", raw.get("NotAction")), "Action")
    resources = _strings(raw.get("Resource", raw.get("NotResource")), "Resource")
    return Statement(
        effect,
        tuple(_glob(a, ignore_case=True) for a in actions),
        "NotAction" in raw,
        tuple(_glob(r, ignore_case=False) for r in resources),
        "NotResource" in raw,
        _parse_conditions(raw.get("Condition")),
    )


@dataclass(frozen=True, slots=True)
class Policy:
    """A parsed policy document (several documents for one key are concatenated)."""

    statements: tuple[Statement, ...]

    @classmethod
    def from_documents(cls, documents: Iterable[Mapping[str, Any]]) -> Policy:
        statements: list[Statement] = []
        for doc in documents:
            raw = doc.get("Statement")
            if isinstance(raw, dict):
                raw = [raw]
            if not isinstance(raw, list):
                raise PolicyError("a policy document needs a Statement list")
            statements.extend(_parse_statement(s) for s in raw)
        return cls(tuple(statements))

    @property
    def uses_leading_keys(self) -> bool:
        return any(c.key == "dynamodb:leadingkeys" for s in self.statements for c in s.conditions)

    def evaluate(self, action: str, resource: str, context: Mapping[str, Sequence[str]]) -> Decision:
        allowed = False
        for statement in self.statements:
            if statement.applies(action, resource, context):
                if statement.effect == "Deny":
                    return "explicit_deny"
                allowed = True
        return "allow" if allowed else "implicit_deny"


def denial_message(principal: str, action: str, resource: str, decision: Decision) -> str:
    """AWS's AccessDeniedException wording for an identity-based denial."""
    because = (
        "with an explicit deny in an identity-based policy"
        if decision == "explicit_deny"
        else f"because no identity-based policy allows the {action} action"
    )
    return f"User: {principal} is not authorized to perform: {action} on resource: {resource} {because}"
