"""Each hot-path shortcut agrees with the checked path it stands in for.

The shortcuts (``values.validate_item_sized``'s canonical walk, ``keys.key_builder``, GetItem's key
fast path, ``pages._plain_page``) only ever answer for inputs the checked path accepts unchanged and
hand everything else back; these tests feed both paths the same generated inputs, valid and not.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynaflow.engine import keys, records, values
from dynaflow.engine.core import Engine
from dynaflow.engine.errors import DynamoError
from dynaflow.engine.pages import PageSpec, read_page
from dynaflow.engine.state import PYTHON_OUTPUT, WIRE_OUTPUT

# ---------------------------------------------------------------- generated attribute values

_numbers = st.one_of(
    st.integers(-10**40, 10**40).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=None).map(str),
    st.sampled_from(["0", "-0", "00", "1.50", "1e3", "-0.001", "0.0", ".5", "5.", "1" * 39, "1" + "0" * 130,
                     "0." + "0" * 129 + "1", "0." + "0" * 130 + "1", "abc", "", " 1", "\u00b2"]),
)
_strings = st.text(max_size=8)
_b64 = st.binary(max_size=6).map(lambda b: base64.b64encode(b).decode())
_scalars = st.one_of(
    st.builds(lambda v: {"S": v}, _strings),
    st.builds(lambda v: {"N": v}, _numbers),
    st.builds(lambda v: {"B": v}, st.one_of(_b64, st.just("not base64"))),
    st.builds(lambda v: {"BOOL": v}, st.one_of(st.booleans(), st.just("true"))),
    st.builds(lambda v: {"NULL": v}, st.one_of(st.booleans(), st.just(1))),
    st.builds(lambda v: {"SS": v}, st.lists(st.one_of(_strings, st.just(1)), max_size=4)),
    st.builds(lambda v: {"NS": v}, st.lists(_numbers, max_size=4)),
    st.builds(lambda v: {"BS": v}, st.lists(_b64, max_size=3)),
    st.just({}),
    st.just({"S": "a", "N": "1"}),
    st.just({"X": "a"}),
    st.just({"S": 5}),
    st.just("not a map"),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.builds(lambda v: {"M": v}, st.dictionaries(_strings, inner, max_size=4)),
        st.builds(lambda v: {"L": v}, st.lists(inner, max_size=4)),
        st.builds(lambda v: {"M": v}, st.just(["not", "a", "map"])),
    ),
    max_leaves=12,
)
_items = st.dictionaries(st.text(min_size=1, max_size=6), _values, max_size=6)


def _outcome(fn: Any, *args: Any) -> Any:
    try:
        return ("ok", fn(*args))
    except DynamoError as exc:
        return ("error", exc.type, exc.message)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(_items)
def test_item_validation_fast_path_agrees_with_checked_walk(item: dict[str, Any]) -> None:
    # Why: the canonical walk skips validate_value; it may only answer when the checked walk would
    # return the very same item, and its size must be the checked size to the byte.
    checked = _outcome(values._validate_item_checked, item)
    fast = values._canonical_size(item)
    if fast >= 0:
        assert checked[0] == "ok"
        returned, size = checked[1]
        assert returned == item and size == fast
    assert _outcome(values.validate_item_sized, item) == checked


@given(_numbers)
def test_canonical_number_size_accepts_only_unchanged_numbers(text: str) -> None:
    # Why: the key builder and the item walk trust canonical_number_size to recognise exactly the
    # numbers normalize_number leaves as they are.
    size = values.canonical_number_size(text)
    normalized = _outcome(values.normalize_number, text)
    if size >= 0:
        assert normalized == ("ok", text)
        assert size == values.value_size({"N": text})


# ---------------------------------------------------------------- the C build of the canonical walk

_awkward_text = st.one_of(st.text(max_size=8), st.sampled_from(["\ud800", "a\udfff", "\U0001f600", "é", "\x00"]))
_awkward_items = st.dictionaries(
    _awkward_text,
    st.one_of(_values, st.builds(lambda v: {"S": v}, _awkward_text),
              st.builds(lambda v: {"SS": v}, st.lists(_awkward_text, max_size=3))),
    max_size=6,
)


def _python_walk(item: dict[str, Any]) -> int:
    """The Python walk's answer; a lone surrogate makes it raise where the C walk declines (-1)."""
    try:
        return values._canonical_size_py(item)
    except UnicodeEncodeError:
        return -1


