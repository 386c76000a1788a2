"""Scan: full coverage, parallel segments, filters, projection, Select, pagination and page limits.

Scans read whole tables, so this module scans tables of its own rather than the shared ones.
"""

from __future__ import annotations

import pytest

from support import assert_dynamo_error, unique
from support.tables import create_table, delete_quietly, table_name

N_ITEMS = 40
SEGMENT_BOUNDS_LOCAL = pytest.mark.dynamodb_local_differs(
    reason="DynamoDB Local checks Segment against TotalSegments first, e.g. 'Member must have value less than or "
    "equal to -1' at 'segment'")


@pytest.fixture(scope="module")
def scan_table(dynamodb):
    name = table_name("scan")
    create_table(dynamodb, name, "S", "N")
    for i in range(N_ITEMS):
        dynamodb.put_item(TableName=name, Item={"pk": {"S": f"p{i % 7}"}, "sk": {"N": str(i)}, "i": {"N": str(i)},
                                                "odd": {"BOOL": i % 2 == 1}, "tag": {"S": f"t{i % 4}"}})
    yield name
    delete_quietly(dynamodb, name)


def ids(items):
    return sorted(int(item["i"]["N"]) for item in items)


def scan_all(dynamodb, table, **kwargs):
    items, pages, start = [], 0, None
    while True:
        extra = {"ExclusiveStartKey": start} if start else {}
        response = dynamodb.scan(TableName=table, **kwargs, **extra)
        items += response.get("Items", [])
        pages += 1
        start = response.get("LastEvaluatedKey")
        if not start:
            return items, pages


def test_scan_returns_every_item(dynamodb, scan_table):
    # Why: an unpaginated scan of a small table returns all items with matching counts.
    response = dynamodb.scan(TableName=scan_table)
    assert ids(response["Items"]) == list(range(N_ITEMS))
    assert response["Count"] == response["ScannedCount"] == N_ITEMS
    assert "LastEvaluatedKey" not in response


def test_scan_keeps_items_of_one_partition_in_sort_order(dynamodb, scan_table):
    # Why: within a partition, Scan returns items in sort key order.
    items = dynamodb.scan(TableName=scan_table)["Items"]
    of_p3 = [int(item["sk"]["N"]) for item in items if item["pk"]["S"] == "p3"]
    assert of_p3 == sorted(of_p3)


