"""TransactWriteItems: the four actions, all-or-nothing, cancellation reasons, limits, tokens.

Where DynamoDB Local's wording differs from AWS's (a trailing period on "The conditional request
failed." outside Update actions, its own missing-table message, update evaluation errors raised as
plain ValidationExceptions), the test asserts AWS's behavior and carries the marker.
"""

from __future__ import annotations

import time
import uuid

import pytest

from support import assert_dynamo_error, unique

CANCELLED = "Transaction cancelled, please refer cancellation reasons for specific reasons"
FAILED = {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}
OK = {"Code": "None"}
LOCAL_PERIOD = ("DynamoDB Local ends a ConditionCheck/Put/Delete reason message with a period "
                "('The conditional request failed.')")


def put(table, item, **extra):
    return {"Put": {"TableName": table, "Item": item, **extra}}


def delete(table, key, **extra):
    return {"Delete": {"TableName": table, "Key": key, **extra}}


def update(table, key, expression, values=None, **extra):
    action = {"TableName": table, "Key": key, "UpdateExpression": expression, **extra}
    if values:
        action["ExpressionAttributeValues"] = values
    return {"Update": action}


def check(table, key, condition, **extra):
    return {"ConditionCheck": {"TableName": table, "Key": key, "ConditionExpression": condition, **extra}}


def get(dynamodb, table, key):
    return dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")


def codes(reasons):
    return [reason["Code"] for reason in reasons]


def cancelled(call):
    """Run a call that must be cancelled; return its CancellationReasons."""
    response = assert_dynamo_error(call, "TransactionCanceledException", CANCELLED)
    return response["CancellationReasons"]


# ------------------------------------------------------------------ the four actions


def test_all_four_actions_apply_together(dynamodb, tables):
    # Why: Put, Update, Delete and ConditionCheck can be combined and all take effect.
    a, b, c, d = ({"pk": {"S": unique()}} for _ in range(4))
    dynamodb.put_item(TableName=tables.hash_s, Item={**b, "n": {"N": "1"}})
    dynamodb.put_item(TableName=tables.hash_s, Item=c)
    dynamodb.put_item(TableName=tables.hash_s, Item={**d, "ready": {"BOOL": True}})
    response = dynamodb.transact_write_items(TransactItems=[
        put(tables.hash_s, {**a, "v": {"S": "new"}}),
        update(tables.hash_s, b, "SET n = n + :one", {":one": {"N": "1"}}),
        delete(tables.hash_s, c),
        check(tables.hash_s, d, "ready = :t", ExpressionAttributeValues={":t": {"BOOL": True}}),
    ])
    assert "ConsumedCapacity" not in response
    assert get(dynamodb, tables.hash_s, a) == {**a, "v": {"S": "new"}}
    assert get(dynamodb, tables.hash_s, b) == {**b, "n": {"N": "2"}}
    assert get(dynamodb, tables.hash_s, c) is None
    assert get(dynamodb, tables.hash_s, d) == {**d, "ready": {"BOOL": True}}


def test_actions_may_span_tables(dynamodb, tables):
    # Why: one transaction may write items of several tables with different key schemas.
    a, b = {"pk": {"S": unique()}}, {"pk": {"S": unique()}, "sk": {"N": "7"}}
    dynamodb.transact_write_items(TransactItems=[put(tables.hash_s, a), put(tables.range_n, b)])
    assert get(dynamodb, tables.hash_s, a) == a
    assert get(dynamodb, tables.range_n, b) == b


def test_update_creates_missing_item(dynamodb, tables):
    # Why: an Update action is an upsert, as UpdateItem is.
    key = {"pk": {"S": unique()}}
    dynamodb.transact_write_items(TransactItems=[update(tables.hash_s, key, "SET v = :v", {":v": {"S": "x"}})])
    assert get(dynamodb, tables.hash_s, key) == {**key, "v": {"S": "x"}}


