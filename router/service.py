"""The router's request handling: the DynamoDB API (kuradb.v1.DynamoDB) on top of the partition map.

Rules:

* Requests are converted once (kuradb/wire.py), validated by the same parsers the nodes use
  (kuradb/operations.py) against the table's TableInfo from the map, and forwarded as the
  DynamoDB-shaped dict. An unknown table is answered ResourceNotFoundException "Requested
  resource not found" only after one map reload (a table created a moment ago through another
  router is not an error).
* One request id per client call: the client's ``x-kuradb-request-id`` metadata, else a fresh
  one; every retry of every node request of that call reuses it. A BatchWriteItem write gets a
  per-item id derived from (call id, table, item key), so a client retrying the whole call with
  the same id is deduplicated item by item, and two items never share an id.
* Writes and ConsistentRead=true go STRONG (leader); other reads EVENTUAL (nearest replica).
* Batch*: items are grouped by partition and all groups run concurrently; an item that still
  fails with a retryable availability error (throttled, unavailable, outcome unknown) comes back
  in UnprocessedKeys / UnprocessedItems instead of failing the call — unless NO item succeeded
  and all failed throttled, which DynamoDB reports as the throttling error itself. A
  non-retryable error (a bug or a table deleted meanwhile) fails the call.
* Query goes to the partition of its partition key. Scan walks the table's partitions in hash
  order (restricted to the segment's slice ``[i*2**64//T, (i+1)*2**64//T)`` for a parallel scan),
  continuing into the next partition while Limit allows; a page that stops inside a partition
  returns the node's LastEvaluatedKey, and the next call resumes in the partition holding that
  key's hash. When the walk must stop exactly at a partition boundary (the 1 MB page budget),
  it asks the next non-empty partition for one item so the LastEvaluatedKey is a real key.
* ConsumedCapacity: the nodes always report units; the router sums them per table and returns
  them only when asked — TOTAL as {TableName, CapacityUnits}, INDEXES adding {Table:
  {CapacityUnits}} — as one dict for single-table operations and a list for Batch*.
* Table operations go to the coordinator unchanged; a successful one triggers a map reload so
  this router sees its own CreateTable / DeleteTable at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

import grpc

from kuradb import wire
from kuradb.errors import (
    InternalServerError,
    KuraError,
    ProvisionedThroughputExceededException,
    ResourceNotFoundException,
    ThrottlingException,
    UnknownOperationException,
    ValidationException,
)
from kuradb.keys import partition_hash
from kuradb.model.names import validate_table_name
from kuradb.model.schema import TableInfo
from kuradb.operations import (
    MSG_TABLE_NOT_FOUND,
    PARSERS,
    WRITE_OPERATIONS,
    PutItem,
    parse_batch_get_item,
    parse_batch_write_item,
    parse_query,
    parse_scan,
)
from kuradb.proto import dynamodb_pb2_grpc as dpb_grpc
from kuradb.router.executor import Answer, Executor
from kuradb.router.metrics import RouterMetrics
from kuradb.router.partition_map import PartitionMap
from kuradb.router.policy import Consistency

log = logging.getLogger("kuradb.router")

REQUEST_ID_METADATA = "x-kuradb-request-id"
DEFAULT_TIMEOUT_S = 10.0
PAGE_BYTES = 1 << 20
RCU_BYTES = 4096
TABLE_OPERATIONS = frozenset({"CreateTable", "DescribeTable", "UpdateTable", "DeleteTable", "ListTables"})
_THROTTLES = (ThrottlingException, ProvisionedThroughputExceededException)

Item = dict[str, Any]


def new_request_id() -> bytes:
    return os.urandom(16)


def _capacity(units: Mapping[str, float], mode: str) -> list[dict[str, Any]]:
    out = []
    for table, u in units.items():
        entry: dict[str, Any] = {"TableName": table, "CapacityUnits": u}
        if mode == "INDEXES":
            entry["Table"] = {"CapacityUnits": u}
        out.append(entry)
    return out


def _units(result: Mapping[str, Any]) -> float:
    cc = result.get("ConsumedCapacity")
    return float(cc.get("CapacityUnits", 0.0)) if isinstance(cc, dict) else 0.0


def _single_table_result(node_result: Mapping[str, Any], table: str, return_consumed: str) -> dict[str, Any]:
    """A one-partition answer as the client asked for it: the node always reports its units;
    ConsumedCapacity stays only when requested, reshaped per ReturnConsumedCapacity."""
    result = dict(node_result)
    units = _units(result)
    result.pop("ConsumedCapacity", None)
    if return_consumed != "NONE":
        result["ConsumedCapacity"] = _capacity({table: units}, return_consumed)[0]
    return result


class Router:
    """Executes DynamoDB operations given as internal dicts (shared by every front end)."""

    def __init__(self, pmap: PartitionMap, executor: Executor, default_timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.pmap = pmap
        self.executor = executor
        self.coordinator = executor.coordinator
        self.default_timeout_s = default_timeout_s

    async def execute(self, operation: str, request: dict[str, Any], request_id: bytes, deadline: float) -> dict[str, Any]:
        """Run one API call. ``request_id`` is reused by every node retry of the call; ``deadline``
        is absolute (``time.time()`` based). Raises the KuraError the caller should see."""
        if operation in TABLE_OPERATIONS:
            out = await self.coordinator.table_operation(operation, request)
            if operation != "DescribeTable" and operation != "ListTables":
                await self.coordinator.reload()
            return out
        if operation in PARSERS and operation not in ("Query", "Scan"):
            return await self._item(operation, request, request_id, deadline)
        if operation == "Query":
            return await self._query(request, request_id, deadline)
        if operation == "Scan":
            return await self._scan(request, request_id, deadline)
        if operation == "BatchGetItem":
            return await self._batch_get(request, request_id, deadline)
        if operation == "BatchWriteItem":
            return await self._batch_write(request, request_id, deadline)
        raise UnknownOperationException(f"Unknown operation: {operation}")

    async def _table(self, request: Mapping[str, Any]) -> TableInfo:
        table = await self._known_table(validate_table_name(request.get("TableName")))
        if table is None:
            raise ResourceNotFoundException(MSG_TABLE_NOT_FOUND)
        return table

    async def _known_table(self, name: str) -> TableInfo | None:
        """The table's info, reloading the map once if this router has not seen it yet."""
        table = self.pmap.table(name)
        if table is None:
            await self.coordinator.reload()
            table = self.pmap.table(name)
        return table

    async def _tables(self, names: Any) -> dict[str, TableInfo]:
        """TableInfos of the Batch* request's tables that exist (the parser reports the others)."""
        out = {}
        for name in names if isinstance(names, dict) else ():
            table = await self._known_table(name) if isinstance(name, str) else None
            if table is not None:
                out[name] = table
        return out

    # ------------------------------------------------------------------ single items

    async def _item(self, op_name: str, req: dict[str, Any], request_id: bytes, deadline: float) -> dict[str, Any]:
        table = await self._table(req)
        op = PARSERS[op_name](req, table)
        is_write = op_name in WRITE_OPERATIONS
        consistency = Consistency.STRONG if is_write or op.consistent_read else Consistency.EVENTUAL
        answer = await self.executor.execute(op_name, table, table.partition_hash(op.key), req, request_id,
                                             consistency, deadline, is_write)  # fmt: skip
        return _single_table_result(answer.result, table.name, op.return_consumed)

    async def _query(self, request: dict[str, Any], request_id: bytes, deadline: float) -> dict[str, Any]:
        table = await self._table(request)
        op = parse_query(request, table)
        assert op.expr.key_condition is not None
        h = partition_hash(op.expr.key_condition.hash_value)
        consistency = Consistency.STRONG if op.consistent_read else Consistency.EVENTUAL
        answer = await self.executor.execute("Query", table, h, request, request_id, consistency, deadline, False)
        return _single_table_result(answer.result, table.name, op.return_consumed)

    # ------------------------------------------------------------------ scan

    async def _scan(self, request: dict[str, Any], request_id: bytes, deadline: float) -> dict[str, Any]:
        table = await self._table(request)
        op = parse_scan(request, table)
        lo, hi = op.hash_range()
        consistency = Consistency.STRONG if op.consistent_read else Consistency.EVENTUAL
        esk = op.exclusive_start_key
        cursor = table.partition_hash(esk) if esk is not None else lo
        remaining = op.limit
        items: list[Item] = []
        count = scanned = 0
        units = 0.0
        lek: Item | None = None
        probing = False  # asking the next partition for one item to obtain a real LastEvaluatedKey
        while cursor < hi:
            sub = {k: v for k, v in request.items() if k != "ExclusiveStartKey"}
            if esk is not None:
                sub["ExclusiveStartKey"] = esk
            if probing:
                sub["Limit"] = 1
            elif remaining is not None:
                sub["Limit"] = remaining
            answer: Answer = await self.executor.execute("Scan", table, cursor, sub, request_id, consistency, deadline, False)
            page = answer.result
            esk = None
            items.extend(page.get("Items", []))
            count += int(page.get("Count", 0))
            scanned += int(page.get("ScannedCount", 0))
            page_units = _units(page)
            units += page_units
            if "LastEvaluatedKey" in page:
                lek = page["LastEvaluatedKey"]
                break
            cursor = answer.partition.end_h
            if remaining is not None:
                # > 0 still: a node whose page reaches Limit always returns a LastEvaluatedKey.
                remaining -= int(page.get("ScannedCount", 0))
            if not probing and self._bytes_read(units, op.consistent_read) >= PAGE_BYTES and cursor < hi:
                probing = True
        result: dict[str, Any] = {"Count": count, "ScannedCount": scanned}
        if op.select != "COUNT":
            result["Items"] = items
        if lek is not None:
            result["LastEvaluatedKey"] = lek
        if op.return_consumed != "NONE":
            result["ConsumedCapacity"] = _capacity({table.name: units}, op.return_consumed)[0]
        return result

    @staticmethod
    def _bytes_read(units: float, consistent: bool) -> float:
        """Approximate bytes read so far, from the read units charged (4 KB per unit, halved
        for eventual reads): the page budget needs no extra field in the node's answer."""
        return units * RCU_BYTES * (1 if consistent else 2)

    # ------------------------------------------------------------------ batches

    async def _batch_get(self, request: dict[str, Any], request_id: bytes, deadline: float) -> dict[str, Any]:
        tables = await self._tables(request.get("RequestItems"))
        batch = parse_batch_get_item(request, tables)
        jobs: list[tuple[str, TableInfo, Any]] = []
        for bt in batch.tables:
            for get in bt.gets:
                jobs.append((bt.table.name, bt.table, get))

        async def one(table: TableInfo, get: Any) -> dict[str, Any]:
            consistency = Consistency.STRONG if get.consistent_read else Consistency.EVENTUAL
            answer = await self.executor.execute("GetItem", table, table.partition_hash(get.key), dict(get.request),
                                                 request_id, consistency, deadline, False)  # fmt: skip
            return answer.result

        outcomes = await _grouped(jobs, lambda j: (j[1].table_id, self._partition_of(j[1], j[2].key)), lambda j: one(j[1], j[2]))
        responses: dict[str, list[Item]] = {bt.table.name: [] for bt in batch.tables}
        unprocessed: dict[str, dict[str, Any]] = {}
        units: dict[str, float] = defaultdict(float)
        failures: list[KuraError] = []
        raw_items = request["RequestItems"]
        for (name, _, get), outcome in zip(jobs, outcomes, strict=True):
            if isinstance(outcome, KuraError):
                failures.append(outcome)
                entry = unprocessed.setdefault(name, {k: v for k, v in raw_items[name].items() if k != "Keys"} | {"Keys": []})
                entry["Keys"].append(get.key)
                continue
            units[name] += _units(outcome)
            if "Item" in outcome:
                responses[name].append(outcome["Item"])
        _raise_if_all_throttled(failures, len(jobs))
        result: dict[str, Any] = {"Responses": responses, "UnprocessedKeys": unprocessed}
        if batch.return_consumed != "NONE":
            result["ConsumedCapacity"] = _capacity(units, batch.return_consumed)
        return result

    async def _batch_write(self, request: dict[str, Any], request_id: bytes, deadline: float) -> dict[str, Any]:
        tables = await self._tables(request.get("RequestItems"))
        batch = parse_batch_write_item(request, tables)
        originals = [(name, w) for name, writes in request["RequestItems"].items() for w in writes]
        jobs = []
        for (name, original), op in zip(originals, batch.writes, strict=True):
            jobs.append((name, op.table, op, original))

        async def one(table: TableInfo, op: Any) -> dict[str, Any]:
            name = "PutItem" if isinstance(op, PutItem) else "DeleteItem"
            rid = _item_request_id(request_id, table, op.key)
            answer = await self.executor.execute(name, table, table.partition_hash(op.key), dict(op.request), rid,
                                                 Consistency.STRONG, deadline, True)  # fmt: skip
            return answer.result

        outcomes = await _grouped(jobs, lambda j: (j[1].table_id, self._partition_of(j[1], j[2].key)), lambda j: one(j[1], j[2]))
        unprocessed: dict[str, list[Any]] = {}
        units: dict[str, float] = defaultdict(float)
        failures: list[KuraError] = []
        for (name, _, _, original), outcome in zip(jobs, outcomes, strict=True):
            if isinstance(outcome, KuraError):
                failures.append(outcome)
                unprocessed.setdefault(name, []).append(original)
            else:
                units[name] += _units(outcome)
        _raise_if_all_throttled(failures, len(jobs))
        result: dict[str, Any] = {"UnprocessedItems": unprocessed}
        if batch.return_consumed != "NONE":
            result["ConsumedCapacity"] = _capacity(units, batch.return_consumed)
        return result

    def _partition_of(self, table: TableInfo, key: Item) -> int:
        p = self.pmap.lookup(table.table_id, table.partition_hash(key))
        return p.partition_id if p is not None else 0


