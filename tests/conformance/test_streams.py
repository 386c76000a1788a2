"""DynamoDB Streams: StreamSpecification on CreateTable/UpdateTable, the record shape, and
ListStreams / DescribeStream / GetShardIterator / GetRecords."""

from __future__ import annotations

from typing import Any

import pytest

from support import assert_dynamo_error, unique
from support.streams import all_shards, read_shard, read_stream, streams_client

NEW_AND_OLD = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


@pytest.fixture(scope="session")
def streams(target: str, request: pytest.FixtureRequest, dynamodb: Any) -> Any:
    return streams_client(target, request, dynamodb)


@pytest.fixture
def streamed(dynamodb: Any, table_factory: Any) -> tuple[str, str]:
    """A fresh table with a NEW_AND_OLD_IMAGES stream: (table name, stream ARN)."""
    name = table_factory(StreamSpecification=NEW_AND_OLD)
    return name, dynamodb.describe_table(TableName=name)["Table"]["LatestStreamArn"]


def item(pk: str, v: int) -> dict[str, Any]:
    return {"pk": {"S": pk}, "v": {"N": str(v)}}


# ---------------------------------------------------------------- StreamSpecification


def test_create_table_with_stream_describes_it(dynamodb, table_factory):
    # Why: the table description names the stream (ARN under the table's, label) and its view type.
    name = table_factory(StreamSpecification=NEW_AND_OLD)
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert table["StreamSpecification"] == NEW_AND_OLD
    assert table["LatestStreamArn"] == f"{table['TableArn']}/stream/{table['LatestStreamLabel']}"


def test_enabling_without_a_view_type_is_rejected(dynamodb, table_factory):
    # Why: a stream needs a StreamViewType; CreateTable and UpdateTable both refuse one without.
    assert_dynamo_error(lambda: table_factory(StreamSpecification={"StreamEnabled": True}),
                        "ValidationException", "StreamViewType")
    name = table_factory()
    assert_dynamo_error(lambda: dynamodb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True}),
                        "ValidationException", "StreamViewType")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local words the message differently")
def test_create_with_disabled_stream_and_view_type_is_rejected(table_factory):
    # Why: AWS refuses a view type for a stream that is created disabled, with this message.
    assert_dynamo_error(
        lambda: table_factory(StreamSpecification={"StreamEnabled": False, "StreamViewType": "KEYS_ONLY"}),
        "ValidationException", "Table is being created with a stream disabled")


def test_create_with_disabled_stream_has_no_stream(dynamodb, table_factory):
    # Why: StreamEnabled false on CreateTable is accepted and leaves the table without a stream.
    name = table_factory(StreamSpecification={"StreamEnabled": False})
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert "StreamSpecification" not in table and "LatestStreamArn" not in table


def test_enabling_an_enabled_stream_is_rejected(dynamodb, streamed):
    # Why: UpdateTable cannot re-enable (or change the view type of) an enabled stream.
    name, _ = streamed
    spec = {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    assert_dynamo_error(lambda: dynamodb.update_table(TableName=name, StreamSpecification=spec),
                        "ValidationException", "Table already has an enabled stream")


def test_disabling_without_a_stream_is_rejected(dynamodb, table_factory):
    # Why: disabling a stream the table does not have is a ValidationException.
    name = table_factory()
    assert_dynamo_error(
        lambda: dynamodb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False}),
        "ValidationException", "Table has no stream to disable")


def test_disabling_keeps_the_stream_readable(dynamodb, streams, streamed):
    # Why: a disabled stream keeps its records for the retention period; its shards close, so a
    # reader that reaches their end gets no NextShardIterator.
    name, arn = streamed
    dynamodb.put_item(TableName=name, Item=item("a", 1))
    table = dynamodb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})["TableDescription"]
    assert "StreamSpecification" not in table and table["LatestStreamArn"] == arn
    assert disabled_stream_events(streams, arn) == ["INSERT"]


