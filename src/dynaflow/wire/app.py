"""Request dispatch: one HTTP request in, one DynamoDB answer out. No business logic.

The app checks a request in the order described in :mod:`.protocol` (CORS, health, protocol,
body, JSON, target, authentication, authorization), then hands the decoded body to
``client.call_wire(operation, body)`` - the same client interface the rest of the platform uses,
never the engine - and serializes what comes back (``orjson.Fragment`` item bytes included) with
the protocol's headers. A rejected request never reaches the client, so it cannot change data.

Every failure is a :class:`DynamoError` rendered by :mod:`.errors`; anything else is a bug,
answered ``InternalServerError``, logged with its traceback and counted in :class:`WireStats`.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from dynaflow.engine import errors
from dynaflow.engine.errors import DynamoError
from dynaflow.wire import protocol
from dynaflow.wire.accesslog import AccessLog
from dynaflow.wire.authorize import Authorizer, key_schema_from_description
from dynaflow.wire.errors import as_dynamo_error, render
from dynaflow.wire.http import HttpRequest, HttpResponse, render_headers
from dynaflow.wire.sigv4 import Identity, SigV4Verifier

log = logging.getLogger("dynaflow.wire")

#: The health answer's body when the request names no Host; otherwise ``healthy: <host>``, as
#: DynamoDB answers ``healthy: dynamodb.<region>.amazonaws.com``.
HEALTH_BODY = b"healthy: dynaflow"
_CORS_EXPOSE = b"x-amzn-RequestId,x-amzn-ErrorType,x-amz-crc32,Date"
#: Operations whose success has no output shape: DynamoDB answers them with an empty body.
_NO_OUTPUT = frozenset({"TagResource", "UntagResource"})
_SCHEMA_CHANGES = frozenset({"CreateTable", "DeleteTable", "UpdateTable"})
# Response header lines built once: the per-request work is the request id and the CRC.
_CORS_HEADERS = b"Access-Control-Allow-Origin: *\r\nAccess-Control-Expose-Headers: %s\r\n" % _CORS_EXPOSE
_CONTENT_TYPE_LINES = {media: b"Content-Type: %s\r\n" % media for media in protocol.JSON_MEDIA_TYPES}
_NOT_JSON_CRC = b"x-amz-crc32: %d\r\n" % zlib.crc32(protocol.NOT_JSON_PROTOCOL_BODY)
_content_type_lines: dict[bytes | None, bytes | None] = {None: None}


def _content_type_line(content_type: bytes | None) -> bytes | None:
    """The response's ``Content-Type`` line for a request's ``Content-Type``; None if not JSON."""
    try:
        return _content_type_lines[content_type]
    except KeyError:
        assert content_type is not None
        media = protocol.media_type(content_type)
        line = _CONTENT_TYPE_LINES.get(media) if media is not None else None
        if len(_content_type_lines) < 256:
            _content_type_lines[content_type] = line
        return line


class WireClient(Protocol):
    """What the server needs from the engine's client: wire-form calls and a close."""

    async def call_wire(self, operation: str, request: dict[str, Any]) -> dict[str, Any]: ...

    async def close(self) -> None: ...


@dataclass
class WireStats:
    """Counters the server keeps (exported by the ops layer)."""

    requests: int = 0
    client_errors: int = 0
    system_errors: int = 0
    by_error: dict[str, int] = field(default_factory=dict)


