"""A lean client for the requests the CDC sends in bulk: ``GetRecords``, ``PutItem``,
``TransactWriteItems`` and ``UpdateItem`` (every checkpoint and lease renewal is one), and for
``GetShardIterator`` (every shard's first request).

Over the wire, replication spends most of its CPU in the SDK rather than moving changes:
aiobotocore walks the service model to serialize every ``TransactWriteItems`` and to parse every
``GetRecords`` page attribute by attribute, and its signer builds a generic canonical request —
about 60 % of a worker's CPU in a profile of ``bench/replication.py --path wire``; after the
three bulk operations went direct, the checkpoints' ``UpdateItem`` through the SDK was still ~14 %.
These operations have fixed, simple shapes, so :class:`HttpClient` sends them itself: the request is
``orjson``-encoded, signed by :class:`~dynaflow.cdc.signer.Signer` and posted on a keep-alive
``aiohttp`` connection pool; the answer is decoded by ``orjson``. Every other operation (control
plane, leases, scans) goes to the aiobotocore client it wraps.

It keeps the client interface's shapes (boto3's), so it is interchangeable with
:class:`~dynaflow.dynamo.remote.RemoteClient`:

* binary values go out as base64 (``bytes`` in, as boto3 takes them) and come back as ``bytes``
  — a response is walked for them only when its JSON holds a ``"B"``/``"BS"`` member;
* ``ApproximateCreationDateTime`` comes back as an aware ``datetime``, as from botocore;
* answers come uncompressed (``Accept-Encoding: identity``), as the SDKs ask for them: aiohttp
  would otherwise offer gzip, and a server that takes the offer spends ~8 % of its CPU compressing
  ``GetRecords`` pages that the worker then spends CPU inflating (measured on loopback);
* an error answer becomes :class:`~dynaflow.engine.errors.DynamoError` with the short error type,
  the message, the HTTP status and the body's members in ``extra`` (``CancellationReasons``;
  botocore keeps only the members its model names, this client all of them), and a connection
  failure or timeout a ``ServiceUnavailable`` one, as ``RemoteClient`` raises them.

It is used only with an explicit endpoint URL and static credentials (:func:`connect_lean`);
AWS's default endpoints and credential chain (refreshing role credentials) stay with botocore.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

import aiohttp
import orjson

from dynaflow.cdc.signer import Signer
from dynaflow.dynamo.client import DynamoClient
from dynaflow.engine.errors import DynamoError
from dynaflow.engine.records import json_may_hold_binary
from dynaflow.engine.state import binary_to_bytes

#: Operations sent directly, with their X-Amz-Target prefix (the Streams API is a separate service).
LEAN_OPERATIONS: Final = {
    "GetRecords": "DynamoDBStreams_20120810",
    # Every shard's first call: aiobotocore's first GetShardIterator held the event loop ~130 ms
    # (and the other shards' consumers with it) while it prepared the operation.
    "GetShardIterator": "DynamoDBStreams_20120810",
    "PutItem": "DynamoDB_20120810",
    "TransactWriteItems": "DynamoDB_20120810",
    "UpdateItem": "DynamoDB_20120810",
}
_IMAGES: Final = ("Keys", "NewImage", "OldImage")


def _to_json(value: Any) -> Any:
    """orjson's fallback: binary values as base64 text, sets (boto3 allows them) as lists."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, (set, frozenset)):
        return list(value)
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


def _records(response: dict[str, Any], body: bytes) -> dict[str, Any]:
    binary = json_may_hold_binary(body)
    for record in response.get("Records", ()):
        data = record.get("dynamodb")
        if not data:
            continue
        stamp = data.get("ApproximateCreationDateTime")
        if isinstance(stamp, (int, float)):
            data["ApproximateCreationDateTime"] = datetime.fromtimestamp(stamp, tz=UTC)
        if binary:
            for name in _IMAGES:
                if name in data:
                    data[name] = binary_to_bytes(data[name])
    return response


def _error(status: int, body: bytes) -> DynamoError:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        code = "ServiceUnavailable" if status in (502, 503, 504) else "InternalServerError"
        return DynamoError(code, body[:200].decode(errors="replace"), status=status)
    code = str(parsed.pop("__type", "") or "InternalServerError").rsplit("#", 1)[-1]
    message = str(parsed.get("message") or parsed.get("Message") or "")
    if "CancellationReasons" in parsed and json_may_hold_binary(body):
        parsed["CancellationReasons"] = [
            {**reason, "Item": binary_to_bytes(reason["Item"])} if "Item" in reason else reason
            for reason in parsed["CancellationReasons"]]
    return DynamoError(code, message, status=status, extra=parsed or None)


class HttpClient:
    """``LEAN_OPERATIONS`` over aiohttp + orjson; everything else through ``fallback``."""

    def __init__(self, endpoint_url: str, fallback: DynamoClient, signer: Signer, *, max_connections: int = 64,
                 timeout_s: float = 30.0) -> None:
        parts = urlsplit(endpoint_url)
        self.endpoint_url = endpoint_url
        self._url = f"{parts.scheme}://{parts.netloc}/"
        self._host = parts.netloc
        self.fallback, self.signer = fallback, signer
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=max_connections),
            timeout=aiohttp.ClientTimeout(total=timeout_s), skip_auto_headers=("Content-Type",),
            headers={"Accept-Encoding": "identity"})

    async def call(self, operation: str, request: Mapping[str, Any]) -> dict[str, Any]:
        prefix = LEAN_OPERATIONS.get(operation)
        if prefix is None:
            return await self.fallback.call(operation, request)
        body = orjson.dumps(request, default=_to_json)
        headers = self.signer.headers(self._host, f"{prefix}.{operation}", body)
        try:
            async with self._session.post(self._url, data=body, headers=headers) as answer:
                status = answer.status
                raw = await answer.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise DynamoError("ServiceUnavailable", f"endpoint unreachable: {exc!r}", status=503) from exc
        if status != 200:
            raise _error(status, raw)
        response: dict[str, Any] = orjson.loads(raw)
        if operation == "GetRecords":
            return _records(response, raw)
        if "Attributes" in response and json_may_hold_binary(raw):  # ReturnValues
            response["Attributes"] = binary_to_bytes(response["Attributes"])
        return response

    async def close(self) -> None:
        await self._session.close()
        await self.fallback.close()


async def connect_lean(endpoint_url: str | None, fallback: DynamoClient, *, region: str,
                       access_key_id: str | None, secret_access_key: str | None, max_connections: int = 64,
                       timeout_s: float = 30.0) -> DynamoClient:
    """``fallback`` with the bulk operations sent directly, when the endpoint and keys allow it."""
    if endpoint_url is None or not access_key_id or not secret_access_key:
        return fallback
    signer = Signer(access_key_id, secret_access_key, region=region)
    return HttpClient(endpoint_url, fallback, signer, max_connections=max_connections, timeout_s=timeout_s)