def test_the_c_walk_is_built_and_used() -> None:
    # Why: setup.py builds the extension as optional, so a failed build would silently fall back to
    # the ~15x slower Python walk; the suite runs where a compiler is available and must notice.
    from dynaflow.engine import _sizes

    assert values._canonical_size is _sizes.canonical_size


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_items, _awkward_items))
def test_c_walk_agrees_with_python_walk(item: dict[str, Any]) -> None:
    # Why: the C walk decides which items skip validation on every write path; it must give the
    # Python walk's size to the byte and decline exactly what the Python walk declines.
    from dynaflow.engine import _sizes

    assert _sizes.canonical_size(item) == _python_walk(item)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(_items)
def test_item_size_agrees_with_value_sizes(item: dict[str, Any]) -> None:
    # Why: item_size answers from the C walk whenever that walk proves the item; its size must then
    # be the per-value accounting's, byte for byte (capacity units and stream SizeBytes use it).
    if _python_walk(item) >= 0:
        assert values.item_size(item) == sum(values._name_size(k) + values.value_size(v) for k, v in item.items())


@settings(max_examples=1000)
@given(st.one_of(_numbers, st.text(alphabet="-0123456789.e", max_size=12), st.integers(), st.none()))
def test_c_number_size_agrees_with_python(text: Any) -> None:
    from dynaflow.engine import _sizes

    assert _sizes.canonical_number_size(text) == values._canonical_number_size_py(text)
    assert values.canonical_number_size is _sizes.canonical_number_size


def test_c_walk_declines_what_it_cannot_prove_cheaply() -> None:
    # Why: the C walk is stricter than the Python one in two places, and each must send the item
    # to the checked walk (-1), never accept it: str subclasses and lone surrogates; nor may it
    # accept an item nested beyond DynamoDB's limit.
    from dynaflow.engine import _sizes

    class Name(str):
        pass

    assert _sizes.canonical_size({Name("a"): {"S": "x"}}) == -1
    assert _sizes.canonical_size({"a": {Name("S"): "x"}}) == -1
    assert _sizes.canonical_size({"a": {"S": "\ud800"}}) == -1
    deep: dict[str, Any] = {"S": "x"}
    for _ in range(70):
        deep = {"L": [deep]}
    assert _sizes.canonical_size({"a": deep}) == -1
    assert _sizes.canonical_size({"a": {"L": [{"S": "x"}]}}) == 1 + 3 + 1 + 1
    assert _sizes.canonical_size([("a", {"S": "x"})]) == -1


@pytest.mark.parametrize("length", [65535, 65536])
@pytest.mark.parametrize("nested", [False, True])
def test_walks_agree_on_the_name_length_limit(length: int, nested: bool) -> None:
    # Why: the proofs must not accept a name longer than DynamoDB takes; the checked walk words the
    # error for a top-level name (and takes a nested map key, which DynamoDB does not limit alike).
    from dynaflow.engine import _sizes

    name = "n" * length
    item: dict[str, Any] = {"a": {"M": {name: {"S": "x"}}}} if nested else {name: {"S": "x"}}
    assert _sizes.canonical_size(item) == values._canonical_size_py(item)
    assert (values._canonical_size_py(item) >= 0) == (length <= 65535)
    checked = _outcome(values._validate_item_checked, item)
    assert checked[0] == ("ok" if length <= 65535 or nested else "error")


@pytest.mark.parametrize("kind", ["M", "L"])
@pytest.mark.parametrize("wraps", [30, 31, 32, 33])
def test_walks_agree_on_the_nesting_limit(kind: str, wraps: int) -> None:
    # Why: 31 wraps (32 levels) is the most DynamoDB stores; both walks must prove exactly those
    # items, and the checked walk must refuse the deeper ones with DynamoDB's message.
    from dynaflow.engine import _sizes

    value: dict[str, Any] = {"S": "x"}
    for _ in range(wraps):
        value = {"M": {"k": value}} if kind == "M" else {"L": [value]}
    item = {"a": value}
    assert _sizes.canonical_size(item) == values._canonical_size_py(item)
    assert (values._canonical_size_py(item) >= 0) == (wraps <= 31)
    checked = _outcome(values._validate_item_checked, item)
    assert checked[0] == ("ok" if wraps <= 31 else "error")
    if wraps > 31:
        assert checked[2] == values.ITEM_NESTING_MESSAGE


