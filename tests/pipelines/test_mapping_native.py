"""The record mapper's C part (``_mapping.c``) against its Python loop: the same item for every
JSON object, the same errors, the same drops and renames."""

from __future__ import annotations

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
    monkeypatch.setattr(rules, "_native_json_item", None)
    assert native == compiled.apply(record)
    assert native is not None and native.item["total"] == {"N": "3"} and "note" not in native.item
