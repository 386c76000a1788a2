"""CreateTable: key shapes, billing modes, throughput, tags, and the validation AWS applies."""

from __future__ import annotations

import contextlib

import pytest

from support import assert_dynamo_error
from support.tables import key_schema, table_name, wait_active

PROVISIONED = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 7}
LOCAL_TABLE_VALIDATION = (
    "DynamoDB Local words CreateTable validation errors its own way "
    "(e.g. 'Invalid table/index name.', 'Two keys can not have the same name')"
)


def create(dynamodb, name, request):
    """CreateTable that never leaks its table, whether the call was expected to fail or not."""
    try:
        return dynamodb.create_table(TableName=name, **request)
    finally:
        with contextlib.suppress(Exception):
            wait_active(dynamodb, name)  # AWS refuses to delete a table still CREATING
            dynamodb.delete_table(TableName=name)


@pytest.mark.parametrize("hash_type", ["S", "N", "B"])
def test_hash_only_table_of_each_key_type_is_described_back(dynamodb, table_factory, hash_type):
    # Why: a table's key schema and attribute types are its contract; every later call depends on them.
    name = table_factory(hash_type)
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "pk", "AttributeType": hash_type}]
    assert table["TableStatus"] == "ACTIVE"


@pytest.mark.parametrize(("hash_type", "range_type"), [("S", "S"), ("N", "B"), ("B", "N"), ("S", "N")])
def test_hash_and_range_table_is_described_back(dynamodb, table_factory, hash_type, range_type):
    # Why: composite keys of mixed types are the common case and must round-trip in order HASH, RANGE.
    name = table_factory(hash_type, range_type)
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                                  {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert sorted(table["AttributeDefinitions"], key=lambda d: d["AttributeName"]) == [
        {"AttributeName": "pk", "AttributeType": hash_type},
        {"AttributeName": "sk", "AttributeType": range_type}]


def test_create_response_describes_the_new_table(dynamodb):
    # Why: callers read the TableDescription of CreateTable's response instead of describing again.
    name = table_name()
    try:
        desc = dynamodb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                                     **key_schema("S"))["TableDescription"]
        assert desc["TableName"] == name
        assert desc["TableStatus"] in ("CREATING", "ACTIVE")
        assert desc["TableArn"].endswith(f":table/{name}")
        assert desc["ItemCount"] == 0
        assert desc["TableSizeBytes"] == 0
        assert "CreationDateTime" in desc
        assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    finally:
        dynamodb.delete_table(TableName=name)


def test_provisioned_table_reports_its_throughput(dynamodb, table_factory):
    # Why: ProvisionedThroughput given at creation must be reported exactly by DescribeTable.
    name = table_factory(ProvisionedThroughput=PROVISIONED)
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert table["ProvisionedThroughput"]["WriteCapacityUnits"] == 7


def test_explicit_provisioned_billing_mode_is_accepted(dynamodb, table_factory):
    # Why: BillingMode=PROVISIONED with throughput is the explicit spelling of the default.
    name = table_factory(BillingMode="PROVISIONED", ProvisionedThroughput=PROVISIONED)
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED") == "PROVISIONED"


def test_pay_per_request_table_reports_zero_throughput(dynamodb, table_factory):
    # Why: on-demand tables still carry a ProvisionedThroughput block, with zero capacity.
    name = table_factory()
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 0
    assert table["ProvisionedThroughput"]["WriteCapacityUnits"] == 0


@pytest.mark.parametrize("billing", [{}, {"BillingMode": "PROVISIONED"}])
def test_provisioned_without_throughput_is_rejected(dynamodb, billing):
    # Why: the default billing mode is PROVISIONED, which needs capacity numbers.
    assert_dynamo_error(lambda: create(dynamodb, table_name(), {**key_schema("S"), **billing}),
                        "ValidationException", "No provisioned throughput specified for the table")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local accepts throughput with PAY_PER_REQUEST")
def test_pay_per_request_with_throughput_is_rejected(dynamodb):
    # Why: capacity numbers make no sense on on-demand tables; AWS refuses the mix.
    assert_dynamo_error(
        lambda: create(dynamodb, table_name(), {**key_schema("S"), "BillingMode": "PAY_PER_REQUEST",
                                                "ProvisionedThroughput": PROVISIONED}),
        "ValidationException",
        "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers InternalFailure for an unknown BillingMode")
def test_unknown_billing_mode_is_rejected(dynamodb):
    # Why: enum members are validated before anything else, with the member list in the message.
    assert_dynamo_error(
        lambda: create(dynamodb, table_name(), {**key_schema("S"), "BillingMode": "ON_DEMAND"}),
        "ValidationException", "at 'billingMode' failed to satisfy constraint",
        "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]")


@pytest.mark.dynamodb_local_differs(reason=LOCAL_TABLE_VALIDATION)
@pytest.mark.parametrize("field", ["ReadCapacityUnits", "WriteCapacityUnits"])
def test_zero_capacity_is_rejected(dynamodb, field):
    # Why: capacity units have a minimum of 1, checked as a shape constraint.
    throughput = {**PROVISIONED, field: 0}
    path = field[0].lower() + field[1:]
    assert_dynamo_error(
        lambda: create(dynamodb, table_name(), {**key_schema("S"), "ProvisionedThroughput": throughput}),
        "ValidationException", "1 validation error detected", f"at 'provisionedThroughput.{path}'",
        "Member must have value greater than or equal to 1")