# ---------------------------------------------------------------- key builders

_key_values = st.one_of(
    st.builds(lambda v: {"S": v}, st.one_of(st.text(max_size=6), st.text(min_size=1020, max_size=1030),
                                             st.text(min_size=2040, max_size=2050), st.just("a\x00b"))),
    st.builds(lambda v: {"N": v}, _numbers),
    st.builds(lambda v: {"B": v}, _b64),
    st.just({"S": "a", "N": "1"}),
    st.just({"S": 1}),
    st.just({}),
)
_schemas = st.tuples(st.sampled_from(["S", "N", "B"]), st.sampled_from([None, "S", "N", "B"]))


def _checked_key(prefix: bytes, schema: tuple[str, str | None], key: dict[str, Any]) -> Any:
    """What the checked path computes: validate, then check types like Table._key_attr, then encode."""
    hash_type, range_type = schema
    checked = values.validate_item(key)
    h = checked["h"]
    if hash_type not in h or (not h[hash_type] and hash_type != "N"):
        raise DynamoError("ValidationException", "mismatch")
    if values.value_size(h) > values.MAX_PARTITION_KEY_SIZE:
        raise DynamoError("ValidationException", "too long")
    r = None
    if range_type is not None:
        r = checked["r"]
        if range_type not in r or (not r[range_type] and range_type != "N"):
            raise DynamoError("ValidationException", "mismatch")
        if values.value_size(r) > values.MAX_SORT_KEY_SIZE:
            raise DynamoError("ValidationException", "too long")
    return keys.item_key(prefix, h, r)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(_schemas, _key_values, _key_values)
def test_key_builder_agrees_with_item_key(schema: tuple[str, str | None], h: Any, r: Any) -> None:
    # Why: GetItem and PutItem take the builder's key without validating; it must equal the checked
    # encoding (long keys included) and give up on everything the checked path rejects or rewrites.
    prefix = keys.table_prefix(7)
    hash_type, range_type = schema
    key = {"h": h} if range_type is None else {"h": h, "r": r}
    build = keys.key_builder(prefix, ("h", hash_type), ("r", range_type) if range_type else None)
    fast = build(key)
    if fast is not None:
        assert _outcome(_checked_key, prefix, schema, key) == ("ok", fast)
    # The second build of a partition finds its prefix cached, which is the C builder's case.
    assert build(key) == fast


# ---------------------------------------------------------------- GetItem and Query pages through an engine


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("fast-paths")
    engine = Engine(path, durability="os")
    for name, range_type in (("fast_sn", "N"), ("fast_s", None)):
        schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
        attrs = [{"AttributeName": "pk", "AttributeType": "S"}]
        if range_type is not None:
            schema.append({"AttributeName": "sk", "KeyType": "RANGE"})
            attrs.append({"AttributeName": "sk", "AttributeType": range_type})
        engine.execute("CreateTable", {"TableName": name, "KeySchema": schema, "AttributeDefinitions": attrs,
                                       "BillingMode": "PAY_PER_REQUEST"}, PYTHON_OUTPUT)
    for i in range(30):
        engine.execute("PutItem", {"TableName": "fast_sn", "Item": {
            "pk": {"S": "p"}, "sk": {"N": str(i - 10)}, "blob": {"B": "AAE="} if i % 3 == 0 else {"S": "x" * i},
        }}, PYTHON_OUTPUT)
    engine.execute("PutItem", {"TableName": "fast_s", "Item": {"pk": {"S": "p"}, "v": {"N": "1"}}}, PYTHON_OUTPUT)
    yield engine
    engine.close()


def _get(engine: Engine, request: dict[str, Any]) -> Any:
    return _outcome(engine.execute, "GetItem", request, PYTHON_OUTPUT)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["fast_sn", "fast_s", "missing"]),
       st.dictionaries(st.sampled_from(["pk", "sk", "other"]), _key_values, max_size=3))
