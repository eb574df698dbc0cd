"""The asyncio low-level client, ``AsyncKuraClient`` (grpc.aio).

Same rules as :mod:`kuradb.client.client` (one request id per logical call, overall deadline,
policy-driven retries with ``asyncio.sleep``). Create it inside the event loop that will use
it: a grpc.aio channel belongs to one loop. Cancelling a call cancels the in-flight attempt.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable
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
from kuradb.client.paginate import TOKENS, AsyncPaginator, parallel_scan
from kuradb.client.retry import Attempts, DefaultRetryPolicy, RetryPolicy
from kuradb.client.table import AsyncTable
from kuradb.proto.dynamodb_pb2_grpc import DynamoDBStub


class AsyncKuraClient(Operations[Awaitable[Response]]):
    """``async with AsyncKuraClient(endpoint) as c: await c.get_item(TableName=..., Key=...)``."""

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
            grpc.aio.secure_channel(endpoint, credentials, opts)
            if credentials
            else grpc.aio.insecure_channel(endpoint, opts)
        )
        self._stub = DynamoDBStub(self._channel)

    async def invoke(self, op: str, params: dict[str, Any]) -> Response:
        """Call DynamoDB operation ``op`` (e.g. "PutItem") with a request dict."""
        request = encode_request(op, params)
        rpc = getattr(self._stub, op)
        attempts = Attempts(self.config.retry, time.monotonic() + self.config.timeout, self.config.attempt_timeout)
        metadata = call_metadata(new_request_id())
        while True:
            timeout = attempts.attempt_timeout()
            try:
                return wire.response_to_dict(await rpc(request, timeout=timeout, metadata=metadata))
            except grpc.RpcError as e:
                error = exception_from_rpc_error(e)
            await asyncio.sleep(attempts.after_failure(error))

    def can_paginate(self, operation_name: str) -> bool:
        return METHOD_TO_OPERATION.get(operation_name) in TOKENS

    def get_paginator(self, operation_name: str) -> AsyncPaginator:
        """Paginator for "query", "scan" or "list_tables"; ``async for page in p.paginate(...)``."""
        op = METHOD_TO_OPERATION.get(operation_name, operation_name)
        return AsyncPaginator(lambda p: self.invoke(op, p), op)

    def parallel_scan(
        self, *, TotalSegments: int, max_concurrency: int | None = None, **params: Any  # noqa: N803
    ) -> AsyncIterator[Response]:
        """Pages of a Scan split into TotalSegments segments, fetched concurrently."""
        return parallel_scan(lambda p: self.invoke("Scan", p), params, TotalSegments, max_concurrency)

    def Table(self, name: str) -> AsyncTable:  # noqa: N802
        return AsyncTable(self, name)

    async def close(self) -> None:
        await self._channel.close()

    async def __aenter__(self) -> AsyncKuraClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
