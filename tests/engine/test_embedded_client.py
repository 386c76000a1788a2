"""The embedded client's own contract: boto3-named methods, and what a closed client does."""

from __future__ import annotations

from pathlib import Path

import pytest

import dynaflow

TABLE = {
    "TableName": "things",
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    "BillingMode": "PAY_PER_REQUEST",
}


def test_a_closed_client_refuses_every_call(tmp_path: Path) -> None:
    # Why: methods are built once and cached on the client; a method fetched before close must not
    # keep reaching the engine afterwards, and nothing may be written through it.
    client = dynaflow.connect(tmp_path, durability="os")
    client.create_table(**TABLE)
    put = client.put_item
    put(TableName="things", Item={"pk": {"S": "before"}})
    client.close()
    with pytest.raises(RuntimeError, match="closed"):
        put(TableName="things", Item={"pk": {"S": "after"}})
    with pytest.raises(RuntimeError, match="closed"):
        client.get_item(TableName="things", Key={"pk": {"S": "before"}})
    with pytest.raises(RuntimeError, match="closed"):
        client.call("GetItem", {"TableName": "things", "Key": {"pk": {"S": "before"}}})
    with dynaflow.connect(tmp_path, durability="os") as reopened:
        assert reopened.get_item(TableName="things", Key={"pk": {"S": "after"}}) == {}
        assert reopened.get_item(TableName="things", Key={"pk": {"S": "before"}})["Item"] == {"pk": {"S": "before"}}


def test_clients_of_one_directory_share_the_engine_until_the_last_closes(tmp_path: Path) -> None:
    # Why: one process owns a data directory; a second client there shares the first one's engine,
    # so closing either leaves the other working.
    first = dynaflow.connect(tmp_path, durability="os")
    second = dynaflow.connect(tmp_path, durability="os")
    first.create_table(**TABLE)
    first.close()
    second.put_item(TableName="things", Item={"pk": {"S": "a"}})
    assert second.get_item(TableName="things", Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}}
    second.close()


def test_control_plane_timestamps_are_datetimes_and_item_calls_are_untouched(tmp_path: Path) -> None:
    # Why: like boto3, table descriptions carry datetime timestamps; item responses are returned
    # as the engine made them.
    with dynaflow.connect(tmp_path, durability="os") as client:
        created = client.create_table(**TABLE)["TableDescription"]["CreationDateTime"]
        assert created.tzinfo is not None
        client.put_item(TableName="things", Item={"pk": {"S": "a"}, "n": {"N": "1"}})
        item = {"pk": {"S": "a"}, "n": {"N": "1"}}
        assert client.get_item(TableName="things", Key={"pk": {"S": "a"}}) == {"Item": item}