def _item_request_id(call_id: bytes, table: TableInfo, key: Item) -> bytes:
    h = hashlib.blake2b(call_id, digest_size=16)
    h.update(table.table_id.to_bytes(8, "big"))
    h.update(table.data_key(key))
    return h.digest()


async def _grouped(jobs: list[Any], group_of: Callable[[Any], Any], run: Callable[[Any], Any]) -> list[Any]:
    """Run every job, all partition groups concurrently (items of a group too: the node
    group-commits them); a retryable KuraError becomes that job's outcome instead of failing
    everything, any other error fails the call. Results come back in job order."""
    groups: dict[Any, list[int]] = defaultdict(list)
    for i, job in enumerate(jobs):
        groups[group_of(job)].append(i)
    outcomes: list[Any] = [None] * len(jobs)

    async def run_one(i: int) -> None:
        try:
            outcomes[i] = await run(jobs[i])
        except KuraError as e:
            if not e.retryable:
                raise
            outcomes[i] = e

    async def run_group(indexes: list[int]) -> None:
        await asyncio.gather(*(run_one(i) for i in indexes))

    await asyncio.gather(*(run_group(ix) for ix in groups.values()))
    return outcomes


def _raise_if_all_throttled(failures: list[KuraError], total: int) -> None:
    if total and len(failures) == total and all(isinstance(f, _THROTTLES) for f in failures):
        raise failures[0]


