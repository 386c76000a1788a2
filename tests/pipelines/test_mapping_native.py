"""The record mapper's C part (``_mapping.c``) against its Python loop: the same item for every
JSON object, the same errors, the same drops and renames."""

from __future__ import annotations

import json
import math
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dynaflow.pipelines import rules
from dynaflow.pipelines.model import Record
from dynaflow.pipelines.rules import RecordError, RuleError, parse_rule

_native = pytest.importorskip("dynaflow.pipelines._mapping")

_floats = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-10**17, 10**17).map(float),
    st.sampled_from([0.0, -0.0, 1e16, -1e16, 9999999999999998.0, 1e-7, 123.5]),
)
_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(-10**60, 10**60), _floats,
                     st.text(max_size=8))
_json = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=4)), max_leaves=12)
_fields = st.sampled_from(["a", "b", "c", "id", "note", ""])


def _compiled(drop: list[str], rename: dict[str, str]) -> rules.CompiledRule:
    return parse_rule({"name": "m", "topics": ["t"], "table": "Mapped",
                       "partition_key": {"attribute": "pk", "from": "id"}, "drop": drop, "rename": rename}).compile()


def _python_item(compiled: rules.CompiledRule, document: dict[str, Any]) -> Any:
    native, rules._native_json_item = rules._native_json_item, None  # type: ignore[misc]
    try:
        return _outcome(compiled._json_item, document)
    finally:
        rules._native_json_item = native  # type: ignore[misc]


def _outcome(fn: Any, *args: Any) -> Any:
    try:
        return ("ok", fn(*args))
    except RecordError as exc:
        return ("error", exc.type, exc.message)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(document=st.dictionaries(_fields, _json, max_size=6), drop=st.lists(_fields, max_size=2),
       rename=st.dictionaries(_fields, _fields, max_size=2))
def test_native_mapper_agrees_with_python_loop(document: dict[str, Any], drop: list[str],
                                              rename: dict[str, str]) -> None:
    # Why: the ingester maps every record in C where installed; it must build exactly the item the
    # Python loop builds (types, number text, nesting, dropped and renamed fields, field order).
    try:
        compiled = _compiled(drop, rename)
    except RuleError:
        assume(False)  # a rule onboarding refuses (a field both renamed and dropped, ...)
    native = _outcome(compiled._json_item, document)
    python = _python_item(compiled, document)
    assert native == python
    if native[0] == "ok":
        assert list(native[1]) == list(python[1])


def test_native_mapper_is_used_and_maps_every_json_type() -> None:
    # Why: the C mapper must actually run (else it only costs an import), and cover each JSON type.
    assert rules._native_json_item is _native.json_item
    document = orjson.loads(b'{"s":"x","i":7,"f":2.5,"w":25.0,"t":true,"n":null,"l":[1,"a"],"m":{"k":[false]}}')
    assert _compiled([], {})._json_item(document) == {
        "s": {"S": "x"}, "i": {"N": "7"}, "f": {"N": "2.5"}, "w": {"N": "25"}, "t": {"BOOL": True},
        "n": {"NULL": True}, "l": {"L": [{"N": "1"}, {"S": "a"}]}, "m": {"M": {"k": {"L": [{"BOOL": False}]}}}}


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan, b"bytes", (1, 2)])
def test_native_mapper_hands_unmappable_values_to_the_python_rules(bad: Any) -> None:
    # Why: a value the C code does not map is the Python code's to answer: the record error names it.
    compiled = _compiled([], {})
    with pytest.raises(RecordError) as raised:
        compiled._json_item({"a": [bad]})
    assert raised.value.type == "MalformedValue"


def test_a_record_maps_the_same_through_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    # Why: the whole mapping (keys, version attribute, identity) is unchanged by the C part.
    compiled = _compiled(["note"], {"amount": "total"})
    record = Record("t", 0, 41, None, b'{"id":"a1","amount":3.0,"note":"x","tags":["p"]}')
    native = compiled.apply(record)
    assert compiled._fast is not None
    monkeypatch.setattr(compiled, "_fast", None)
    monkeypatch.setattr(rules, "_native_json_item", None)
    assert native == compiled.apply(record)
    assert native is not None and native.item["total"] == {"N": "3"} and "note" not in native.item


_key_sources = st.one_of(
    st.sampled_from(["id", "a", "{id}", "{a}#{b}", "x-{ id }-y", "{a}{b}", "#{a}", "{id}#"]),
    st.lists(st.sampled_from(["a", "b", "id", "missing"]), min_size=1, max_size=3).map(
        lambda names: "#".join(f"{{{n}}}" for n in names)),
)
_key_values = st.one_of(st.text(max_size=3), st.integers(-10**20, 10**20), st.booleans(), st.none(),
                        st.floats(allow_nan=False, allow_infinity=False), st.lists(st.integers(), max_size=1),
                        st.dictionaries(st.text(max_size=1), st.integers(), max_size=1))
