"""Secondary indexes: CreateTable validation, DescribeTable shapes, Query and Scan on GSIs and LSIs
with every projection type, sparse entries, moves between partitions, pagination and index errors."""

from __future__ import annotations

import contextlib

import pytest

from support import assert_dynamo_error, unique
from support.tables import table_name

LOCAL_TABLE_VALIDATION = "DynamoDB Local words CreateTable index validation errors its own way"
S, N = "S", "N"


def defs(*pairs):
    return [{"AttributeName": n, "AttributeType": t} for n, t in pairs]


def schema(hash_name, range_name=None):
    out = [{"AttributeName": hash_name, "KeyType": "HASH"}]
    if range_name:
        out.append({"AttributeName": range_name, "KeyType": "RANGE"})
    return out


def index(name, hash_name, range_name=None, projection="ALL", non_key=None, **extra):
    proj = {"ProjectionType": projection}
    if non_key is not None:
        proj["NonKeyAttributes"] = non_key
    return {"IndexName": name, "KeySchema": schema(hash_name, range_name), "Projection": proj, **extra}


GSIS = [
    index("by_g_keys", "g", "gr", "KEYS_ONLY"),
    index("by_g_include", "g", None, "INCLUDE", ["a"]),
    index("by_gr_all", "gr", None, "ALL"),
]
LSIS = [index("by_l_include", "pk", "l", "INCLUDE", ["a"])]


@pytest.fixture(scope="module")
def indexed(dynamodb):
    name = table_name("idx")
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=schema("pk", "sk"),
        AttributeDefinitions=defs(("pk", S), ("sk", S), ("g", S), ("gr", N), ("l", N)),
        GlobalSecondaryIndexes=GSIS,
        LocalSecondaryIndexes=LSIS,
    )
    try:
        yield name
    finally:
        dynamodb.delete_table(TableName=name)


@pytest.fixture
def group(dynamodb, indexed):
    """Five items sharing a fresh GSI partition ``g`` and a fresh table partition ``pk``."""
    g, pk = unique("g"), unique("p")
    for i in range(5):
        dynamodb.put_item(
            TableName=indexed,
            Item={
                "pk": {"S": pk},
                "sk": {"S": f"s{i}"},
                "g": {"S": g},
                "gr": {"N": str(i)},
                "l": {"N": str(10 - i)},
                "a": {"S": "A"},
                "b": {"S": "B"},
            },
        )
    return g, pk


def gq(dynamodb, table, g, index="by_g_keys", **kwargs):
    values = {":g": {"S": g}, **kwargs.pop("values", {})}
    cond = kwargs.pop("condition", "g = :g")
    return dynamodb.query(
        TableName=table, IndexName=index, KeyConditionExpression=cond, ExpressionAttributeValues=values, **kwargs
    )


def create_error(dynamodb, code, *substrings, **request):
    name = table_name("bad")
    base = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": schema("pk", "sk"),
        "AttributeDefinitions": defs(("pk", S), ("sk", S), ("g", S)),
    }
    base.update(request)
    try:
        assert_dynamo_error(lambda: dynamodb.create_table(**base), code, *substrings)
    finally:
        with contextlib.suppress(Exception):
            dynamodb.delete_table(TableName=name)


# ---------------------------------------------------------------- CreateTable and DescribeTable


def test_describe_shows_each_index_with_arn_projection_and_counters(dynamodb, indexed, group):
    # Why: tools discover indexes (names, keys, projections, ARNs) from DescribeTable.
    table = dynamodb.describe_table(TableName=indexed)["Table"]
    gsis = {g["IndexName"]: g for g in table["GlobalSecondaryIndexes"]}
    assert set(gsis) == {"by_g_keys", "by_g_include", "by_gr_all"}
    keys_only = gsis["by_g_keys"]
    assert keys_only["KeySchema"] == schema("g", "gr")
    assert keys_only["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert keys_only["IndexStatus"] == "ACTIVE"
    assert keys_only["IndexArn"] == f"{table['TableArn']}/index/by_g_keys"
    assert gsis["by_g_include"]["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a"]}
    for described in gsis.values():
        assert isinstance(described["ItemCount"], int) and isinstance(described["IndexSizeBytes"], int)
    (lsi,) = table["LocalSecondaryIndexes"]
    assert lsi["IndexName"] == "by_l_include" and lsi["KeySchema"] == schema("pk", "l")
    assert lsi["IndexArn"] == f"{table['TableArn']}/index/by_l_include"
    assert "IndexStatus" not in lsi


