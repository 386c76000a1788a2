"""ReturnConsumedCapacity on single-item writes and reads, with and without secondary indexes."""

from __future__ import annotations

import pytest

from support import unique


@pytest.fixture
def indexed(table_factory):
    """A table with a KEYS_ONLY LSI on ``l`` and an ALL GSI on ``g``."""
    return table_factory(
        "S", "S",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "g", "l")],
        LocalSecondaryIndexes=[{"IndexName": "lsi", "Projection": {"ProjectionType": "KEYS_ONLY"},
                                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                              {"AttributeName": "l", "KeyType": "RANGE"}]}],
        GlobalSecondaryIndexes=[{"IndexName": "gsi", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}],
    )


def put(dynamodb, table, item, mode="INDEXES"):
    return dynamodb.put_item(TableName=table, Item=item, ReturnConsumedCapacity=mode)["ConsumedCapacity"]


def test_put_total_and_indexes_on_a_plain_table(dynamodb, tables):
    # Why: a small write is one unit; INDEXES adds the table's own share and nothing else.
    item = {"pk": {"S": unique()}}
    assert put(dynamodb, tables.hash_s, item, "TOTAL") == {"TableName": tables.hash_s, "CapacityUnits": 1.0}
    assert put(dynamodb, tables.hash_s, item) == {"TableName": tables.hash_s, "CapacityUnits": 1.0,
                                                  "Table": {"CapacityUnits": 1.0}}


def test_write_units_follow_the_larger_item_in_kilobytes(dynamodb, tables):
    # Why: WCUs are 1 KB each, rounded up, of the larger of the old and new item.
    key = {"pk": {"S": unique()}}
    assert put(dynamodb, tables.hash_s, {**key, "v": {"S": "x" * 2500}}, "TOTAL")["CapacityUnits"] == 3.0
    assert put(dynamodb, tables.hash_s, key, "TOTAL")["CapacityUnits"] == 3.0


def test_new_item_writes_each_index_it_enters(dynamodb, indexed):
    # Why: an item entering an index costs one index write; TOTAL includes the index writes.
    item = {"pk": {"S": unique()}, "sk": {"S": "1"}, "g": {"S": "x"}, "l": {"S": "y"}}
    assert put(dynamodb, indexed, item, "TOTAL") == {"TableName": indexed, "CapacityUnits": 3.0}
    item["sk"] = {"S": "2"}
    assert put(dynamodb, indexed, item) == {
        "TableName": indexed, "CapacityUnits": 3.0, "Table": {"CapacityUnits": 1.0},
        "LocalSecondaryIndexes": {"lsi": {"CapacityUnits": 1.0}},
        "GlobalSecondaryIndexes": {"gsi": {"CapacityUnits": 1.0}}}


