"""What the sync and asyncio clients share: configuration, the operation methods, request ids
and the translation of gRPC failures into exceptions.

Rules:

* One method per DynamoDB operation, named as boto3 names it (``put_item`` for PutItem), taking
  the DynamoDB request members as keyword arguments and returning the response dict, both in
  the DynamoDB shape of :mod:`kuradb.wire` (attribute values ``{"S": ...}``, B as ``bytes``).
  The methods are written once in :class:`Operations`, generic in their return type, so the
  sync client returns dicts and the asyncio client awaitables of the same dicts.
* Conversion dict <-> proto and status -> DynamoDB error are :mod:`kuradb.wire`'s; this module
  only adds the client's view of transport failures (see :func:`exception_from_rpc_error`).
* No module state beyond immutable tables: any number of clients may live in one process.
"""

from __future__ import annotations

import os
import types
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Generic, TypeVar

import grpc

from kuradb import wire
from kuradb.client.retry import (
    REQUEST_ID_METADATA,
    TRANSPORT_CODE,
    AttemptTimeout,
    DeadlineExceeded,
    DefaultRetryPolicy,
    RetryPolicy,
)
from kuradb.errors import ERRORS_BY_NAME

Response = dict[str, Any]

#: boto3 method name -> DynamoDB operation name.
METHOD_TO_OPERATION: Final[dict[str, str]] = {
    "".join("_" + c.lower() if c.isupper() else c for c in op).lstrip("_"): op
    for op in wire.OPERATION_NAMES
}

#: ``client.exceptions.ConditionalCheckFailedException`` etc., as boto3 exposes them.
EXCEPTIONS: Final = types.SimpleNamespace(
    **ERRORS_BY_NAME, AttemptTimeout=AttemptTimeout, DeadlineExceeded=DeadlineExceeded
)

# Items are up to 400 KB, Query/Scan pages 1 MB, BatchGetItem answers up to 16 MB: gRPC's
# default 4 MB receive limit would reject legitimate BatchGetItem responses.
_MAX_MESSAGE_BYTES: Final = 32 * 1024 * 1024


@dataclass(frozen=True)
class ClientConfig:
    """Connection and call settings of one client.

    ``timeout`` is the overall deadline of one logical call, retries and backoff included;
    ``attempt_timeout`` optionally caps each attempt so that a stuck attempt is retried
    (with the same request id) while the overall deadline still has time.
    """

    endpoint: str = "127.0.0.1:8000"
    timeout: float = 10.0
    attempt_timeout: float | None = None
    retry: RetryPolicy = field(default_factory=DefaultRetryPolicy)
    credentials: grpc.ChannelCredentials | None = None
    options: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if self.timeout <= 0:
            raise ValueError("timeout must be positive")
        if self.attempt_timeout is not None and self.attempt_timeout <= 0:
            raise ValueError("attempt_timeout must be positive")

    def channel_options(self) -> list[tuple[str, Any]]:
        return [
            ("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", _MAX_MESSAGE_BYTES),
            *self.options,
        ]


def new_request_id() -> str:
    """A fresh request id: hex text of 16 random bytes (``bytes.fromhex`` gives the bytes)."""
    return os.urandom(16).hex()


def call_metadata(request_id: str) -> tuple[tuple[str, str], ...]:
    return ((REQUEST_ID_METADATA, request_id),)


def encode_request(op: str, params: Mapping[str, Any]) -> Any:
    """Request message for ``op``; raises ValidationException/SerializationException locally
    for what the proto cannot carry (e.g. an unknown parameter name), before any network I/O."""
    return wire.dict_to_request(op, params)


def exception_from_rpc_error(error: grpc.RpcError) -> BaseException:
    """The exception a failed attempt stands for.

    A status carrying KuraDB's error metadata is DynamoDB's answer and becomes the named
    kuradb.errors exception (wire.error_from_status). A status without it never reached a
    KuraDB handler: DEADLINE_EXCEEDED becomes :class:`AttemptTimeout`, anything else the
    wire's error with the gRPC code recorded in ``details[TRANSPORT_CODE]`` so the retry policy
    can tell "connection refused" (UNAVAILABLE, retryable) from e.g. UNIMPLEMENTED (not).
    """
    code: grpc.StatusCode = error.code()  # type: ignore[attr-defined]
    message: str = error.details() or ""  # type: ignore[attr-defined]
    metadata = error.trailing_metadata() or ()  # type: ignore[attr-defined]
    from_server = any(k == wire.ERROR_NAME_KEY for k, _ in metadata)
    if not from_server and code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return AttemptTimeout(message or "Deadline Exceeded")
    err = wire.error_from_status(code, message, metadata)
    if not from_server:
        err.details[TRANSPORT_CODE] = code.name
    return err


_R = TypeVar("_R")


class Operations(ABC, Generic[_R]):
    """The DynamoDB operations, boto3-named; ``invoke`` is the client's transport."""

    @abstractmethod
    def invoke(self, op: str, params: dict[str, Any]) -> _R:
        """Call DynamoDB operation ``op`` (e.g. "PutItem") with a request dict."""

    def create_table(self, **params: Any) -> _R:
        """CreateTable."""
        return self.invoke("CreateTable", params)

    def describe_table(self, **params: Any) -> _R:
        """DescribeTable."""
        return self.invoke("DescribeTable", params)

    def update_table(self, **params: Any) -> _R:
        """UpdateTable."""
        return self.invoke("UpdateTable", params)

    def delete_table(self, **params: Any) -> _R:
        """DeleteTable."""
        return self.invoke("DeleteTable", params)

    def list_tables(self, **params: Any) -> _R:
        """ListTables."""
        return self.invoke("ListTables", params)

    def put_item(self, **params: Any) -> _R:
        """PutItem."""
        return self.invoke("PutItem", params)

    def get_item(self, **params: Any) -> _R:
        """GetItem."""
        return self.invoke("GetItem", params)

    def update_item(self, **params: Any) -> _R:
        """UpdateItem."""
        return self.invoke("UpdateItem", params)

    def delete_item(self, **params: Any) -> _R:
        """DeleteItem. ConditionalCheckFailedException.item holds the old item when
        ReturnValuesOnConditionCheckFailure=ALL_OLD (also for put_item and update_item)."""
        return self.invoke("DeleteItem", params)

    def query(self, **params: Any) -> _R:
        """Query (one page; see get_paginator("query"))."""
        return self.invoke("Query", params)

    def scan(self, **params: Any) -> _R:
        """Scan (one page; see get_paginator("scan"))."""
        return self.invoke("Scan", params)

    def batch_get_item(self, **params: Any) -> _R:
        """BatchGetItem; UnprocessedKeys are returned, not retried."""
        return self.invoke("BatchGetItem", params)

    def batch_write_item(self, **params: Any) -> _R:
        """BatchWriteItem; UnprocessedItems are returned, not retried (Table.batch_writer does)."""
        return self.invoke("BatchWriteItem", params)
