"""DynamoDB errors as values.

Every failure a DynamoDB caller can observe is a :class:`DynamoError` carrying DynamoDB's error
type (``ValidationException``, ``ConditionalCheckFailedException`` ...), its exact message, the HTTP
status the wire protocol answers with, and the namespace DynamoDB prefixes to ``__type``.
Errors are built with the factories below, named after DynamoDB's ``__type``s, and turned into an
HTTP reply in exactly one place (``dynaflow.wire.errors``). Any other exception escaping an
operation is a bug and is reported as ``InternalServerError``.

Hierarchy::

    Exception
     └── DynamoError            type, message, status, namespace, extra
          (one class; the DynamoDB type is data, so callers match on ``err.type``)

``DynamoError.response`` has the shape of botocore's ``ClientError.response`` so the same test
helpers read errors from the embedded client and from boto3.
"""

from __future__ import annotations

from typing import Any, Final

DYNAMODB_NS: Final = "com.amazonaws.dynamodb.v20120810"
CORAL_VALIDATE_NS: Final = "com.amazon.coral.validate"
CORAL_SERVICE_NS: Final = "com.amazon.coral.service"
CORAL_AVAILABILITY_NS: Final = "com.amazon.coral.availability"


class DynamoError(Exception):
    """A DynamoDB error: ``type`` is the short ``__type`` (no namespace)."""

    __slots__ = ("extra", "message", "namespace", "status", "type")

    def __init__(
        self,
        type: str,
        message: str,
        *,
        status: int = 400,
        namespace: str = DYNAMODB_NS,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{type}: {message}")
        self.type = type
        self.message = message
        self.status = status
        self.namespace = namespace
        self.extra: dict[str, Any] = extra or {}

    @property
    def full_type(self) -> str:
        """The wire ``__type``: namespace-qualified, as DynamoDB sends it."""
        return f"{self.namespace}#{self.type}"

    @property
    def response(self) -> dict[str, Any]:
        """botocore ``ClientError.response`` shape: ``{"Error": {"Code", "Message"}, ...extra}``."""
        return {"Error": {"Code": self.type, "Message": self.message}, **self.extra}

    def __repr__(self) -> str:
        return f"DynamoError({self.type!r}, {self.message!r})"


def validation(message: str) -> DynamoError:
    return DynamoError("ValidationException", message, namespace=CORAL_VALIDATE_NS)


def invalid_parameters(detail: str) -> DynamoError:
    """The common "One or more parameter values were invalid: ..." validation error."""
    return validation(f"One or more parameter values were invalid: {detail}")


def serialization(message: str) -> DynamoError:
    return DynamoError("SerializationException", message, namespace=CORAL_SERVICE_NS)


def resource_not_found(message: str = "Requested resource not found") -> DynamoError:
    return DynamoError("ResourceNotFoundException", message)


def table_not_found(name: str) -> DynamoError:
    return resource_not_found(f"Requested resource not found: Table: {name} not found")


def resource_in_use(message: str) -> DynamoError:
    return DynamoError("ResourceInUseException", message)


def limit_exceeded(message: str) -> DynamoError:
    return DynamoError("LimitExceededException", message)


def conditional_check_failed(item: dict[str, Any] | None = None) -> DynamoError:
    extra = {"Item": item} if item is not None else None
    return DynamoError("ConditionalCheckFailedException", "The conditional request failed", extra=extra)


def transaction_canceled(reasons: list[dict[str, Any]]) -> DynamoError:
    codes = ", ".join(r.get("Code", "None") for r in reasons)
    return DynamoError(
        "TransactionCanceledException",
        f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
        extra={"CancellationReasons": reasons},
    )


def transaction_conflict(message: str = "Transaction is ongoing for the item") -> DynamoError:
    return DynamoError("TransactionConflictException", message)


def idempotent_parameter_mismatch(message: str) -> DynamoError:
    return DynamoError("IdempotentParameterMismatchException", message)


def provisioned_throughput_exceeded(
    message: str = "The level of configured provisioned throughput for the table was exceeded. "
    "Consider increasing your provisioning level with the UpdateTable API.",
) -> DynamoError:
    return DynamoError("ProvisionedThroughputExceededException", message)


def throttling(message: str = "Rate of requests exceeds the allowed throughput.") -> DynamoError:
    return DynamoError("ThrottlingException", message, namespace=CORAL_AVAILABILITY_NS)


def item_collection_size_limit(message: str) -> DynamoError:
    return DynamoError("ItemCollectionSizeLimitExceededException", message)


def unknown_operation(message: str = "") -> DynamoError:
    return DynamoError("UnknownOperationException", message, namespace=CORAL_SERVICE_NS)


def access_denied(message: str) -> DynamoError:
    return DynamoError("AccessDeniedException", message, namespace=CORAL_SERVICE_NS)


def unrecognized_client(
    message: str = "The security token included in the request is invalid.",
) -> DynamoError:
    return DynamoError("UnrecognizedClientException", message, namespace=CORAL_SERVICE_NS)


def invalid_signature(message: str) -> DynamoError:
    return DynamoError("InvalidSignatureException", message, namespace=CORAL_SERVICE_NS)


def missing_authentication_token(message: str) -> DynamoError:
    return DynamoError("MissingAuthenticationTokenException", message, namespace=CORAL_SERVICE_NS)


def incomplete_signature(message: str) -> DynamoError:
    return DynamoError("IncompleteSignatureException", message, namespace=CORAL_SERVICE_NS)


def expired_iterator(message: str) -> DynamoError:
    return DynamoError("ExpiredIteratorException", message)


def trimmed_data_access(message: str) -> DynamoError:
    return DynamoError("TrimmedDataAccessException", message)


def internal(message: str = "Internal server error") -> DynamoError:
    return DynamoError("InternalServerError", message, status=500)