def test_get_item_fast_key_agrees_with_checked_path(engine: Engine, table: str, key: dict[str, Any]) -> None:
    # Why: GetItem skips validate_item/key_from_key when the fast key answers; the response or the
    # error must be what the checked path gives for the same request.
    request = {"TableName": table, "Key": key}
    got = _get(engine, request)
    catalog = engine.state.catalog.tables
    saved = dict(catalog)
    try:
        # Disable the fast path: a table whose builder never answers.
        for name, t in saved.items():
            clone = type(t)(name=t.name, table_id=t.table_id, hash_key=t.hash_key, range_key=t.range_key,
                            description=t.description, observers=t.observers, indexes=t.indexes)
            object.__setattr__(clone, "fast_key", lambda item: None)
            catalog[name] = clone
        expected = _get(engine, request)
    finally:
        catalog.clear()
        catalog.update(saved)
    assert got == expected


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.none(), st.integers(1, 35)), st.booleans(), st.integers(-12, 22), st.integers(-12, 22),
       st.booleans())
def test_plain_page_agrees_with_general_loop(engine: Engine, limit: int | None, forward: bool, a: int, b: int,
                                            wire: bool) -> None:
    # Why: the plain page loop must end on the same item with the same counts as the general one
    # (a pass-through key filter forces the general loop without changing what it reads).
    table = engine.state.catalog.tables["fast_sn"]
    part = keys.partition_prefix(table.prefix, {"S": "p"})
    low = part + keys.encode_value({"N": str(min(a, b))})
    high = part + keys.encode_value({"N": str(max(a, b))})
    out = WIRE_OUTPUT if wire else PYTHON_OUTPUT
    spec = PageSpec(low=low, high=high, forward=forward, limit=limit, filter=None, projection=None,
                    count_only=False, consistent=False)
    general = PageSpec(low=low, high=high, forward=forward, limit=limit, filter=None, projection=None,
                       count_only=False, consistent=False, key_filter=lambda item: True)
    request = {"TableName": "fast_sn", "ReturnConsumedCapacity": "TOTAL"}
    got = read_page(engine.state, table, spec, request, out)
    expected = read_page(engine.state, table, general, request, out)
    assert orjson.dumps(got) == orjson.dumps(expected) if wire else got == expected


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]),
                          st.one_of(st.none(), st.sampled_from([{"S": "g1"}, {"S": "g2"}, {"N": "5"}])),
                          st.text(max_size=5)), min_size=1, max_size=8))