def test_provisioned_gsi_reports_its_own_throughput(dynamodb, table_factory):
    # Why: in PROVISIONED mode each GSI has its own capacity, shown per index.
    name = table_factory(
        "S",
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
        AttributeDefinitions=defs(("pk", S), ("g", S)),
        GlobalSecondaryIndexes=[
            index("by_g_prov", "g", ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 3})
        ],
    )
    (gsi,) = dynamodb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
    assert gsi["ProvisionedThroughput"]["ReadCapacityUnits"] == 2
    assert gsi["ProvisionedThroughput"]["WriteCapacityUnits"] == 3


@pytest.mark.dynamodb_local_differs(reason=LOCAL_TABLE_VALIDATION)
@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"GlobalSecondaryIndexes": []}, "List of GlobalSecondaryIndexes is empty"),
        ({"LocalSecondaryIndexes": []}, "List of LocalSecondaryIndexes is empty"),
        ({"GlobalSecondaryIndexes": [index("gsi", "g"), index("gsi", "g")]}, "Duplicate index name: gsi"),
        (
            {"GlobalSecondaryIndexes": [index("gsi", "g", "x")]},
            "Some index key attributes are not defined in AttributeDefinitions. Keys: [g, x]",
        ),
        (
            {
                "GlobalSecondaryIndexes": [index("gsi", "g")],
                "AttributeDefinitions": defs(("pk", S), ("sk", S), ("g", S), ("x", S)),
            },
            "Some AttributeDefinitions are not used. AttributeDefinitions: [g, pk, sk, x], keys used: [g, pk, sk]",
        ),
        (
            {"GlobalSecondaryIndexes": [index("gsi", "g", projection="INCLUDE")]},
            "ProjectionType is INCLUDE, but NonKeyAttributes is not specified",
        ),
        (
            {"GlobalSecondaryIndexes": [index("gsi", "g", projection="KEYS_ONLY", non_key=["a"])]},
            "ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified",
        ),
        (
            {"GlobalSecondaryIndexes": [{"IndexName": "gsi", "KeySchema": schema("g"), "Projection": {}}]},
            "Unknown ProjectionType: null",
        ),
        (
            {"LocalSecondaryIndexes": [index("lsi", "g", "sk")]},
            "Index KeySchema does not have the same leading hash key as table KeySchema for index: lsi. "
            "index hash key: g, table hash key: pk",
        ),
        (
            {"LocalSecondaryIndexes": [index("lsi", "pk")], "AttributeDefinitions": defs(("pk", S), ("sk", S))},
            "Index KeySchema does not have a range key for index: lsi",
        ),
        (
            {"LocalSecondaryIndexes": [index(f"lsi{i}", "pk", "g") for i in range(6)]},
            "Number of LocalSecondaryIndexes exceeds per-table limit of 5",
        ),
        (
            {"GlobalSecondaryIndexes": [index(f"gsi{i}", "g") for i in range(21)]},
            "GlobalSecondaryIndex count exceeds the per-table limit of 20",
        ),
        (
            {
                "GlobalSecondaryIndexes": [
                    index("gsi", "g", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
                ]
            },
            "ProvisionedThroughput should not be specified for index: gsi when BillingMode is PAY_PER_REQUEST",
        ),
        (
            {
                "GlobalSecondaryIndexes": [
                    index(f"gsi{i}", "g", projection="INCLUDE", non_key=[f"a{j}" for j in range(20)]) for i in range(6)
                ]
            },
            "100",
        ),
    ],
    ids=[
        "gsi-empty",
        "lsi-empty",
        "duplicate-name",
        "undefined-key",
        "unused-definition",
        "include-without",
        "keys-only-with",
        "no-projection-type",
        "lsi-other-hash",
        "lsi-no-range",
        "six-lsis",
        "21-gsis",
        "gsi-throughput-on-demand",
        "over-100-projected",
    ],
)
def test_create_table_rejects_invalid_indexes(dynamodb, request_, message):
    # Why: AWS validates index definitions up front with these exact messages; tools match on them.
    create_error(dynamodb, "ValidationException", message, **request_)