def disabled_stream_events(streams: Any, arn: str) -> list[str]:
    """Check that the stream is DISABLED with every shard closed and read to its end (no next
    iterator); return the event names of the records it still holds."""
    description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert description["StreamStatus"] == "DISABLED"
    assert all("EndingSequenceNumber" in s["SequenceNumberRange"] for s in description["Shards"])
    records = []
    for shard in description["Shards"]:
        found, following = read_shard(streams, arn, shard["ShardId"])
        assert following is None
        records.extend(found)
    return [r["eventName"] for r in records]


def test_deleting_the_table_disables_its_stream_at_once(dynamodb, streams, streamed):
    # Why: DeleteTable puts the table's stream into the DISABLED state (DynamoDB keeps it readable
    # for 24 hours): right after the delete its shards are closed and its records still read.
    name, arn = streamed
    dynamodb.put_item(TableName=name, Item=item("a", 1))
    dynamodb.delete_table(TableName=name)
    assert disabled_stream_events(streams, arn) == ["INSERT"]


def test_reenabling_makes_a_new_stream(dynamodb, streams, streamed):
    # Why: enabling again creates a new stream (new ARN); ListStreams shows both, newest first.
    name, arn = streamed
    dynamodb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    table = dynamodb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True,
                                                                        "StreamViewType": "KEYS_ONLY"})
    second = table["TableDescription"]["LatestStreamArn"]
    assert second != arn
    listed = streams.list_streams(TableName=name)["Streams"]
    assert [s["StreamArn"] for s in listed] == [second, arn]
    assert all(s["TableName"] == name for s in listed)
    paged: list[str] = []
    request: dict[str, Any] = {"TableName": name, "Limit": 1}
    while True:  # Limit pages the listing; LastEvaluatedStreamArn continues it
        page = streams.list_streams(**request)
        assert len(page["Streams"]) <= 1
        paged.extend(s["StreamArn"] for s in page["Streams"])
        if "LastEvaluatedStreamArn" not in page:
            break
        request["ExclusiveStartStreamArn"] = page["LastEvaluatedStreamArn"]
    assert sorted(paged) == sorted([second, arn])


# ---------------------------------------------------------------- records


def test_records_have_dynamodbs_shape(dynamodb, streams, streamed):
    # Why: consumers parse eventName, images, SequenceNumber, SizeBytes and the constant fields.
    name, arn = streamed
    dynamodb.put_item(TableName=name, Item=item("a", 1))
    dynamodb.update_item(TableName=name, Key={"pk": {"S": "a"}}, UpdateExpression="SET v = :v",
                         ExpressionAttributeValues={":v": {"N": "2"}})
    dynamodb.delete_item(TableName=name, Key={"pk": {"S": "a"}})
    insert, modify, remove = read_stream(streams, arn)
    assert [r["eventName"] for r in (insert, modify, remove)] == ["INSERT", "MODIFY", "REMOVE"]
    for record in (insert, modify, remove):
        assert record["eventVersion"] == "1.1" and record["eventSource"] == "aws:dynamodb"
        assert record["eventID"] and record["awsRegion"]
        data = record["dynamodb"]
        assert data["Keys"] == {"pk": {"S": "a"}} and data["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert data["SequenceNumber"].isdigit() and len(data["SequenceNumber"]) >= 21
        assert "ApproximateCreationDateTime" in data
    assert insert["dynamodb"]["NewImage"] == item("a", 1) and "OldImage" not in insert["dynamodb"]
    assert modify["dynamodb"]["OldImage"] == item("a", 1) and modify["dynamodb"]["NewImage"] == item("a", 2)
    assert remove["dynamodb"]["OldImage"] == item("a", 2) and "NewImage" not in remove["dynamodb"]
    # SizeBytes: Keys (pk "a": 3 bytes) plus each image (pk 3 + v 3).
    assert [r["dynamodb"]["SizeBytes"] for r in (insert, modify, remove)] == [9, 15, 9]


def test_writes_that_change_nothing_emit_no_record(dynamodb, streams, streamed):
    # Why: DynamoDB writes no record for a PutItem/UpdateItem that leaves the item as it was, nor
    # for a DeleteItem of a missing item.
    name, arn = streamed
    dynamodb.put_item(TableName=name, Item=item("a", 1))
    dynamodb.put_item(TableName=name, Item=item("a", 1))
    dynamodb.update_item(TableName=name, Key={"pk": {"S": "a"}}, UpdateExpression="SET v = :v",
                         ExpressionAttributeValues={":v": {"N": "1.0"}})
    dynamodb.delete_item(TableName=name, Key={"pk": {"S": unique()}})
    assert [r["eventName"] for r in read_stream(streams, arn)] == ["INSERT"]


def test_keys_only_stream_has_no_images(dynamodb, streams, table_factory):
    # Why: KEYS_ONLY records carry the key attributes only.
    name = table_factory("S", "N", StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    arn = dynamodb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"N": "7"}, "x": {"S": "y"}})
    (record,) = read_stream(streams, arn)
    assert record["dynamodb"]["Keys"] == {"pk": {"S": "a"}, "sk": {"N": "7"}}
    assert "NewImage" not in record["dynamodb"] and "OldImage" not in record["dynamodb"]