@pytest.mark.parametrize("name", ["abc", "A.b-c_9", "x" * 255])
def test_table_name_rules_accept_legal_names(dynamodb, name):
    # Why: names of 3..255 characters from [a-zA-Z0-9_.-] are legal, including the boundaries.
    name = name if len(name) > 3 else f"{name}{table_name()[-6:]}"  # keep short names unique per run
    response = create(dynamodb, name, {**key_schema("S"), "BillingMode": "PAY_PER_REQUEST"})
    assert response["TableDescription"]["TableName"] == name


@pytest.mark.dynamodb_local_differs(reason=LOCAL_TABLE_VALIDATION)
@pytest.mark.parametrize(("name", "constraint"), [
    ("ab", "Member must have length greater than or equal to 3"),
    ("x" * 256, "Member must have length less than or equal to 255"),
    ("has space", "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"),
    ("semi;colon", "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"),
])
def test_table_name_rules_reject_illegal_names(dynamodb, name, constraint):
    # Why: table names are validated as a shape constraint on 'tableName' before the table is looked up.
    assert_dynamo_error(
        lambda: create(dynamodb, name, {**key_schema("S"), "BillingMode": "PAY_PER_REQUEST"}),
        "ValidationException", f"at 'tableName' failed to satisfy constraint: {constraint}")


@pytest.mark.dynamodb_local_differs(reason=LOCAL_TABLE_VALIDATION)
def test_table_name_too_short_and_illegal_lists_both_errors(dynamodb):
    # Why: shape validation reports every violated constraint at once, counted.
    assert_dynamo_error(
        lambda: create(dynamodb, "a;", {**key_schema("S"), "BillingMode": "PAY_PER_REQUEST"}),
        "ValidationException", "2 validation errors detected", "regular expression pattern",
        "Member must have length greater than or equal to 3")


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers 'Cannot create preexisting table'")
def test_existing_table_name_is_in_use(dynamodb, tables):
    # Why: creating a table twice must fail with ResourceInUseException naming the table.
    assert_dynamo_error(
        lambda: dynamodb.create_table(TableName=tables.hash_s, BillingMode="PAY_PER_REQUEST",
                                      **key_schema("S")),
        "ResourceInUseException", f"Table already exists: {tables.hash_s}")


def test_existing_table_name_is_in_use_whatever_the_message(dynamodb, tables):
    # Why: the error type for a duplicate table is the same on every implementation.
    assert_dynamo_error(
        lambda: dynamodb.create_table(TableName=tables.hash_s, BillingMode="PAY_PER_REQUEST",
                                      **key_schema("S")), "ResourceInUseException")


def ad(*pairs):
    return [{"AttributeName": n, "AttributeType": t} for n, t in pairs]


def ks(*pairs):
    return [{"AttributeName": n, "KeyType": t} for n, t in pairs]


@pytest.mark.dynamodb_local_differs(reason=LOCAL_TABLE_VALIDATION)
@pytest.mark.parametrize(("keys", "defs", "message"), [
    (ks(("a", "HASH")), ad(("b", "S")),
     "One or more parameter values were invalid: Some index key attributes are not defined in "
     "AttributeDefinitions. Keys: [a], AttributeDefinitions: [b]"),
    (ks(("a", "HASH")), ad(("a", "S"), ("b", "S")),
     "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly "
     "match number of attributes defined in AttributeDefinitions"),
    (ks(("a", "HASH"), ("b", "HASH")), ad(("a", "S"), ("b", "S")),
     "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type"),
    (ks(("a", "RANGE")), ad(("a", "S")),
     "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"),
    (ks(("a", "RANGE"), ("b", "HASH")), ad(("a", "S"), ("b", "S")),
     "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"),
    (ks(("a", "HASH"), ("a", "RANGE")), ad(("a", "S")),
     "Both the Hash Key and the Range Key element in the KeySchema have the same name"),
    (ks(("xyz", "HASH")), ad(("xyz", "S"), ("xyz", "N")), "Attribute Name is duplicated: xyz"),
], ids=["undefined-key", "extra-definition", "two-hash", "range-only", "range-first", "same-name",
        "duplicate-definition"])
def test_key_schema_and_attribute_definitions_must_agree(dynamodb, keys, defs, message):
    # Why: the key schema rules are checked after shape validation with these exact messages.
    assert_dynamo_error(
        lambda: create(dynamodb, table_name(), {"KeySchema": keys, "AttributeDefinitions": defs,
                                                "BillingMode": "PAY_PER_REQUEST"}),
        "ValidationException", message)