def test_delete_of_missing_item_succeeds(dynamodb, tables):
    # Why: deleting an absent item is not an error inside a transaction either.
    dynamodb.transact_write_items(TransactItems=[delete(tables.hash_s, {"pk": {"S": unique()}})])


def test_binary_items_round_trip(dynamodb, tables):
    # Why: binary keys and values pass through a transaction unchanged.
    key = {"pk": {"B": uuid.uuid4().bytes}}
    dynamodb.transact_write_items(TransactItems=[put(tables.hash_b, {**key, "v": {"B": b"\x00\xff"}})])
    assert get(dynamodb, tables.hash_b, key) == {**key, "v": {"B": b"\x00\xff"}}


# ------------------------------------------------------------------ all or nothing


def test_failed_condition_cancels_every_action(dynamodb, tables):
    # Why: all-or-nothing: one failed condition leaves every other item untouched.
    new, existing = {"pk": {"S": unique()}}, {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item={**existing, "n": {"N": "1"}})
    reasons = cancelled(lambda: dynamodb.transact_write_items(TransactItems=[
        put(tables.hash_s, new),
        update(tables.hash_s, existing, "SET n = :two", {":two": {"N": "2"}}),
        check(tables.hash_s, {"pk": {"S": unique()}}, "attribute_exists(pk)"),
    ]))
    assert codes(reasons) == ["None", "None", "ConditionalCheckFailed"]
    assert get(dynamodb, tables.hash_s, new) is None
    assert get(dynamodb, tables.hash_s, existing) == {**existing, "n": {"N": "1"}}


def test_cancellation_message_lists_codes_in_order(dynamodb, tables):
    # Why: the message names every action's code in request order.
    missing = {"pk": {"S": unique()}}
    assert_dynamo_error(lambda: dynamodb.transact_write_items(TransactItems=[
        check(tables.hash_s, missing, "attribute_exists(pk)"),
        put(tables.hash_s, {"pk": {"S": unique()}}),
    ]), "TransactionCanceledException", f"{CANCELLED} [ConditionalCheckFailed, None]")


@pytest.mark.parametrize("kind", ["Put", "Update", "Delete", "ConditionCheck"])
def test_every_action_kind_reports_a_failed_condition(dynamodb, tables, kind):
    # Why: each action kind evaluates its ConditionExpression against the current item.
    key = {"pk": {"S": unique()}}
    condition = "attribute_exists(pk)"
    action = {"Put": put(tables.hash_s, key, ConditionExpression=condition),
              "Update": update(tables.hash_s, key, "SET v = :v", {":v": {"S": "x"}},
                               ConditionExpression=condition),
              "Delete": delete(tables.hash_s, key, ConditionExpression=condition),
              "ConditionCheck": check(tables.hash_s, key, condition)}[kind]
    assert codes(cancelled(lambda: dynamodb.transact_write_items(TransactItems=[action]))) == ["ConditionalCheckFailed"]
    assert get(dynamodb, tables.hash_s, key) is None


def test_missing_item_gives_no_item_even_with_all_old(dynamodb, tables):
    # Why: ALL_OLD returns the item only when there is one.
    key = {"pk": {"S": unique()}}
    reasons = cancelled(lambda: dynamodb.transact_write_items(TransactItems=[
        check(tables.hash_s, key, "attribute_exists(pk)", ReturnValuesOnConditionCheckFailure="ALL_OLD")]))
    assert codes(reasons) == ["ConditionalCheckFailed"]
    assert "Item" not in reasons[0]


def test_all_old_returns_the_item_in_the_reason(dynamodb, tables):
    # Why: ReturnValuesOnConditionCheckFailure=ALL_OLD puts the current item in its reason.
    key = {"pk": {"S": unique()}}
    stored = {**key, "v": {"S": "old"}, "b": {"B": b"\x01"}}
    dynamodb.put_item(TableName=tables.hash_s, Item=stored)
    reasons = cancelled(lambda: dynamodb.transact_write_items(TransactItems=[
        put(tables.hash_s, {"pk": {"S": unique()}}),
        update(tables.hash_s, key, "SET v = :v", {":v": {"S": "new"}}, ConditionExpression="attribute_not_exists(pk)",
               ReturnValuesOnConditionCheckFailure="ALL_OLD"),
    ]))
    assert reasons == [OK, {**FAILED, "Item": stored}]
    assert get(dynamodb, tables.hash_s, key) == stored