def test_plain_put_agrees_with_general_put(tmp_path_factory: pytest.TempPathFactory,
                                           puts: list[tuple[str, Any, str]]) -> None:
    # Why: a plain PutItem skips the read-modify-write machinery; items, counters, index entries and
    # errors (a GSI key of the wrong type) must come out exactly as through the general path.
    engine = Engine(tmp_path_factory.mktemp("plain-put"), durability="os")
    try:
        for name in ("plain", "general"):
            engine.execute("CreateTable", {
                "TableName": name, "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                         {"AttributeName": "g", "AttributeType": "S"}],
                "GlobalSecondaryIndexes": [{"IndexName": "by_g", "Projection": {"ProjectionType": "ALL"},
                                            "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}],
            }, PYTHON_OUTPUT)
        for pk, g, text in puts:
            item: dict[str, Any] = {"pk": {"S": pk}, "v": {"S": text}}
            if g is not None:
                item["g"] = g
            plain = _outcome(engine.execute, "PutItem", {"TableName": "plain", "Item": item}, PYTHON_OUTPUT)
            general = _outcome(engine.execute, "PutItem", {"TableName": "general", "Item": item,
                                                           "ReturnValues": "ALL_OLD"}, PYTHON_OUTPUT)
            assert plain[0] == general[0] and (plain[0] == "ok" or plain == general)
        for request in ({}, {"IndexName": "by_g"}):
            scans = [engine.execute("Scan", {"TableName": name, **request}, PYTHON_OUTPUT)
                     for name in ("plain", "general")]
            assert sorted(map(repr, scans[0]["Items"])) == sorted(map(repr, scans[1]["Items"]))
        described = [engine.execute("DescribeTable", {"TableName": name}, PYTHON_OUTPUT)["Table"]
                     for name in ("plain", "general")]
        counters = [(d["ItemCount"], d["TableSizeBytes"]) for d in described]
        assert counters[0] == counters[1]
    finally:
        engine.close()


def test_item_proofs_last_one_request(tmp_path: Path) -> None:
    # Why: the shape check proves an item once and the operation reuses the proof; a proof must
    # never outlive its request, or a dict changed after a successful put would be stored unchecked.
    engine = Engine(tmp_path, durability="os")
    try:
        engine.execute("CreateTable", {
            "TableName": "proofs", "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}, PYTHON_OUTPUT)
        item: dict[str, Any] = {"pk": {"S": "a"}, "n": {"N": "1"}}
        engine.execute("PutItem", {"TableName": "proofs", "Item": item}, PYTHON_OUTPUT)
        assert values._PROOFS.sizes == {}
        item["n"] = {"N": "not a number"}
        with pytest.raises(DynamoError) as raised:
            values.validate_item_sized(item)
        assert raised.value.type == "ValidationException"
        # A request that fails after its items were proven leaves no proof behind either.
        with pytest.raises(DynamoError):
            engine.execute("PutItem", {"TableName": "missing", "Item": {"pk": {"S": "b"}}}, PYTHON_OUTPUT)
        assert values._PROOFS.sizes == {}
    finally:
        engine.close()


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(_items)
def test_binary_flag_is_set_for_every_item_with_binary(item: dict[str, Any]) -> None:
    # Why: the HAS_BINARY flag is found by a byte search of the JSON, not by walking the item; an
    # item holding a B or BS value anywhere must always get it (a spare flag only costs a walk).
    def holds_binary(value: Any) -> bool:
        if isinstance(value, dict):
            return any(tag in ("B", "BS") or holds_binary(inner) for tag, inner in value.items())
        return isinstance(value, list) and any(holds_binary(inner) for inner in value)

    try:
        valid, size = values.validate_item_sized(item)
    except DynamoError:
        return
    record = records.encode_item(valid, size)
    assert records.decode_item(record) == valid and records.item_size(record) == size
    if any(holds_binary(av) for av in valid.values()):
        assert records.has_binary(record)


def _with_and_without_shortcuts(monkeypatch: pytest.MonkeyPatch, run: Any) -> tuple[Any, Any]:
    """``run()`` as the engine answers it, then again with ``core.SHORTCUTS`` emptied."""
    from dynaflow.engine import core

    got = run()
    with monkeypatch.context() as patched:
        patched.setattr(core, "SHORTCUTS", {})
        expected = run()
    return got, expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.sampled_from(["fast_sn", "fast_s", "missing", "x", "", "arn:aws:dynamodb:a:b:table/fast_s"]),
                 st.just(["fast_s"]), st.just(5), st.none()),
       st.one_of(st.dictionaries(st.sampled_from(["pk", "sk", "other"]), _key_values, max_size=3),
                 st.just([]), st.just("pk")),
       st.dictionaries(st.sampled_from(["ConsistentRead", "ReturnConsumedCapacity", "Bogus"]),
                       st.sampled_from([True, "TOTAL", None, 1]), max_size=1))
def test_get_item_shortcut_agrees_with_full_path(engine: Engine, monkeypatch: pytest.MonkeyPatch, table: Any,
                                                 key: Any, extra: dict[str, Any]) -> None:
    # Why: core.SHORTCUTS skip the shape check for the requests they prove valid; every request,
    # valid or not, must get the same response or error with and without them.
    request = {"TableName": table, "Key": key, **extra}
    got, expected = _with_and_without_shortcuts(monkeypatch, lambda: _get(engine, dict(request)))
    assert got == expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.sampled_from(["fast_s", "missing", "x"]), st.just(["fast_s"]), st.none()),
       st.builds(lambda pk, rest: {**rest, **pk}, st.one_of(st.just({"pk": {"S": "shortcut"}}), st.just({})),
                 _items),
       st.dictionaries(st.sampled_from(["ReturnValues", "Bogus"]), st.sampled_from(["ALL_OLD", None, 1]),
                       max_size=1))
def test_put_item_shortcut_agrees_with_full_path(engine: Engine, monkeypatch: pytest.MonkeyPatch, table: Any,
                                                 item: dict[str, Any], extra: dict[str, Any]) -> None:
    # Why: a PutItem the shortcut proves valid skips the shape check; every request must get the
    # same answer or error, and store the same item, with and without the shortcut.
    def put_and_read() -> Any:
        outcome = _outcome(engine.execute, "PutItem", {"TableName": table, "Item": item, **extra}, WIRE_OUTPUT)
        stored = engine.execute("GetItem", {"TableName": "fast_s", "Key": {"pk": {"S": "shortcut"}}}, PYTHON_OUTPUT)
        engine.execute("DeleteItem", {"TableName": "fast_s", "Key": {"pk": {"S": "shortcut"}}}, PYTHON_OUTPUT)
        return outcome, stored

    got, expected = _with_and_without_shortcuts(monkeypatch, put_and_read)
    assert got == expected


