"""BatchGetItem: multi-table reads, projections, the 100-key limit, duplicates and UnprocessedKeys."""

from __future__ import annotations

import pytest

from support import assert_dynamo_error, unique


def put_many(dynamodb, table, keys, **extra):
    for key in keys:
        dynamodb.put_item(TableName=table, Item={**key, "v": {"S": key["pk"]["S"]}, **extra})


def test_reads_from_several_tables(dynamodb, tables):
    # Why: one BatchGetItem can read keys of several tables; responses are grouped by table name.
    a = [{"pk": {"S": unique()}} for _ in range(3)]
    b = [{"pk": {"S": unique()}, "sk": {"S": "x"}}]
    put_many(dynamodb, tables.hash_s, a)
    put_many(dynamodb, tables.range_s, b)
    response = dynamodb.batch_get_item(RequestItems={tables.hash_s: {"Keys": a}, tables.range_s: {"Keys": b}})
    assert sorted(i["pk"]["S"] for i in response["Responses"][tables.hash_s]) == sorted(k["pk"]["S"] for k in a)
    assert response["Responses"][tables.range_s] == [{**b[0], "v": b[0]["pk"]}]
    assert response["UnprocessedKeys"] == {}


def test_missing_keys_are_simply_absent(dynamodb, tables):
    # Why: keys without items are left out of Responses; they are not unprocessed.
    present = {"pk": {"S": unique()}}
    put_many(dynamodb, tables.hash_s, [present])
    response = dynamodb.batch_get_item(RequestItems={tables.hash_s: {"Keys": [present, {"pk": {"S": unique()}}]}})
    assert [i["pk"] for i in response["Responses"][tables.hash_s]] == [present["pk"]]
    assert response["UnprocessedKeys"] == {}


def test_table_with_no_hits_has_an_empty_list(dynamodb, tables):
    # Why: each requested table appears in Responses, even with no items found.
    response = dynamodb.batch_get_item(RequestItems={tables.hash_s: {"Keys": [{"pk": {"S": unique()}}]}})
    assert response["Responses"] == {tables.hash_s: []}


def test_projection_expression_per_table(dynamodb, tables):
    # Why: each table's request carries its own projection and names.
    key = {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item={**key, "a": {"N": "1"}, "b": {"N": "2"}})
    response = dynamodb.batch_get_item(RequestItems={tables.hash_s: {
        "Keys": [key], "ProjectionExpression": "#b", "ExpressionAttributeNames": {"#b": "b"}, "ConsistentRead": True}})
    assert response["Responses"][tables.hash_s] == [{"b": {"N": "2"}}]


def test_one_hundred_keys_are_allowed(dynamodb, tables):
    # Why: 100 keys is the documented maximum and must work (possibly with UnprocessedKeys on AWS).
    keys = [{"pk": {"S": unique()}} for _ in range(100)]
    put_many(dynamodb, tables.hash_s, keys[:10])
    response = dynamodb.batch_get_item(RequestItems={tables.hash_s: {"Keys": keys}})
    found = len(response["Responses"][tables.hash_s])
    unprocessed = len(response["UnprocessedKeys"].get(tables.hash_s, {}).get("Keys", []))
    assert found <= 10 and found + unprocessed >= 10


def test_more_than_one_hundred_keys_are_rejected(dynamodb, tables):
    # Why: the 100-key limit counts keys across all tables of the request.
    keys = [{"pk": {"S": unique()}} for _ in range(60)]
    more = [{"pk": {"S": unique()}, "sk": {"S": "s"}} for _ in range(41)]
    assert_dynamo_error(lambda: dynamodb.batch_get_item(RequestItems={tables.hash_s: {"Keys": keys},
                                                                      tables.range_s: {"Keys": more}}),
                        "ValidationException", "Too many items requested for the BatchGetItem call")


def test_more_than_one_hundred_keys_in_one_table_is_rejected(dynamodb, tables):
    # Why: one table's Keys list alone may not exceed 100 either.
    keys = [{"pk": {"S": unique()}} for _ in range(101)]
    assert_dynamo_error(lambda: dynamodb.batch_get_item(RequestItems={tables.hash_s: {"Keys": keys}}),
                        "ValidationException")


