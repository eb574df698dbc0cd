"""Send one data request to the partition holding a hash, retrying per the policies.

Rules:

* Each attempt re-routes from the CURRENT cache: partition = the one holding ``h`` (a key's
  partition hash, or a scan's cursor), node = RoutingPolicy's choice. So after a split
  (EPOCH_NOT_MATCH) or a leader change the next attempt lands on the right replica.
* Every attempt carries the SAME request id (the node's dedup table makes a retried write apply
  at most once) and the caller's absolute deadline; an attempt's gRPC timeout is what remains.
* A DynamoError from the node is the answer, never retried: it is raised as the KuraError of
  that name (a failed condition keeps its old item). A PartitionError or a transport failure
  is handed to RetryPolicy, whose Decision is carried out here (cache update, map reload,
  sleep) — the only place that mutates the cache on the request path.
* If the table disappeared from a reloaded map, the answer is ResourceNotFoundException.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import grpc

from kuradb.errors import ConditionalCheckFailedException, KuraError, ResourceNotFoundException, error_from_name
from kuradb.model.schema import TableInfo
from kuradb.node.descriptor import PartitionDescriptor
from kuradb.operations import MSG_TABLE_NOT_FOUND
from kuradb.proto import internal_pb2 as ipb
from kuradb.router.channels import NodeChannels
from kuradb.router.coordinator_client import CoordinatorClient
from kuradb.router.metrics import RouterMetrics
from kuradb.router.partition_map import PartitionMap
from kuradb.payload import pack, unpack
from kuradb.router.policy import Action, CacheAction, Consistency, Decision, RetryPolicy, RoutingPolicy


@dataclass(frozen=True, slots=True)
class Answer:
    """A node's successful result and the partition that produced it (scans continue after it)."""

    result: dict[str, Any]
    partition: PartitionDescriptor


class Executor:
    def __init__(
        self,
        pmap: PartitionMap,
        coordinator: CoordinatorClient,
        channels: NodeChannels,
        metrics: RouterMetrics,
        az: str = "",
        routing: RoutingPolicy | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.pmap = pmap
        self.coordinator = coordinator
        self.channels = channels
        self.metrics = metrics
        self.az = az
        self.routing = routing or RoutingPolicy()
        self.retry = retry or RetryPolicy()

    async def execute(
        self,
        operation: str,
        table: TableInfo,
        h: int,
        request: dict[str, Any],
        request_id: bytes,
        consistency: Consistency,
        deadline: float,
        is_write: bool,
    ) -> Answer:
        """Run ``operation`` on the partition of ``table`` holding hash ``h``; ``deadline`` is
        ``time.time()``-based (it travels to the node as ``deadline_unix``)."""
        payload = pack(request)
        avoid: set[int] = set()
        attempt = 0
        while True:
            attempt += 1
            remaining = deadline - time.time()
            part = self.pmap.lookup(table.table_id, h)
            node = None
            if part is not None:
                node = self.routing.choose(part, consistency, self.az, self.pmap.leader(part.partition_id), frozenset(avoid))
            address = self.pmap.address(node) if node is not None else None
            if part is None or node is None or address is None:
                await self._carry_out(self.retry.on_no_route(attempt, remaining), None, None, None, avoid)
                self._check_table(table)
                continue
            header = ipb.RequestHeader(
                partition_id=part.partition_id,
                epoch=part.epoch.to_pb(),
                request_id=request_id,
                consistency=ipb.STRONG if consistency is Consistency.STRONG else ipb.EVENTUAL,
                deadline_unix=deadline,
            )
            data = ipb.DataRequest(header=header, operation=operation, payload=payload)
            try:
                resp: ipb.DataResponse = await self.channels.data_stub(node, address).Execute(data, timeout=max(remaining, 0.001))
            except grpc.aio.AioRpcError as e:
                maybe_sent = e.code() != grpc.StatusCode.UNAVAILABLE
                decision = self.retry.on_transport_error(attempt, deadline - time.time(), maybe_sent, is_write)
                await self._carry_out(decision, part, node, None, avoid)
                continue
            kind = resp.WhichOneof("outcome")
            if kind == "result":
                result = unpack(resp.result)
                if not isinstance(result, dict):
                    raise error_from_name("InternalServerError", "Internal server error: malformed node answer")
                return Answer(result, part)
            if kind == "dynamo_error":
                raise _dynamo_error(resp.dynamo_error)
            decision = self.retry.on_partition_error(resp.error, attempt, deadline - time.time())
            await self._carry_out(decision, part, node, resp.error, avoid)
            if decision.reload_map:
                self._check_table(table)

    def _check_table(self, table: TableInfo) -> None:
        current = self.pmap.table(table.name)
        if self.pmap.tables and (current is None or current.table_id != table.table_id):
            raise ResourceNotFoundException(MSG_TABLE_NOT_FOUND)

    async def _carry_out(
        self,
        d: Decision,
        part: PartitionDescriptor | None,
        node: int | None,
        error: ipb.PartitionError | None,
        avoid: set[int],
    ) -> None:
        """Apply the decision's cache action, then fail, or reload/sleep before the next attempt."""
        reload_map = d.reload_map
        if part is not None:
            pid = part.partition_id
            if d.cache is CacheAction.SET_LEADER and error is not None:
                self.pmap.set_leader(pid, error.leader_node_id, error.leader_address)
                avoid.discard(error.leader_node_id)
                if not any(r.node_id == error.leader_node_id for r in part.replicas):
                    reload_map = True  # our descriptor predates the membership change
            elif d.cache is CacheAction.FORGET_LEADER:
                self.pmap.forget_leader(pid)
            elif d.cache is CacheAction.APPLY_CURRENT and error is not None:
                if not self.pmap.apply_current(error.current) and node is not None:
                    # Nothing newer than what we hold: this replica lags behind the split or
                    # membership change. Ask elsewhere and refresh the map.
                    avoid.add(node)
                    reload_map = True
            elif d.cache is CacheAction.INVALIDATE:
                self.pmap.invalidate(pid)
            elif d.cache is CacheAction.AVOID_NODE and node is not None:
                avoid.add(node)
                self.pmap.forget_leader(pid, node)
        if d.action is Action.FAIL:
            assert d.error is not None
            raise d.error
        self.metrics.retries.labels(d.reason).inc()
        if reload_map:
            await self.coordinator.reload()
        if d.delay_s > 0:
            await asyncio.sleep(d.delay_s)


def _dynamo_error(e: ipb.DynamoError) -> KuraError:
    if e.name == ConditionalCheckFailedException.name:
        return ConditionalCheckFailedException(e.message, item=unpack(e.item) if e.item else None)
    return error_from_name(e.name, e.message)
