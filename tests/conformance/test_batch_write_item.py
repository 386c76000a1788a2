"""BatchWriteItem: puts and deletes across tables, the 25-request limit, duplicates, validation."""

from __future__ import annotations

import pytest

from support import assert_dynamo_error, unique


def put(item):
    return {"PutRequest": {"Item": item}}


def delete(key):
    return {"DeleteRequest": {"Key": key}}


def test_puts_and_deletes_across_tables(dynamodb, tables):
    # Why: one batch may mix puts and deletes on several tables.
    doomed = {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item=doomed)
    new_a, new_b = {"pk": {"S": unique()}}, {"pk": {"S": unique()}, "sk": {"N": "1"}}
    response = dynamodb.batch_write_item(RequestItems={
        tables.hash_s: [put(new_a), delete(doomed)], tables.range_n: [put(new_b)]})
    assert response["UnprocessedItems"] == {}
    assert "Item" in dynamodb.get_item(TableName=tables.hash_s, Key=new_a)
    assert "Item" not in dynamodb.get_item(TableName=tables.hash_s, Key=doomed)
    assert "Item" in dynamodb.get_item(TableName=tables.range_n, Key=new_b)


def test_batch_put_replaces_items(dynamodb, tables):
    # Why: a PutRequest is a full replace, like PutItem.
    key = {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item={**key, "old": {"S": "x"}})
    dynamodb.batch_write_item(RequestItems={tables.hash_s: [put({**key, "new": {"S": "y"}})]})
    assert dynamodb.get_item(TableName=tables.hash_s, Key=key)["Item"] == {**key, "new": {"S": "y"}}


def test_delete_of_missing_item_succeeds(dynamodb, tables):
    # Why: deletes are idempotent in batches too.
    response = dynamodb.batch_write_item(RequestItems={tables.hash_s: [delete({"pk": {"S": unique()}})]})
    assert response["UnprocessedItems"] == {}


def test_twenty_five_requests_are_allowed(dynamodb, tables):
    # Why: 25 is the documented maximum and must be accepted.
    items = [{"pk": {"S": unique()}} for _ in range(25)]
    dynamodb.batch_write_item(RequestItems={tables.hash_s: [put(i) for i in items]})
    got = dynamodb.batch_get_item(RequestItems={tables.hash_s: {"Keys": items}})["Responses"][tables.hash_s]
    assert len(got) == 25


@pytest.mark.dynamodb_local_differs(
    reason="DynamoDB Local answers 'Too many items requested for the BatchWriteItem call'")
def test_more_than_twenty_five_in_one_table_is_rejected(dynamodb, tables):
    # Why: the per-table list is limited to 25 as a shape constraint.
    items = [put({"pk": {"S": unique()}}) for _ in range(26)]
    assert_dynamo_error(lambda: dynamodb.batch_write_item(RequestItems={tables.hash_s: items}),
                        "ValidationException", "at 'requestItems' failed to satisfy constraint",
                        "Member must have length less than or equal to 25")


def test_more_than_twenty_five_in_one_table_is_a_validation_error(dynamodb, tables):
    # Why: whatever the wording, 26 writes are refused and none is applied.
    key = {"pk": {"S": unique()}}
    items = [put(key)] + [put({"pk": {"S": unique()}}) for _ in range(25)]
    assert_dynamo_error(lambda: dynamodb.batch_write_item(RequestItems={tables.hash_s: items}), "ValidationException")
    assert "Item" not in dynamodb.get_item(TableName=tables.hash_s, Key=key)


def test_more_than_twenty_five_across_tables_is_rejected(dynamodb, tables):
    # Why: the limit of 25 counts requests across all tables.
    a = [put({"pk": {"S": unique()}}) for _ in range(13)]
    b = [put({"pk": {"S": unique()}, "sk": {"S": "s"}}) for _ in range(13)]
    assert_dynamo_error(lambda: dynamodb.batch_write_item(RequestItems={tables.hash_s: a, tables.range_s: b}),
                        "ValidationException", "Too many items requested for the BatchWriteItem call")


