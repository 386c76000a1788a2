"""UpdateTable GlobalSecondaryIndexUpdates: creating a GSI on a table with data (backfill, waited for
by polling DescribeTable as a user would), deleting one, and the validation of the updates."""

from __future__ import annotations

import time

import pytest

from support import assert_dynamo_error

GSI = {"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
       "Projection": {"ProjectionType": "ALL"}}
G_DEF = [{"AttributeName": "g", "AttributeType": "S"}]


def wait_index(dynamodb, name, index, status, timeout=300.0):
    """Poll until ``index`` has ``status`` (None: until it is gone); return its description."""
    deadline = time.monotonic() + timeout
    while True:
        table = dynamodb.describe_table(TableName=name)["Table"]
        found = next((g for g in table.get("GlobalSecondaryIndexes", ()) if g["IndexName"] == index), None)
        if (found is None and status is None) or (found is not None and found["IndexStatus"] == status):
            return found
        assert time.monotonic() < deadline, f"index {index} never reached {status}: {found}"
        time.sleep(0.2)


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local fails writes (InternalFailure) while a GSI is CREATING")
def test_created_gsi_is_backfilled_then_active_and_queryable(dynamodb, table_factory):
    # Why: adding an index to a live table is the common migration; existing items must appear in it.
    name = table_factory("S")
    for i in range(30):
        dynamodb.put_item(TableName=name, Item={"pk": {"S": f"p{i}"}, "g": {"S": f"g{i % 3}"}})
    response = dynamodb.update_table(TableName=name, AttributeDefinitions=G_DEF,
                                     GlobalSecondaryIndexUpdates=[{"Create": GSI}])
    (created,) = response["TableDescription"]["GlobalSecondaryIndexes"]
    assert created["IndexName"] == "by_g" and created["IndexStatus"] == "CREATING"
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "during"}, "g": {"S": "g0"}})
    active = wait_index(dynamodb, name, "by_g", "ACTIVE")
    assert "Backfilling" not in active or active["Backfilling"] is False
    found = dynamodb.query(TableName=name, IndexName="by_g", KeyConditionExpression="g = :g",
                           ExpressionAttributeValues={":g": {"S": "g0"}})
    assert sorted(i["pk"]["S"] for i in found["Items"]) == sorted([f"p{i}" for i in range(0, 30, 3)] + ["during"])
    defined = dynamodb.describe_table(TableName=name)["Table"]["AttributeDefinitions"]
    assert {"AttributeName": "g", "AttributeType": "S"} in defined


def test_deleted_gsi_goes_away_with_its_attribute_definition(dynamodb, table_factory):
    # Why: dropping an index must stop it being readable and tidy up the key definitions it used.
    name = table_factory("S", AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, *G_DEF],
                         GlobalSecondaryIndexes=[GSI])
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "a"}, "g": {"S": "x"}})
    response = dynamodb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_g"}}])
    (deleting,) = response["TableDescription"]["GlobalSecondaryIndexes"]
    assert deleting["IndexStatus"] == "DELETING"
    wait_index(dynamodb, name, "by_g", None)
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert table["AttributeDefinitions"] == [{"AttributeName": "pk", "AttributeType": "S"}]
    assert_dynamo_error(lambda: dynamodb.query(TableName=name, IndexName="by_g", KeyConditionExpression="g = :g",
                                               ExpressionAttributeValues={":g": {"S": "x"}}),
                        "ValidationException", "The table does not have the specified index: by_g")


def test_creating_an_existing_index_is_rejected(dynamodb, table_factory):
    # Why: index names are unique per table.
    name = table_factory("S", AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, *G_DEF],
                         GlobalSecondaryIndexes=[GSI])
    assert_dynamo_error(lambda: dynamodb.update_table(TableName=name, AttributeDefinitions=G_DEF,
                                                      GlobalSecondaryIndexUpdates=[{"Create": GSI}]),
                        "ValidationException", "Attempting to create an index which already exists")


def test_deleting_a_missing_index_is_not_found(dynamodb, table_factory):
    # Why: deleting what does not exist is a ResourceNotFoundException, not a silent success.
    name = table_factory("S")
    assert_dynamo_error(lambda: dynamodb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[
        {"Delete": {"IndexName": "nope"}}]), "ResourceNotFoundException")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local says 'Only one global secondary index update per index is "
                                           "allowed simultaneously.' without the index name")
def test_two_updates_of_one_index_are_rejected(dynamodb, table_factory):
    # Why: AWS refuses conflicting actions on one index in a single request.
    name = table_factory("S")
    assert_dynamo_error(lambda: dynamodb.update_table(TableName=name, AttributeDefinitions=G_DEF,
                                                      GlobalSecondaryIndexUpdates=[{"Create": GSI},
                                                                                   {"Delete": {"IndexName": "by_g"}}]),
                        "ValidationException",
                        "Only one global secondary index update per index is allowed simultaneously. Index: by_g")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local's type mismatch message names no attribute")
