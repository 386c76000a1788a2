"""Write rules: how records of Kafka topics become items of one table.

A rule is declared in YAML (``dynaflow onboard rule.yaml``) and validated by :class:`WriteRule`::

    name: orders
    topics: [orders]
    table: orders
    format: json                      # json | dynamodb-json
    partition_key: {attribute: pk, type: S, from: "{tenant}#{customer.id}"}
    sort_key:      {attribute: sk, type: N, from: order_id}
    ttl:           {attribute: expires_at, after: 30d, from: event_time, field: ts, unit: ms}
    rename:        {customer_name: name}
    drop:          [internal]
    deletes:       tombstone          # a record without value deletes the item; or: ignore
    billing:       {mode: PAY_PER_REQUEST}
    stream:        {enabled: true, view_type: NEW_AND_OLD_IMAGES}
    version_attribute: _offset

Key sources (``from``) are a field path into the record (``customer.id``), a template whose
``{placeholders}`` are field paths (``"{tenant}#{id}"``, always a string), or ``$key``: the
Kafka record key as text. Tombstones have no value, so their key is read from the Kafka key:
``$key`` directly, or the same paths applied to the key parsed as a JSON object. Field paths
refer to the record as produced, before ``rename`` and ``drop`` (which act on top-level fields).

:meth:`WriteRule.compile` gives a :class:`CompiledRule` whose ``apply(record)`` returns a
:class:`~dynaflow.pipelines.model.Put` or :class:`~dynaflow.pipelines.model.Delete` (or None for an
ignored delete), or raises :class:`RecordError` (terminal: the record is dead-lettered).
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from collections.abc import Callable
from datetime import datetime
from decimal import Context, Decimal, InvalidOperation
from typing import Any, Literal

import orjson
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dynaflow.pipelines.model import Delete, Item, Put, Record
from dynaflow.pipelines.retry import Terminal

__all__ = ["CompiledRule", "RecordError", "RuleError", "WriteRule", "load_rule", "parse_duration"]

_NUMBER_CONTEXT = Context(prec=38)
_TEMPLATE = re.compile(r"\{([^{}]*)\}")
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_TABLE_NAME = re.compile(r"^[a-zA-Z0-9_.-]{3,255}$")


class RuleError(ValueError):
    """A write rule is invalid; the message lists every mistake found."""


class RecordError(Terminal, Exception):
    """A record cannot be turned into an item (malformed value, missing or mistyped key field)."""

    def __init__(self, type: str, message: str) -> None:
        super().__init__(f"{type}: {message}")
        self.type = type
        self.message = message


def parse_duration(value: str | int) -> int:
    """``"30d"``, ``"12h"``, ``"90m"``, ``"45s"`` or a number of seconds -> seconds."""
    if isinstance(value, int):
        if value < 0:
            raise ValueError("must not be negative")
        return value
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a duration: use a number with s, m, h, d or w (e.g. 30d)")
    return int(match.group(1)) * _UNITS[match.group(2)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, use_attribute_docstrings=True)


class KeyMapping(_Strict):
    """How one key attribute is taken from the record."""

    attribute: str = Field(min_length=1, max_length=255)
    """Name of the key attribute in the table."""
    type: Literal["S", "N", "B"] = "S"
    """Attribute type: S string, N number, B binary (base64 text in JSON records)."""
    source: str = Field(alias="from", min_length=1)
    """A field path (``a.b``), a template (``"{tenant}#{id}"``) or ``$key`` (the Kafka key)."""

    @model_validator(mode="after")
    def _template_is_text(self) -> KeyMapping:
        if "{" in self.source or "}" in self.source:
            fields = _TEMPLATE.findall(self.source)
            if not fields or any(not f.strip() for f in fields) or "{" in _TEMPLATE.sub("", self.source) \
                    or "}" in _TEMPLATE.sub("", self.source):
                raise ValueError(f"template {self.source!r} is malformed: use {{field.path}} placeholders")
            if self.type != "S":
                raise ValueError(f"a template key builds a string: type must be S, not {self.type}")
        return self


class TtlRule(_Strict):
    """Record TTL: when the item expires, written to the table's TTL attribute (epoch seconds)."""

    attribute: str = Field(default="expires_at", min_length=1, max_length=255)
    """The table's TTL attribute."""
    after: int
    """How long after the base time the item expires (``30d``, ``12h``, seconds)."""
    base: Literal["event_time", "ingest_time"] = Field(default="ingest_time", alias="from")
    """event_time: a field of the record; ingest_time: when dynaflow ingests it."""
    field: str | None = None
    """Field path of the event time (required with ``from: event_time``)."""
    unit: Literal["s", "ms", "iso8601"] = "s"
    """How the event-time field is written: epoch seconds, epoch milliseconds or ISO-8601 text."""

    @field_validator("after", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> int:
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise ValueError("must be a duration such as 30d, 12h or a number of seconds")
        return parse_duration(value)

    @model_validator(mode="after")
    def _field_for_event_time(self) -> TtlRule:
        if self.base == "event_time" and not self.field:
            raise ValueError("from: event_time needs field: the path of the event-time field")
        if self.base == "ingest_time" and self.field:
            raise ValueError("field is only used with from: event_time")
        return self


class Billing(_Strict):
    """Billing mode of a table created by onboarding."""

    mode: Literal["PAY_PER_REQUEST", "PROVISIONED"] = "PAY_PER_REQUEST"
    """On-demand or provisioned capacity."""
    read_capacity: int | None = Field(default=None, ge=1)
    """Provisioned read capacity units (PROVISIONED only)."""
    write_capacity: int | None = Field(default=None, ge=1)
    """Provisioned write capacity units (PROVISIONED only)."""

    @model_validator(mode="after")
    def _capacity(self) -> Billing:
        given = self.read_capacity is not None or self.write_capacity is not None
        if self.mode == "PROVISIONED" and (self.read_capacity is None or self.write_capacity is None):
            raise ValueError("PROVISIONED needs read_capacity and write_capacity")
        if self.mode == "PAY_PER_REQUEST" and given:
            raise ValueError("read_capacity/write_capacity apply to PROVISIONED only")
        return self


class Stream(_Strict):
    """The table's change stream, on by default."""

    enabled: bool = True
    """Turn the stream on when the table is created."""
    view_type: Literal["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"] = "NEW_AND_OLD_IMAGES"
    """What each stream record carries."""


class WriteRule(_Strict):
    """A declarative write rule (see the module docstring for the YAML form)."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,99}$")
    """Rule name: lower-case letters, digits, ``_`` and ``-``."""
    topics: list[str] = Field(min_length=1)
    """Source topics."""
    table: str
    """Target table."""
    format: Literal["json", "dynamodb-json"] = "json"
    """Value format: a JSON object, or a DynamoDB-JSON item (``{"a": {"S": "x"}}``)."""
    partition_key: KeyMapping
    """The partition key mapping."""
    sort_key: KeyMapping | None = None
    """The sort key mapping, if the table has one."""
    ttl: TtlRule | None = None
    """Record TTL."""
    rename: dict[str, str] = Field(default_factory=dict)
    """Top-level field renames, old name -> new name."""
    drop: list[str] = Field(default_factory=list)
    """Top-level fields left out of the item."""
    deletes: Literal["tombstone", "ignore"] = "tombstone"
    """What a record without a value does: delete the item, or nothing."""
    billing: Billing = Field(default_factory=Billing)
    """Billing mode of the table if onboarding creates it."""
    stream: Stream = Field(default_factory=Stream)
    """Change stream of the table if onboarding creates it."""
    version_attribute: str | None = "_offset"
    """Attribute holding the source offset; writes replayed after a restart are conditional on it."""
    version: int = Field(default=0, ge=0)
    """Registry version (assigned by ``onboard``)."""

    @field_validator("topics")
    @classmethod
    def _topics(cls, value: list[str]) -> list[str]:
        for topic in value:
            if not re.fullmatch(r"[a-zA-Z0-9._-]{1,249}", topic):
                raise ValueError(f"{topic!r} is not a valid Kafka topic name")
        if len(set(value)) != len(value):
            raise ValueError("topics are listed more than once")
        return value

    @field_validator("table")
    @classmethod
    def _table(cls, value: str) -> str:
        if not _TABLE_NAME.match(value):
            raise ValueError(f"{value!r} is not a valid table name (3-255 of a-z A-Z 0-9 _ . -)")
        if value.startswith("_dynaflow"):
            raise ValueError("tables named _dynaflow* are dynaflow's own")
        return value

    @model_validator(mode="after")
    def _attributes_distinct(self) -> WriteRule:
        named = [("partition_key", self.partition_key.attribute)]
        if self.sort_key:
            named.append(("sort_key", self.sort_key.attribute))
        if self.ttl:
            named.append(("ttl", self.ttl.attribute))
        if self.version_attribute:
            named.append(("version_attribute", self.version_attribute))
        seen: dict[str, str] = {}
        for role, attribute in named:
            if attribute in seen:
                raise ValueError(f"{role} and {seen[attribute]} both use attribute {attribute!r}")
            seen[attribute] = role
        for new in self.rename.values():
            if new in seen:
                raise ValueError(f"rename target {new!r} collides with the {seen[new]} attribute")
        if len(set(self.rename.values())) != len(self.rename):
            raise ValueError("two fields are renamed to the same name")
        overlap = set(self.drop) & set(self.rename)
        if overlap:
            raise ValueError(f"fields both renamed and dropped: {sorted(overlap)}")
        return self

    def definition(self) -> dict[str, Any]:
        """The rule as stored in the registry (YAML/JSON-ready, aliases as written)."""
        return self.model_dump(mode="json", by_alias=True, exclude={"version"})

    def compile(self) -> CompiledRule:
        return CompiledRule(self)


def _format_errors(exc: ValidationError, source: str) -> str:
    lines = []
    for err in exc.errors():
        where = ".".join(str(part) for part in err["loc"]) or "(rule)"
        message = err["msg"].removeprefix("Value error, ")
        lines.append(f"  - {where}: {message}")
    return f"{source}: invalid write rule ({len(lines)} problem{'s' if len(lines) != 1 else ''}):\n" + "\n".join(lines)


def parse_rule(data: Any, source: str = "rule") -> WriteRule:
    """Validate a rule document; :class:`RuleError` lists every problem."""
    if not isinstance(data, dict):
        raise RuleError(f"{source}: a write rule is a mapping of settings, got {type(data).__name__}")
    try:
        return WriteRule.model_validate(data)
    except ValidationError as exc:
        raise RuleError(_format_errors(exc, source)) from None


def load_rule(text: str, source: str = "rule.yaml") -> WriteRule:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RuleError(f"{source}: not valid YAML: {exc}") from None
    return parse_rule(data, source)


# ---------------------------------------------------------------- compiled form


def _path(source: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in source.split("."))


def _lookup(document: Any, path: tuple[str, ...], typed: bool) -> Any:
    """The value at ``path``; DynamoDB-JSON documents are walked through their ``M`` maps."""
    value = document
    for depth, part in enumerate(path):
        if typed and depth > 0:
            if not isinstance(value, dict) or "M" not in value:
                return None
            value = value["M"]
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    if typed:
        return _untyped_scalar(value)
    return value


def _untyped_scalar(value: Any) -> Any:
    if not isinstance(value, dict) or len(value) != 1:
        return value
    ((tag, inner),) = value.items()
    if tag == "N":
        return _number(inner)
    if tag in ("S", "BOOL"):
        return inner
    if tag == "B":
        return inner  # base64 text, as in the record
    return value


#: Integral floats below this print as plain digits in ``repr`` (above it, with an exponent).
_EXACT_FLOAT_INTEGER = 1e16


def _float_text(value: float) -> str:
    """A float's number text: its shortest round-trip form (``repr``), which the store normalizes
    like any number, except that an integral float is written as its digits (25.0 -> "25", as the
    store would keep it): a number already in canonical form lets the engine prove the item in one
    walk (``values.prove_item``) instead of normalizing it."""
    if value.is_integer() and -_EXACT_FLOAT_INTEGER < value < _EXACT_FLOAT_INTEGER:
        return str(int(value))
    return repr(value)


def _number(value: Any) -> Decimal:
    try:
        number = _NUMBER_CONTEXT.create_decimal(str(value))
    except InvalidOperation:
        raise RecordError("BadKeyType", f"{value!r} is not a number") from None
    if not number.is_finite():
        raise RecordError("BadKeyType", f"{value!r} is not a finite number")
    return number


def _number_text(number: Decimal) -> str:
    text = format(number.normalize(_NUMBER_CONTEXT), "f")
    return text


def _text(value: Any, what: str) -> str:
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is int:
        return str(value)
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        raise RecordError("BadKeyType", f"{what} is {type(value).__name__}, not text or a number")
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, float):
        return _number_text(_number(repr(value)))
    raise RecordError("BadKeyType", f"{what} has unsupported type {type(value).__name__}")


def to_attribute(value: Any) -> dict[str, Any]:
    """A JSON value as a DynamoDB AttributeValue (numbers keep their digits up to 38)."""
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is int:
        return {"N": str(value)}
    if kind is float:
        text = _float_text(value)
        if text in ("inf", "-inf", "nan"):
            raise RecordError("MalformedValue", f"{text} is not a DynamoDB number")
        return {"N": text}
    if kind is dict:
        return {"M": {str(k): to_attribute(v) for k, v in value.items()}}
    if kind is list:
        return {"L": [to_attribute(v) for v in value]}
    if kind is bool:
        return {"BOOL": value}
    if value is None:
        return {"NULL": True}
    raise RecordError("MalformedValue", f"unsupported value type {kind.__name__}")


def _load_native() -> tuple[Callable[..., Any], Callable[..., Any]] | tuple[None, None]:
    """The C builds of :meth:`CompiledRule._json_item` and of the whole-record mapper
    (``_mapping.c``), or None when the install had no C compiler."""
    try:
        from dynaflow.pipelines._mapping import RecordMapper, json_item
    except ImportError:  # pragma: no cover - an install without a C compiler
        return None, None
    return json_item, RecordMapper


_native_json_item, _native_record_mapper = _load_native()


def _decode_binary(typed: Any) -> Any:
    """DynamoDB-JSON value -> boto3 shape: B/BS base64 text becomes bytes."""
    if not isinstance(typed, dict) or len(typed) != 1:
        raise RecordError("MalformedValue", f"{typed!r} is not a DynamoDB-JSON attribute value")
    ((tag, inner),) = typed.items()
    try:
        if tag == "B":
            return {"B": base64.b64decode(inner, validate=True)}
        if tag == "BS":
            return {"BS": [base64.b64decode(v, validate=True) for v in inner]}
    except (binascii.Error, TypeError, ValueError):
        raise RecordError("MalformedValue", f"{tag} value is not base64") from None
    if tag == "M":
        if not isinstance(inner, dict):
            raise RecordError("MalformedValue", "M value is not an object")
        return {"M": {k: _decode_binary(v) for k, v in inner.items()}}
    if tag == "L":
        if not isinstance(inner, list):
            raise RecordError("MalformedValue", "L value is not a list")
        return {"L": [_decode_binary(v) for v in inner]}
    if tag not in ("S", "N", "BOOL", "NULL", "SS", "NS"):
        raise RecordError("MalformedValue", f"unknown attribute type {tag!r}")
    return typed


KeyFn = Callable[[Any, Record], dict[str, Any]]


class CompiledRule:
    """A validated rule ready to apply to records (built once per rule version)."""

    def __init__(self, rule: WriteRule) -> None:
        self.rule = rule
        self.table = rule.table
        self.name = rule.name
        self.typed = rule.format == "dynamodb-json"
        self._pk = self._key_fn(rule.partition_key)
        self._sk = self._key_fn(rule.sort_key) if rule.sort_key else None
        self._pk_name = rule.partition_key.attribute
        self._sk_name = rule.sort_key.attribute if rule.sort_key else None
        self._renames = dict(rule.rename)
        self._drops = frozenset(rule.drop)
        self._version = rule.version_attribute
        self._ttl = rule.ttl
        self._ttl_path = _path(rule.ttl.field) if rule.ttl and rule.ttl.field else None
        self.key_attributes = tuple(a for a in (self._pk_name, self._sk_name) if a)
        self.rule_version = rule.version
        #: The whole record mapped in C for the commonest rules (see :meth:`_record_mapper`).
        self._fast = self._record_mapper()

    def _record_mapper(self) -> Callable[[bytes, int], tuple[Item, tuple[Any, ...]] | None] | None:
        """``_mapping.RecordMapper`` for this rule, if it has the shape it maps: JSON values, string
        keys taken from top-level fields (by name or template), no event-time TTL. Given a record's
        value and offset it answers ``(item, identity)`` exactly as :meth:`apply` builds them (the
        version attribute included; a TTL attribute, which comes before it, is then added with the
        version here), or None for any record it does not prove plain, which then takes the Python
        path (and its error)."""
        rule = self.rule
        if _native_record_mapper is None or self.typed or self._ttl_path is not None:
            return None
        keys = []
        for mapping in (rule.partition_key, rule.sort_key):
            if mapping is None:
                continue
            if mapping.type != "S" or mapping.source == "$key":
                return None
            if "{" in mapping.source:
                pieces = _TEMPLATE.split(mapping.source)  # literal, path, literal, path, ..., literal
                literals, paths = pieces[0::2], [_path(p) for p in pieces[1::2]]
            else:
                literals, paths = ["", ""], [_path(mapping.source)]
            if any(len(path) != 1 for path in paths):
                return None
            keys.append((mapping.attribute, literals[0], tuple(p[0] for p in paths), tuple(literals[1:])))
        mapper: Callable[[bytes, int], tuple[Item, tuple[Any, ...]] | None] = _native_record_mapper(
            orjson.loads, tuple(keys), self._drops, self._renames, to_attribute,
            self._version if self._ttl is None else None)
        return mapper

    def _key_fn(self, mapping: KeyMapping) -> KeyFn:
        kind = mapping.type
        source = mapping.source
        name = mapping.attribute

        def finish(raw: Any) -> dict[str, Any]:
            if kind == "S" and type(raw) is str and raw:
                return {"S": raw}
            if raw is None:
                raise RecordError("MissingKeyField", f"key attribute {name}: {source!r} is missing in the record")
            if kind == "S":
                text = _text(raw, f"key attribute {name} ({source})")
                if not text:
                    raise RecordError("BadKeyType", f"key attribute {name} ({source}) is an empty string")
                return {"S": text}
            if kind == "N":
                if isinstance(raw, bool) or not isinstance(raw, (int, float, str, Decimal)):
                    raise RecordError("BadKeyType", f"key attribute {name} ({source}) is not a number")
                return {"N": _number_text(_number(repr(raw) if isinstance(raw, float) else raw))}
            if isinstance(raw, (bytes, bytearray)):
                return {"B": bytes(raw)}
            if not isinstance(raw, str):
                raise RecordError("BadKeyType", f"key attribute {name} ({source}) is not base64 text")
            try:
                data = base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                raise RecordError("BadKeyType", f"key attribute {name} ({source}) is not base64") from None
            if not data:
                raise RecordError("BadKeyType", f"key attribute {name} ({source}) is empty")
            return {"B": data}

        if source == "$key":
            def from_key(document: Any, record: Record) -> dict[str, Any]:
                if record.key is None:
                    raise RecordError("MissingKeyField", f"key attribute {name}: the record has no Kafka key")
                raw: Any = record.key if kind == "B" else record.key.decode("utf-8", "replace")
                return finish(raw)
            return from_key

        typed = self.typed
        if "{" in source:
            pieces = _TEMPLATE.split(source)  # literal, path, literal, path, ..., literal
            literals = pieces[0::2]
            paths = [_path(p) for p in pieces[1::2]]

            if not typed and all(len(p) == 1 for p in paths):
                names = [p[0] for p in paths]
                pairs = list(zip(names, literals[1:], strict=True))
                head = literals[0]

                def from_flat_template(document: Any, record: Record) -> dict[str, Any]:
                    out = head
                    for field, literal in pairs:
                        value = document.get(field)
                        if type(value) is not str:
                            if type(value) is int:  # ids: the commonest non-text field
                                value = str(value)
                            elif value is None:
                                raise RecordError("MissingKeyField",
                                                  f"key attribute {name}: field {field!r} of {source!r} is missing")
                            else:
                                value = _text(value, f"field {field}")
                        out += value + literal
                    return finish(out)
                return from_flat_template

            def from_template(document: Any, record: Record) -> dict[str, Any]:
                out = [literals[0]]
                for path, literal in zip(paths, literals[1:], strict=True):
                    value = _lookup(document, path, typed)
                    if value is None:
                        raise RecordError("MissingKeyField",
                                          f"key attribute {name}: field {'.'.join(path)!r} of {source!r} is missing")
                    out.append(_text(value, f"field {'.'.join(path)}"))
                    out.append(literal)
                return finish("".join(out))
            return from_template

        path = _path(source)
        if not typed and len(path) == 1:
            (field,) = path

            def from_field(document: Any, record: Record) -> dict[str, Any]:
                return finish(document.get(field))
            return from_field

        def from_path(document: Any, record: Record) -> dict[str, Any]:
            return finish(_lookup(document, path, typed))
        return from_path

    def _parse(self, data: bytes, what: str) -> dict[str, Any]:
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise RecordError("MalformedValue", f"{what} is not valid JSON: {exc}") from None
        if not isinstance(document, dict):
            raise RecordError("MalformedValue", f"{what} is a JSON {type(document).__name__}, not an object")
        return document

    def key_of(self, document: Any, record: Record) -> Item:
        key = {self._pk_name: self._pk(document, record)}
        if self._sk is not None and self._sk_name is not None:
            key[self._sk_name] = self._sk(document, record)
        return key

    def _identity(self, key: Item) -> tuple[Any, ...]:
        if self._sk_name is None:
            ((tag, value),) = key[self._pk_name].items()
            return (self._pk_name, tag, value)
        return _identity(key)

    def apply(self, record: Record, *, now: float | None = None) -> Put | Delete | None:
        """The mutation ``record`` asks for; :class:`RecordError` if it cannot be one."""
        if record.value is None:
            if self.rule.deletes == "ignore":
                return None
            document: Any = {}
            if record.key is not None and any(
                    m.source != "$key" for m in (self.rule.partition_key, self.rule.sort_key) if m):
                document = self._parse(record.key, "the Kafka key of a tombstone")
            key = self.key_of(document, record)
            return Delete(self.table, self._identity(key), key, record, record.offset if self._version else None,
                          self._version, False, self.name, self.rule.version)

        fast = self._fast
        if fast is not None:
            mapped = fast(record.value, record.offset)
            if mapped is not None:
                if self._ttl is not None:
                    return self._put(mapped[0], mapped[1], record, None, now)
                version = self._version  # already in the item
                return Put(self.table, mapped[1], mapped[0], record, record.offset if version else None, version,
                           False, self.name, self.rule_version)
        document = self._parse(record.value, "the record value")
        pk_name, sk_name = self._pk_name, self._sk_name
        pk = self._pk(document, record)  # keys first: a missing key field is the error reported
        if self._sk is not None and sk_name is not None:
            sk = self._sk(document, record)
            item = self._typed_item(document) if self.typed else self._json_item(document)
            item[pk_name] = pk
            item[sk_name] = sk
            identity = _identity({pk_name: pk, sk_name: sk})
        else:
            item = self._typed_item(document) if self.typed else self._json_item(document)
            item[pk_name] = pk
            ((tag, value),) = pk.items()
            identity = (pk_name, tag, value)
        return self._put(item, identity, record, document, now)

    def _put(self, item: Item, identity: tuple[Any, ...], record: Record, document: Any, now: float | None) -> Put:
        """The put of a mapped ``item``: its TTL and version attributes added."""
        if self._ttl is not None:
            item[self._ttl.attribute] = {"N": str(self._expiry(document, now))}
        version = self._version
        if version:
            offset = record.offset
            item[version] = {"N": str(offset)}
            return Put(self.table, identity, item, record, offset, version, False, self.name, self.rule_version)
        return Put(self.table, identity, item, record, None, version, False, self.name, self.rule_version)

    def _json_item(self, document: dict[str, Any]) -> Item:
        """A JSON object's fields as attribute values (renamed, dropped), keys not yet added.

        In C where installed (``_mapping.c``, the same answers); the loop below otherwise."""
        if _native_json_item is not None:
            item: Item = _native_json_item(document, self._drops, self._renames, to_attribute)
            return item
        item = {}
        drops = self._drops
        rename = self._renames.get if self._renames else None
        for field, value in document.items():
            if drops and field in drops:
                continue
            if rename is not None:
                field = rename(field, field)
            kind = type(value)  # scalars inline: a function call per field costs more than the work
            if kind is str:
                item[field] = {"S": value}
            elif kind is int:
                item[field] = {"N": str(value)}
            elif kind is float:  # orjson yields finite floats only
                item[field] = {"N": _float_text(value)}
            else:
                item[field] = to_attribute(value)
        return item

    def _typed_item(self, document: dict[str, Any]) -> Item:
        """A DynamoDB-JSON object's fields (binary decoded, renamed, dropped), keys not yet added."""
        item: Item = {}
        renames, drops = self._renames, self._drops
        for field, value in document.items():
            if field in drops:
                continue
            item[renames.get(field, field)] = _decode_binary(value)
        return item

    def _expiry(self, document: Any, now: float | None) -> int:
        ttl = self._ttl
        assert ttl is not None
        if self._ttl_path is None:
            return int(time.time() if now is None else now) + ttl.after
        raw = _lookup(document, self._ttl_path, self.typed)
        if raw is None:
            raise RecordError("InvalidEventTime", f"event-time field {ttl.field!r} is missing")
        try:
            if ttl.unit == "iso8601":
                if not isinstance(raw, str):
                    raise ValueError("not text")
                moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
                if moment.tzinfo is None:
                    raise ValueError("no time zone")
                base = moment.timestamp()
            else:
                if isinstance(raw, bool) or not isinstance(raw, (int, float, Decimal, str)):
                    raise ValueError("not a number")
                base = float(raw) / (1000 if ttl.unit == "ms" else 1)
        except ValueError as exc:
            raise RecordError("InvalidEventTime",
                              f"event-time field {ttl.field!r} = {raw!r} is not {ttl.unit} time: {exc}") from None
        return int(base) + ttl.after


def _identity(key: Item) -> tuple[Any, ...]:
    parts: list[Any] = []
    for name in sorted(key):
        ((tag, value),) = key[name].items()
        parts.append(name)
        parts.append(tag)
        parts.append(value)
    return tuple(parts)