@pytest.mark.dynamodb_local_differs(reason=LOCAL_PERIOD)
def test_existing_item_without_all_old_has_no_item(dynamodb, tables):
    # Why: without ALL_OLD the reason carries only the code and message.
    key = {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item=key)
    reasons = cancelled(lambda: dynamodb.transact_write_items(TransactItems=[
        check(tables.hash_s, key, "attribute_not_exists(pk)")]))
    assert reasons == [FAILED]


def test_condition_sees_the_state_before_the_transaction(dynamodb, tables):
    # Why: conditions are evaluated before any action of the same transaction writes.
    a, b = {"pk": {"S": unique()}}, {"pk": {"S": unique()}}
    dynamodb.transact_write_items(TransactItems=[
        put(tables.hash_s, a),
        check(tables.hash_s, b, "attribute_not_exists(pk)"),
    ])
    assert get(dynamodb, tables.hash_s, a) == a


# ------------------------------------------------------------------ validation errors as reasons


def test_update_growing_past_400kb_is_a_validation_reason(dynamodb, tables):
    # Why: an item that becomes too large through the transaction is a ValidationError reason.
    big, other = {"pk": {"S": unique()}}, {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item={**big, "a": {"S": "x" * 300_000}})
    reasons = cancelled(lambda: dynamodb.transact_write_items(TransactItems=[
        put(tables.hash_s, other),
        update(tables.hash_s, big, "SET b = :b", {":b": {"S": "y" * 200_000}}),
    ]))
    assert reasons == [OK, {"Code": "ValidationError",
                            "Message": "Item size to update has exceeded the maximum allowed size"}]
    assert get(dynamodb, tables.hash_s, other) is None


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local raises update evaluation errors as a plain "
                                    "ValidationException")
def test_update_operand_type_error_is_a_validation_reason(dynamodb, tables):
    # Why: AWS lists "An operand in the update expression has an incorrect data type" as a ValidationError reason.
    key = {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item={**key, "s": {"S": "text"}})
    reasons = cancelled(lambda: dynamodb.transact_write_items(TransactItems=[
        update(tables.hash_s, key, "ADD s :one", {":one": {"N": "1"}})]))
    assert reasons == [{"Code": "ValidationError",
                        "Message": "An operand in the update expression has an incorrect data type"}]


def test_key_of_the_wrong_type_is_a_validation_reason(dynamodb, tables):
    # Why: a key attribute of the wrong type cancels the transaction with a ValidationError reason.
    reasons = cancelled(lambda: dynamodb.transact_write_items(TransactItems=[
        put(tables.hash_s, {"pk": {"N": "1"}})]))
    assert reasons == [{"Code": "ValidationError",
                        "Message": "One or more parameter values were invalid: Type mismatch for key"}]


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local evaluates every action and reports each one's reason")
def test_a_validation_reason_stops_the_transaction_before_anything_is_evaluated(dynamodb, tables):
    # Why: DynamoDB validates every action before running any and stops at the first invalid one:
    # it alone gets a reason, later invalid actions and false conditions get None (as recorded by
    # test suites run against AWS: ScyllaDB's Alternator tests).
    reasons = cancelled(lambda: dynamodb.transact_write_items(TransactItems=[
        check(tables.hash_s, {"pk": {"S": unique()}}, "attribute_exists(pk)"),
        delete(tables.hash_s, {"pk": {"N": "1"}}),
        put(tables.hash_s, {"pk": {"N": "2"}}),
        put(tables.hash_s, {"pk": {"S": unique()}}),
    ]))
    assert reasons == [{"Code": "None"}, {"Code": "ValidationError", "Message": "One or more parameter values were "
                       "invalid: Type mismatch for key"}, {"Code": "None"}, {"Code": "None"}]