def test_duplicate_keys_are_rejected(dynamodb, tables):
    # Why: the same key twice in one request is a client error.
    key = {"pk": {"S": unique()}}
    assert_dynamo_error(lambda: dynamodb.batch_get_item(RequestItems={tables.hash_s: {"Keys": [key, key]}}),
                        "ValidationException", "Provided list of item keys contains duplicates")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers 'BatchGetItem must have some requests set'")
def test_empty_request_items_is_rejected(dynamodb):
    # Why: at least one table must be named.
    assert_dynamo_error(lambda: dynamodb.batch_get_item(RequestItems={}), "ValidationException",
                        "Member must have length greater than or equal to 1")


@pytest.mark.dynamodb_local_differs(
    reason="DynamoDB Local answers 'The list of keys in RequestItems for BatchGetItem is required'")
def test_empty_keys_list_is_rejected(dynamodb, tables):
    # Why: each table must ask for at least one key.
    assert_dynamo_error(lambda: dynamodb.batch_get_item(RequestItems={tables.hash_s: {"Keys": []}}),
                        "ValidationException", "Member must have length greater than or equal to 1")


def test_missing_table_is_resource_not_found(dynamodb, tables):
    # Why: one unknown table fails the whole batch.
    assert_dynamo_error(lambda: dynamodb.batch_get_item(RequestItems={unique("missing"): {"Keys": [{"pk": {"S": "a"}}]},
                                                                      tables.hash_s: {"Keys": [{"pk": {"S": "a"}}]}}),
                        "ResourceNotFoundException")


def test_key_not_matching_schema_is_rejected(dynamodb, tables):
    # Why: every key is validated against its table's schema before reading.
    assert_dynamo_error(lambda: dynamodb.batch_get_item(RequestItems={tables.range_s: {"Keys": [{"pk": {"S": "a"}}]}}),
                        "ValidationException")


def test_projection_and_attributes_to_get_cannot_mix(dynamodb, tables):
    # Why: the legacy/expression exclusivity applies per table request.
    assert_dynamo_error(lambda: dynamodb.batch_get_item(RequestItems={tables.hash_s: {
        "Keys": [{"pk": {"S": "a"}}], "ProjectionExpression": "a", "AttributesToGet": ["a"]}}),
        "ValidationException", "Can not use both expression and non-expression parameters in the same request")


def test_unprocessed_keys_shape_can_be_resubmitted(dynamodb, tables):
    # Why: UnprocessedKeys has the RequestItems shape, so clients loop until it is empty.
    keys = [{"pk": {"S": unique()}} for _ in range(25)]
    put_many(dynamodb, tables.hash_s, keys, blob={"S": "b" * 30_000})
    request, found = {tables.hash_s: {"Keys": keys}}, []
    for _ in range(10):
        response = dynamodb.batch_get_item(RequestItems=request)
        found += response["Responses"].get(tables.hash_s, [])
        request = response["UnprocessedKeys"]
        if not request:
            break
        assert set(request) == {tables.hash_s} and request[tables.hash_s]["Keys"]
    assert sorted(i["pk"]["S"] for i in found) == sorted(k["pk"]["S"] for k in keys)


def test_response_over_16_megabytes_leaves_unprocessed_keys(dynamodb, tables):
    # Why: a BatchGetItem response carries at most 16 MB; the rest comes back as UnprocessedKeys.
    keys = [{"pk": {"S": unique()}} for _ in range(50)]
    put_many(dynamodb, tables.hash_s, keys, blob={"S": "c" * 390_000})
    response = dynamodb.batch_get_item(RequestItems={tables.hash_s: {"Keys": keys}})
    returned = len(response["Responses"][tables.hash_s])
    assert returned + len(response["UnprocessedKeys"][tables.hash_s]["Keys"]) == 50
    # Items stop before the one that would take the response past 16 MB (2**24 bytes).
    pk = keys[0]["pk"]["S"]
    size = len("pk") + len(pk) + len("v") + len(pk) + len("blob") + 390_000  # every pk has one length
    assert returned == 2**24 // size
