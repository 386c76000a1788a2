"""TagResource, UntagResource and ListTagsOfResource: ARNs, tag rules and the 50-tag limit."""

from __future__ import annotations

import pytest

from support import assert_dynamo_error
from support.tables import table_name

pytestmark = pytest.mark.dynamodb_local_differs(reason="Tagging is not supported in DynamoDB Local")


@pytest.fixture
def arn(dynamodb, table_factory):
    return dynamodb.describe_table(TableName=table_factory())["Table"]["TableArn"]


def tags_of(dynamodb, arn):
    return sorted(dynamodb.list_tags_of_resource(ResourceArn=arn)["Tags"], key=lambda t: t["Key"])


def test_new_table_has_no_tags(dynamodb, arn):
    # Why: ListTagsOfResource of an untagged table is an empty list, not an error.
    assert dynamodb.list_tags_of_resource(ResourceArn=arn)["Tags"] == []


def test_tagging_an_existing_key_replaces_its_value(dynamodb, arn):
    # Why: a tag key has one value; TagResource overwrites it.
    dynamodb.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "a"}])
    dynamodb.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "prod"}])
    assert tags_of(dynamodb, arn) == [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "a"}]


def test_untagging_an_absent_key_is_not_an_error(dynamodb, arn):
    # Why: UntagResource removes what exists and ignores the rest.
    dynamodb.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}])
    dynamodb.untag_resource(ResourceArn=arn, TagKeys=["a", "never-there"])
    assert tags_of(dynamodb, arn) == []


def test_fifty_tags_fit_and_the_fifty_first_is_rejected(dynamodb, arn):
    # Why: a table holds at most 50 tags, counting the ones it already has.
    dynamodb.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    assert_dynamo_error(lambda: dynamodb.tag_resource(ResourceArn=arn, Tags=[{"Key": "one-more", "Value": "v"}]),
                        "ValidationException", "Number of Tags exceed the current limit for the provided ResourceArn")
    assert len(tags_of(dynamodb, arn)) == 50


@pytest.mark.parametrize(("tag", "message"), [
    ({"Key": "aws:owner", "Value": "x"}, "Tag Key cannot be prefixed with aws:, Key: aws:owner"),
    ({"Key": "a,b", "Value": "x"}, "The Tag Key provided is invalid, Key: a,b"),
    ({"Key": "ok", "Value": "100%"}, "The Tag Value provided is invalid, Value: 100%"),
], ids=["aws-prefix", "key-characters", "value-characters"])
def test_invalid_tags_are_rejected_and_nothing_is_applied(dynamodb, arn, tag, message):
    # Why: tag keys and values are limited to letters, digits, spaces and + - = . _ : / @, all-or-nothing.
    assert_dynamo_error(lambda: dynamodb.tag_resource(ResourceArn=arn, Tags=[{"Key": "good", "Value": "1"}, tag]),
                        "ValidationException", message)
    assert tags_of(dynamodb, arn) == []


def test_unicode_letters_and_allowed_punctuation_are_accepted(dynamodb, arn):
    # Why: letters of any script and + - = . _ : / @ are legal in tags.
    tags = [{"Key": "ключ", "Value": "café 表"}, {"Key": "path/to:x", "Value": "a+b-c=d.e_f:g/h@i"}]
    dynamodb.tag_resource(ResourceArn=arn, Tags=tags)
    assert tags_of(dynamodb, arn) == sorted(tags, key=lambda t: t["Key"])


def test_duplicate_keys_in_one_request_are_rejected(dynamodb, arn):
    # Why: one request may name a key once.
    assert_dynamo_error(
        lambda: dynamodb.tag_resource(ResourceArn=arn, Tags=[{"Key": "d", "Value": "1"}, {"Key": "d", "Value": "2"}]),
        "ValidationException", "Duplicate Tag Keys provided as input: Duplicate Tag Key found d")


def test_empty_tag_lists_are_rejected(dynamodb, arn):
    # Why: TagResource and UntagResource need at least one tag or key.
    assert_dynamo_error(lambda: dynamodb.tag_resource(ResourceArn=arn, Tags=[]),
                        "ValidationException", "Atleast one Tag needs to be provided as Input.")
    assert_dynamo_error(lambda: dynamodb.untag_resource(ResourceArn=arn, TagKeys=[]),
                        "ValidationException", "Atleast one Tag Key needs to be provided as Input.")


def test_arn_of_a_missing_table_is_not_found(dynamodb, arn):
    # Why: a well-formed table ARN naming no table is ResourceNotFoundException, with AWS's wording.
    missing = arn.rsplit("/", 1)[0] + "/" + table_name("missing")
    assert_dynamo_error(lambda: dynamodb.list_tags_of_resource(ResourceArn=missing),
                        "ResourceNotFoundException", f"Requested resource not found: ResourcArn: {missing} not found")


def test_malformed_table_arn_is_invalid(dynamodb):
    # Why: an ARN-shaped string that names no DynamoDB table is a ValidationException.
    assert_dynamo_error(lambda: dynamodb.list_tags_of_resource(ResourceArn="a:b:c:d:e:f/g"),
                        "ValidationException", "Invalid TableArn: Invalid ResourceArn provided as input a:b:c:d:e:f/g")


def test_non_arn_is_access_denied(dynamodb):
    # Why: IAM rejects a resource that is not an ARN before DynamoDB looks at it.
    assert_dynamo_error(lambda: dynamodb.tag_resource(ResourceArn="abcd", Tags=[{"Key": "k", "Value": "v"}]),
                        "AccessDeniedException", "is not authorized to perform: dynamodb:TagResource on resource: abcd")


def test_tags_are_gone_with_the_table(dynamodb, table_factory):
    # Why: a table re-created under the same name starts without the old table's tags.
    name = table_factory()
    arn = dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
    dynamodb.tag_resource(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}])
    dynamodb.delete_table(TableName=name)
    table_factory(name=name)
    assert dynamodb.list_tags_of_resource(ResourceArn=arn)["Tags"] == []


@pytest.mark.parametrize(("tags", "message"), [
    ([{"Key": f"k{i}", "Value": "v"} for i in range(51)],
     "Number of Tags exceed the current limit for the provided ResourceArn"),
    ([{"Key": "hi!", "Value": "v"}], "The Tag Key provided is invalid, Key: hi!"),
    ([{"Key": "aws:x", "Value": "v"}], "Tag Key cannot be prefixed with aws:, Key: aws:x"),
    ([{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}], "Duplicate Tag Keys provided as input"),
], ids=["fifty-one", "key-characters", "aws-prefix", "duplicate-key"])
def test_create_table_applies_the_tag_rules(dynamodb, tags, message):
    # Why: tags given at creation follow TagResource's rules, and a refused request creates nothing.
    name = table_name()
    assert_dynamo_error(lambda: dynamodb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST", Tags=tags,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}]), "ValidationException", message)
    assert name not in dynamodb.list_tables()["TableNames"]