def _read_and_clear(engine: Engine, keys_: list[dict[str, Any]]) -> list[Any]:
    """What ``fast_s`` holds at ``keys_``, which are then deleted for the next example."""
    stored = [engine.execute("GetItem", {"TableName": "fast_s", "Key": key}, PYTHON_OUTPUT) for key in keys_]
    for key in keys_:
        engine.execute("DeleteItem", {"TableName": "fast_s", "Key": key}, PYTHON_OUTPUT)
    return stored


_batch_entries = st.lists(
    st.one_of(
        st.builds(lambda n, rest: {"PutRequest": {"Item": {**rest, "pk": {"S": f"batch-{n}"}}}},
                  st.integers(0, 3), _items),
        st.builds(lambda rest: {"PutRequest": {"Item": rest}}, _items),
        st.builds(lambda n: {"DeleteRequest": {"Key": {"pk": {"S": f"batch-{n}"}}}}, st.integers(0, 3)),
        st.just({"PutRequest": {}}),
        st.just({"PutRequest": {"Item": {"pk": {"S": "batch-9"}}}, "DeleteRequest": {"Key": {"pk": {"S": "x"}}}}),
        st.just({"PutRequest": {"Item": {"pk": {"S": "batch-8"}}, "Bogus": 1}}),
        st.just("not a request"),
    ),
    max_size=27,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(["fast_s", "missing", "x", "arn:aws:dynamodb:a:b:table/fast_s"]),
                       st.one_of(_batch_entries, st.just("not a list")), max_size=2),
       st.dictionaries(st.sampled_from(["ReturnConsumedCapacity", "Bogus"]), st.sampled_from(["TOTAL", 1]),
                       max_size=1))
def test_batch_write_item_shortcut_agrees_with_full_path(engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                                         request_items: dict[str, Any], extra: dict[str, Any]) -> None:
    # Why: a BatchWriteItem of proven puts skips the shape check; every request must get the same
    # answer or error, and leave the same items, with and without the shortcut.
    keys_ = [{"pk": {"S": f"batch-{n}"}} for n in (0, 1, 2, 3, 8, 9)]

    def write_and_read() -> Any:
        outcome = _outcome(engine.execute, "BatchWriteItem", {"RequestItems": request_items, **extra}, WIRE_OUTPUT)
        return outcome, _read_and_clear(engine, keys_)

    got, expected = _with_and_without_shortcuts(monkeypatch, write_and_read)
    assert got == expected


_plain_items = st.dictionaries(st.sampled_from(["a", "b", "seq"]),
                               st.one_of(st.builds(lambda v: {"S": v}, _strings),
                                         st.builds(lambda v: {"N": v}, st.integers(-99, 99).map(str))),
                               max_size=3)
_transact_put_members = st.fixed_dictionaries({}, optional={
    "ConditionExpression": st.one_of(
        st.just("attribute_not_exists(#s) OR #s < :s"),
        st.sampled_from(["attribute_not_exists(pk)", "#s <", "", None, 7])),
    "ExpressionAttributeNames": st.one_of(st.just({"#s": "seq"}), st.sampled_from([{"#s": 5}, {}, None])),
    "ExpressionAttributeValues": st.one_of(st.just({":s": {"S": "m"}}), st.builds(lambda v: {":s": v}, _values),
                                           st.just({})),
    "ReturnValuesOnConditionCheckFailure": st.just("ALL_OLD"),
})
_sink_puts = st.builds(
    lambda n, rest, extra: {"Put": {"TableName": "fast_s", "Item": {**rest, "pk": {"S": f"txn-{n}"}}, **extra}},
    st.integers(0, 3), _plain_items, _transact_put_members)