def test_unchanged_projection_costs_no_index_write(dynamodb, indexed):
    # Why: rewriting an item without changing what an index holds does not write the index.
    item = {"pk": {"S": unique()}, "sk": {"S": "1"}, "g": {"S": "x"}, "l": {"S": "y"}}
    put(dynamodb, indexed, item)
    assert put(dynamodb, indexed, item) == {"TableName": indexed, "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}}
    item["v"] = {"S": "only the GSI projects this"}
    assert put(dynamodb, indexed, item) == {"TableName": indexed, "CapacityUnits": 2.0, "Table": {"CapacityUnits": 1.0},
                                            "GlobalSecondaryIndexes": {"gsi": {"CapacityUnits": 1.0}}}


def test_changed_index_key_costs_two_index_writes(dynamodb, indexed):
    # Why: a new index key value deletes the old entry and puts the new one.
    item = {"pk": {"S": unique()}, "sk": {"S": "1"}, "g": {"S": "x"}, "l": {"S": "y"}}
    put(dynamodb, indexed, item)
    item.update(g={"S": "x2"}, l={"S": "y2"})
    assert put(dynamodb, indexed, item) == {
        "TableName": indexed, "CapacityUnits": 5.0, "Table": {"CapacityUnits": 1.0},
        "LocalSecondaryIndexes": {"lsi": {"CapacityUnits": 2.0}},
        "GlobalSecondaryIndexes": {"gsi": {"CapacityUnits": 2.0}}}


def test_delete_removes_from_each_index(dynamodb, indexed):
    # Why: deleting an indexed item costs one write per index it leaves; deleting nothing costs one unit.
    key = {"pk": {"S": unique()}, "sk": {"S": "1"}}
    put(dynamodb, indexed, {**key, "g": {"S": "x"}, "l": {"S": "y"}})
    first = dynamodb.delete_item(TableName=indexed, Key=key, ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    assert first == {"TableName": indexed, "CapacityUnits": 3.0, "Table": {"CapacityUnits": 1.0},
                     "LocalSecondaryIndexes": {"lsi": {"CapacityUnits": 1.0}},
                     "GlobalSecondaryIndexes": {"gsi": {"CapacityUnits": 1.0}}}
    again = dynamodb.delete_item(TableName=indexed, Key=key, ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    assert again == {"TableName": indexed, "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}}


def test_update_of_a_projected_attribute_writes_the_gsi(dynamodb, indexed):
    # Why: UpdateItem follows the same index rules as PutItem.
    key = {"pk": {"S": unique()}, "sk": {"S": "1"}}
    put(dynamodb, indexed, {**key, "g": {"S": "x"}, "l": {"S": "y"}})
    used = dynamodb.update_item(TableName=indexed, Key=key, UpdateExpression="SET v = :v",
                                ExpressionAttributeValues={":v": {"S": "q"}},
                                ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    assert used == {"TableName": indexed, "CapacityUnits": 2.0, "Table": {"CapacityUnits": 1.0},
                    "GlobalSecondaryIndexes": {"gsi": {"CapacityUnits": 1.0}}}


def test_batch_write_sums_table_and_index_units_per_table(dynamodb, indexed):
    # Why: BatchWriteItem reports one entry per table, including index writes.
    items = [{"PutRequest": {"Item": {"pk": {"S": unique()}, "sk": {"S": "1"}, "g": {"S": "x"}}}} for _ in range(2)]
    response = dynamodb.batch_write_item(RequestItems={indexed: items}, ReturnConsumedCapacity="INDEXES")
    used = response["ConsumedCapacity"]
    assert used == [{"TableName": indexed, "CapacityUnits": 4.0, "Table": {"CapacityUnits": 2.0},
                     "GlobalSecondaryIndexes": {"gsi": {"CapacityUnits": 2.0}}}]


def test_get_item_units_by_consistency(dynamodb, tables):
    # Why: an eventually consistent read of up to 4 KB is half a unit, a strongly consistent one a unit.
    key = {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item=key)
    get = dynamodb.get_item(TableName=tables.hash_s, Key=key, ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    assert get == {"TableName": tables.hash_s, "CapacityUnits": 0.5, "Table": {"CapacityUnits": 0.5}}
    strong = dynamodb.get_item(TableName=tables.hash_s, Key=key, ConsistentRead=True,
                               ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    assert strong == {"TableName": tables.hash_s, "CapacityUnits": 1.0}


def test_query_rounds_the_total_size_once(dynamodb, tables):
    # Why: Query adds the sizes of the items it read and rounds up to 4 KB once.
    pk = unique()
    for i in range(3):
        dynamodb.put_item(TableName=tables.range_s, Item={"pk": {"S": pk}, "sk": {"S": str(i)}, "v": {"S": "x" * 1500}})
    used = dynamodb.query(TableName=tables.range_s, KeyConditionExpression="pk = :p", ConsistentRead=True,
                          ExpressionAttributeValues={":p": {"S": pk}}, ReturnConsumedCapacity="TOTAL")
    assert used["ConsumedCapacity"] == {"TableName": tables.range_s, "CapacityUnits": 2.0}


def test_transaction_counts_index_writes_at_the_transactional_rate(dynamodb, indexed):
    # Why: a transaction's index writes cost like its table writes, twice the standard units; they
    # were left out, so TOTAL under-reported every transaction on an indexed table.
    key = {"pk": {"S": unique()}, "sk": {"S": "1"}}
    added = dynamodb.transact_write_items(
        TransactItems=[{"Put": {"TableName": indexed, "Item": {**key, "g": {"S": "x"}}}}],
        ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    assert added == [{"TableName": indexed, "CapacityUnits": 4.0}]
    moved = dynamodb.transact_write_items(
        TransactItems=[{"Update": {"TableName": indexed, "Key": key, "UpdateExpression": "SET g = :g",
                                   "ExpressionAttributeValues": {":g": {"S": "x2"}}}}],
        ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    assert moved == [{"TableName": indexed, "CapacityUnits": 6.0, "Table": {"CapacityUnits": 2.0},
                      "GlobalSecondaryIndexes": {"gsi": {"CapacityUnits": 4.0}}}]
    removed = dynamodb.transact_write_items(
        TransactItems=[{"Delete": {"TableName": indexed, "Key": key}}], ReturnConsumedCapacity="TOTAL")
    assert removed["ConsumedCapacity"] == [{"TableName": indexed, "CapacityUnits": 4.0}]


def test_lsi_query_fetching_from_the_table_charges_each_fetch(dynamodb, indexed):
    # Why: attributes an LSI does not project are fetched from the table, one read per item,
    # charged to the table on top of the index read.
    pk = {"S": unique()}
    for n in range(3):
        put(dynamodb, indexed, {"pk": pk, "sk": {"S": str(n)}, "l": {"S": f"l{n}"}, "v": {"S": "x"}})
    used = dynamodb.query(TableName=indexed, IndexName="lsi", KeyConditionExpression="pk = :p",
                          ExpressionAttributeValues={":p": pk}, Select="ALL_ATTRIBUTES", Limit=2,
                          ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    assert used == {"TableName": indexed, "CapacityUnits": 1.5, "Table": {"CapacityUnits": 1.0},
                    "LocalSecondaryIndexes": {"lsi": {"CapacityUnits": 0.5}}}
    projected = dynamodb.query(TableName=indexed, IndexName="lsi", KeyConditionExpression="pk = :p",
                               ExpressionAttributeValues={":p": pk}, Limit=2,
                               ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    assert projected == {"TableName": indexed, "CapacityUnits": 0.5, "Table": {"CapacityUnits": 0.0},
                         "LocalSecondaryIndexes": {"lsi": {"CapacityUnits": 0.5}}}


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local never returns ItemCollectionMetrics")
def test_item_collection_metrics_name_the_collection_of_a_table_with_an_lsi(dynamodb, indexed, tables):
    # Why: AWS's API reference: asked for SIZE, a write on a table with an LSI reports its item
    # collection's key and a size estimate in GB; a table without LSIs reports nothing.
    pk = {"S": unique()}
    item = {"pk": pk, "sk": {"S": "1"}, "l": {"S": "x"}}
    written = dynamodb.put_item(TableName=indexed, Item=item, ReturnItemCollectionMetrics="SIZE")
    assert written["ItemCollectionMetrics"] == {"ItemCollectionKey": {"pk": pk}, "SizeEstimateRangeGB": [0.0, 1.0]}
    updated = dynamodb.update_item(TableName=indexed, Key={"pk": pk, "sk": {"S": "1"}}, UpdateExpression="SET v = :v",
                                   ExpressionAttributeValues={":v": {"S": "y"}}, ReturnItemCollectionMetrics="SIZE")
    assert updated["ItemCollectionMetrics"]["ItemCollectionKey"] == {"pk": pk}
    deleted = dynamodb.delete_item(TableName=indexed, Key={"pk": pk, "sk": {"S": "1"}},
                                   ReturnItemCollectionMetrics="SIZE")
    assert deleted["ItemCollectionMetrics"]["ItemCollectionKey"] == {"pk": pk}
    plain = dynamodb.put_item(TableName=tables.hash_s, Item={"pk": pk}, ReturnItemCollectionMetrics="SIZE")
    assert "ItemCollectionMetrics" not in plain


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local never returns ItemCollectionMetrics")
def test_batch_write_reports_each_item_collection_once(dynamodb, indexed):
    # Why: BatchWriteItem reports, per table with an LSI, every item collection it wrote to.
    first, second = {"S": unique()}, {"S": unique()}
    puts = [{"PutRequest": {"Item": {"pk": pk, "sk": {"S": str(n)}, "l": {"S": "x"}}}}
            for pk in (first, second) for n in range(2)]
    response = dynamodb.batch_write_item(RequestItems={indexed: puts}, ReturnItemCollectionMetrics="SIZE")
    reported = response["ItemCollectionMetrics"][indexed]
    assert sorted(m["ItemCollectionKey"]["pk"]["S"] for m in reported) == sorted([first["S"], second["S"]])
    assert all(m["SizeEstimateRangeGB"] == [0.0, 1.0] for m in reported)


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local never returns ItemCollectionMetrics")
def test_transaction_reports_each_item_collection_it_wrote(dynamodb, indexed):
    # Why: like BatchWriteItem, a transaction reports every item collection it wrote to, per table.
    first, second = {"S": unique()}, {"S": unique()}
    response = dynamodb.transact_write_items(TransactItems=[
        {"Put": {"TableName": indexed, "Item": {"pk": first, "sk": {"S": "1"}, "l": {"S": "x"}}}},
        {"Put": {"TableName": indexed, "Item": {"pk": second, "sk": {"S": "1"}, "l": {"S": "x"}}}},
        {"Update": {"TableName": indexed, "Key": {"pk": first, "sk": {"S": "2"}}, "UpdateExpression": "SET v = :v",
                    "ExpressionAttributeValues": {":v": {"S": "y"}}}},
    ], ReturnItemCollectionMetrics="SIZE")
    reported = response["ItemCollectionMetrics"][indexed]
    assert sorted(m["ItemCollectionKey"]["pk"]["S"] for m in reported) == sorted([first["S"], second["S"]])