def test_duplicate_keys_are_rejected(dynamodb, tables):
    # Why: two writes to one key in one batch have no defined order, so AWS refuses them.
    key = {"pk": {"S": unique()}}
    assert_dynamo_error(lambda: dynamodb.batch_write_item(RequestItems={tables.hash_s: [put(key), delete(key)]}),
                        "ValidationException", "Provided list of item keys contains duplicates")
    assert "Item" not in dynamodb.get_item(TableName=tables.hash_s, Key=key)


def test_duplicate_puts_with_different_attributes_are_rejected(dynamodb, tables):
    # Why: duplicates are judged on the key only.
    pk = {"S": unique()}
    assert_dynamo_error(lambda: dynamodb.batch_write_item(RequestItems={tables.hash_s: [
        put({"pk": pk, "a": {"N": "1"}}), put({"pk": pk, "a": {"N": "2"}})]}),
        "ValidationException", "Provided list of item keys contains duplicates")


def test_invalid_request_writes_nothing(dynamodb, tables):
    # Why: validation covers the whole batch before any write happens.
    good = {"pk": {"S": unique()}}
    assert_dynamo_error(lambda: dynamodb.batch_write_item(RequestItems={tables.hash_s: [
        put(good), put({"pk": {"S": "x"}, "bad": {"SS": []}})]}), "ValidationException")
    assert "Item" not in dynamodb.get_item(TableName=tables.hash_s, Key=good)


def test_request_with_both_put_and_delete_is_rejected(dynamodb, tables):
    # Why: each WriteRequest holds exactly one of PutRequest or DeleteRequest.
    key = {"pk": {"S": unique()}}
    assert_dynamo_error(lambda: dynamodb.batch_write_item(RequestItems={tables.hash_s: [
        {"PutRequest": {"Item": key}, "DeleteRequest": {"Key": key}}]}), "ValidationException")


def test_empty_write_request_is_rejected(dynamodb, tables):
    # Why: a WriteRequest with neither member is meaningless.
    assert_dynamo_error(lambda: dynamodb.batch_write_item(RequestItems={tables.hash_s: [{}]}), "ValidationException")


@pytest.mark.dynamodb_local_differs(
    reason="DynamoDB Local answers 'BatchWriteItem cannot have a null or no requests set'")
def test_empty_request_items_is_rejected(dynamodb):
    # Why: at least one table must be named.
    assert_dynamo_error(lambda: dynamodb.batch_write_item(RequestItems={}), "ValidationException",
                        "Member must have length greater than or equal to 1")


def test_missing_table_is_resource_not_found(dynamodb):
    # Why: an unknown table fails the batch.
    assert_dynamo_error(lambda: dynamodb.batch_write_item(RequestItems={unique("missing"): [put({"pk": {"S": "a"}})]}),
                        "ResourceNotFoundException")


def test_put_missing_key_is_rejected(dynamodb, tables):
    # Why: batch puts follow PutItem's item validation.
    assert_dynamo_error(lambda: dynamodb.batch_write_item(RequestItems={tables.range_s: [put({"pk": {"S": "a"}})]}),
                        "ValidationException")


def test_delete_with_wrong_key_is_rejected(dynamodb, tables):
    # Why: batch deletes need the exact key schema.
    assert_dynamo_error(lambda: dynamodb.batch_write_item(RequestItems={tables.hash_s: [
        delete({"pk": {"S": "a"}, "x": {"S": "b"}})]}), "ValidationException")


def test_item_too_large_is_rejected(dynamodb, tables):
    # Why: the 400 KB item limit applies to batch puts.
    assert_dynamo_error(lambda: dynamodb.batch_write_item(RequestItems={tables.hash_s: [
        put({"pk": {"S": unique()}, "big": {"S": "x" * 410_000}})]}), "ValidationException",
        "Item size has exceeded the maximum allowed size")