_transact_puts = st.one_of(
    _sink_puts,
    st.builds(lambda n, rest, extra: {"Put": {"TableName": "fast_s", "Item": {**rest, "pk": {"S": f"txn-{n}"}},
                                              **extra}},
              st.integers(0, 3), _items, _transact_put_members),
    st.builds(lambda table, rest: {"Put": {"TableName": table, "Item": rest}},
              st.sampled_from(["fast_s", "missing", "arn:aws:dynamodb:a:b:table/fast_s", 5]), _items),
    st.builds(lambda n: {"Delete": {"TableName": "fast_s", "Key": {"pk": {"S": f"txn-{n}"}}}}, st.integers(0, 3)),
    st.just({"Put": {"TableName": "fast_s", "Item": {"pk": {"S": "txn-9"}}},
             "Delete": {"TableName": "fast_s", "Key": {"pk": {"S": "x"}}}}),
    st.just({"Put": {"TableName": "fast_s", "Item": {"pk": {"S": "txn-8"}}, "Bogus": 1}}),
    st.just({"Put": "not a put"}),
    st.just("not an action"),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.lists(_sink_puts, min_size=1, max_size=4), st.lists(_transact_puts, max_size=5),
                 st.just("not a list"),
                 st.just([{"Put": {"TableName": "fast_s", "Item": {"pk": {"S": f"txn-{n}"}}}} for n in range(101)])),
       st.one_of(st.just({}), st.dictionaries(st.sampled_from(["ReturnConsumedCapacity", "Bogus"]),
                                              st.sampled_from(["TOTAL", 1]), max_size=1)),
       st.integers(0, 2))
def test_transact_write_items_shortcut_agrees_with_full_path(engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                                             actions: Any, extra: dict[str, Any],
                                                             seeded: int) -> None:
    # Why: a transaction of proven puts skips the shape check; every request must get the same
    # answer or error (conditions included: ``seeded`` items exist beforehand with a ``seq``),
    # and leave the same items, with and without the shortcut.
    keys_ = [{"pk": {"S": f"txn-{n}"}} for n in (0, 1, 2, 3, 8, 9)]

    def write_and_read() -> Any:
        for key in keys_[:seeded]:
            engine.execute("PutItem", {"TableName": "fast_s", "Item": {**key, "seq": {"S": "m"}}}, PYTHON_OUTPUT)
        outcome = _outcome(engine.execute, "TransactWriteItems", {"TransactItems": actions, **extra}, WIRE_OUTPUT)
        return outcome, _read_and_clear(engine, keys_)

    got, expected = _with_and_without_shortcuts(monkeypatch, write_and_read)
    assert got == expected


def test_transact_write_items_shortcut_answers_the_sinks_transactions(engine: Engine) -> None:
    # Why: the agreement test above proves nothing if the shortcut never answers; the replication
    # sink's transaction (conditional puts sharing one names and one values map) must take it.
    from dynaflow.engine import core

    guard = {":s": {"S": "0005"}}
    names = {"#s": "seq"}
    request = {"TransactItems": [
        {"Put": {"TableName": "fast_s", "Item": {"pk": {"S": f"sink-{n}"}, "seq": {"S": "0007"}},
                 "ConditionExpression": "attribute_not_exists(#s) OR #s < :s",
                 "ExpressionAttributeNames": names, "ExpressionAttributeValues": guard}}
        for n in range(100)]}
    answer = core.SHORTCUTS["TransactWriteItems"](engine.state, request, PYTHON_OUTPUT)
    values.forget_proofs()
    assert answer is not None
    assert core.SHORTCUTS["TransactWriteItems"](engine.state, {**request, "Bogus": 1}, PYTHON_OUTPUT) is None


def _python_builder(prefix: bytes, range_name: str | None) -> Any:
    """keys.py's string-key builder without the C part: what the C builder must agree with."""
    native, keys._c_string_key = keys._c_string_key, None  # type: ignore[misc]
    try:
        return keys._string_key_builder(prefix, "h", range_name)
    finally:
        keys._c_string_key = native  # type: ignore[misc]


def _c_limits(prefix: bytes, cache_size: int = keys.PREFIX_CACHE_SIZE) -> tuple[Any, ...]:
    return (prefix, keys.MAX_EXACT, keys.MAX_SORT_KEY_SIZE, keys.MAX_PARTITION_KEY_SIZE, keys.LONG_PARTITION,
            cache_size)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(_key_values, _key_values, st.booleans(), st.booleans())
