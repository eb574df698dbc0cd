"""The one error mapping of KuraDB.

Every error a user can see is a :class:`KuraError` subclass named exactly as DynamoDB names it,
carrying the HTTP status the DynamoDB JSON protocol uses. The gRPC API, the JSON wire protocol
and the client SDK all translate through :data:`ERRORS_BY_NAME`, so a name means the same thing
everywhere. Internal routing errors between router and node are *not* exceptions: they travel
as a PartitionError field in the answer (design §5).
"""

from __future__ import annotations

from typing import Any, ClassVar


class KuraError(Exception):
    """Base of the errors a caller may see; ``name`` is the DynamoDB error name."""

    name: ClassVar[str] = "InternalServerError"
    http_status: ClassVar[int] = 500
    retryable: ClassVar[bool] = False

    def __init__(self, message: str = "", **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class InternalServerError(KuraError):
    name = "InternalServerError"
    http_status = 500
    retryable = True


class ValidationException(KuraError):
    name = "ValidationException"
    http_status = 400


class SerializationException(KuraError):
    name = "SerializationException"
    http_status = 400


class ConditionalCheckFailedException(KuraError):
    """A condition evaluated to false. ``item`` is the old item when the request asked for
    ReturnValuesOnConditionCheckFailure=ALL_OLD (and the item existed)."""

    name = "ConditionalCheckFailedException"
    http_status = 400

    def __init__(self, message: str = "The conditional request failed", item: dict | None = None) -> None:
        super().__init__(message)
        self.item = item


class ResourceNotFoundException(KuraError):
    name = "ResourceNotFoundException"
    http_status = 400


class ResourceInUseException(KuraError):
    name = "ResourceInUseException"
    http_status = 400


class LimitExceededException(KuraError):
    name = "LimitExceededException"
    http_status = 400


class ProvisionedThroughputExceededException(KuraError):
    name = "ProvisionedThroughputExceededException"
    http_status = 400
    retryable = True


class ThrottlingException(KuraError):
    name = "ThrottlingException"
    http_status = 400
    retryable = True


class ItemCollectionSizeLimitExceededException(KuraError):
    name = "ItemCollectionSizeLimitExceededException"
    http_status = 400


class TransactionCanceledException(KuraError):
    name = "TransactionCanceledException"
    http_status = 400


class UnrecognizedClientException(KuraError):
    name = "UnrecognizedClientException"
    http_status = 400


class InvalidSignatureException(KuraError):
    name = "InvalidSignatureException"
    http_status = 400


class MissingAuthenticationTokenException(KuraError):
    name = "MissingAuthenticationTokenException"
    http_status = 400


class IncompleteSignatureException(KuraError):
    name = "IncompleteSignatureException"
    http_status = 400


class AccessDeniedException(KuraError):
    name = "AccessDeniedException"
    http_status = 400


class UnknownOperationException(KuraError):
    name = "UnknownOperationException"
    http_status = 400


class ServiceUnavailable(KuraError):
    """No replica could serve in time (e.g. a partition without a quorum)."""

    name = "ServiceUnavailable"
    http_status = 503
    retryable = True


def _all_subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out.append(sub)
        out.extend(_all_subclasses(sub))
    return out


ERRORS_BY_NAME: dict[str, type[KuraError]] = {c.name: c for c in [KuraError, *_all_subclasses(KuraError)]}


def error_from_name(name: str, message: str = "") -> KuraError:
    """Rebuild an error from its DynamoDB name (used by clients); unknown names become InternalServerError."""
    cls = ERRORS_BY_NAME.get(name, InternalServerError)
    return cls(message)
