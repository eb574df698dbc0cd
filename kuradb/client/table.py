"""The high-level Table API: ``client.Table("name")``, plain Python values in and out.

Rules (boto3's ``dynamodb.Table`` resource, string expressions only):

* Methods take the DynamoDB request members minus TableName, with plain values wherever the
  low-level API has attribute values (Item, Key, ExpressionAttributeValues, ExclusiveStartKey,
  legacy Expected/KeyConditions/...), and return the response with plain values (Item, Items,
  Attributes, LastEvaluatedKey) — see :mod:`kuradb.client.transform`. Numbers come back as
  ``Decimal``, B as :class:`~kuradb.client.serializer.Binary`.
* boto3's condition builders (``Key("a").eq(1)``, ``Attr(...)``) are not provided: pass
  KeyConditionExpression / ConditionExpression / FilterExpression strings.
* Errors are the low-level client's; ``ConditionalCheckFailedException.item`` stays in
  attribute-value form, as boto3's resource leaves the error's Item.
* A Table is a cheap view over its client (no I/O on creation, no caching); the client's
  deadline and retry policy apply to every call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from kuradb.client.batch import AsyncBatchWriter, BatchWriter, WriteBuffer
from kuradb.client.paginate import apages, pages, parallel_scan
from kuradb.client.transform import deserialize_response, serialize_request

if TYPE_CHECKING:
    from kuradb.client.aio import AsyncKuraClient
    from kuradb.client.client import KuraClient


def _with_table(name: str, params: dict[str, Any]) -> dict[str, Any]:
    if "TableName" in params:
        raise TypeError("TableName is set by the Table; do not pass it")
    return {"TableName": name, **params}


class Table:
    """Sync table view; create with ``KuraClient.Table(name)``."""

    def __init__(self, client: KuraClient, name: str) -> None:
        self.client = client
        self.name = name

    @property
    def table_name(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"Table(name={self.name!r})"

    def _call(self, op: str, params: dict[str, Any]) -> dict[str, Any]:
        request = serialize_request(op, _with_table(self.name, params))
        return deserialize_response(op, self.client.invoke(op, request))

    def put_item(self, **params: Any) -> dict[str, Any]:
        return self._call("PutItem", params)

    def get_item(self, **params: Any) -> dict[str, Any]:
        return self._call("GetItem", params)

    def update_item(self, **params: Any) -> dict[str, Any]:
        return self._call("UpdateItem", params)

    def delete_item(self, **params: Any) -> dict[str, Any]:
        return self._call("DeleteItem", params)

    def query(self, **params: Any) -> dict[str, Any]:
        return self._call("Query", params)

    def scan(self, **params: Any) -> dict[str, Any]:
        return self._call("Scan", params)

    def _pages(self, op: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        request = serialize_request(op, _with_table(self.name, params))
        for page in pages(lambda p: self.client.invoke(op, p), op, request):
            yield deserialize_response(op, page)

    def query_pages(self, **params: Any) -> Iterator[dict[str, Any]]:
        """Every Query page (plain values), following LastEvaluatedKey."""
        return self._pages("Query", params)

    def scan_pages(self, **params: Any) -> Iterator[dict[str, Any]]:
        """Every Scan page (plain values), following LastEvaluatedKey."""
        return self._pages("Scan", params)

    def batch_writer(
        self, overwrite_by_pkeys: Sequence[str] | None = None, flush_amount: int = 25
    ) -> BatchWriter:
        buffer = WriteBuffer(
            self.name, self.client.config.retry, flush_amount,
            tuple(overwrite_by_pkeys) if overwrite_by_pkeys else None,
        )
        return BatchWriter(lambda p: self.client.invoke("BatchWriteItem", p), buffer)


class AsyncTable:
    """asyncio table view; create with ``AsyncKuraClient.Table(name)``."""

    def __init__(self, client: AsyncKuraClient, name: str) -> None:
        self.client = client
        self.name = name

    @property
    def table_name(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"AsyncTable(name={self.name!r})"

    async def _call(self, op: str, params: dict[str, Any]) -> dict[str, Any]:
        request = serialize_request(op, _with_table(self.name, params))
        return deserialize_response(op, await self.client.invoke(op, request))

    async def put_item(self, **params: Any) -> dict[str, Any]:
        return await self._call("PutItem", params)

    async def get_item(self, **params: Any) -> dict[str, Any]:
        return await self._call("GetItem", params)

    async def update_item(self, **params: Any) -> dict[str, Any]:
        return await self._call("UpdateItem", params)

    async def delete_item(self, **params: Any) -> dict[str, Any]:
        return await self._call("DeleteItem", params)

    async def query(self, **params: Any) -> dict[str, Any]:
        return await self._call("Query", params)

    async def scan(self, **params: Any) -> dict[str, Any]:
        return await self._call("Scan", params)

    async def _pages(self, op: str, params: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        request = serialize_request(op, _with_table(self.name, params))
        async for page in apages(lambda p: self.client.invoke(op, p), op, request):
            yield deserialize_response(op, page)

    def query_pages(self, **params: Any) -> AsyncIterator[dict[str, Any]]:
        return self._pages("Query", params)

    def scan_pages(self, **params: Any) -> AsyncIterator[dict[str, Any]]:
        return self._pages("Scan", params)

    async def parallel_scan(
        self, *, TotalSegments: int, max_concurrency: int | None = None, **params: Any  # noqa: N803
    ) -> AsyncIterator[dict[str, Any]]:
        """Pages (plain values) of all segments, fetched concurrently, in arrival order."""
        request = serialize_request("Scan", _with_table(self.name, params))
        async for page in parallel_scan(
            lambda p: self.client.invoke("Scan", p), request, TotalSegments, max_concurrency
        ):
            yield deserialize_response("Scan", page)

    def batch_writer(
        self, overwrite_by_pkeys: Sequence[str] | None = None, flush_amount: int = 25
    ) -> AsyncBatchWriter:
        buffer = WriteBuffer(
            self.name, self.client.config.retry, flush_amount,
            tuple(overwrite_by_pkeys) if overwrite_by_pkeys else None,
        )
        return AsyncBatchWriter(lambda p: self.client.invoke("BatchWriteItem", p), buffer)
