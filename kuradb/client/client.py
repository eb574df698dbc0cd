"""The synchronous low-level client, ``KuraClient`` (boto3's ``client("dynamodb")`` shape).

Rules:

* One logical call = one request id (metadata ``x-kuradb-request-id``) reused by every
  attempt, so the server's request-id dedup makes retried writes apply once.
* The call's deadline is ``timeout`` seconds from its start and covers attempts and backoff;
  each attempt gets the remaining time (or ``attempt_timeout`` if shorter) as its gRPC
  deadline, so the server also knows when the caller stops waiting.
* A request the proto cannot carry (unknown parameter, wrong Python type) fails locally
  before any I/O, with the wire's ValidationException/SerializationException.
* Thread-safe: the gRPC channel may be shared by threads; a call keeps its state on its stack.
"""

from __future__ import annotations

import time
from typing import Any

import grpc

from kuradb import wire
from kuradb.client._base import (
    EXCEPTIONS,
    METHOD_TO_OPERATION,
    ClientConfig,
    Operations,
    Response,
    call_metadata,
    encode_request,
    exception_from_rpc_error,
    new_request_id,
)
from kuradb.client.paginate import TOKENS, Paginator
from kuradb.client.retry import Attempts, DefaultRetryPolicy, RetryPolicy
from kuradb.client.table import Table
from kuradb.proto.dynamodb_pb2_grpc import DynamoDBStub


class KuraClient(Operations[Response]):
    """``KuraClient("127.0.0.1:8000").put_item(TableName="t", Item={"id": {"S": "1"}})``."""

    exceptions = EXCEPTIONS

    def __init__(
        self,
        endpoint: str = "127.0.0.1:8000",
        *,
        timeout: float = 10.0,
        attempt_timeout: float | None = None,
        retry: RetryPolicy | None = None,
        credentials: grpc.ChannelCredentials | None = None,
        options: tuple[tuple[str, Any], ...] = (),
    ) -> None:
        self.config = ClientConfig(
            endpoint, timeout, attempt_timeout, retry or DefaultRetryPolicy(), credentials, options
        )
        opts = self.config.channel_options()
        self._channel = (
            grpc.secure_channel(endpoint, credentials, opts) if credentials else grpc.insecure_channel(endpoint, opts)
        )
        self._stub = DynamoDBStub(self._channel)

    def invoke(self, op: str, params: dict[str, Any]) -> Response:
        """Call DynamoDB operation ``op`` (e.g. "PutItem") with a request dict."""
        request = encode_request(op, params)
        rpc = getattr(self._stub, op)
        attempts = Attempts(self.config.retry, time.monotonic() + self.config.timeout, self.config.attempt_timeout)
        metadata = call_metadata(new_request_id())
        while True:
            timeout = attempts.attempt_timeout()
            try:
                return wire.response_to_dict(rpc(request, timeout=timeout, metadata=metadata))
            except grpc.RpcError as e:
                error = exception_from_rpc_error(e)
            time.sleep(attempts.after_failure(error))

    def can_paginate(self, operation_name: str) -> bool:
        return METHOD_TO_OPERATION.get(operation_name) in TOKENS

    def get_paginator(self, operation_name: str) -> Paginator:
        """Paginator for "query", "scan" or "list_tables" (boto3 method names)."""
        op = METHOD_TO_OPERATION.get(operation_name, operation_name)
        return Paginator(lambda p: self.invoke(op, p), op)

    def Table(self, name: str) -> Table:  # noqa: N802 (boto3's resource.Table)
        return Table(self, name)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> KuraClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
