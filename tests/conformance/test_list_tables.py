"""ListTables: ordering, Limit and ExclusiveStartTableName pagination, limits."""

from __future__ import annotations

import pytest

from support import assert_dynamo_error
from support.tables import RUN_ID


@pytest.fixture
def three_tables(table_factory):
    prefix = f"conf-{RUN_ID}-list"
    return [table_factory(name=f"{prefix}-{suffix}") for suffix in ("c", "a", "b")]


def list_all(dynamodb, **kwargs):
    names, pages, start = [], 0, None
    while True:
        request = dict(kwargs, **({"ExclusiveStartTableName": start} if start else {}))
        page = dynamodb.list_tables(**request)
        pages += 1
        names += page["TableNames"]
        start = page.get("LastEvaluatedTableName")
        if not start:
            return names, pages


def test_names_are_returned_in_ascending_order(dynamodb, three_tables):
    # Why: ListTables pages through names in byte order; clients rely on it to resume.
    names = dynamodb.list_tables()["TableNames"]
    assert names == sorted(names)
    assert set(three_tables) <= set(names)


def test_limit_pages_through_every_table_once(dynamodb, three_tables):
    # Why: Limit + LastEvaluatedTableName must visit every table exactly once.
    names, pages = list_all(dynamodb, Limit=1)
    assert len(names) == len(set(names))
    assert set(three_tables) <= set(names)
    assert pages >= len(names)


def test_exclusive_start_table_name_starts_after_that_name(dynamodb, three_tables):
    # Why: the start name is exclusive and need not exist; listing resumes after it in order.
    first, second, third = sorted(three_tables)
    page = dynamodb.list_tables(ExclusiveStartTableName=first, Limit=2)
    assert page["TableNames"] == [second, third]
    page = dynamodb.list_tables(ExclusiveStartTableName=first + "-", Limit=1)
    assert page["TableNames"] == [second]


def test_last_evaluated_name_is_the_last_name_of_a_full_page(dynamodb, three_tables):
    # Why: LastEvaluatedTableName equals the last name returned when the page was cut by Limit.
    first = sorted(three_tables)[0]
    page = dynamodb.list_tables(ExclusiveStartTableName=first[:-1], Limit=2)
    assert page["LastEvaluatedTableName"] == page["TableNames"][-1]


def test_no_last_evaluated_name_after_the_last_table(dynamodb, three_tables):
    # Why: the final page has no LastEvaluatedTableName, which ends the pagination loop.
    page = dynamodb.list_tables(ExclusiveStartTableName="zzzz")
    assert page["TableNames"] == []
    assert "LastEvaluatedTableName" not in page


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local words it 'Limit must be greater than or equal to 1'")
@pytest.mark.parametrize(("limit", "constraint"), [
    (0, "Member must have value greater than or equal to 1"),
    (101, "Member must have value less than or equal to 100"),
])
def test_limit_must_be_between_1_and_100(dynamodb, limit, constraint):
    # Why: Limit is range-checked as a shape constraint on 'limit'.
    assert_dynamo_error(lambda: dynamodb.list_tables(Limit=limit), "ValidationException",
                        "at 'limit' failed to satisfy constraint", constraint)


@pytest.mark.parametrize("limit", [0, 101])
def test_out_of_range_limit_is_a_validation_error(dynamodb, limit):
    # Why: whatever the wording, Limit outside 1..100 is refused.
    assert_dynamo_error(lambda: dynamodb.list_tables(Limit=limit), "ValidationException", "imit")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local rejects it with its own 'Invalid table/index name' message")
def test_exclusive_start_name_is_validated_like_a_table_name(dynamodb):
    # Why: ExclusiveStartTableName has the table name shape constraints.
    assert_dynamo_error(lambda: dynamodb.list_tables(ExclusiveStartTableName="a;"), "ValidationException",
                        "exclusiveStartTableName")
