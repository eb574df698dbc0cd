"""KuraDB's Python SDK: boto3-shaped sync and asyncio clients over the gRPC API.

* :class:`KuraClient` / :class:`AsyncKuraClient` — low-level, one method per DynamoDB
  operation (``put_item``, ``query``, ...), DynamoDB-shaped dicts in and out, errors raised as
  the :mod:`kuradb.errors` class DynamoDB names (also as ``client.exceptions.X``).
* ``client.Table(name)`` — plain Python values in and out, ``batch_writer()``, page iterators.
* :mod:`kuradb.client.retry` — retry policies; :mod:`kuradb.client.serializer` — boto3's
  TypeSerializer / TypeDeserializer; :mod:`kuradb.client.paginate` — paginators, parallel scan.
"""

from kuradb.client.aio import AsyncKuraClient
from kuradb.client.batch import AsyncBatchWriter, BatchWriteIncomplete, BatchWriter
from kuradb.client.client import KuraClient
from kuradb.client.paginate import AsyncPaginator, Paginator
from kuradb.client.retry import (
    REQUEST_ID_METADATA,
    AttemptTimeout,
    DeadlineExceeded,
    DefaultRetryPolicy,
    NoRetryPolicy,
    RetryDecision,
    RetryPolicy,
)
from kuradb.client.serializer import Binary, TypeDeserializer, TypeSerializer
from kuradb.client.table import AsyncTable, Table

__all__ = [
    "REQUEST_ID_METADATA",
    "AsyncBatchWriter",
    "AsyncKuraClient",
    "AsyncPaginator",
    "AsyncTable",
    "AttemptTimeout",
    "BatchWriteIncomplete",
    "BatchWriter",
    "Binary",
    "DeadlineExceeded",
    "DefaultRetryPolicy",
    "KuraClient",
    "NoRetryPolicy",
    "Paginator",
    "RetryDecision",
    "RetryPolicy",
    "Table",
    "TypeDeserializer",
    "TypeSerializer",
]
