"""UpdateTable: billing mode switches, throughput changes and the no-op errors."""

from __future__ import annotations

import pytest

from support import assert_dynamo_error, unique
from support.tables import wait_active

CAPACITY = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}


def test_throughput_change_is_reported(dynamodb, table_factory):
    # Why: new capacity numbers must show in the response and in later descriptions.
    name = table_factory(ProvisionedThroughput=CAPACITY)
    desc = dynamodb.update_table(TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 6,
                                                                        "WriteCapacityUnits": 4})
    assert desc["TableDescription"]["TableName"] == name
    table = wait_active(dynamodb, name)
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 6
    assert table["ProvisionedThroughput"]["WriteCapacityUnits"] == 4


def test_switch_provisioned_to_pay_per_request(dynamodb, table_factory):
    # Why: switching to on-demand changes BillingModeSummary and keeps the data.
    name = table_factory(ProvisionedThroughput=CAPACITY)
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "kept"}})
    dynamodb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")
    table = wait_active(dynamodb, name)
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert dynamodb.get_item(TableName=name, Key={"pk": {"S": "kept"}})["Item"] == {"pk": {"S": "kept"}}


def test_switch_pay_per_request_to_provisioned(dynamodb, table_factory):
    # Why: switching to provisioned takes the given capacity.
    name = table_factory()
    dynamodb.update_table(TableName=name, BillingMode="PROVISIONED",
                          ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 2})
    table = wait_active(dynamodb, name)
    assert table["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    assert table["ProvisionedThroughput"]["WriteCapacityUnits"] == 2


def test_switch_to_provisioned_needs_throughput(dynamodb, table_factory):
    # Why: a provisioned table cannot exist without capacity numbers.
    name = table_factory()
    assert_dynamo_error(lambda: dynamodb.update_table(TableName=name, BillingMode="PROVISIONED"),
                        "ValidationException")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local accepts BillingMode=PROVISIONED alone as a no-op")
def test_provisioned_billing_mode_always_needs_throughput(dynamodb, table_factory):
    # Why: AWS asks for the throughput whenever BillingMode=PROVISIONED is given, also for a table
    # already provisioned (its wording as recorded against AWS by dynalite's suite).
    for name in (table_factory(), table_factory(ProvisionedThroughput=CAPACITY)):
        assert_dynamo_error(lambda name=name: dynamodb.update_table(TableName=name, BillingMode="PROVISIONED"),
                            "ValidationException", "One or more parameter values were invalid: "
                            "ProvisionedThroughput must be specified when BillingMode is PROVISIONED")


def test_switch_back_to_provisioned_keeps_the_last_pay_per_request_time(dynamodb, table_factory):
    # Why: LastUpdateToPayPerRequestDateTime is when on-demand was last set; it outlives a switch back.
    name = table_factory(ProvisionedThroughput=CAPACITY)
    dynamodb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")
    switched = wait_active(dynamodb, name)["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"]
    dynamodb.update_table(TableName=name, BillingMode="PROVISIONED", ProvisionedThroughput=CAPACITY)
    summary = wait_active(dynamodb, name)["BillingModeSummary"]
    assert summary == {"BillingMode": "PROVISIONED", "LastUpdateToPayPerRequestDateTime": switched}


def test_unchanged_throughput_is_rejected(dynamodb, table_factory):
    # Why: AWS refuses an update that changes nothing, saying the value equals the current one.
    name = table_factory(ProvisionedThroughput=CAPACITY)
    assert_dynamo_error(lambda: dynamodb.update_table(TableName=name, ProvisionedThroughput=CAPACITY),
                        "ValidationException", "equals the current value")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers 'Nothing to update'")
def test_update_with_nothing_to_change_is_rejected(dynamodb, tables):
    # Why: an UpdateTable naming no change lists the parameters it needs.
    assert_dynamo_error(lambda: dynamodb.update_table(TableName=tables.hash_s), "ValidationException",
                        "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local accepts throughput on an on-demand table")
def test_throughput_on_pay_per_request_table_is_rejected(dynamodb, table_factory):
    # Why: capacity numbers cannot be set on an on-demand table without switching billing mode.
    name = table_factory()
    assert_dynamo_error(lambda: dynamodb.update_table(TableName=name, ProvisionedThroughput=CAPACITY),
                        "ValidationException", "PAY_PER_REQUEST")


def test_update_missing_table_is_resource_not_found(dynamodb):
    # Why: updating an unknown table fails with ResourceNotFoundException.
    assert_dynamo_error(lambda: dynamodb.update_table(TableName=unique("missing"),
                                                      ProvisionedThroughput=CAPACITY),
                        "ResourceNotFoundException")


def test_zero_capacity_update_is_rejected(dynamodb, table_factory):
    # Why: capacity has a minimum of 1 on update as on create.
    name = table_factory(ProvisionedThroughput=CAPACITY)
    assert_dynamo_error(lambda: dynamodb.update_table(
        TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 0, "WriteCapacityUnits": 5}),
        "ValidationException")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers 'Cannot increase provisioned throughput to more "
                                           "than 40,000 units per table'")
def test_capacity_over_a_trillion_units_is_out_of_bounds(dynamodb, table_factory):
    # Why: the units themselves are bounded (AWS's wording, as recorded by dynalite's suite).
    name = table_factory(ProvisionedThroughput=CAPACITY)
    assert_dynamo_error(
        lambda: dynamodb.update_table(TableName=name, ProvisionedThroughput={
            "ReadCapacityUnits": 1_000_000_000_001, "WriteCapacityUnits": 5}),
        "ValidationException", "Given value 1000000000001 for ReadCapacityUnits is out of bounds")
    assert_dynamo_error(
        lambda: dynamodb.create_table(TableName=unique("huge"), KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                                      AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                                      ProvisionedThroughput={"ReadCapacityUnits": 5,
                                                             "WriteCapacityUnits": 1_000_000_000_001}),
        "ValidationException", "Given value 1000000000001 for WriteCapacityUnits is out of bounds")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local fails an UpdateTable of OnDemandThroughput alone "
                                           "(InternalFailure)")
def test_on_demand_maximums_are_recorded_and_updated(dynamodb, table_factory):
    # Why: OnDemandThroughput is part of the table's description (Terraform reads it back); an
    # update may change it alone, and members it leaves out keep their values.
    name = table_factory(OnDemandThroughput={"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 50})
    assert dynamodb.describe_table(TableName=name)["Table"]["OnDemandThroughput"] == {
        "MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 50}
    dynamodb.update_table(TableName=name, OnDemandThroughput={"MaxWriteRequestUnits": 80})
    assert wait_active(dynamodb, name)["OnDemandThroughput"] == {"MaxReadRequestUnits": 100,
                                                                   "MaxWriteRequestUnits": 80}