def test_item_changes_stay_in_one_shard_in_order(dynamodb, streams, streamed):
    # Why: per-item order is what consumers rely on: an item's records share a shard, in order.
    name, arn = streamed
    for v in range(5):
        for pk in ("a", "b", "c"):
            dynamodb.put_item(TableName=name, Item=item(pk, v))
    for shard in all_shards(streams, arn):
        records, _ = read_shard(streams, arn, shard["ShardId"])
        numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
        assert numbers == sorted(numbers)
        for pk in ("a", "b", "c"):
            values = [r["dynamodb"]["NewImage"]["v"]["N"] for r in records if r["dynamodb"]["Keys"]["pk"]["S"] == pk]
            assert values in ([], ["0", "1", "2", "3", "4"])


# ---------------------------------------------------------------- iterators and GetRecords


def test_iterator_types_position_the_read(dynamodb, streams, streamed):
    # Why: AT_/AFTER_SEQUENCE_NUMBER start at/after a record, LATEST after the newest, and Limit
    # caps a page while NextShardIterator continues it.
    name, arn = streamed
    for v in range(3):
        dynamodb.put_item(TableName=name, Item=item("a", v))
    shard_id = next(s["ShardId"] for s in all_shards(streams, arn)
                    if read_shard(streams, arn, s["ShardId"])[0])
    records, _ = read_shard(streams, arn, shard_id)
    first, second, third = (r["dynamodb"]["SequenceNumber"] for r in records)
    at, _ = read_shard(streams, arn, shard_id, "AT_SEQUENCE_NUMBER", SequenceNumber=second)
    after, _ = read_shard(streams, arn, shard_id, "AFTER_SEQUENCE_NUMBER", SequenceNumber=second)
    assert [r["dynamodb"]["SequenceNumber"] for r in at] == [second, third]
    assert [r["dynamodb"]["SequenceNumber"] for r in after] == [third]
    latest = streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id, ShardIteratorType="LATEST")["ShardIterator"]
    assert streams.get_records(ShardIterator=latest)["Records"] == []
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    page = streams.get_records(ShardIterator=iterator, Limit=1)
    assert [r["dynamodb"]["SequenceNumber"] for r in page["Records"]] == [first]
    following = streams.get_records(ShardIterator=page["NextShardIterator"], Limit=5)
    assert [r["dynamodb"]["SequenceNumber"] for r in following["Records"]] == [second, third]


def test_describe_stream_pages_shards(streams, streamed):
    # Why: DescribeStream pages shards with Limit / ExclusiveStartShardId / LastEvaluatedShardId.
    _, arn = streamed
    everything = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    paged: list[str] = []
    request: dict[str, Any] = {"StreamArn": arn, "Limit": 1}
    while True:
        description = streams.describe_stream(**request)["StreamDescription"]
        assert len(description["Shards"]) <= 1
        paged.extend(s["ShardId"] for s in description["Shards"])
        if "LastEvaluatedShardId" not in description:
            break
        request["ExclusiveStartShardId"] = description["LastEvaluatedShardId"]
    assert paged == [s["ShardId"] for s in everything["Shards"]]
    assert everything["StreamStatus"] == "ENABLED" and everything["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"}]
    for shard in everything["Shards"]:
        assert shard["ShardId"].startswith("shardId-")
        assert "StartingSequenceNumber" in shard["SequenceNumberRange"]


