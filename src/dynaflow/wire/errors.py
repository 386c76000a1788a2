"""Turning errors into DynamoDB's HTTP answers: the only place this happens.

DynamoDB answers an error with a status (400 for client errors, 500 for ``InternalServerError``) and
a JSON body ``{"__type": "<namespace>#<Type>", "message": "..."}``. Two details matter to clients
that parse the body themselves:

* the message key is ``Message`` (capital M) for ``SerializationException`` and
  ``AccessDeniedException`` and ``message`` for everything else;
* a type without a message (``UnknownOperationException``, a body that is not JSON) has no message
  key at all.

Extra members of the error (``CancellationReasons``, ``Item`` ...) go into the body beside
``__type``, which is where botocore reads them from. Any exception that is not a
:class:`DynamoError` is a bug in dynaflow: the client sees ``InternalServerError`` and the caller
logs and counts it.
"""

from __future__ import annotations

from typing import Final

import orjson

from dynaflow.engine.errors import DynamoError, internal

CAPITALIZED_MESSAGE: Final = frozenset({"SerializationException", "AccessDeniedException"})


def as_dynamo_error(exc: BaseException) -> tuple[DynamoError, bool]:
    """The DynamoDB error to answer ``exc`` with, and whether it is a system (internal) error."""
    if isinstance(exc, DynamoError):
        return exc, exc.status >= 500
    return internal(), True


def render(err: DynamoError) -> tuple[int, bytes]:
    """HTTP status and JSON body for ``err``."""
    body: dict[str, object] = {"__type": err.full_type}
    if err.message:
        # A failed condition that returns the item (ReturnValuesOnConditionCheckFailure) spells it
        # "Message" as well.
        capital = err.type in CAPITALIZED_MESSAGE or (err.extra is not None and "Item" in err.extra)
        body["Message" if capital else "message"] = err.message
    if err.extra:
        for key, value in err.extra.items():
            body.setdefault(key, value)
    return err.status, orjson.dumps(body)