def test_c_key_builder_agrees_with_python_builder(h: Any, r: Any, ranged: bool, cached: bool) -> None:
    # Why: the C builder answers for S keys, building the partition's prefix when it is not
    # cached; it must return the Python builder's key or None, remember the prefix the Python
    # builder would, and hand everything else back (NotImplemented), never guess.
    from dynaflow.engine import _keys

    prefix = keys.table_prefix(7)
    range_name = "r" if ranged else None
    key = {"h": h, "r": r} if ranged else {"h": h}
    python = _python_builder(prefix, range_name)
    native = _keys.string_key
    prefixes: dict[str, bytes] = {}
    expected_prefix = None
    if h.__class__ is dict and h.get("S").__class__ is str and h["S"]:
        expected_prefix = _outcome(_python_builder(prefix, None), {"h": h})[1]
        if cached and expected_prefix is not None:
            prefixes[h["S"]] = expected_prefix
    answer = native(key, "h", range_name, prefixes, *_c_limits(prefix))
    if answer is not NotImplemented:
        assert answer == _outcome(python, key)[1]
        if expected_prefix is not None:
            assert prefixes == {h["S"]: expected_prefix}


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(_key_values, _key_values, st.booleans())
def test_composed_key_builder_answers_as_the_python_builder(h: Any, r: Any, ranged: bool) -> None:
    # Why: the engine's builder is the C callable (``_keys.StringKeyBuilder``), which answers what
    # ``string_key`` answers and hands the rest to the Python builder: every key, None or error
    # must be the Python builder's, whichever of the two decided it.
    from dynaflow.engine import _keys

    prefix = keys.table_prefix(7)
    range_name = "r" if ranged else None
    key = {"h": h, "r": r} if ranged else {"h": h}
    composed = keys._string_key_builder(prefix, "h", range_name)
    assert isinstance(composed, _keys.StringKeyBuilder)
    assert _outcome(composed, key) == _outcome(_python_builder(prefix, range_name), key)


def test_c_key_builder_builds_partitions_and_defers_the_rest() -> None:
    # Why: the C builder must actually answer the common case (else it only costs a call), and
    # must defer what only the Python builder does: escaping, long partitions, long keys.
    from dynaflow.engine import _keys

    prefixes = {"p": b"PREFIX"}
    args = _c_limits(keys.table_prefix(7))
    assert _keys.string_key({"h": {"S": "p"}, "r": {"S": "s"}}, "h", "r", prefixes, *args) == b"PREFIXs\x00\x00"
    assert _keys.string_key({"h": {"S": "p"}}, "h", None, prefixes, *args) == b"PREFIX"
    built = _keys.string_key({"h": {"S": "q"}, "r": {"S": "s"}}, "h", "r", prefixes, *args)
    assert built == _python_builder(keys.table_prefix(7), "r")({"h": {"S": "q"}, "r": {"S": "s"}})
    assert set(prefixes) == {"p", "q"}
    assert _keys.string_key({"h": {"S": "a\x00b"}}, "h", None, prefixes, *args) is NotImplemented
    assert _keys.string_key({"h": {"S": "x" * 127}}, "h", None, prefixes, *args) is NotImplemented
    assert _keys.string_key({"h": {"S": "x" * 2049}}, "h", None, prefixes, *args) is None
    assert _keys.string_key({"h": {"S": "p"}, "r": {"S": "a\x00b"}}, "h", "r", prefixes, *args) is NotImplemented
    assert _keys.string_key({"h": {"S": "p"}, "r": {"S": "x" * 600}}, "h", "r", prefixes, *args) is NotImplemented
    assert _keys.string_key({"h": {"S": "p"}, "r": {"S": "x" * 1025}}, "h", "r", prefixes, *args) is None
    assert _keys.string_key({"h": {"S": "p"}, "r": {"N": "1"}}, "h", "r", prefixes, *args) is None
    assert _keys.string_key({"h": {"S": ""}}, "h", None, prefixes, *args) is None


def test_c_key_builder_empties_a_full_prefix_cache() -> None:
    # Why: the cache is bounded as keys.py bounds it: full, it is emptied before the next prefix.
    from dynaflow.engine import _keys

    prefixes: dict[str, bytes] = {}
    args = _c_limits(keys.table_prefix(7), cache_size=3)
    for n in range(4):
        _keys.string_key({"h": {"S": f"p{n}"}}, "h", None, prefixes, *args)
    assert list(prefixes) == ["p3"]
    assert keys._c_string_key is _keys.string_key
