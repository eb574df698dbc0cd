"""Table.batch_writer(): buffered BatchWriteItem with resending of UnprocessedItems.

Rules (boto3's BatchWriter, plus a bounded backoff):

* put_item/delete_item only buffer; a BatchWriteItem of ``flush_amount`` (<= 25, DynamoDB's
  limit) requests is sent whenever that many are buffered, and the rest when the ``with`` block
  ends (also when it ends with an exception, as boto3 does: what was put was meant to be
  written). Nothing is sent from __init__.
* With ``overwrite_by_pkeys`` (the table's key attribute names), a later request for a key
  already buffered replaces the earlier one, so a batch never holds duplicate keys (which
  DynamoDB rejects with a ValidationException). Without it, duplicates reach the server.
* UnprocessedItems of a response go back to the end of the buffer and are resent. DynamoDB
  returns them when it throttled part of the batch, so they are paced like throttling: the
  client's retry policy is asked, with ProvisionedThroughputExceededException and the count of
  consecutive responses that left items unprocessed, for the delay before the next send; when
  it says stop, :class:`BatchWriteIncomplete` is raised carrying every request not yet
  written. A fully processed response resets the count.
* :class:`WriteBuffer` holds all of that logic without I/O; the sync and asyncio writers only
  send and sleep.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from kuradb.client.retry import RetryPolicy
from kuradb.client.serializer import TypeSerializer
from kuradb.errors import ProvisionedThroughputExceededException

MAX_BATCH_WRITE: Final = 25

WriteRequest = dict[str, Any]  # {"PutRequest": {"Item": ...}} | {"DeleteRequest": {"Key": ...}}

_SERIALIZER: Final = TypeSerializer()


class BatchWriteIncomplete(Exception):
    """The retry policy gave up while DynamoDB kept returning UnprocessedItems.

    ``unprocessed`` lists the low-level write requests (attribute-value form) not written.
    """

    def __init__(self, table: str, unprocessed: Sequence[WriteRequest]) -> None:
        super().__init__(f"{len(unprocessed)} write request(s) to table {table} were left unprocessed")
        self.table = table
        self.unprocessed = list(unprocessed)


def _key_of(request: WriteRequest, pkeys: Sequence[str]) -> tuple[Any, ...]:
    values = request["PutRequest"]["Item"] if "PutRequest" in request else request["DeleteRequest"]["Key"]
    try:
        return tuple((name, *next(iter(values[name].items()))) for name in pkeys)
    except KeyError as e:
        raise ValueError(f"write request has no value for key attribute {e.args[0]!r}: {request}") from None


@dataclass
class WriteBuffer:
    """The pure state of one batch writer (see the module rules)."""

    table: str
    policy: RetryPolicy
    flush_amount: int = MAX_BATCH_WRITE
    overwrite_by_pkeys: tuple[str, ...] | None = None
    pending: list[WriteRequest] = field(default_factory=list)
    throttled_rounds: int = 0
    delay_s: float = 0.0

    def __post_init__(self) -> None:
        if not 1 <= self.flush_amount <= MAX_BATCH_WRITE:
            raise ValueError(f"flush_amount must be between 1 and {MAX_BATCH_WRITE}")

    def add(self, request: WriteRequest) -> None:
        if self.overwrite_by_pkeys:
            key = _key_of(request, self.overwrite_by_pkeys)
            self.pending = [r for r in self.pending if _key_of(r, self.overwrite_by_pkeys) != key]
        self.pending.append(request)

    def full(self) -> bool:
        return len(self.pending) >= self.flush_amount

    def take(self) -> list[WriteRequest]:
        """The next batch to send (removed from the buffer)."""
        batch, self.pending = self.pending[: self.flush_amount], self.pending[self.flush_amount :]
        return batch

    def on_response(self, response: Mapping[str, Any]) -> None:
        """Requeue UnprocessedItems and set the delay before the next send; raise on give-up."""
        unprocessed = list(response.get("UnprocessedItems", {}).get(self.table, ()))
        if not unprocessed:
            self.throttled_rounds, self.delay_s = 0, 0.0
            return
        self.pending.extend(unprocessed)
        self.throttled_rounds += 1
        decision = self.policy.on_error(
            ProvisionedThroughputExceededException("BatchWriteItem left items unprocessed"), self.throttled_rounds
        )
        if not decision.retry:
            # Hand everything over to the exception: a later flush must not resend it.
            given_up, self.pending = self.pending, []
            raise BatchWriteIncomplete(self.table, given_up)
        self.delay_s = decision.delay_s


def put_request(item: Mapping[str, Any]) -> WriteRequest:
    return {"PutRequest": {"Item": _SERIALIZER.serialize_item(item)}}


def delete_request(key: Mapping[str, Any]) -> WriteRequest:
    return {"DeleteRequest": {"Key": _SERIALIZER.serialize_item(key)}}


class BatchWriter:
    """Sync batch writer; use as ``with table.batch_writer() as batch: batch.put_item(Item=...)``."""

    def __init__(self, send: Callable[[dict[str, Any]], dict[str, Any]], buffer: WriteBuffer) -> None:
        self._send = send
        self._buffer = buffer

    def put_item(self, Item: Mapping[str, Any]) -> None:  # noqa: N803 (boto3's parameter name)
        self._buffer.add(put_request(Item))
        self._flush_if_full()

    def delete_item(self, Key: Mapping[str, Any]) -> None:  # noqa: N803
        self._buffer.add(delete_request(Key))
        self._flush_if_full()

    def _flush_if_full(self) -> None:
        if self._buffer.full():
            self._flush_once()

    def _flush_once(self) -> None:
        if self._buffer.delay_s:
            time.sleep(self._buffer.delay_s)
        batch = self._buffer.take()
        self._buffer.on_response(self._send({"RequestItems": {self._buffer.table: batch}}))

    def flush(self) -> None:
        """Send everything buffered, resending unprocessed items, until the buffer is empty."""
        while self._buffer.pending:
            self._flush_once()

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.flush()


class AsyncBatchWriter:
    """asyncio batch writer; ``async with table.batch_writer() as batch: await batch.put_item(...)``."""

    def __init__(self, send: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]], buffer: WriteBuffer) -> None:
        self._send = send
        self._buffer = buffer

    async def put_item(self, Item: Mapping[str, Any]) -> None:  # noqa: N803
        self._buffer.add(put_request(Item))
        await self._flush_if_full()

    async def delete_item(self, Key: Mapping[str, Any]) -> None:  # noqa: N803
        self._buffer.add(delete_request(Key))
        await self._flush_if_full()

    async def _flush_if_full(self) -> None:
        if self._buffer.full():
            await self._flush_once()

    async def _flush_once(self) -> None:
        if self._buffer.delay_s:
            await asyncio.sleep(self._buffer.delay_s)
        batch = self._buffer.take()
        self._buffer.on_response(await self._send({"RequestItems": {self._buffer.table: batch}}))

    async def flush(self) -> None:
        while self._buffer.pending:
            await self._flush_once()

    async def __aenter__(self) -> AsyncBatchWriter:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.flush()