@pytest.mark.dynamodb_local_differs(
    reason="DynamoDB Local says 'Local Secondary indices are not allowed on hash tables'"
)
def test_lsi_needs_a_range_key_table(dynamodb):
    # Why: an LSI re-sorts a table partition, which only exists with a composite key.
    create_error(
        dynamodb,
        "ValidationException",
        "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
        KeySchema=schema("pk"),
        AttributeDefinitions=defs(("pk", S), ("g", S)),
        LocalSecondaryIndexes=[index("lsi", "pk", "g")],
    )


@pytest.mark.dynamodb_local_differs(
    reason="DynamoDB Local says 'No provisioned throughput specified for the global secondary index'"
)
def test_provisioned_table_needs_gsi_throughput(dynamodb):
    # Why: each GSI has its own capacity in PROVISIONED mode and AWS requires it.
    create_error(
        dynamodb,
        "ValidationException",
        "ProvisionedThroughput is not specified for index: gsi",
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
        GlobalSecondaryIndexes=[index("gsi", "g")],
    )


def test_twenty_gsis_and_five_lsis_are_accepted(dynamodb, table_factory):
    # Why: the limits are inclusive; a table at the limit must work.
    name = table_factory(
        "S",
        "S",
        AttributeDefinitions=defs(("pk", S), ("sk", S), ("g", S)),
        GlobalSecondaryIndexes=[index(f"gsi{i}", "g") for i in range(20)],
        LocalSecondaryIndexes=[index(f"lsi{i}", "pk", "g") for i in range(5)],
    )
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert len(table["GlobalSecondaryIndexes"]) == 20 and len(table["LocalSecondaryIndexes"]) == 5


# ---------------------------------------------------------------- writes


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local says only 'Type mismatch for Index Key'")
@pytest.mark.parametrize(
    ("attr", "value", "expected"),
    [
        ("g", {"N": "1"}, "Type mismatch for Index Key g Expected: S Actual: N IndexName: by_g_"),
        ("gr", {"S": "1"}, "Type mismatch for Index Key gr Expected: N Actual: S IndexName: by_g"),
        ("l", {"S": "x"}, "Type mismatch for Index Key l Expected: N Actual: S IndexName: by_l_include"),
    ],
    ids=["gsi-hash", "gsi-range", "lsi-range"],
)
def test_put_with_wrong_index_key_type_is_rejected(dynamodb, indexed, attr, value, expected):
    # Why: an index key attribute of the wrong type would make the item unindexable, so AWS refuses it.
    item = {"pk": {"S": unique()}, "sk": {"S": "s"}, attr: value}
    assert_dynamo_error(
        lambda: dynamodb.put_item(TableName=indexed, Item=item),
        "ValidationException",
        "One or more parameter values were invalid: ",
        expected,
    )
    assert "Item" not in dynamodb.get_item(TableName=indexed, Key={"pk": item["pk"], "sk": item["sk"]})


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local says only 'Type mismatch for Index Key'")
def test_update_setting_wrong_index_key_type_changes_nothing(dynamodb, indexed, group):
    # Why: an update is checked against index key types too, and a rejected update leaves the item as it was.
    g, pk = group
    key = {"pk": {"S": pk}, "sk": {"S": "s1"}}
    before = dynamodb.get_item(TableName=indexed, Key=key)["Item"]
    assert_dynamo_error(
        lambda: dynamodb.update_item(
            TableName=indexed, Key=key, UpdateExpression="SET g = :v", ExpressionAttributeValues={":v": {"N": "5"}}
        ),
        "ValidationException",
        "Type mismatch for Index Key g Expected: S Actual: N",
    )
    assert dynamodb.get_item(TableName=indexed, Key=key)["Item"] == before
    assert gq(dynamodb, indexed, g)["Count"] == 5


def test_empty_string_index_key_is_rejected(dynamodb, indexed):
    # Why: empty strings are allowed in attributes but never as an index key.
    item = {"pk": {"S": unique()}, "sk": {"S": "s"}, "g": {"S": ""}}
    assert_dynamo_error(
        lambda: dynamodb.put_item(TableName=indexed, Item=item),
        "ValidationException",
        "A value specified for a secondary index key is not supported",
        "cannot contain an empty string value",
        "IndexKey: g",
    )


# ---------------------------------------------------------------- Query


def test_keys_only_gsi_returns_index_and_table_keys_in_index_order(dynamodb, indexed, group):
    # Why: a KEYS_ONLY index returns exactly the index keys and the table keys, sorted by index range key.
    g, pk = group
    response = gq(dynamodb, indexed, g, ScanIndexForward=False)
    assert [i["gr"]["N"] for i in response["Items"]] == ["4", "3", "2", "1", "0"]
    assert response["Items"][0] == {"g": {"S": g}, "gr": {"N": "4"}, "pk": {"S": pk}, "sk": {"S": "s4"}}


