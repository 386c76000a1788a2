"""DynamoDB JSON 1.0 over HTTP: the ``dynaflow serve`` endpoint.

Layers, each in its own module and each usable alone:

* :mod:`.http` - HTTP/1.1 on ``asyncio.Protocol`` + ``httptools`` (keep-alive, pipelining, limits);
* :mod:`.protocol` - content types, size limits, gzip, CRC32, request ids, JSON;
* :mod:`.sigv4` and :mod:`.keys` - signature verification against configured access keys;
* :mod:`.policy` - IAM-shaped access policies per key;
* :mod:`.errors` - the one place a ``DynamoError`` becomes a status and a body;
* :mod:`.app` - request dispatch on ``X-Amz-Target``; reaches the engine only through the client;
* :mod:`.server` - binding, TLS, signals, graceful shutdown.
"""

from dynaflow.wire.app import WireApp, WireClient
from dynaflow.wire.server import ServeSettings, run, serve

__all__ = ["ServeSettings", "WireApp", "WireClient", "run", "serve"]