def test_condition_failures_are_all_reported(dynamodb, tables):
    # Why: without a validation error, every false condition gets its own reason.
    reasons = cancelled(lambda: dynamodb.transact_write_items(TransactItems=[
        put(tables.hash_s, {"pk": {"S": unique()}}),
        check(tables.hash_s, {"pk": {"S": unique()}}, "attribute_exists(pk)"),
        check(tables.hash_s, {"pk": {"S": unique()}}, "attribute_exists(pk)"),
    ]))
    assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed", "ConditionalCheckFailed"]
    assert "Message" not in reasons[0] and all("Message" in r for r in reasons[1:])


def test_update_of_a_key_attribute_is_a_validation_reason(dynamodb, tables):
    # Why: changing a key attribute is refused as a ValidationError reason, not a request error.
    key = {"pk": {"S": unique()}}
    reasons = cancelled(lambda: dynamodb.transact_write_items(TransactItems=[
        update(tables.hash_s, key, "SET pk = :v", {":v": {"S": "other"}})]))
    assert reasons == [{"Code": "ValidationError", "Message": "One or more parameter values were invalid: "
                        "Cannot update attribute pk. This attribute is part of the key"}]


# ------------------------------------------------------------------ request validation


def test_two_actions_on_one_item_are_rejected(dynamodb, tables):
    # Why: no two actions may target the same item, whatever their kinds.
    key = {"pk": {"S": unique()}}
    assert_dynamo_error(lambda: dynamodb.transact_write_items(TransactItems=[
        put(tables.hash_s, {**key, "v": {"S": "x"}}), check(tables.hash_s, key, "attribute_exists(pk)")]),
        "ValidationException", "Transaction request cannot include multiple operations on one item")
    assert get(dynamodb, tables.hash_s, key) is None


def test_same_key_in_different_tables_is_allowed(dynamodb, tables):
    # Why: "one item" means table and key together.
    key = {"pk": {"S": unique()}}
    dynamodb.transact_write_items(TransactItems=[
        put(tables.hash_s, key), put(tables.range_s, {**key, "sk": {"S": "a"}}),
        put(tables.range_s, {**key, "sk": {"S": "b"}})])


def test_element_with_two_actions_is_rejected(dynamodb, tables):
    # Why: each element holds exactly one action.
    key = {"pk": {"S": unique()}}
    assert_dynamo_error(lambda: dynamodb.transact_write_items(TransactItems=[
        {**put(tables.hash_s, key), **delete(tables.hash_s, key)}]),
        "ValidationException", "TransactItems can only contain one of Check, Put, Update or Delete")


def test_element_with_no_action_is_rejected(dynamodb, tables):
    # Why: an empty element is not a no-op.
    assert_dynamo_error(lambda: dynamodb.transact_write_items(TransactItems=[{}]), "ValidationException",
                        "Invalid Request: TransactWriteRequest should contain Delete or Put or Update request")


def test_one_hundred_actions_are_allowed(dynamodb, tables):
    # Why: 100 actions is the documented maximum (raised from 25 in 2022).
    keys = [{"pk": {"S": unique()}} for _ in range(100)]
    dynamodb.transact_write_items(TransactItems=[put(tables.hash_s, k) for k in keys])
    assert all(get(dynamodb, tables.hash_s, k) == k for k in keys[::33])


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local answers only 'Member must have length less than or "
                                    "equal to 100'")
def test_more_than_one_hundred_actions_are_rejected(dynamodb, tables):
    # Why: the action count is a shape constraint with AWS's standard validation message.
    items = [put(tables.hash_s, {"pk": {"S": unique()}}) for _ in range(101)]
    assert_dynamo_error(lambda: dynamodb.transact_write_items(TransactItems=items), "ValidationException",
                        "1 validation error detected", "at 'transactItems' failed to satisfy constraint",
                        "Member must have length less than or equal to 100")


