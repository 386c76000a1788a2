"""Proven puts (``engine/proven_puts.py``): what they decline, and the engine changing under them.

Their answers for every request, valid or not, are compared with the full path's in
``test_fast_paths.py`` (the PutItem and BatchWriteItem shortcut agreement tests); here are the
cases those cannot reach: a put prepared against a table that is swapped, recreated or capped
before the writer stores it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynaflow.engine import proven_puts, records
from dynaflow.engine.core import Engine
from dynaflow.engine.errors import DynamoError
from dynaflow.engine.ops import batch_write_item, put_item
from dynaflow.engine.state import PYTHON_OUTPUT, Deferred
from dynaflow.engine.values import MAX_ITEM_SIZE


def _table(name: str, key: str = "pk", **extra: Any) -> dict[str, Any]:
    return {"TableName": name, "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": key, "AttributeType": "S"}], **extra}


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = Engine(tmp_path, durability="os")
    engine.execute("CreateTable", _table("tbl"), PYTHON_OUTPUT)
    yield engine
    engine.close()


def _call(engine: Engine, name: str, **request: Any) -> dict[str, Any]:
    return engine.execute(name, request, PYTHON_OUTPUT)


def test_prepare_declines_what_the_general_path_must_answer(engine: Engine) -> None:
    # Why: a declined put takes the general path, which words the error or does the extra work;
    # a put prepared where it should have been declined would skip that.
    _call(engine, "CreateTable", **_table("indexed", AttributeDefinitions=[
        {"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "by_g", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}]))
    _call(engine, "CreateTable", **{**_table("limited"), "BillingMode": "PROVISIONED",
                                    "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}})
    tables = engine.state.catalog.tables
    plain = {"pk": {"S": "a"}, "v": {"S": "x"}}
    assert proven_puts.prepare(tables["tbl"], plain) is not None
    assert proven_puts.prepare(tables["indexed"], plain) is None
    assert proven_puts.prepare(tables["limited"], plain) is None
    assert proven_puts.prepare(tables["tbl"], [plain]) is None
    assert proven_puts.prepare(tables["tbl"], {"v": {"S": "no key"}}) is None
    assert proven_puts.prepare(tables["tbl"], {"pk": {"N": "1"}}) is None  # wrong key type
    assert proven_puts.prepare(tables["tbl"], {"pk": {"S": ""}}) is None  # empty key
    assert proven_puts.prepare(tables["tbl"], {"pk": {"S": "a"}, "n": {"N": "01"}}) is None  # to normalize
    big = {"pk": {"S": "a"}, "v": {"S": "x" * (MAX_ITEM_SIZE - 3)}}
    assert proven_puts.prepare(tables["tbl"], big) is None
    fits = {"pk": {"S": "a"}, "v": {"S": "x" * (MAX_ITEM_SIZE - 5)}}
    assert proven_puts.prepare(tables["tbl"], fits) is not None


def _deferred(engine: Engine, operation: str, request: dict[str, Any]) -> Deferred:
    shortcut = put_item.shortcut if operation == "PutItem" else batch_write_item.shortcut
    deferred = shortcut(engine.state, request, PYTHON_OUTPUT)
    assert isinstance(deferred, Deferred)
    return deferred


def test_a_table_recreated_before_the_write_gets_the_general_answer(engine: Engine) -> None:
    # Why: the put was proven against the old table's key schema; writing it under the prepared
    # key into the new table (another key attribute) would store an item the table cannot hold.
    deferred = _deferred(engine, "PutItem", {"TableName": "tbl", "Item": {"pk": {"S": "a"}}})
    _call(engine, "DeleteTable", TableName="tbl")
    _call(engine, "CreateTable", **_table("tbl", key="id"))
    with pytest.raises(DynamoError) as raised:
        engine.state.writer.submit(deferred.fn)
    assert raised.value.type == "ValidationException"
    assert _call(engine, "Scan", TableName="tbl")["Count"] == 0


def test_a_batch_whose_table_was_deleted_writes_nothing(engine: Engine) -> None:
    _call(engine, "CreateTable", **_table("other"))
    deferred = _deferred(engine, "BatchWriteItem", {"RequestItems": {
        "other": [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}],
        "tbl": [{"PutRequest": {"Item": {"pk": {"S": "b"}}}}]}})
    _call(engine, "DeleteTable", TableName="tbl")
    with pytest.raises(DynamoError) as raised:
        engine.state.writer.submit(deferred.fn)
    assert raised.value.type == "ResourceNotFoundException"
    assert _call(engine, "Scan", TableName="other")["Count"] == 0


def test_a_table_made_provisioned_before_the_write_is_charged(engine: Engine) -> None:
    # Why: a table that became throughput-limited after the put was prepared must take the path
    # that charges (and may throttle) writes; the item is still stored and counted once.
    deferred = _deferred(engine, "BatchWriteItem", {"RequestItems": {"tbl": [
        {"PutRequest": {"Item": {"pk": {"S": str(i)}, "v": {"S": "x" * 2000}}}} for i in range(3)]}})
    _call(engine, "UpdateTable", TableName="tbl", BillingMode="PROVISIONED",
          ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    table = engine.state.catalog.tables["tbl"]
    assert table.limited
    answer = engine.state.writer.submit(deferred.fn)
    assert answer == {"UnprocessedItems": {}}
    assert _call(engine, "Scan", TableName="tbl")["Count"] == 3
    bucket = engine.state.limiter._buckets[(table.description["TableId"], "", "w")]
    assert bucket.tokens <= bucket.rate * bucket.burst - 6 + 1  # three 2-unit writes were charged
    assert _call(engine, "DescribeTable", TableName="tbl")["Table"]["ItemCount"] == 3


def test_proven_puts_count_and_replace_like_general_puts(engine: Engine) -> None:
    # Why: the proven path stores through changes.write_change like every write; a replaced item
    # must count once and its size must follow the new item.
    for value in ("first", "second, longer"):
        _call(engine, "BatchWriteItem", RequestItems={"tbl": [
            {"PutRequest": {"Item": {"pk": {"S": "same"}, "v": {"S": value}}}}]})
    _call(engine, "PutItem", TableName="tbl", Item={"pk": {"S": "other"}})
    table = _call(engine, "DescribeTable", TableName="tbl")["Table"]
    assert table["ItemCount"] == 2
    assert table["TableSizeBytes"] == len("pk") + len("same") + len("v") + len("second, longer") + 2 + 5
    got = _call(engine, "GetItem", TableName="tbl", Key={"pk": {"S": "same"}})
    assert got["Item"]["v"] == {"S": "second, longer"}


def _stream_events(engine: Engine, table: str) -> list[tuple[str, str]]:
    """(eventName, pk) of every record in the table's stream, in sequence-number order."""
    arn = _call(engine, "ListStreams", TableName=table)["Streams"][0]["StreamArn"]
    found: list[tuple[str, str, str]] = []
    for shard in _call(engine, "DescribeStream", StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = _call(engine, "GetShardIterator", StreamArn=arn, ShardId=shard["ShardId"],
                         ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        for record in _call(engine, "GetRecords", ShardIterator=iterator)["Records"]:
            change = record["dynamodb"]
            found.append((change["SequenceNumber"], record["eventName"], change["Keys"]["pk"]["S"]))
    return [(name, pk) for _, name, pk in sorted(found, key=lambda f: int(f[0]))]


def test_a_batch_into_a_streamed_table_records_every_change(engine: Engine) -> None:
    # Why: a streamed table is observed, so its proven puts go through write_change one by one;
    # each must leave its stream record (a replacement a MODIFY, an unchanged item none).
    _call(engine, "CreateTable", **_table("streamed", StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}))
    _call(engine, "PutItem", TableName="streamed", Item={"pk": {"S": "old"}, "v": {"S": "1"}})
    _call(engine, "PutItem", TableName="streamed", Item={"pk": {"S": "same"}, "v": {"S": "1"}})
    _call(engine, "BatchWriteItem", RequestItems={"streamed": [
        {"PutRequest": {"Item": {"pk": {"S": "new"}, "v": {"S": "1"}}}},
        {"PutRequest": {"Item": {"pk": {"S": "old"}, "v": {"S": "2"}}}},
        {"PutRequest": {"Item": {"pk": {"S": "same"}, "v": {"S": "1"}}}}]})
    assert _stream_events(engine, "streamed") == [
        ("INSERT", "old"), ("INSERT", "same"), ("INSERT", "new"), ("MODIFY", "old")]
    table = _call(engine, "DescribeTable", TableName="streamed")["Table"]
    assert (table["ItemCount"], table["TableSizeBytes"]) == (3, 3 * (len("pk") + len("v") + 1) + 3 + 3 + 4)


_values = st.sampled_from([{"S": "x"}, {"N": "1"}, {"N": "01"}, {"S": ""}, {"SS": ["a"]}, {"B": b"b"}, "bare",
                           {"S": "y" * (MAX_ITEM_SIZE - 6)}, {"M": {"k": {"BOOL": True}}}])
_entries = st.one_of(
    st.builds(lambda key, value: {"PutRequest": {"Item": {"pk": {"S": key}, "v": value}}},
              st.sampled_from(["a", "b", "c", ""]), _values),
    st.sampled_from([{"PutRequest": {"Item": {"v": {"S": "no key"}}}}, {"DeleteRequest": {"Key": {"pk": {"S": "a"}}}},
                     {"PutRequest": {"Item": {"pk": {"S": "a"}}}, "DeleteRequest": {}},
                     {"PutRequest": {"Item": {"pk": {"S": "a"}}, "Extra": 1}}, {"PutRequest": []}, "entry",
                     {"PutRequest": {"Item": [1]}}]))


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.lists(_entries, min_size=1, max_size=6))
def test_prepare_all_answers_as_prepare_for_each_entry(engine: Engine, entries: list[Any],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # Why: a batch's list of puts (and a single put) is prepared in one C call; it must give
    # exactly the puts that the Python steps give entry by entry (key, size, stored record), and
    # None whenever one entry is not a plain put or a key repeats, so the Python loop then words
    # the answer as before.
    table = engine.state.catalog.tables["tbl"]
    native = [proven_puts.prepare(table, _plain_item(entry)) for entry in entries]
    with monkeypatch.context() as patch:
        patch.setattr(proven_puts, "_native_prepare", None)
        python = [proven_puts.prepare(table, _plain_item(entry)) for entry in entries]
    assert native == python
    expected: list[Any] | None = []
    seen: set[bytes] = set()
    for put in python:
        if put is None or put[1] in seen:
            expected = None
            break
        seen.add(put[1])
        expected.append(put)
    assert proven_puts.prepare_all(table, entries) == expected


def _plain_item(entry: Any) -> Any:
    """The item of an entry that is exactly {"PutRequest": {"Item": <dict>}}, else None."""
    if not isinstance(entry, dict) or len(entry) != 1:
        return None
    put = entry.get("PutRequest")
    if not isinstance(put, dict) or len(put) != 1:
        return None
    item = put.get("Item")
    return item if isinstance(item, dict) else None


def test_prepare_all_is_used_for_plain_batches(engine: Engine) -> None:
    # Why: the C preparation must actually run (else it only costs a call) and decline indexed
    # tables, whose puts need the general path.
    table = engine.state.catalog.tables["tbl"]
    entries = [{"PutRequest": {"Item": {"pk": {"S": str(i)}, "n": {"N": "1.5"}}}} for i in range(25)]
    prepared = proven_puts.prepare_all(table, entries)
    assert prepared is not None and [p[1] for p in prepared] == [table.fast_key(e["PutRequest"]["Item"])
                                                                 for e in entries]
    assert prepared[0][4] == records.encode_item(entries[0]["PutRequest"]["Item"], prepared[0][3], False)
    _call(engine, "CreateTable", **_table("indexed", AttributeDefinitions=[
        {"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "by_g", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}]))
    assert proven_puts.prepare_all(engine.state.catalog.tables["indexed"], entries) is None