@pytest.mark.parametrize("limit", [1, 7, 39, 40])
def test_paginated_scan_returns_every_item_once(dynamodb, scan_table, limit):
    # Why: Limit + ExclusiveStartKey must not skip or repeat items at any page size.
    items, pages = scan_all(dynamodb, scan_table, Limit=limit)
    assert ids(items) == list(range(N_ITEMS))
    assert pages >= -(-N_ITEMS // limit)


@pytest.mark.parametrize("total", [1, 2, 3, 8, 50])
def test_parallel_segments_cover_every_item_exactly_once(dynamodb, scan_table, total):
    # Why: parallel scans split the key space; the union of all segments is the table, without overlap.
    seen = []
    for segment in range(total):
        items, _ = scan_all(dynamodb, scan_table, Segment=segment, TotalSegments=total, Limit=5)
        seen += ids(items)
    assert sorted(seen) == list(range(N_ITEMS))


def test_segments_keep_a_partition_together(dynamodb, scan_table):
    # Why: segments split by partition key hash, so one partition is never spread over two segments.
    owner = {}
    for segment in range(4):
        items, _ = scan_all(dynamodb, scan_table, Segment=segment, TotalSegments=4)
        for item in items:
            assert owner.setdefault(item["pk"]["S"], segment) == segment


def test_filter_counts_after_and_scanned_counts_before(dynamodb, scan_table):
    # Why: Count is items returned after the filter; ScannedCount is items read.
    response = dynamodb.scan(TableName=scan_table, FilterExpression="odd = :t AND tag = :tag",
                             ExpressionAttributeValues={":t": {"BOOL": True}, ":tag": {"S": "t1"}})
    assert ids(response["Items"]) == [i for i in range(N_ITEMS) if i % 4 == 1]
    assert response["Count"] == N_ITEMS // 4
    assert response["ScannedCount"] == N_ITEMS


def test_filter_on_key_attributes_is_allowed(dynamodb, scan_table):
    # Why: unlike Query, Scan filters may use key attributes.
    response = dynamodb.scan(TableName=scan_table, FilterExpression="pk = :p AND sk < :n",
                             ExpressionAttributeValues={":p": {"S": "p0"}, ":n": {"N": "10"}})
    assert ids(response["Items"]) == [0, 7]


def test_limit_applies_before_the_filter(dynamodb, scan_table):
    # Why: Limit counts items read; pages of a filtered scan may be short or empty yet continue.
    response = dynamodb.scan(TableName=scan_table, Limit=10, FilterExpression="i = :x",
                             ExpressionAttributeValues={":x": {"N": "-1"}})
    assert response["Count"] == 0
    assert response["ScannedCount"] == 10
    assert "LastEvaluatedKey" in response


def test_select_count(dynamodb, scan_table):
    # Why: COUNT returns no Items, only counts.
    response = dynamodb.scan(TableName=scan_table, Select="COUNT", FilterExpression="odd = :f",
                             ExpressionAttributeValues={":f": {"BOOL": False}})
    assert "Items" not in response
    assert (response["Count"], response["ScannedCount"]) == (N_ITEMS // 2, N_ITEMS)


def test_projection(dynamodb, scan_table):
    # Why: projection trims every scanned item.
    response = dynamodb.scan(TableName=scan_table, ProjectionExpression="i, #t", ExpressionAttributeNames={"#t": "tag"})
    assert all(set(item) == {"i", "tag"} for item in response["Items"])


def test_consistent_read_is_accepted(dynamodb, scan_table):
    # Why: strongly consistent scans are allowed on tables.
    assert dynamodb.scan(TableName=scan_table, ConsistentRead=True, Select="COUNT")["Count"] == N_ITEMS


def test_empty_table_scan(dynamodb, table_factory):
    # Why: scanning an empty table succeeds with zero counts.
    response = dynamodb.scan(TableName=table_factory())
    assert response["Items"] == []
    assert response["Count"] == response["ScannedCount"] == 0


def test_page_stops_at_one_megabyte(dynamodb, table_factory):
    # Why: a Scan page holds at most 1 MB of read data even when no Limit is given.
    name = table_factory()
    for i in range(14):
        dynamodb.put_item(TableName=name, Item={"pk": {"S": f"k{i}"}, "blob": {"S": "z" * 100_000}})
    first = dynamodb.scan(TableName=name, ProjectionExpression="pk")
    assert 8 <= first["Count"] <= 11
    assert "LastEvaluatedKey" in first
    items, _ = scan_all(dynamodb, name, ProjectionExpression="pk")
    assert sorted(item["pk"]["S"] for item in items) == sorted(f"k{i}" for i in range(14))


@pytest.mark.dynamodb_local_differs(
    reason="DynamoDB Local answers 'If segment is specified, total segment must also be specified'")
def test_segment_without_total_segments_is_rejected(dynamodb, scan_table):
    # Why: Segment and TotalSegments go together.
    assert_dynamo_error(lambda: dynamodb.scan(TableName=scan_table, Segment=0), "ValidationException",
                        "The TotalSegments parameter is required but was not present in the request when Segment "
                        "parameter is present")


@pytest.mark.dynamodb_local_differs(
    reason="DynamoDB Local answers 'If total segments is specified, a particular segment must also be specified...'")
def test_total_segments_without_segment_is_rejected(dynamodb, scan_table):
    # Why: likewise the other way round.
    assert_dynamo_error(lambda: dynamodb.scan(TableName=scan_table, TotalSegments=2), "ValidationException",
                        "The Segment parameter is required but was not present in the request when parameter "
                        "TotalSegments is present")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local reports it as a shape constraint on 'segment'")
def test_segment_must_be_below_total_segments(dynamodb, scan_table):
    # Why: segments are zero-based.
    assert_dynamo_error(lambda: dynamodb.scan(TableName=scan_table, Segment=4, TotalSegments=4), "ValidationException",
                        "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
                        "Segment: 4 is not less than TotalSegments: 4")


@pytest.mark.parametrize(("request_", "constraint"), [
    pytest.param({"Segment": 0, "TotalSegments": 0}, "Member must have value greater than or equal to 1",
                 marks=SEGMENT_BOUNDS_LOCAL),
    ({"Segment": 0, "TotalSegments": 1000001}, "Member must have value less than or equal to 1000000"),
    pytest.param({"Segment": -1, "TotalSegments": 2}, "Member must have value greater than or equal to 0",
                 marks=SEGMENT_BOUNDS_LOCAL),
], ids=["zero-total", "too-many", "negative-segment"])
def test_segment_bounds_are_shape_constraints(dynamodb, scan_table, request_, constraint):
    # Why: TotalSegments is 1..1000000 and Segment 0..999999.
    assert_dynamo_error(lambda: dynamodb.scan(TableName=scan_table, **request_), "ValidationException", constraint)


def test_select_count_with_projection_is_rejected(dynamodb, scan_table):
    # Why: a projection contradicts Select=COUNT (Scan words it plainly; Query as a validation list).
    response = assert_dynamo_error(
        lambda: dynamodb.scan(TableName=scan_table, Select="COUNT", ProjectionExpression="i"),
        "ValidationException", "Cannot specify the ProjectionExpression when choosing to get only the Count")
    assert response["Error"]["Message"] == "Cannot specify the ProjectionExpression when choosing to get only the Count"


def test_filter_with_unused_value_is_rejected(dynamodb, scan_table):
    # Why: unused :values are rejected for Scan like elsewhere.
    assert_dynamo_error(lambda: dynamodb.scan(TableName=scan_table, FilterExpression="i = :a",
                                              ExpressionAttributeValues={":a": {"N": "1"}, ":b": {"N": "2"}}),
                        "ValidationException", "Value provided in ExpressionAttributeValues unused in expressions: "
                        "keys: {:b}")


def test_scan_missing_table_is_resource_not_found(dynamodb):
    # Why: like every data-plane call.
    assert_dynamo_error(lambda: dynamodb.scan(TableName=unique("missing")), "ResourceNotFoundException")


def test_invalid_exclusive_start_key_is_rejected(dynamodb, scan_table):
    # Why: a start key must have the table's key shape.
    assert_dynamo_error(lambda: dynamodb.scan(TableName=scan_table, ExclusiveStartKey={"pk": {"S": "p0"}}),
                        "ValidationException")