def test_a_deleted_gsi_no_longer_constrains_writes(dynamodb, table_factory):
    # Why: once an index is gone, its key attribute is an ordinary attribute of any type again.
    name = table_factory("S", AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, *G_DEF],
                         GlobalSecondaryIndexes=[GSI])
    assert_dynamo_error(lambda: dynamodb.put_item(TableName=name, Item={"pk": {"S": "a"}, "g": {"N": "7"}}),
                        "ValidationException", "Type mismatch for Index Key g")
    dynamodb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_g"}}])
    wait_index(dynamodb, name, "by_g", None)
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "a"}, "g": {"N": "7"}})
    dynamodb.update_item(TableName=name, Key={"pk": {"S": "b"}}, UpdateExpression="SET g = :e",
                         ExpressionAttributeValues={":e": {"S": ""}})


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers 'invalid attribute, SchemaElement redefined ...'")
def test_a_new_index_cannot_redefine_an_attribute_type(dynamodb, table_factory):
    # Why: a key attribute has one type for the table and all its indexes.
    name = table_factory("S", AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, *G_DEF],
                         GlobalSecondaryIndexes=[GSI])
    second = {**GSI, "IndexName": "by_g2"}
    assert_dynamo_error(lambda: dynamodb.update_table(
        TableName=name, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "N"}],
        GlobalSecondaryIndexUpdates=[{"Create": second}]), "ValidationException",
        "One or more parameter values were invalid: Attributes cannot be redefined")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers 'Size limit exceeded', without the limit")
@pytest.mark.parametrize(("key_type", "size", "message"), [
    ("HASH", 2049, "Size of hashkey has exceeded the maximum size limit of2048 bytes"),
    ("RANGE", 1025, "Aggregated size of all range keys has exceeded the size limit of 1024 bytes"),
])
def test_index_keys_have_the_key_size_limits(dynamodb, table_factory, key_type, size, message):
    # Why: an attribute that is an index key is limited like a table key (2048 bytes for a partition
    # key, 1024 for a sort key); one byte less is accepted.
    schema = [{"AttributeName": "g", "KeyType": "HASH"}] if key_type == "HASH" else [
        {"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "g", "KeyType": "RANGE"}]
    name = table_factory("S", AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, *G_DEF],
                         GlobalSecondaryIndexes=[{**GSI, "KeySchema": schema}])
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "fits"}, "g": {"S": "x" * (size - 1)}})
    assert_dynamo_error(lambda: dynamodb.put_item(TableName=name, Item={"pk": {"S": "over"}, "g": {"S": "x" * size}}),
                        "ValidationException", message)
    assert "Item" not in dynamodb.get_item(TableName=name, Key={"pk": {"S": "over"}})


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local fails writes (InternalFailure) while a GSI is CREATING")
def test_backfill_skips_items_whose_key_is_too_long(dynamodb, table_factory):
    # Why: items stored before the index exist whatever their size; the index holds only the ones
    # whose value fits its key.
    name = table_factory("S")
    for size in (1024, 1025, 2048, 2049):
        dynamodb.put_item(TableName=name, Item={"pk": {"S": f"p{size}"}, "g": {"S": "x" * size}})
    dynamodb.update_table(TableName=name, AttributeDefinitions=G_DEF, GlobalSecondaryIndexUpdates=[{"Create": GSI}])
    wait_index(dynamodb, name, "by_g", "ACTIVE")
    indexed = dynamodb.scan(TableName=name, IndexName="by_g")["Items"]
    assert sorted(i["pk"]["S"] for i in indexed) == ["p1024", "p1025", "p2048"]


CAPACITY = {"ReadCapacityUnits": 3, "WriteCapacityUnits": 2}


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local switches to PROVISIONED without the index's capacity")
def test_switching_to_provisioned_needs_each_gsi_capacity(dynamodb, table_factory):
    # Why: measured against AWS: a table with GSIs turns provisioned only with every index's
    # capacity in the same request; without it nothing changes.
    name = table_factory("S", AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, *G_DEF],
                         GlobalSecondaryIndexes=[GSI])
    assert_dynamo_error(
        lambda: dynamodb.update_table(TableName=name, BillingMode="PROVISIONED", ProvisionedThroughput=CAPACITY),
        "ValidationException",
        "One or more parameter values were invalid: ProvisionedThroughput must be specified for index: by_g")
    dynamodb.update_table(TableName=name, BillingMode="PROVISIONED", ProvisionedThroughput=CAPACITY,
                          GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "by_g",
                                                                   "ProvisionedThroughput": CAPACITY}}])
    index = wait_index(dynamodb, name, "by_g", "ACTIVE")
    assert {k: index["ProvisionedThroughput"][k] for k in CAPACITY} == CAPACITY


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local leaves an on-demand table's GSIs their old capacity")
def test_switching_to_on_demand_zeroes_each_gsi_capacity(dynamodb, table_factory):
    # Why: on demand, no index keeps provisioned units (AWS reports the drop as a decrease).
    name = table_factory("S", AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, *G_DEF],
                         ProvisionedThroughput=CAPACITY,
                         GlobalSecondaryIndexes=[{**GSI, "ProvisionedThroughput": CAPACITY}])
    dynamodb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")
    index = wait_index(dynamodb, name, "by_g", "ACTIVE")
    assert (index["ProvisionedThroughput"]["ReadCapacityUnits"],
            index["ProvisionedThroughput"]["WriteCapacityUnits"]) == (0, 0)
    assert index["ProvisionedThroughput"]["NumberOfDecreasesToday"] >= 1