@pytest.mark.parametrize(("keys", "defs"), [
    (ks(("a", "HASH")), ad(("b", "S"))),
    (ks(("a", "HASH")), ad(("a", "S"), ("b", "S"))),
    (ks(("a", "HASH"), ("b", "HASH")), ad(("a", "S"), ("b", "S"))),
    (ks(("a", "RANGE")), ad(("a", "S"))),
    (ks(("a", "HASH"), ("a", "RANGE")), ad(("a", "S"))),
], ids=["undefined-key", "extra-definition", "two-hash", "range-only", "same-name"])
def test_bad_key_schemas_are_validation_errors(dynamodb, keys, defs):
    # Why: whatever the wording, a bad key schema is a ValidationException and creates nothing.
    name = table_name()
    assert_dynamo_error(
        lambda: create(dynamodb, name, {"KeySchema": keys, "AttributeDefinitions": defs,
                                        "BillingMode": "PAY_PER_REQUEST"}), "ValidationException")
    assert name not in dynamodb.list_tables()["TableNames"]


@pytest.mark.parametrize("attr_type", ["BOOL", "SS", "M", "s"])
def test_key_attribute_type_must_be_scalar(dynamodb, attr_type):
    # Why: keys can only be S, N or B; the enum check names the allowed set.
    assert_dynamo_error(
        lambda: create(dynamodb, table_name(), {"KeySchema": ks(("a", "HASH")),
                                                "AttributeDefinitions": ad(("a", attr_type)),
                                                "BillingMode": "PAY_PER_REQUEST"}),
        "ValidationException", "Member must satisfy enum value set: [B, N, S]")


@pytest.mark.dynamodb_local_differs(reason=LOCAL_TABLE_VALIDATION)
def test_key_type_must_be_hash_or_range(dynamodb):
    # Why: KeyType is an enum; an unknown member is a shape error on 'keySchema.1.member.keyType'.
    assert_dynamo_error(
        lambda: create(dynamodb, table_name(), {"KeySchema": ks(("a", "PRIMARY")),
                                                "AttributeDefinitions": ad(("a", "S")),
                                                "BillingMode": "PAY_PER_REQUEST"}),
        "ValidationException", "keySchema.1.member.keyType", "Member must satisfy enum value set: [HASH, RANGE]")


@pytest.mark.dynamodb_local_differs(reason=LOCAL_TABLE_VALIDATION)
@pytest.mark.parametrize(("keys", "constraint"), [
    ([], "Member must have length greater than or equal to 1"),
    (ks(("a", "HASH"), ("b", "RANGE"), ("c", "RANGE")), "Member must have length less than or equal to 2"),
], ids=["empty", "three"])
def test_key_schema_length_is_one_or_two(dynamodb, keys, constraint):
    # Why: a table has a partition key and at most one sort key; the list length is a shape constraint.
    assert_dynamo_error(
        lambda: create(dynamodb, table_name(), {"KeySchema": keys,
                                                "AttributeDefinitions": ad(("a", "S"), ("b", "S"), ("c", "S")),
                                                "BillingMode": "PAY_PER_REQUEST"}),
        "ValidationException", "at 'keySchema' failed to satisfy constraint", constraint)


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers InternalFailure when TableName is missing")
def test_missing_table_name_is_a_null_member_error(dynamodb):
    # Why: required members are reported as "Value null at '<member>'" shape errors.
    assert_dynamo_error(
        lambda: dynamodb.create_table(BillingMode="PAY_PER_REQUEST", **key_schema("S")),
        "ValidationException", "Value null at 'tableName' failed to satisfy constraint: Member must not be null")


@pytest.mark.dynamodb_local_differs(reason="Tagging is not supported in DynamoDB Local")
def test_tags_given_at_creation_are_listed(dynamodb, table_factory):
    # Why: Tags on CreateTable must be readable through ListTagsOfResource on the table ARN.
    name = table_factory(Tags=[{"Key": "team", "Value": "data"}, {"Key": "env", "Value": ""}])
    arn = dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
    tags = dynamodb.list_tags_of_resource(ResourceArn=arn)["Tags"]
    assert sorted(tags, key=lambda t: t["Key"]) == [{"Key": "env", "Value": ""},
                                                     {"Key": "team", "Value": "data"}]


@pytest.mark.dynamodb_local_differs(reason="Tagging is not supported in DynamoDB Local")
def test_tags_can_be_added_and_removed(dynamodb, table_factory):
    # Why: TagResource/UntagResource change the set ListTagsOfResource reports.
    name = table_factory()
    arn = dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
    dynamodb.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    dynamodb.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert dynamodb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local ignores Tags, so it never validates them")
def test_empty_tag_key_is_rejected(dynamodb):
    # Why: tag keys have a minimum length of 1, checked as a shape constraint.
    assert_dynamo_error(
        lambda: create(dynamodb, table_name(), {**key_schema("S"), "BillingMode": "PAY_PER_REQUEST",
                                                "Tags": [{"Key": "", "Value": "v"}]}),
        "ValidationException", "Member must have length greater than or equal to 1")


def test_created_table_appears_in_list_tables(dynamodb, table_factory):
    # Why: a newly created table is immediately visible to ListTables.
    name = table_factory()
    names = dynamodb.list_tables(ExclusiveStartTableName=name[:-1], Limit=100)["TableNames"]
    assert name in names