_raw_values = st.sampled_from([b"", b"not json", b"[1, 2]", b'"text"', b"7", b"{", b'{"id": NaN}'])


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(pk=_key_sources, sk=st.none() | _key_sources, names=st.sampled_from([("pk", "sk"), ("zz", "aa")]),
       document=st.dictionaries(st.sampled_from(["a", "b", "id", "note", "pk", "aa"]), _key_values | _json, max_size=5),
       raw=st.none() | _raw_values, drop=st.lists(st.sampled_from(["note", "b"]), max_size=1),
       rename=st.dictionaries(st.sampled_from(["note", "a"]), st.sampled_from(["renamed", "other"]), max_size=1),
       version=st.sampled_from(["default", "v", None]), ttl=st.booleans())
def test_whole_record_mapper_answers_as_the_python_path(
        pk: str, sk: str | None, names: tuple[str, str], document: dict[str, Any], raw: bytes | None,
        drop: list[str], rename: dict[str, str], version: str | None, ttl: bool) -> None:
    # Why: the C record mapper answers the common rules' records without the Python path; for every
    # record it must give the Python path's put (item, its field order, identity, version, TTL) or
    # defer to it, so every error keeps its type and wording.
    definition: dict[str, Any] = {"name": "m", "topics": ["t"], "table": "Mapped", "drop": drop, "rename": rename,
                                  "partition_key": {"attribute": names[0], "from": pk}}
    if sk is not None:
        definition["sort_key"] = {"attribute": names[1], "from": sk}
    if version != "default":
        definition["version_attribute"] = version
    if ttl:
        definition["ttl"] = {"attribute": "expires", "after": "1h"}
    try:
        compiled = parse_rule(definition).compile()
    except RuleError:
        assume(False)
    assert compiled._fast is not None
    record = Record("t", 0, 9, None, raw if raw is not None else json.dumps(document).encode())
    native = _applied(compiled, record)
    fast, compiled._fast = compiled._fast, None
    try:
        python = _applied(compiled, record)
    finally:
        compiled._fast = fast
    assert native == python
    if native[0] == "ok":
        assert list(native[1].item) == list(python[1].item)


def _applied(compiled: rules.CompiledRule, record: Record) -> Any:
    try:
        return ("ok", compiled.apply(record, now=1_000_000.0))
    except RecordError as exc:
        return ("error", exc.type, exc.message)


def test_whole_record_mapper_builds_keys_and_identity() -> None:
    # Why: the fast path must run for the common rule and build template keys from text and ints,
    # with the identity's names in sorted order whichever key is the sort key.
    compiled = parse_rule({"name": "m", "topics": ["t"], "table": "Mapped",
                           "partition_key": {"attribute": "zz", "from": "{tenant}#{id}"},
                           "sort_key": {"attribute": "aa", "from": "at"}}).compile()
    assert isinstance(compiled._fast, _native.RecordMapper)
    item, identity = compiled._fast(b'{"tenant":"acme","id":12,"at":"t1","n":1.5}', 77)
    assert item == {"tenant": {"S": "acme"}, "id": {"N": "12"}, "at": {"S": "t1"}, "n": {"N": "1.5"},
                    "zz": {"S": "acme#12"}, "aa": {"S": "t1"}, "_offset": {"N": "77"}}
    assert identity == ("aa", "S", "t1", "zz", "S", "acme#12")
    assert compiled._fast(b'{"tenant":"acme","id":true,"at":"t1"}', 1) is None  # the Python path words it
    assert compiled._fast(b"[]", 1) is None and compiled._fast(b"{", 1) is None


@pytest.mark.parametrize("definition", [
    {"partition_key": {"attribute": "pk", "from": "$key"}},
    {"partition_key": {"attribute": "pk", "from": "a.b"}},
    {"partition_key": {"attribute": "pk", "type": "N", "from": "id"}},
    {"partition_key": {"attribute": "pk", "from": "id"}, "format": "dynamodb-json"},
    {"partition_key": {"attribute": "pk", "from": "id"}, "ttl": {"from": "event_time", "field": "at", "after": "1d"}},
])
def test_whole_record_mapper_is_only_built_for_the_shapes_it_maps(definition: dict[str, Any]) -> None:
    # Why: nested paths, the Kafka key, non-string keys, DynamoDB JSON and event-time TTL need the
    # Python path; building the fast mapper for them would map those records wrongly.
    compiled = parse_rule({"name": "m", "topics": ["t"], "table": "Mapped", **definition}).compile()
    assert compiled._fast is None
