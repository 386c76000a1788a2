"""UpdateTimeToLive / DescribeTimeToLive, and items actually expiring."""

from __future__ import annotations

import time

import pytest

from support import assert_dynamo_error, unique
from support.tables import table_name


def spec(name: str = "exp", enabled: bool = True) -> dict[str, object]:
    return {"AttributeName": name, "Enabled": enabled}


def test_new_table_has_ttl_disabled(dynamodb, table_factory):
    # Why: DescribeTimeToLive of a table that never had TTL says DISABLED with no attribute name.
    name = table_factory()
    assert dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"] == {"TimeToLiveStatus": "DISABLED"}


def test_enable_echoes_the_specification_and_describe_shows_it(dynamodb, table_factory):
    # Why: the response echoes the specification and DescribeTimeToLive reports ENABLED with the name.
    name = table_factory()
    response = dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec())
    assert response["TimeToLiveSpecification"] == {"AttributeName": "exp", "Enabled": True}
    assert dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}


def test_enabling_twice_is_rejected(dynamodb, table_factory):
    # Why: enabling TTL that is already enabled on the same attribute is a ValidationException.
    name = table_factory()
    dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec())
    assert_dynamo_error(lambda: dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec()),
                        "ValidationException", "TimeToLive is already enabled")


def test_enabling_another_attribute_is_rejected(dynamodb, table_factory):
    # Why: the TTL attribute cannot be switched without disabling TTL first.
    name = table_factory()
    dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec())
    assert_dynamo_error(
        lambda: dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec("other")),
        "ValidationException", "TimeToLive is active on a different AttributeName")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local's message omits the current attribute name")
def test_different_attribute_message_names_the_current_one(dynamodb, table_factory):
    # Why: AWS's message tells the caller which attribute TTL is active on.
    name = table_factory()
    dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec())
    assert_dynamo_error(
        lambda: dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec("other", False)),
        "ValidationException", "TimeToLive is active on a different AttributeName: current AttributeName is exp")


def test_disabling_disabled_ttl_is_rejected(dynamodb, table_factory):
    # Why: disabling TTL that is not enabled is a ValidationException.
    name = table_factory()
    assert_dynamo_error(
        lambda: dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec(enabled=False)),
        "ValidationException", "TimeToLive is already disabled")


def test_disabling_with_another_attribute_is_rejected(dynamodb, table_factory):
    # Why: disabling must name the attribute TTL is active on.
    name = table_factory()
    dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec())
    assert_dynamo_error(
        lambda: dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec("other", False)),
        "ValidationException", "TimeToLive is active on a different AttributeName")


@pytest.mark.dynaflow_differs(reason="dynaflow lets TTL be changed at any time, so tests can toggle it")
@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local does not limit how often TTL changes")
def test_second_change_within_the_hour_is_rejected(dynamodb, table_factory):
    # Why: AWS allows one TTL change per table per hour (documented on UpdateTimeToLive).
    name = table_factory()
    dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec())
    assert_dynamo_error(
        lambda: dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec(enabled=False)),
        "ValidationException", "Time to live has been modified multiple times within a fixed interval")


@pytest.mark.parametrize("operation", ["update_time_to_live", "describe_time_to_live"])
def test_missing_table_is_not_found(dynamodb, operation):
    # Why: both TTL operations need an existing table.
    request = {"TableName": table_name("missing")}
    if operation == "update_time_to_live":
        request["TimeToLiveSpecification"] = spec()
    assert_dynamo_error(lambda: getattr(dynamodb, operation)(**request), "ResourceNotFoundException")


def test_empty_attribute_name_is_rejected(dynamodb, table_factory):
    # Why: the TTL attribute name must be 1 to 255 characters.
    name = table_factory()
    assert_dynamo_error(lambda: dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec("")),
                        "ValidationException")


def test_expired_items_are_deleted_and_others_kept(dynamodb, table_factory, target):
    # Why: the point of TTL — a past Number expiry deletes the item; future, missing or non-Number do not.
    if target == "aws":
        pytest.skip("AWS takes up to days to delete expired items")
    name = table_factory()
    dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec())
    now = int(time.time())
    keys = {label: unique(label) for label in ("past", "future", "missing", "string")}
    dynamodb.put_item(TableName=name, Item={"pk": {"S": keys["past"]}, "exp": {"N": str(now - 60)}})
    dynamodb.put_item(TableName=name, Item={"pk": {"S": keys["future"]}, "exp": {"N": str(now + 3600)}})
    dynamodb.put_item(TableName=name, Item={"pk": {"S": keys["missing"]}})
    dynamodb.put_item(TableName=name, Item={"pk": {"S": keys["string"]}, "exp": {"S": str(now - 60)}})

    def present(label: str) -> bool:
        return "Item" in dynamodb.get_item(TableName=name, Key={"pk": {"S": keys[label]}}, ConsistentRead=True)

    deadline = time.monotonic() + 15
    while present("past") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not present("past")
    assert present("future") and present("missing") and present("string")