def test_include_gsi_returns_keys_and_included_attributes(dynamodb, indexed, group):
    # Why: INCLUDE adds exactly the named non-key attributes.
    g, _ = group
    items = gq(dynamodb, indexed, g, index="by_g_include")["Items"]
    assert len(items) == 5
    assert all(set(item) == {"g", "pk", "sk", "a"} for item in items)


def test_all_gsi_returns_whole_items(dynamodb, indexed):
    # Why: an ALL projection makes the index a full copy of the items.
    gr = "77" + unique("").replace("-", "").translate(str.maketrans("abcdef", "123456"))[:8]
    item = {"pk": {"S": unique()}, "sk": {"S": "s"}, "gr": {"N": gr}, "b": {"S": "B"}, "m": {"M": {"x": {"N": "1"}}}}
    dynamodb.put_item(TableName=indexed, Item=item)
    response = dynamodb.query(
        TableName=indexed,
        IndexName="by_gr_all",
        KeyConditionExpression="gr = :v",
        ExpressionAttributeValues={":v": {"N": gr}},
    )
    assert response["Items"] == [item]


def test_lsi_query_orders_a_table_partition_by_the_index_range_key(dynamodb, indexed, group):
    # Why: an LSI re-sorts one table partition by another attribute.
    _, pk = group
    response = dynamodb.query(
        TableName=indexed,
        IndexName="by_l_include",
        KeyConditionExpression="pk = :p AND l > :l",
        ExpressionAttributeValues={":p": {"S": pk}, ":l": {"N": "7"}},
    )
    assert [i["l"]["N"] for i in response["Items"]] == ["8", "9", "10"]
    assert set(response["Items"][0]) == {"pk", "sk", "l", "a"}


def test_lsi_fetches_unprojected_attributes_from_the_table(dynamodb, indexed, group):
    # Why: an LSI query may ask for attributes the index lacks; DynamoDB fetches them from the table.
    _, pk = group
    values = {":p": {"S": pk}}
    full = dynamodb.query(
        TableName=indexed,
        IndexName="by_l_include",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues=values,
        Select="ALL_ATTRIBUTES",
        Limit=1,
    )
    assert full["Items"][0]["b"] == {"S": "B"} and full["Items"][0]["l"] == {"N": "6"}
    picked = dynamodb.query(
        TableName=indexed,
        IndexName="by_l_include",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues=values,
        ProjectionExpression="b",
        Limit=2,
    )
    assert picked["Items"] == [{"b": {"S": "B"}}, {"b": {"S": "B"}}]


def test_filter_on_unprojected_attributes_is_rejected_on_an_lsi(dynamodb, indexed, group):
    # Why: filters see only the index entry, even on an LSI that could fetch the item.
    _, pk = group
    assert_dynamo_error(
        lambda: dynamodb.query(
            TableName=indexed,
            IndexName="by_l_include",
            KeyConditionExpression="pk = :p",
            FilterExpression="b = :b",
            ExpressionAttributeValues={":p": {"S": pk}, ":b": {"S": "B"}},
        ),
        "ValidationException",
        "Secondary index by_l_include does not project one or more filter attributes: [b]",
    )


def test_all_projected_attributes_is_the_default_on_an_index(dynamodb, indexed, group):
    # Why: Select=ALL_PROJECTED_ATTRIBUTES returns what the index holds, as omitting Select does.
    g, _ = group
    explicit = gq(dynamodb, indexed, g, index="by_g_include", Select="ALL_PROJECTED_ATTRIBUTES")
    assert explicit["Items"] == gq(dynamodb, indexed, g, index="by_g_include")["Items"]


def test_consistent_read_on_a_gsi_is_rejected(dynamodb, indexed, group):
    # Why: GSIs are updated asynchronously in AWS, so strongly consistent reads are refused on them.
    g, _ = group
    assert_dynamo_error(
        lambda: gq(dynamodb, indexed, g, ConsistentRead=True),
        "ValidationException",
        "Consistent reads are not supported on global secondary indexes",
    )
    assert_dynamo_error(
        lambda: dynamodb.scan(TableName=indexed, IndexName="by_g_keys", ConsistentRead=True),
        "ValidationException",
        "Consistent reads are not supported on global secondary indexes",
    )