def test_empty_transaction_is_rejected(dynamodb):
    # Why: at least one action is required.
    assert_dynamo_error(lambda: dynamodb.transact_write_items(TransactItems=[]), "ValidationException",
                        "Member must have length greater than or equal to 1")


def test_payload_over_4mb_is_rejected(dynamodb, tables):
    # Why: the aggregate size of a transaction's items is limited to 4 MB.
    items = [put(tables.hash_s, {"pk": {"S": unique()}, "v": {"S": "x" * 390_000}}) for _ in range(11)]
    assert_dynamo_error(lambda: dynamodb.transact_write_items(TransactItems=items), "ValidationException",
                        "Transaction payload size cannot exceed 4MB. Payload Size: ")
    assert get(dynamodb, tables.hash_s, {"pk": items[0]["Put"]["Item"]["pk"]}) is None


def test_payload_counts_update_expressions_and_values(dynamodb, tables):
    # Why: an Update's share of the 4 MB is its key, expression and values.
    items = [update(tables.hash_s, {"pk": {"S": f"u{i}"}}, "SET v = :v", {":v": {"S": "x" * 390_000}})
             for i in range(11)]
    assert_dynamo_error(lambda: dynamodb.transact_write_items(TransactItems=items), "ValidationException",
                        "Transaction payload size cannot exceed 4MB. Payload Size: 4290155")


def test_put_item_over_400kb_is_a_request_error(dynamodb, tables):
    # Why: an oversized Put item is caught before the transaction runs, as a plain ValidationException.
    assert_dynamo_error(lambda: dynamodb.transact_write_items(TransactItems=[
        put(tables.hash_s, {"pk": {"S": unique()}, "v": {"S": "x" * 410_000}})]),
        "ValidationException", "Item size has exceeded the maximum allowed size")


def test_missing_key_attribute_is_a_request_error(dynamodb, tables):
    # Why: an action without its key attributes is rejected before it runs.
    assert_dynamo_error(lambda: dynamodb.transact_write_items(TransactItems=[put(tables.hash_s, {"a": {"S": "1"}})]),
                        "ValidationException", "One of the required keys was not given a value")


def test_extra_key_attribute_is_a_request_error(dynamodb, tables):
    # Why: a Key with more attributes than the schema is refused.
    assert_dynamo_error(lambda: dynamodb.transact_write_items(TransactItems=[
        delete(tables.hash_s, {"pk": {"S": unique()}, "x": {"S": "1"}})]),
        "ValidationException", "The number of conditions on the keys is invalid")


def test_expression_errors_come_before_missing_tables(dynamodb, tables):
    # Why: every action's expressions are checked before any table is looked up.
    assert_dynamo_error(lambda: dynamodb.transact_write_items(TransactItems=[
        put(unique("missing"), {"pk": {"S": "a"}}),
        check(tables.hash_s, {"pk": {"S": "a"}}, "attribute_exists("),
    ]), "ValidationException", "Invalid ConditionExpression: Syntax error")


def test_unused_expression_values_are_rejected(dynamodb, tables):
    # Why: action expressions follow the same rules as the single-item operations.
    assert_dynamo_error(lambda: dynamodb.transact_write_items(TransactItems=[
        put(tables.hash_s, {"pk": {"S": unique()}}, ConditionExpression="a = :a",
            ExpressionAttributeValues={":a": {"S": "1"}, ":b": {"S": "2"}})]),
        "ValidationException", "Value provided in ExpressionAttributeValues unused in expressions: keys: {:b}")


def test_missing_table_is_resource_not_found(dynamodb, tables):
    # Why: an unknown table fails the whole request, and nothing is written.
    key = {"pk": {"S": unique()}}
    assert_dynamo_error(lambda: dynamodb.transact_write_items(TransactItems=[
        put(tables.hash_s, key), put(unique("missing"), {"pk": {"S": "a"}})]), "ResourceNotFoundException")
    assert get(dynamodb, tables.hash_s, key) is None