class WireApp:
    """The DynamoDB JSON protocol handler: ``await app(request) -> response``."""

    def __init__(
        self,
        client: WireClient,
        *,
        verifier: SigV4Verifier | None = None,
        account_id: str = "000000000000",
        access_log: AccessLog | None = None,
        max_body: int = protocol.MAX_REQUEST_BYTES,
    ) -> None:
        self.client = client
        self.verifier = verifier if verifier is not None else SigV4Verifier(None, account_id=account_id)
        self.authorizer = Authorizer(self._describe, account_id=account_id)
        self.access_log = access_log
        self.max_body = max_body
        self.stats = WireStats()

    async def _describe(self, table: str) -> dict[str, str]:
        return key_schema_from_description(await self.client.call_wire("DescribeTable", {"TableName": table}))

    async def __call__(self, request: HttpRequest) -> HttpResponse:
        self.stats.requests += 1
        request_id = protocol.new_request_id_bytes()
        headers = request.headers
        cors = _CORS_HEADERS if b"origin" in headers else b""
        method = request.method
        body = request.body
        content_type = _content_type_line(headers.get(b"content-type"))
        if method != b"POST" or (content_type is None and body):
            return self._not_dynamodb(request, b"x-amzn-RequestId: %s\r\n%s" % (request_id, cors), request_id)
        if content_type is None:
            content_type = _CONTENT_TYPE_LINES[protocol.DEFAULT_MEDIA_TYPE]

        operation: str | None = None
        identity: Identity | None = None
        try:
            encoding = headers.get(b"content-encoding")
            if encoding:
                try:
                    body = protocol.decode_body(body, encoding, limit=self.max_body)
                except protocol.RequestTooLarge:
                    head = b"x-amzn-RequestId: %s\r\n%s%s" % (request_id, cors, content_type)
                    return self._finish(request, HttpResponse(413, head), request_id, None, None,
                                        "RequestEntityTooLarge")
            data = protocol.parse_json(body) if body else None
            operation = protocol.parse_target(headers.get(b"x-amz-target"))[1]
            identity = self.verifier.verify(method, request.url, headers, request.body)
            if data is None:
                raise errors.serialization("")
            if identity.policy is not None:
                await self.authorizer.authorize(identity, operation, data)
            result = await self.client.call_wire(operation, data)
            if operation == "DescribeEndpoints" and b"host" in headers:
                result = _reached_at(result, headers[b"host"])
            if operation in _SCHEMA_CHANGES and isinstance(data.get("TableName"), str):
                self.authorizer.forget(data["TableName"])
            payload = b"" if operation in _NO_OUTPUT else orjson.dumps(result)
            status = 200
            error_type = None
        except Exception as exc:
            err, system = as_dynamo_error(exc)
            if system:
                self.stats.system_errors += 1
                if not isinstance(exc, DynamoError):
                    log.exception("internal error answering %s (request %s)", operation, request_id.decode())
            else:
                self.stats.client_errors += 1
            self.stats.by_error[err.type] = self.stats.by_error.get(err.type, 0) + 1
            status, payload = render(err)
            error_type = err.type
        encoded = b""
        if len(payload) >= protocol.MIN_COMPRESS_BYTES:
            encoding = protocol.response_encoding(headers.get(b"accept-encoding"))
            if encoding is not None:
                payload = protocol.compress(payload, encoding)
                encoded = b"Content-Encoding: %s\r\n" % encoding
        response = HttpResponse(status, b"x-amzn-RequestId: %s\r\n%s%s%sx-amz-crc32: %d\r\n" % (
            request_id, cors, content_type, encoded, zlib.crc32(payload)), payload)
        if self.access_log is None:
            return response
        return self._finish(request, response, request_id, identity.access_key_id if identity else None,
                            operation, error_type)

    def _not_dynamodb(self, request: HttpRequest, head: bytes, request_id: bytes) -> HttpResponse:
        """Answer CORS preflights, health checks and requests not in the JSON protocol."""
        method = request.method
        if method == b"OPTIONS":
            return self._preflight(request, head, request_id)
        if method in (b"GET", b"HEAD") and request.url.split(b"?", 1)[0] == b"/":
            host = request.headers.get(b"host")
            body = b"healthy: " + host if host else HEALTH_BODY
            return self._finish(request, HttpResponse(200, head + b"Content-Type: text/plain\r\n", body),
                                request_id, None, None, None)
        response = HttpResponse(404, head + _NOT_JSON_CRC, protocol.NOT_JSON_PROTOCOL_BODY)
        return self._finish(request, response, request_id, None, None, "UnknownOperationException")

    def _preflight(self, request: HttpRequest, head: bytes, request_id: bytes) -> HttpResponse:
        requested_headers = request.headers.get(b"access-control-request-headers")
        requested_method = request.headers.get(b"access-control-request-method")
        headers: list[tuple[bytes, bytes]] = []
        if b"origin" not in request.headers:  # not a CORS request: DynamoDB adds no CORS headers
            return self._finish(request, HttpResponse(200, head), request_id, None, None, None)
        headers.append((b"Access-Control-Allow-Methods", requested_method or b"POST, GET, OPTIONS"))
        if requested_headers:
            headers.append((b"Access-Control-Allow-Headers", requested_headers))
        headers.append((b"Access-Control-Max-Age", b"172800"))
        return self._finish(request, HttpResponse(200, head + render_headers(headers)), request_id, None, None,
                            None)

    def _finish(
        self,
        request: HttpRequest,
        response: HttpResponse,
        request_id: bytes,
        key: str | None,
        operation: str | None,
        error: str | None,
    ) -> HttpResponse:
        if self.access_log is not None:
            self.access_log.record(
                request_id=request_id.decode(), client=request.client, key=key, op=operation,
                status=response.status, error=error, bytes_in=len(request.body), bytes_out=len(response.body),
                started=request.started,
            )
        return response


def _reached_at(result: dict[str, Any], host: bytes) -> dict[str, Any]:
    """DescribeEndpoints over the wire: the address is the one the client used to reach this server
    (its Host header), which only the HTTP layer knows; the engine answers its configured one."""
    endpoints = [{**endpoint, "Address": host.decode("latin-1")} for endpoint in result.get("Endpoints", [])]
    return {**result, "Endpoints": endpoints}