# ---------------------------------------------------------------------------- gRPC front end


class DynamoDBService(dpb_grpc.DynamoDBServicer):
    """kuradb.v1.DynamoDB over grpc.aio: proto <-> dict, request id, deadline, errors, metrics."""

    def __init__(self, router: Router, metrics: RouterMetrics) -> None:
        self.router = router
        self.metrics = metrics

    async def handle(self, operation: str, request: Any, context: grpc.aio.ServicerContext) -> Any:
        t0 = time.perf_counter()
        code = "OK"
        try:
            rid = _request_id(context)
            left = context.time_remaining()
            timeout = self.router.default_timeout_s if left is None else min(left, self.router.default_timeout_s)
            req = wire.request_to_dict(request)
            result = await self.router.execute(operation, req, rid, time.time() + timeout)
            return wire.dict_to_response(operation, result)
        except KuraError as e:
            code = e.name
            status, message, metadata = wire.error_to_status(e)
            context.set_trailing_metadata(metadata)
            await context.abort(status, message)
        except asyncio.CancelledError:
            code = "Cancelled"
            raise
        except Exception:
            if context.done():
                raise
            code = InternalServerError.name
            log.exception("unexpected error in %s", operation)
            status, message, metadata = wire.error_to_status(InternalServerError("Internal server error"))
            context.set_trailing_metadata(metadata)
            await context.abort(status, message)
        finally:
            self.metrics.requests.labels(operation, code).inc()
            self.metrics.request_seconds.labels(operation).observe(time.perf_counter() - t0)


def _request_id(context: grpc.aio.ServicerContext) -> bytes:
    for key, value in context.invocation_metadata() or ():
        if key == REQUEST_ID_METADATA and value:
            raw = value if isinstance(value, bytes) else value.encode("utf-8")
            if len(raw) > 128:
                raise ValidationException(f"{REQUEST_ID_METADATA} must be at most 128 bytes")
            return raw
    return new_request_id()


def _rpc(operation: str) -> Callable[..., Any]:
    async def method(self: DynamoDBService, request: Any, context: grpc.aio.ServicerContext) -> Any:
        return await self.handle(operation, request, context)

    method.__name__ = operation
    method.__doc__ = f"The {operation} RPC (see DynamoDBService.handle)."
    return method


for _op in wire.OPERATION_NAMES:
    setattr(DynamoDBService, _op, _rpc(_op))