@pytest.mark.dynamodb_local_differs(reason="DynamoDB Local says 'Cannot do operations on a non-existent table'")
def test_missing_table_message(dynamodb):
    # Why: AWS's message for transactions does not name the table.
    assert_dynamo_error(lambda: dynamodb.transact_write_items(TransactItems=[
        put(unique("missing"), {"pk": {"S": "a"}})]), "ResourceNotFoundException", "Requested resource not found")


# ------------------------------------------------------------------ consumed capacity


def test_consumed_capacity_is_twice_the_standard_units(dynamodb, tables):
    # Why: transactional writes cost 2x; a ConditionCheck costs 2x a strongly consistent read.
    big = {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item={**big, "v": {"S": "x" * 9000}})
    response = dynamodb.transact_write_items(ReturnConsumedCapacity="TOTAL", TransactItems=[
        put(tables.hash_s, {"pk": {"S": unique()}, "v": {"S": "x" * 1500}}),          # 2 WCU x 2
        check(tables.hash_s, big, "attribute_exists(pk)"),                                # 3 RCU x 2
        put(tables.range_s, {"pk": {"S": unique()}, "sk": {"S": "a"}}),                  # 1 WCU x 2
    ])
    assert sorted(response["ConsumedCapacity"], key=lambda c: c["TableName"] != tables.hash_s) == [
        {"TableName": tables.hash_s, "CapacityUnits": 10.0}, {"TableName": tables.range_s, "CapacityUnits": 2.0}]


def test_consumed_capacity_indexes_adds_the_table_entry(dynamodb, tables):
    # Why: INDEXES breaks the total down by table (and indexes, which these tables lack).
    response = dynamodb.transact_write_items(ReturnConsumedCapacity="INDEXES", TransactItems=[
        put(tables.hash_s, {"pk": {"S": unique()}})])
    assert response["ConsumedCapacity"] == [
        {"TableName": tables.hash_s, "CapacityUnits": 2.0, "Table": {"CapacityUnits": 2.0}}]


def test_update_is_charged_for_the_larger_image(dynamodb, tables):
    # Why: like UpdateItem, the larger of the old and new item decides the units.
    key = {"pk": {"S": unique()}}
    dynamodb.put_item(TableName=tables.hash_s, Item={**key, "v": {"S": "x" * 5000}})
    response = dynamodb.transact_write_items(ReturnConsumedCapacity="TOTAL", TransactItems=[
        update(tables.hash_s, key, "REMOVE v")])
    assert response["ConsumedCapacity"] == [{"TableName": tables.hash_s, "CapacityUnits": 10.0}]


# ------------------------------------------------------------------ ClientRequestToken


def counter_update(table, key):
    return update(table, key, "ADD n :one", {":one": {"N": "1"}})


def test_same_token_and_request_applies_once(dynamodb, tables):
    # Why: a retried request with the same token succeeds without applying the writes again.
    key, token = {"pk": {"S": unique()}}, str(uuid.uuid4())
    for _ in range(3):
        dynamodb.transact_write_items(TransactItems=[counter_update(tables.hash_s, key)], ClientRequestToken=token)
    assert get(dynamodb, tables.hash_s, key) == {**key, "n": {"N": "1"}}


def test_replay_ignores_member_order_and_capacity_mode(dynamodb, tables):
    # Why: the token compares the TransactItems' content, not their JSON order or ReturnConsumedCapacity.
    key, token = {"pk": {"S": unique()}}, str(uuid.uuid4())
    first = {"Put": {"TableName": tables.hash_s, "Item": {**key, "v": {"S": "1"}}}}
    again = {"Put": {"Item": {"v": {"S": "1"}, **key}, "TableName": tables.hash_s}}
    dynamodb.transact_write_items(TransactItems=[first], ClientRequestToken=token)
    response = dynamodb.transact_write_items(TransactItems=[again], ClientRequestToken=token,
                                             ReturnConsumedCapacity="TOTAL")
    assert response["ConsumedCapacity"] == [{"TableName": tables.hash_s, "CapacityUnits": 2.0}]