def test_consistent_read_on_an_lsi_is_allowed(dynamodb, indexed, group):
    # Why: LSIs live with their table partition and support strongly consistent reads.
    _, pk = group
    response = dynamodb.query(
        TableName=indexed,
        IndexName="by_l_include",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": pk}},
        ConsistentRead=True,
    )
    assert response["Count"] == 5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ProjectionExpression": "b"}, "Global secondary index by_g_keys does not project [b]"),
        (
            {"Select": "ALL_ATTRIBUTES"},
            "Select type ALL_ATTRIBUTES is not supported for global secondary index by_g_keys "
            "because its projection type is not ALL",
        ),
        (
            {"FilterExpression": "b = :b", "values": {":b": {"S": "B"}}},
            "Secondary index by_g_keys does not project one or more filter attributes: [b]",
        ),
    ],
    ids=["projection", "all-attributes", "filter"],
)
def test_gsi_cannot_return_unprojected_attributes(dynamodb, indexed, group, kwargs, message):
    # Why: a GSI never fetches from the table, so asking for unprojected attributes is an error.
    g, _ = group
    assert_dynamo_error(
        lambda: gq(dynamodb, indexed, g, **kwargs),
        "ValidationException",
        "One or more parameter values were invalid: ",
        message,
    )


def test_unknown_index_is_rejected(dynamodb, indexed):
    # Why: a typo in IndexName must fail loudly, not read the table.
    assert_dynamo_error(
        lambda: gq(dynamodb, indexed, "x", index="nope"),
        "ValidationException",
        "The table does not have the specified index: nope",
    )
    assert_dynamo_error(
        lambda: dynamodb.scan(TableName=indexed, IndexName="nope"),
        "ValidationException",
        "The table does not have the specified index: nope",
    )


def test_key_condition_must_use_the_index_keys(dynamodb, indexed):
    # Why: an index query is checked against the index's key schema, not the table's.
    assert_dynamo_error(
        lambda: dynamodb.query(
            TableName=indexed,
            IndexName="by_g_keys",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "x"}},
        ),
        "ValidationException",
        "Query condition missed key schema element",
    )


def test_pagination_carries_index_and_table_keys(dynamodb, indexed, group):
    # Why: LastEvaluatedKey of an index page holds index keys plus table keys, and resumes exactly.
    g, pk = group
    first = gq(dynamodb, indexed, g, Limit=2)
    assert first["LastEvaluatedKey"] == {"g": {"S": g}, "gr": {"N": "1"}, "pk": {"S": pk}, "sk": {"S": "s1"}}
    rest = gq(dynamodb, indexed, g, ExclusiveStartKey=first["LastEvaluatedKey"])
    assert [i["gr"]["N"] for i in first["Items"] + rest["Items"]] == ["0", "1", "2", "3", "4"]
    assert "LastEvaluatedKey" not in rest


def test_exclusive_start_key_without_table_keys_is_rejected(dynamodb, indexed, group):
    # Why: an index start key must name the table keys too, since entries with equal index keys follow them.
    g, _ = group
    assert_dynamo_error(
        lambda: gq(dynamodb, indexed, g, ExclusiveStartKey={"g": {"S": g}, "gr": {"N": "1"}}),
        "ValidationException",
        "The provided starting key is invalid",
    )


def test_equal_index_keys_are_all_returned(dynamodb, indexed, group):
    # Why: unlike table keys, index keys need not be unique; every item with the key is returned.
    g, pk = group
    for sk in ("t1", "t2", "t3"):
        dynamodb.put_item(TableName=indexed, Item={"pk": {"S": pk}, "sk": {"S": sk}, "g": {"S": g}, "gr": {"N": "2"}})
    response = gq(dynamodb, indexed, g, condition="g = :g AND gr = :r", values={":r": {"N": "2"}})
    assert sorted(i["sk"]["S"] for i in response["Items"]) == ["s2", "t1", "t2", "t3"]


def test_sparse_index_skips_items_without_the_key(dynamodb, indexed):
    # Why: items lacking an index key are absent from that index (sparse indexes are a design pattern).
    g, pk = unique("g"), unique("p")
    dynamodb.put_item(TableName=indexed, Item={"pk": {"S": pk}, "sk": {"S": "with"}, "g": {"S": g}, "gr": {"N": "1"}})
    dynamodb.put_item(TableName=indexed, Item={"pk": {"S": pk}, "sk": {"S": "no-range"}, "g": {"S": g}})
    assert [i["sk"]["S"] for i in gq(dynamodb, indexed, g)["Items"]] == ["with"]
    assert sorted(i["sk"]["S"] for i in gq(dynamodb, indexed, g, index="by_g_include")["Items"]) == ["no-range", "with"]


