"""Write rules: validation messages and record -> item mapping."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from dynaflow.pipelines.model import Delete, Put, Record
from dynaflow.pipelines.rules import RecordError, RuleError, load_rule, parse_duration, parse_rule

BASE: dict[str, Any] = {
    "name": "orders", "topics": ["orders"], "table": "Orders",
    "partition_key": {"attribute": "pk", "from": "{tenant}#{id}"},
}


def rule(**overrides: Any) -> Any:
    return parse_rule({**BASE, **overrides}).compile()


def record(value: Any, *, key: bytes | None = None, offset: int = 7) -> Record:
    raw = value if isinstance(value, bytes) or value is None else orjson.dumps(value)
    return Record("orders", 0, offset, key, raw)


# Why: onboarding must report every mistake of a rule at once, each with where it is.
def test_invalid_rule_lists_every_problem_with_its_location() -> None:
    with pytest.raises(RuleError) as info:
        load_rule("""
name: Bad Name
topics: []
table: x
partition_key: {attribute: pk, type: Q, from: id}
ttl: {after: soon}
billing: {mode: PROVISIONED}
unknown: 1
""", "bad.yaml")
    text = str(info.value)
    assert text.startswith("bad.yaml: invalid write rule (7 problems)")
    for where in ("name:", "topics:", "table:", "partition_key.type:", "ttl.after:", "billing:", "unknown:"):
        assert f"  - {where}" in text, where


# Why: a template builds a string, so a non-S template key is a rule mistake, not a runtime surprise.
@pytest.mark.parametrize("mapping, message", [
    ({"attribute": "pk", "type": "N", "from": "{a}#{b}"}, "type must be S"),
    ({"attribute": "pk", "from": "{a}{}"}, "malformed"),
    ({"attribute": "pk", "from": "{a"}, "malformed"),
])
def test_bad_key_templates_are_rejected(mapping: dict[str, Any], message: str) -> None:
    with pytest.raises(RuleError, match=message):
        parse_rule({**BASE, "partition_key": mapping})


# Why: attribute roles must not collide, or one would silently overwrite another in every item.
def test_colliding_attributes_are_rejected() -> None:
    with pytest.raises(RuleError, match="both use attribute 'pk'"):
        parse_rule({**BASE, "sort_key": {"attribute": "pk", "from": "x"}})
    with pytest.raises(RuleError, match="collides with the version_attribute"):
        parse_rule({**BASE, "rename": {"a": "_offset"}})
    with pytest.raises(RuleError, match="needs field"):
        parse_rule({**BASE, "ttl": {"after": "1d", "from": "event_time"}})


# Why: YAML syntax errors and non-mapping documents get a message, not a traceback.
def test_unparseable_rule_file_is_reported() -> None:
    with pytest.raises(RuleError, match="not valid YAML"):
        load_rule("name: [", "r.yaml")
    with pytest.raises(RuleError, match="mapping of settings"):
        load_rule("- a\n- b", "r.yaml")


# Why: durations accept the documented unit suffixes only.
def test_durations() -> None:
    assert [parse_duration(v) for v in ("45s", "90m", "12h", "30d", "2w", "10", 5)] == [
        45, 5400, 43200, 2592000, 1209600, 10, 5]
    with pytest.raises(ValueError):
        parse_duration("1y")


# Why: the core mapping — template key, nested sort key, renames, drops, version attribute.
def test_json_record_becomes_item_with_template_key_renames_and_drops() -> None:
    compiled = rule(sort_key={"attribute": "sk", "type": "N", "from": "order.seq"},
                    rename={"name": "customer"}, drop=["secret"])
    mutation = compiled.apply(record({"tenant": "t1", "id": 42, "order": {"seq": 3.50}, "name": "Ann",
                                      "secret": "s", "tags": ["a", 1, True, None]}))
    assert isinstance(mutation, Put)
    assert mutation.item == {
        "pk": {"S": "t1#42"}, "sk": {"N": "3.5"}, "tenant": {"S": "t1"}, "id": {"N": "42"},
        "order": {"M": {"seq": {"N": "3.5"}}}, "customer": {"S": "Ann"},
        "tags": {"L": [{"S": "a"}, {"N": "1"}, {"BOOL": True}, {"NULL": True}]}, "_offset": {"N": "7"},
    }
    assert mutation.version == 7 and mutation.table == "Orders"


# Why: each way a record can fail maps to a terminal error type the dead-letter store keeps.
@pytest.mark.parametrize("raw, error_type", [
    (b"{oops", "MalformedValue"),
    (b"[1, 2]", "MalformedValue"),
    ({"tenant": "t"}, "MissingKeyField"),
    ({"tenant": {"a": 1}, "id": 1}, "BadKeyType"),
    ({"tenant": True, "id": 1}, "BadKeyType"),
])
def test_bad_records_raise_terminal_record_errors(raw: Any, error_type: str) -> None:
    with pytest.raises(RecordError) as info:
        rule().apply(record(raw))
    assert info.value.type == error_type


# Why: N keys are validated as numbers; B keys are base64; $key reads the Kafka key.
def test_typed_keys() -> None:
    n = rule(partition_key={"attribute": "pk", "type": "N", "from": "id"})
    assert n.apply(record({"id": "0012.50"})).item["pk"] == {"N": "12.5"}  # type: ignore[union-attr]
    with pytest.raises(RecordError, match="not a number"):
        n.apply(record({"id": "abc"}))
    b = rule(partition_key={"attribute": "pk", "type": "B", "from": "id"})
    assert b.apply(record({"id": "AAE="})).item["pk"] == {"B": b"\x00\x01"}  # type: ignore[union-attr]
    k = rule(partition_key={"attribute": "pk", "from": "$key"})
    assert k.apply(record({"v": 1}, key=b"user-1")).item["pk"] == {"S": "user-1"}  # type: ignore[union-attr]


# Why: a tombstone deletes the item whose key the Kafka key names (JSON or raw), or is ignored.
def test_tombstones_become_deletes_or_are_ignored() -> None:
    mutation = rule().apply(record(None, key=b'{"tenant": "t", "id": 5}'))
    assert isinstance(mutation, Delete) and mutation.key == {"pk": {"S": "t#5"}}
    raw = rule(partition_key={"attribute": "pk", "from": "$key"}).apply(record(None, key=b"k9"))
    assert isinstance(raw, Delete) and raw.key == {"pk": {"S": "k9"}}
    assert rule(deletes="ignore").apply(record(None, key=b"{}")) is None
    with pytest.raises(RecordError, match="MalformedValue"):
        rule().apply(record(None, key=b"not json"))


# Why: TTL is computed from the event-time field in each unit, or from ingest time.
@pytest.mark.parametrize("unit, ts, expected", [
    ("s", 1_800_000_000, 1_800_000_000 + 3600),
    ("ms", 1_800_000_000_500, 1_800_000_000 + 3600),
    ("iso8601", "2027-01-15T08:00:00Z", 1_800_000_000 + 3600),
])
def test_event_time_ttl(unit: str, ts: Any, expected: int) -> None:
    compiled = rule(ttl={"attribute": "exp", "after": "1h", "from": "event_time", "field": "ts", "unit": unit})
    item = compiled.apply(record({"tenant": "t", "id": 1, "ts": ts})).item  # type: ignore[union-attr]
    assert item["exp"] == {"N": str(expected)}


# Why: an unusable event time is a terminal record error, and ingest-time TTL uses the clock.
def test_bad_event_time_and_ingest_time_ttl() -> None:
    compiled = rule(ttl={"after": 60, "from": "event_time", "field": "ts", "unit": "iso8601"})
    with pytest.raises(RecordError, match="InvalidEventTime"):
        compiled.apply(record({"tenant": "t", "id": 1, "ts": "2027-01-15T08:00:00"}))  # no zone
    ingest = rule(ttl={"after": "1d"})
    item = ingest.apply(record({"tenant": "t", "id": 1}), now=1000.7).item  # type: ignore[union-attr]
    assert item["expires_at"] == {"N": str(1000 + 86400)}


# Why: DynamoDB-JSON values keep their types; binaries become bytes for the client; keys walk M maps.
def test_dynamodb_json_format() -> None:
    compiled = rule(format="dynamodb-json", partition_key={"attribute": "pk", "from": "{a.b}"})
    item = compiled.apply(record({"a": {"M": {"b": {"S": "x"}}}, "bin": {"BS": ["AAE="]},
                                  "n": {"N": "1"}})).item  # type: ignore[union-attr]
    assert item["pk"] == {"S": "x"} and item["bin"] == {"BS": [b"\x00\x01"]} and item["n"] == {"N": "1"}
    with pytest.raises(RecordError, match="unknown attribute type"):
        compiled.apply(record({"a": {"M": {"b": {"S": "x"}}}, "bad": {"Z": 1}}))


# Why: integral floats (0.0, 25.0, -0.0) leave mapping as the digits the store would keep, so the
# engine proves the item in one walk; other floats keep their shortest form, and either way the
# stored number is the one DynamoDB would store.
@pytest.mark.parametrize("value, text", [(0.0, "0"), (-0.0, "0"), (25.0, "25"), (-3.0, "-3"),
                                         (1.5, "1.5"), (1e16, "1e+16"), (1e-07, "1e-07")])
def test_float_numbers_are_mapped_in_canonical_form_when_cheap(value: float, text: str) -> None:
    from decimal import Decimal

    from dynaflow.pipelines.rules import to_attribute

    mapped = to_attribute(value)
    assert mapped == {"N": text}
    assert Decimal(mapped["N"]) == Decimal(repr(value))


# Why: the record mapper's inline path writes floats the same way as ``to_attribute``.
def test_record_floats_map_like_to_attribute() -> None:
    put = rule().apply(record({"tenant": "t", "id": 1, "sent": 0.0, "ratio": 2.5, "big": 1e300}))
    assert isinstance(put, Put)
    assert (put.item["sent"], put.item["ratio"], put.item["big"]) == ({"N": "0"}, {"N": "2.5"}, {"N": "1e+300"})
