"""The vocabulary input shapes are written in.

A shape says what JSON type a member must have (checked first, for the whole request, and reported as
``SerializationException``) and which constraints its value must meet (checked second, collected in
DynamoDB's member order, reported as one ``ValidationException``: "N validation errors detected").

The vocabulary mirrors the Smithy/Coral model DynamoDB is generated from:

- scalars: :class:`String` (length, pattern), :class:`Enum`, :class:`Integer` and :class:`Long`
  (value range), :class:`Boolean`, :class:`Blob` (base64 text), :class:`Timestamp`;
- collections: :class:`List` (length) and :class:`Map` (length, key constraints);
- :class:`Struct` with :class:`Member` entries, declared in the order DynamoDB reports their
  constraint violations (which is *not* always the order of botocore's model);
- :data:`ATTRIBUTE_VALUE`, the recursive ``{"S": ...}`` union. Only its JSON types are checked here;
  what makes a value meaningful (exactly one type set, number syntax, empty sets) is checked by
  ``engine.values``.

Shapes are frozen values; ``engine.shape_check`` compiles each operation's shape once into checker
closures. Nothing here runs per request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, TypeAlias

#: Package the service's structure names live in; DynamoDB names it in some serialization messages.
MODEL_PACKAGE: Final = "com.amazonaws.dynamodb.v20120810"


@dataclass(frozen=True, slots=True)
class String:
    """A JSON string. ``min``/``max`` count UTF-16 code units, as Java's ``String.length()`` does.

    ``arn_max``: a value starting with ``arn:`` is a table ARN, which DynamoDB accepts wherever a
    table name goes; it is held only to ``1..arn_max`` characters here (the ARN itself is parsed later).
    """

    min: int | None = None
    max: int | None = None
    pattern: str | None = None
    arn_max: int | None = None


@dataclass(frozen=True, slots=True)
class Enum:
    """A JSON string from a fixed set, listed in the order DynamoDB prints it in its message."""

    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Integer:
    """A JSON number read into a Java ``Integer``."""

    min: int | None = None
    max: int | None = None


@dataclass(frozen=True, slots=True)
class Long:
    """A JSON number read into a Java ``Long``."""

    min: int | None = None
    max: int | None = None


@dataclass(frozen=True, slots=True)
class Boolean:
    """A JSON ``true``/``false``."""


@dataclass(frozen=True, slots=True)
class Blob:
    """Binary data, sent as a base64 JSON string."""


@dataclass(frozen=True, slots=True)
class Timestamp:
    """A point in time, sent as epoch seconds (a JSON number)."""


@dataclass(frozen=True, slots=True)
class AttributeValueShape:
    """The AttributeValue union: S, N (strings), B (blob), SS/NS/BS (lists of those), M (map of
    AttributeValue), L (list of AttributeValue), NULL and BOOL (booleans)."""


@dataclass(frozen=True, slots=True)
class List:
    of: Shape
    min: int | None = None
    max: int | None = None


@dataclass(frozen=True, slots=True)
class Map:
    """A JSON object with free keys. ``key`` constraints are reported once for the whole map.

    ``item``: the map is an item that the operation will store (PutItem's ``Item``, a batch or
    transaction put's ``Item``). Its type check first tries ``engine.values.prove_item``, which
    proves a valid item in the same walk that sizes it, so the operation does not walk it again.
    """

    value: Shape
    key: String = field(default_factory=String)
    min: int | None = None
    max: int | None = None
    item: bool = False


@dataclass(frozen=True, slots=True)
class Member:
    """A structure member: its wire name (``TableName``), shape and whether it must be present."""

    name: str
    shape: Shape
    required: bool = False


@dataclass(frozen=True, slots=True)
class Struct:
    """A structure; ``name`` is the model's name (used in Java class names in messages)."""

    name: str
    members: tuple[Member, ...]


Shape: TypeAlias = (
    String | Enum | Integer | Long | Boolean | Blob | Timestamp | AttributeValueShape | List | Map | Struct
)

#: The single AttributeValue shape (it refers to itself through M and L, so it is not a Struct).
ATTRIBUTE_VALUE: Final = AttributeValueShape()


def struct(name: str, *members: Member) -> Struct:
    """``Struct(name, members)`` with the members as varargs, for readable shape tables."""
    return Struct(name, members)


def required(name: str, shape: Shape) -> Member:
    return Member(name, shape, required=True)


def optional(name: str, shape: Shape) -> Member:
    return Member(name, shape)