def test_updates_move_items_between_index_partitions_and_deletes_remove_them(dynamodb, indexed, group):
    # Why: changing an index key must remove the old entry in the same write; deleting removes the entry.
    g, pk = group
    other = unique("g")
    dynamodb.update_item(
        TableName=indexed,
        Key={"pk": {"S": pk}, "sk": {"S": "s0"}},
        UpdateExpression="SET g = :o",
        ExpressionAttributeValues={":o": {"S": other}},
    )
    dynamodb.update_item(TableName=indexed, Key={"pk": {"S": pk}, "sk": {"S": "s1"}}, UpdateExpression="REMOVE gr")
    dynamodb.delete_item(TableName=indexed, Key={"pk": {"S": pk}, "sk": {"S": "s2"}})
    assert [i["sk"]["S"] for i in gq(dynamodb, indexed, g)["Items"]] == ["s3", "s4"]
    assert [i["sk"]["S"] for i in gq(dynamodb, indexed, other)["Items"]] == ["s0"]
    assert sorted(i["sk"]["S"] for i in gq(dynamodb, indexed, g, index="by_g_include")["Items"]) == ["s1", "s3", "s4"]


def test_projected_attributes_follow_updates(dynamodb, indexed, group):
    # Why: a projected non-key attribute changes in the index when the item changes.
    g, pk = group
    dynamodb.update_item(
        TableName=indexed,
        Key={"pk": {"S": pk}, "sk": {"S": "s3"}},
        UpdateExpression="SET a = :a",
        ExpressionAttributeValues={":a": {"S": "changed"}},
    )
    items = {i["sk"]["S"]: i for i in gq(dynamodb, indexed, g, index="by_g_include")["Items"]}
    assert items["s3"]["a"] == {"S": "changed"} and items["s4"]["a"] == {"S": "A"}


# ---------------------------------------------------------------- Scan


def test_scan_of_a_gsi_returns_projected_entries_in_pages(dynamodb, table_factory):
    # Why: a Scan on an index reads the index's entries, paginated with index + table keys.
    name = table_factory(
        "S",
        AttributeDefinitions=defs(("pk", S), ("g", S)),
        GlobalSecondaryIndexes=[index("by_g", "g", projection="KEYS_ONLY")],
    )
    for i in range(7):
        dynamodb.put_item(TableName=name, Item={"pk": {"S": f"p{i}"}, "g": {"S": f"g{i % 3}"}, "x": {"N": "1"}})
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "sparse"}})
    seen, start = [], {}
    while True:
        page = dynamodb.scan(TableName=name, IndexName="by_g", Limit=3, **start)
        seen.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        assert set(page["LastEvaluatedKey"]) == {"g", "pk"}
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}
    assert sorted(i["pk"]["S"] for i in seen) == [f"p{i}" for i in range(7)]
    assert all(set(i) == {"pk", "g"} for i in seen)


def test_parallel_scan_segments_of_an_index_cover_it_once(dynamodb, table_factory):
    # Why: parallel scans of an index must neither miss nor duplicate entries.
    name = table_factory(
        "S", AttributeDefinitions=defs(("pk", S), ("g", S)), GlobalSecondaryIndexes=[index("by_g", "g")]
    )
    for i in range(40):
        dynamodb.put_item(TableName=name, Item={"pk": {"S": f"p{i}"}, "g": {"S": f"g{i}"}})
    seen = []
    for segment in range(4):
        seen.extend(dynamodb.scan(TableName=name, IndexName="by_g", Segment=segment, TotalSegments=4)["Items"])
    assert sorted(i["pk"]["S"] for i in seen) == sorted(f"p{i}" for i in range(40))


def test_scan_of_a_table_with_all_projected_attributes_is_rejected(dynamodb, indexed):
    # Why: ALL_PROJECTED_ATTRIBUTES only means something on an index.
    assert_dynamo_error(
        lambda: dynamodb.scan(TableName=indexed, Select="ALL_PROJECTED_ATTRIBUTES"),
        "ValidationException",
        "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
    )