def test_replay_reports_read_units(dynamodb, tables):
    # Why: AWS documents that a replay returns the read capacity consumed in reading the items.
    key, token = {"pk": {"S": unique()}}, str(uuid.uuid4())
    items = [put(tables.hash_s, {**key, "v": {"S": "x" * 5000}})]
    first = dynamodb.transact_write_items(TransactItems=items, ClientRequestToken=token,
                                          ReturnConsumedCapacity="TOTAL")
    replay = dynamodb.transact_write_items(TransactItems=items, ClientRequestToken=token,
                                           ReturnConsumedCapacity="TOTAL")
    assert first["ConsumedCapacity"] == [{"TableName": tables.hash_s, "CapacityUnits": 10.0}]
    assert replay["ConsumedCapacity"] == [{"TableName": tables.hash_s, "CapacityUnits": 4.0}]


def test_same_token_with_other_request_is_a_mismatch(dynamodb, tables):
    # Why: reusing a token for different TransactItems within 10 minutes is refused.
    key, token = {"pk": {"S": unique()}}, str(uuid.uuid4())
    dynamodb.transact_write_items(TransactItems=[counter_update(tables.hash_s, key)], ClientRequestToken=token)
    assert_dynamo_error(lambda: dynamodb.transact_write_items(
        TransactItems=[counter_update(tables.hash_s, key), put(tables.hash_s, {"pk": {"S": unique()}})],
        ClientRequestToken=token), "IdempotentParameterMismatchException")
    assert get(dynamodb, tables.hash_s, key) == {**key, "n": {"N": "1"}}


def test_cancelled_transaction_does_not_consume_its_token(dynamodb, tables):
    # Why: only a successful transaction binds its token, so a failed one can be retried with it.
    key, token = {"pk": {"S": unique()}}, str(uuid.uuid4())
    cancelled(lambda: dynamodb.transact_write_items(
        TransactItems=[check(tables.hash_s, key, "attribute_exists(pk)")], ClientRequestToken=token))
    dynamodb.transact_write_items(TransactItems=[put(tables.hash_s, key)], ClientRequestToken=token)
    assert get(dynamodb, tables.hash_s, key) == key


def test_token_expires_after_ten_minutes(target, tmp_path):
    # Why: after 10 minutes a token is new again; the engine's injectable clock makes this testable.
    if target != "embedded":
        pytest.skip("needs the embedded engine's clock")
    import dynaflow

    with dynaflow.connect(tmp_path / "data", durability="os") as client:
        now = [time.time()]
        client.engine.state.clock = lambda: now[0]
        client.create_table(TableName="tokens", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                            BillingMode="PAY_PER_REQUEST")
        key = {"pk": {"S": "c"}}
        items = [counter_update("tokens", key)]
        client.transact_write_items(TransactItems=items, ClientRequestToken="t")
        now[0] += 599
        client.transact_write_items(TransactItems=items, ClientRequestToken="t")
        assert client.get_item(TableName="tokens", Key=key)["Item"]["n"] == {"N": "1"}
        now[0] += 2
        client.transact_write_items(TransactItems=items, ClientRequestToken="t")
        assert client.get_item(TableName="tokens", Key=key)["Item"]["n"] == {"N": "2"}


def test_tokens_survive_a_restart(target, tmp_path):
    # Why: tokens are stored with the writes, so a retry after a restart is still not applied twice.
    if target != "embedded":
        pytest.skip("reopens an embedded data directory")
    import dynaflow

    path = tmp_path / "data"
    key = {"pk": {"S": "c"}}
    with dynaflow.connect(path, durability="os") as client:
        client.create_table(TableName="tokens", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                            BillingMode="PAY_PER_REQUEST")
        client.transact_write_items(TransactItems=[counter_update("tokens", key)], ClientRequestToken="t")
    with dynaflow.connect(path, durability="os") as client:
        client.transact_write_items(TransactItems=[counter_update("tokens", key)], ClientRequestToken="t")
        assert client.get_item(TableName="tokens", Key=key)["Item"]["n"] == {"N": "1"}
