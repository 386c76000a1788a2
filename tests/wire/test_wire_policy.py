"""IAM-shaped policy evaluation (policy.py) and request-to-check mapping (authorize.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from dynaflow.engine import errors
from dynaflow.engine.errors import DynamoError
from dynaflow.wire.authorize import Authorizer, expression_names, key_schema_from_description
from dynaflow.wire.keys import KeysFileError, load_keys, parse_keys
from dynaflow.wire.policy import Policy, PolicyError, denial_message
from dynaflow.wire.sigv4 import Identity

ARN = "arn:aws:dynamodb:us-east-1:000000000000:table"
USER = "arn:aws:iam::000000000000:user/app"


def policy(*statements: dict[str, Any]) -> Policy:
    return Policy.from_documents([{"Version": "2012-10-17", "Statement": list(statements)}])


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


# With no statement matching, the answer is IAM's implicit deny.
def test_empty_policy_denies() -> None:
    assert policy().evaluate("dynamodb:GetItem", f"{ARN}/t", {}) == "implicit_deny"


# Action wildcards match case-insensitively, as IAM's do.
def test_action_wildcards() -> None:
    p = policy(allow("dynamodb:Get*"), allow("DynamoDB:batch?etItem"))
    assert p.evaluate("dynamodb:GetItem", "x", {}) == "allow"
    assert p.evaluate("dynamodb:BatchGetItem", "x", {}) == "allow"
    assert p.evaluate("dynamodb:PutItem", "x", {}) == "implicit_deny"


# Resource ARNs with wildcards: a table ARN does not cover its indexes unless the pattern does.
def test_resource_patterns() -> None:
    p = policy(allow("dynamodb:Query", f"{ARN}/orders"), allow("dynamodb:Query", f"{ARN}/users*"))
    assert p.evaluate("dynamodb:Query", f"{ARN}/orders", {}) == "allow"
    assert p.evaluate("dynamodb:Query", f"{ARN}/orders/index/byDate", {}) == "implicit_deny"
    assert p.evaluate("dynamodb:Query", f"{ARN}/users/index/byName", {}) == "allow"
    assert p.evaluate("dynamodb:Query", f"{ARN}/Orders", {}) == "implicit_deny"


# An explicit Deny beats any Allow.
def test_explicit_deny_wins() -> None:
    p = policy(allow("dynamodb:*"), {"Effect": "Deny", "Action": "dynamodb:DeleteTable", "Resource": "*"})
    assert p.evaluate("dynamodb:DeleteTable", f"{ARN}/t", {}) == "explicit_deny"
    assert p.evaluate("dynamodb:DeleteItem", f"{ARN}/t", {}) == "allow"


# NotAction / NotResource invert the match.
def test_not_action_and_not_resource() -> None:
    p = policy({"Effect": "Allow", "NotAction": "dynamodb:Delete*", "NotResource": f"{ARN}/secret"})
    assert p.evaluate("dynamodb:GetItem", f"{ARN}/t", {}) == "allow"
    assert p.evaluate("dynamodb:DeleteItem", f"{ARN}/t", {}) == "implicit_deny"
    assert p.evaluate("dynamodb:GetItem", f"{ARN}/secret", {}) == "implicit_deny"


# ForAllValues:StringEquals: every value must be allowed; a missing key is vacuously true (IAM).
def test_for_all_values_semantics() -> None:
    p = policy(allow("dynamodb:*", "*", Condition={
        "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["alice"], "dynamodb:Attributes": ["pk", "v"]}}))
    assert p.evaluate("dynamodb:GetItem", "t", {"dynamodb:leadingkeys": ["alice"]}) == "allow"
    assert p.evaluate("dynamodb:GetItem", "t", {"dynamodb:leadingkeys": ["alice", "bob"]}) == "implicit_deny"
    assert p.evaluate("dynamodb:GetItem", "t", {"dynamodb:attributes": ["pk", "secret"]}) == "implicit_deny"
    assert p.evaluate("dynamodb:Scan", "t", {}) == "allow"


# ForAnyValue, plain single-valued operators, Like patterns and IfExists behave as in IAM.
def test_other_condition_operators() -> None:
    any_p = policy(allow("*", "*", Condition={"ForAnyValue:StringLike": {"dynamodb:Attributes": ["pub_*"]}}))
    assert any_p.evaluate("a", "r", {"dynamodb:attributes": ["x", "pub_1"]}) == "allow"
    assert any_p.evaluate("a", "r", {}) == "implicit_deny"
    sel = policy(allow("*", "*", Condition={"StringEquals": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"}}))
    assert sel.evaluate("a", "r", {"dynamodb:select": ["ALL_ATTRIBUTES"]}) == "implicit_deny"
    assert sel.evaluate("a", "r", {}) == "implicit_deny"
    if_exists = policy(allow("*", "*", Condition={"StringEqualsIfExists": {"dynamodb:ReturnValues": "NONE"}}))
    assert if_exists.evaluate("a", "r", {}) == "allow"
    assert if_exists.evaluate("a", "r", {"dynamodb:returnvalues": ["ALL_OLD"]}) == "implicit_deny"
    neg = policy(allow("*", "*", Condition={"StringNotEquals": {"dynamodb:ReturnValues": "ALL_OLD"}}))
    assert neg.evaluate("a", "r", {"dynamodb:returnvalues": ["NONE"]}) == "allow"
    assert neg.evaluate("a", "r", {}) == "allow"


# Unknown operators or keys fail at load time instead of being silently ignored.
@pytest.mark.parametrize("condition", [{"NumericEquals": {"dynamodb:Attributes": "1"}},
                                       {"StringEquals": {"aws:SourceIp": "1.2.3.4"}},
                                       {"Sometimes:StringEquals": {"dynamodb:Attributes": "a"}}])
def test_unsupported_conditions_fail_loudly(condition: dict[str, Any]) -> None:
    with pytest.raises(PolicyError):
        policy(allow("*", "*", Condition=condition))


# The denial message is AWS's, for implicit and explicit denies.
def test_denial_message_wording() -> None:
    assert denial_message(USER, "dynamodb:PutItem", f"{ARN}/T", "implicit_deny") == (
        "User: arn:aws:iam::000000000000:user/app is not authorized to perform: dynamodb:PutItem on resource: "
        "arn:aws:dynamodb:us-east-1:000000000000:table/T because no identity-based policy allows the "
        "dynamodb:PutItem action")
    assert denial_message(USER, "dynamodb:PutItem", f"{ARN}/T", "explicit_deny").endswith(
        "with an explicit deny in an identity-based policy")


# Attribute names come out of expressions at the top level, with #names resolved and functions skipped.
def test_expression_names() -> None:
    assert expression_names("a.b, #n[0].c, size(d) > :v AND attribute_exists(e)", {"#n": "real"}) == {
        "a", "real", "d", "e"}
    assert expression_names("SET x = list_append(x, :l), #y = :v REMOVE z[1] ADD w :n", {"#y": "yy"}) == {
        "x", "yy", "z", "w"}
    assert expression_names(None, None) == set()


SCHEMAS = {"orders": {"": "customer", "byStatus": "status"}}


def authorizer() -> Authorizer:
    async def describe(table: str) -> dict[str, str]:
        if table not in SCHEMAS:
            raise errors.table_not_found(table)
        return SCHEMAS[table]

    return Authorizer(describe)


def authorize(p: Policy, operation: str, request: dict[str, Any]) -> DynamoError | None:
    try:
        asyncio.run(authorizer().authorize(Identity("AK", USER, "us-east-1", p), operation, request))
    except DynamoError as exc:
        return exc
    return None


LEADING_ALICE = policy(allow("dynamodb:*", f"{ARN}/orders*", Condition={
    "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["alice"]}}))


# LeadingKeys restricts single-item operations to the caller's partition.
def test_leading_keys_single_item() -> None:
    assert authorize(LEADING_ALICE, "GetItem", {"TableName": "orders", "Key": {"customer": {"S": "alice"}}}) is None
    err = authorize(LEADING_ALICE, "PutItem", {"TableName": "orders", "Item": {"customer": {"S": "bob"}}})
    assert err is not None and err.full_type == "com.amazon.coral.service#AccessDeniedException"
    assert err.message == (f"User: {USER} is not authorized to perform: dynamodb:PutItem on resource: "
                           f"{ARN}/orders because no identity-based policy allows the dynamodb:PutItem action")


# LeadingKeys for Query come from the key condition (expression or legacy), on the index's key for index queries.
def test_leading_keys_query() -> None:
    ok = {"TableName": "orders", "KeyConditionExpression": "#c = :c AND sk > :s",
          "ExpressionAttributeNames": {"#c": "customer"},
          "ExpressionAttributeValues": {":c": {"S": "alice"}, ":s": {"N": "1"}}}
    assert authorize(LEADING_ALICE, "Query", ok) is None
    bad = {**ok, "ExpressionAttributeValues": {":c": {"S": "bob"}, ":s": {"N": "1"}}}
    assert authorize(LEADING_ALICE, "Query", bad) is not None
    legacy = {"TableName": "orders", "KeyConditions": {"customer": {
        "ComparisonOperator": "EQ", "AttributeValueList": [{"S": "alice"}]}}}
    assert authorize(LEADING_ALICE, "Query", legacy) is None
    index = {"TableName": "orders", "IndexName": "byStatus", "KeyConditionExpression": "status = :c",
             "ExpressionAttributeValues": {":c": {"S": "alice"}}}
    assert authorize(LEADING_ALICE, "Query", index) is None
    unparsable = {"TableName": "orders", "KeyConditionExpression": "begins_with(customer, :c)",
                  "ExpressionAttributeValues": {":c": {"S": "alice"}}}
    assert authorize(LEADING_ALICE, "Query", unparsable) is not None


# Batch and transaction requests are checked per table and per item action.
def test_batch_and_transact_checks() -> None:
    batch = {"RequestItems": {"orders": [{"PutRequest": {"Item": {"customer": {"S": "alice"}}}},
                                         {"DeleteRequest": {"Key": {"customer": {"S": "bob"}}}}]}}
    err = authorize(LEADING_ALICE, "BatchWriteItem", batch)
    assert err is not None and "dynamodb:BatchWriteItem" in err.message
    only_get = policy(allow("dynamodb:GetItem", f"{ARN}/orders"))
    get = {"TransactItems": [{"Get": {"TableName": "orders", "Key": {"customer": {"S": "x"}}}}]}
    assert authorize(only_get, "TransactGetItems", get) is None
    put = {"TransactItems": [{"Put": {"TableName": "orders", "Item": {"customer": {"S": "x"}}}}]}
    err = authorize(only_get, "TransactWriteItems", put)
    assert err is not None and "dynamodb:PutItem" in err.message


# Attributes conditions see every attribute a write names.
def test_attributes_condition_on_writes() -> None:
    p = policy(allow("dynamodb:*", "*", Condition={
        "ForAllValues:StringEquals": {"dynamodb:Attributes": ["customer", "total"]}}))
    assert authorize(p, "PutItem", {"TableName": "orders", "Item": {"customer": {"S": "a"},
                                                                     "total": {"N": "1"}}}) is None
    assert authorize(p, "UpdateItem", {"TableName": "orders", "Key": {"customer": {"S": "a"}},
                                       "UpdateExpression": "SET secret = :v"}) is not None


# A policy's resource for an index query is the index ARN.
def test_index_resource() -> None:
    p = policy(allow("dynamodb:Query", f"{ARN}/orders"))
    assert authorize(p, "Query", {"TableName": "orders", "IndexName": "byStatus"}) is not None
    assert authorize(p, "Query", {"TableName": "orders"}) is None


# Key schemas are read from DescribeTable responses, indexes included.
def test_key_schema_from_description() -> None:
    described = {"Table": {"KeySchema": [{"AttributeName": "sk", "KeyType": "RANGE"},
                                         {"AttributeName": "pk", "KeyType": "HASH"}],
                           "GlobalSecondaryIndexes": [{"IndexName": "g", "KeySchema": [
                               {"AttributeName": "gpk", "KeyType": "HASH"}]}]}}
    assert key_schema_from_description(described) == {"": "pk", "g": "gpk"}


# Keys files: policies parse, principals default to a user ARN, and bad files fail with a reason.
def test_parse_keys_file(tmp_path: Any) -> None:
    keys, account = parse_keys({"account_id": "123456789012", "keys": [
        {"access_key_id": "AK1", "secret_access_key": "s1", "user": "ingest",
         "policy": {"Statement": [allow("dynamodb:PutItem")]}},
        {"access_key_id": "AK2", "secret_access_key": "s2"}]})
    assert account == "123456789012"
    assert keys["AK1"].principal == "arn:aws:iam::123456789012:user/ingest"
    assert isinstance(keys["AK1"].policy, Policy) and keys["AK2"].policy is None
    for bad in ({}, {"keys": []}, {"keys": [{"access_key_id": "a"}]},
                {"keys": [{"access_key_id": "a", "secret_access_key": "b", "policy": {"Statement": [{}]}}]}):
        with pytest.raises(KeysFileError):
            parse_keys(bad)


# A keys file others can read is refused: it holds secrets.
def test_keys_file_permissions(tmp_path: Any) -> None:
    path = tmp_path / "keys.json"
    path.write_text('{"keys": [{"access_key_id": "a", "secret_access_key": "b"}]}')
    path.chmod(0o644)
    with pytest.raises(KeysFileError, match="chmod 600"):
        load_keys(path)
    path.chmod(0o600)
    assert "a" in load_keys(path)[0]