def test_unknown_stream_is_not_found(streams, streamed):
    # Why: a stream ARN that names no stream is ResourceNotFoundException with DynamoDB's message.
    _, arn = streamed
    missing = arn[:-3] + ("000" if not arn.endswith("000") else "001")
    assert_dynamo_error(lambda: streams.describe_stream(StreamArn=missing), "ResourceNotFoundException",
                        f"Requested resource not found: Stream: {missing} not found")


_MALFORMED_ARN = "sdfadfsdfnlfkajakfgjalksfgklasjklasdjfklasdfasdfgasf"


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers ResourceNotFoundException or ignores the ARN")
@pytest.mark.parametrize("operation", ["describe", "iterator", "list-start"])
def test_a_string_that_is_no_stream_arn_is_invalid(streams, streamed, operation):
    # Why: an ARN that could not name any stream is a ValidationException (as recorded by test suites
    # run against AWS: ScyllaDB's Alternator tests); a well-formed one naming no stream is not found.
    table, _ = streamed
    calls = {
        "describe": lambda: streams.describe_stream(StreamArn=_MALFORMED_ARN),
        "iterator": lambda: streams.get_shard_iterator(StreamArn=_MALFORMED_ARN, ShardIteratorType="LATEST",
                                                       ShardId="shardId-00000000000000000000-00000000"),
        "list-start": lambda: streams.list_streams(TableName=table, ExclusiveStartStreamArn=_MALFORMED_ARN),
    }
    assert_dynamo_error(calls[operation], "ValidationException", "Invalid StreamArn")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local caps the limit instead of refusing it")
@pytest.mark.parametrize("limit", [101, 100000])
def test_list_limit_above_one_hundred_is_invalid(streams, limit):
    # Why: ListStreams' Limit is 1 to 100.
    assert_dynamo_error(lambda: streams.list_streams(Limit=limit), "ValidationException",
                        f"Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value less than "
                        "or equal to 100")


def test_describe_after_an_unknown_shard_lists_no_shards(streams, streamed):
    # Why: paging after a shard id past every shard of the stream is an empty page, not an error.
    _, arn = streamed
    description = streams.describe_stream(StreamArn=arn, ExclusiveStartShardId="zzzzzzzzzzzzzzzzzzzzzzzzsfasdgagadfadf")
    assert description["StreamDescription"]["Shards"] == []


def test_unknown_shard_is_not_found(streams, streamed):
    # Why: GetShardIterator for a shard the stream does not have is ResourceNotFoundException.
    _, arn = streamed
    assert_dynamo_error(lambda: streams.get_shard_iterator(
        StreamArn=arn, ShardId="shardId-00000000000000000000-00000000", ShardIteratorType="TRIM_HORIZON"),
        "ResourceNotFoundException", "Shard does not exist")


def test_sequence_number_must_match_the_iterator_type(streams, streamed):
    # Why: AT/AFTER_SEQUENCE_NUMBER need a SequenceNumber; TRIM_HORIZON and LATEST refuse one.
    _, arn = streamed
    shard_id = all_shards(streams, arn)[0]["ShardId"]
    assert_dynamo_error(lambda: streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard_id, ShardIteratorType="AT_SEQUENCE_NUMBER"),
        "ValidationException", "Invalid SequenceNumber")
    assert_dynamo_error(lambda: streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON", SequenceNumber="0" * 21),
        "ValidationException", "SequenceNumber should not be passed for this iterator type")


def test_garbage_iterator_is_invalid(streams):
    # Why: an iterator the service did not issue is a ValidationException, not a crash.
    assert_dynamo_error(lambda: streams.get_records(ShardIterator="not-an-iterator"),
                        "ValidationException", "Invalid ShardIterator")
