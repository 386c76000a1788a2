"""The CDC's lean client answers exactly as the aiobotocore client does, against a real server."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from dynaflow.cdc.endpoints import connect_target, connect_with_streams
from dynaflow.cdc.http_client import HttpClient
from dynaflow.cdc.signer import Signer
from dynaflow.dynamo.client import DynamoClient
from dynaflow.engine.errors import DynamoError
from dynaflow.wire.sigv4 import AccessKey, SigV4Verifier
from support import peers

KEY, SECRET = "AKLEANCLIENT", "lean-secret"
TABLE = "lean_items"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("lean")
    keys = tmp / "keys.json"
    keys.write_text(json.dumps({"keys": [{"access_key_id": KEY, "secret_access_key": SECRET}]}))
    keys.chmod(0o600)
    port = peers.free_port()
    cmd = [sys.executable, "-m", "dynaflow", "serve", "--data", str(tmp / "data"), "--port", str(port),
           "--keys-file", str(keys), "--durability", "os", "--no-access-log"]
    with peers.serve(cmd, port, log=tmp / "server.log") as url:
        yield url


@pytest.fixture
async def clients(server: str) -> AsyncIterator[tuple[DynamoClient, DynamoClient]]:
    """(lean, SDK-only) clients of the same endpoint, both answering the Streams API too."""
    lean = await connect_with_streams(server, access_key_id=KEY, secret_access_key=SECRET)
    sdk = await connect_with_streams(server, access_key_id=KEY, secret_access_key=SECRET, lean=False)
    assert isinstance(lean, HttpClient) and not isinstance(sdk, HttpClient)
    try:
        yield lean, sdk
    finally:
        await lean.close()
        await sdk.close()


async def _table(client: DynamoClient, name: str) -> None:
    try:
        await client.call("CreateTable", {
            "TableName": name, "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}})
    except DynamoError as exc:
        if exc.type != "ResourceInUseException":
            raise


async def _records(client: DynamoClient, arn: str) -> list[dict[str, Any]]:
    shards = (await client.call("DescribeStream", {"StreamArn": arn}))["StreamDescription"]["Shards"]
    found: list[dict[str, Any]] = []
    for shard in shards:
        iterator = (await client.call("GetShardIterator", {
            "StreamArn": arn, "ShardId": shard["ShardId"], "ShardIteratorType": "TRIM_HORIZON"}))["ShardIterator"]
        found += (await client.call("GetRecords", {"ShardIterator": iterator}))["Records"]
    return sorted(found, key=lambda r: r["dynamodb"]["SequenceNumber"])


def test_signature_is_accepted_by_the_server_verifier() -> None:
    # Why: the lean client signs itself; a signature the server's SigV4 check rejects would stop replication.
    signer = Signer(KEY, SECRET, region="eu-west-1")
    body = b'{"TableName":"t"}'
    headers = signer.headers("127.0.0.1:8000", "DynamoDB_20120810.PutItem", body, now=1_700_000_000.0)
    verifier = SigV4Verifier({KEY: AccessKey(KEY, SECRET, principal="lean")}, clock=lambda: 1_700_000_000.0)
    raw = {name.encode(): value.encode() for name, value in headers.items()}
    identity = verifier.verify(b"POST", b"/", raw, body)
    assert identity is not None
    tampered = {**raw, b"x-amz-target": b"DynamoDB_20120810.DeleteItem"}
    with pytest.raises(DynamoError) as caught:
        verifier.verify(b"POST", b"/", tampered, body)
    assert caught.value.type == "InvalidSignatureException"


async def test_writes_and_records_match_the_sdk_client(clients: tuple[DynamoClient, DynamoClient]) -> None:
    # Why: the runtime and sinks must not be able to tell the lean client from aiobotocore's:
    # binary values as bytes, timestamps as datetimes, the same records.
    lean, sdk = clients
    await _table(sdk, TABLE)
    item = {"pk": {"S": "a"}, "blob": {"B": b"\x00\xffbin"}, "blobs": {"BS": [b"x", b"y"]},
            "nested": {"M": {"b": {"B": b"\x01"}, "l": {"L": [{"B": b"\x02"}, {"N": "1.5"}]}}}}
    assert await lean.call("PutItem", {"TableName": TABLE, "Item": item}) == {}
    await lean.call("TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "b"}, "n": {"N": "2"}}}},
        {"Put": {"TableName": TABLE, "Item": {**item, "n": {"N": "3"}}}}]})
    stored = (await sdk.call("GetItem", {"TableName": TABLE, "Key": {"pk": {"S": "a"}}}))["Item"]
    assert stored == {**item, "n": {"N": "3"}}
    arn = (await sdk.call("DescribeTable", {"TableName": TABLE}))["Table"]["LatestStreamArn"]
    via_lean, via_sdk = await _records(lean, arn), await _records(sdk, arn)
    assert via_lean == via_sdk
    assert len(via_lean) == 3
    assert isinstance(via_lean[0]["dynamodb"]["ApproximateCreationDateTime"], datetime)
    assert via_lean[-1]["dynamodb"]["OldImage"]["blob"] == {"B": b"\x00\xffbin"}


async def test_update_item_answers_match_the_sdk_client(clients: tuple[DynamoClient, DynamoClient]) -> None:
    # Why: checkpoints and lease renewals are conditional UpdateItems through the lean client: the
    # returned attributes (binary as bytes) and a failed condition must look as they do from the SDK.
    lean, sdk = clients
    await _table(sdk, TABLE)
    await sdk.call("PutItem", {"TableName": TABLE, "Item": {"pk": {"S": "u"}, "blob": {"B": b"\x00\x01"}}})
    update = {"TableName": TABLE, "Key": {"pk": {"S": "u"}}, "UpdateExpression": "SET n = :n",
              "ConditionExpression": "attribute_exists(pk)", "ReturnValues": "ALL_NEW"}
    via_lean = await lean.call("UpdateItem", {**update, "ExpressionAttributeValues": {":n": {"N": "1"}}})
    via_sdk = await sdk.call("UpdateItem", {**update, "ExpressionAttributeValues": {":n": {"N": "1"}}})
    assert via_lean == via_sdk == {"Attributes": {"pk": {"S": "u"}, "blob": {"B": b"\x00\x01"}, "n": {"N": "1"}}}
    failing = {**update, "Key": {"pk": {"S": "missing"}}, "ExpressionAttributeValues": {":n": {"N": "1"}}}
    errors = []
    for client in (lean, sdk):
        with pytest.raises(DynamoError) as caught:
            await client.call("UpdateItem", failing)
        errors.append((caught.value.type, caught.value.message))
    assert errors[0] == errors[1] == ("ConditionalCheckFailedException", "The conditional request failed")


async def test_errors_match_the_sdk_client(clients: tuple[DynamoClient, DynamoClient]) -> None:
    # Why: the sink reads error types and CancellationReasons to decide what is stale, retried or dead-lettered.
    lean, sdk = clients
    await _table(sdk, TABLE)
    conditional = {"TableName": TABLE, "Item": {"pk": {"S": "c"}}, "ConditionExpression": "attribute_exists(pk)"}
    transaction = {"TransactItems": [{"Put": {"TableName": TABLE, "Item": {"pk": {"S": "d"}}}},
                                     {"Put": conditional}]}
    arn = (await sdk.call("DescribeTable", {"TableName": TABLE}))["Table"]["LatestStreamArn"]
    missing_shard = {"StreamArn": arn, "ShardId": "shardId-00000000000000000000-00000000",
                     "ShardIteratorType": "TRIM_HORIZON"}
    for operation, request in (("PutItem", conditional), ("TransactWriteItems", transaction),
                               ("GetShardIterator", missing_shard),
                               ("PutItem", {"TableName": "missing_table", "Item": {"pk": {"S": "x"}}})):
        outcomes = []
        for client in (lean, sdk):
            with pytest.raises(DynamoError) as caught:
                await client.call(operation, request)
            error = caught.value
            outcomes.append((error.type, error.message, error.status, error.extra.get("CancellationReasons")))
        assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == "ResourceNotFoundException"


async def test_wrong_secret_and_dead_endpoint(server: str) -> None:
    # Why: a refused signature is terminal (never retried), an unreachable endpoint transient (retried).
    wrong = await connect_target(server, access_key_id=KEY, secret_access_key="not-the-secret")
    dead = await connect_target(f"http://127.0.0.1:{peers.free_port()}", access_key_id=KEY,
                                secret_access_key=SECRET, timeout_s=2.0)
    try:
        with pytest.raises(DynamoError) as refused:
            await wrong.call("PutItem", {"TableName": TABLE, "Item": {"pk": {"S": "z"}}})
        assert refused.value.type == "InvalidSignatureException"
        with pytest.raises(DynamoError) as unreachable:
            await dead.call("PutItem", {"TableName": TABLE, "Item": {"pk": {"S": "z"}}})
        assert (unreachable.value.type, unreachable.value.status) == ("ServiceUnavailable", 503)
    finally:
        await wrong.close()
        await dead.close()


async def test_answers_are_asked_for_uncompressed() -> None:
    # Why: a server offered gzip compresses every GetRecords page and the worker inflates it again
    # (~8 % of the source server's CPU on loopback); the lean client asks as the SDKs do.
    from aiohttp import web

    seen: list[str | None] = []

    async def answer(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Accept-Encoding"))
        return web.Response(body=b"{}", content_type="application/x-amz-json-1.0")

    app = web.Application()
    app.router.add_post("/", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    port = peers.free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    client = await connect_target(f"http://127.0.0.1:{port}", access_key_id=KEY, secret_access_key=SECRET)
    try:
        assert await client.call("PutItem", {"TableName": TABLE, "Item": {"pk": {"S": "z"}}}) == {}
    finally:
        await client.close()
        await runner.cleanup()
    assert seen == ["identity"]


def test_without_keys_or_endpoint_the_sdk_client_is_used(tmp_path: Path) -> None:
    # Why: AWS's default endpoint and credential chain (role credentials that refresh) stay with botocore.
    import asyncio

    async def check() -> None:
        client = await connect_target(None, region="eu-west-1", access_key_id=None, secret_access_key=None)
        try:
            assert not isinstance(client, HttpClient)
        finally:
            await client.close()

    asyncio.run(check())
