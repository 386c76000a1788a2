"""``Change.from_record``: a DynamoDB Streams record as the CDC runtime sees it."""

from __future__ import annotations

import pytest

from dynaflow.cdc.model import Change


def _record(identity: dict[str, str] | None) -> dict[str, object]:
    record: dict[str, object] = {
        "eventName": "REMOVE",
        "dynamodb": {"Keys": {"pk": {"S": "a"}}, "SequenceNumber": "000000000000000000001", "SizeBytes": 9,
                     "OldImage": {"pk": {"S": "a"}}},
    }
    if identity is not None:
        record["userIdentity"] = identity
    return record


@pytest.mark.parametrize(("identity", "by_ttl"), [
    ({"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}, True),  # the Streams API's spelling
    ({"principalId": "dynamodb.amazonaws.com", "type": "Service"}, True),  # Lambda event payloads'
    ({"PrincipalId": "someone", "Type": "Service"}, False),
    ({"PrincipalId": "dynamodb.amazonaws.com", "Type": "User"}, False),
    (None, False),
], ids=["streams-api", "lambda-event", "other-principal", "other-type", "none"])
def test_ttl_deletes_are_recognized_in_either_spelling(identity, by_ttl):
    # Why: replicas tell TTL deletes from user deletes by userIdentity, whichever source wrote it.
    assert Change.from_record(_record(identity)).by_ttl is by_ttl
