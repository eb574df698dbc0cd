"""The Coordinator gRPC service (proto/kuradb/proto/coordinator.proto).

Rules:

* Only the Raft leader answers; a follower answers ``not_leader`` with the leader's address, or
  "?" while no leader is known (coordinator.proto rule 1).
* Writes (CreateTable, UpdateTable, DeleteTable, node registration, map-changing reports) are
  validated statelessly here, then proposed as commands; what depends on the catalog is decided
  when the command applies (coordinator/state.py). The time a command carries is read here, on
  the leader, once — never during apply.
* Reads of the catalog (DescribeTable, ListTables) pass a ReadIndex barrier first, so a deposed
  leader cannot answer from a stale catalog. Partition maps are served from the leader's state
  without a barrier: the map is a cache the router re-validates through epochs anyway.
* Heartbeats: every report goes to the volatile :class:`ReportBook`; a command is proposed only
  when the node is new or changed, when its committed heartbeat time is older than
  ``heartbeat_commit_s`` (liveness is judged from the committed time), or when a report carries
  a newer descriptor epoch or a new leader. A reported replica of a partition whose table no
  longer exists (an orphan, e.g. its node was down during DeleteTable) is deleted.
* WatchPartitionMap sends the full map at once when ``known_version`` differs from the current
  one (0 always differs) and again on every change of ``map_version``; it ends with a
  ``not_leader`` map when this member loses leadership.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import grpc
import msgpack
from prometheus_client import CollectorRegistry, Counter

from kuradb.coordinator import mapview
from kuradb.coordinator.raft_host import NotLeader, RaftHost
from kuradb.coordinator.reconciler import Reconciler, ReconcilerConfig
from kuradb.coordinator.reports import ReportBook
from kuradb.coordinator.state import (
    ACTIVE,
    CoordinatorMachine,
    CoordinatorState,
    NodeRecord,
    Outcome,
    cmd_create_table,
    cmd_delete_table,
    cmd_heartbeat,
    cmd_reports,
    cmd_update_table,
    encode_command,
)
from kuradb.coordinator.tables import parse_create_table, parse_list_tables, parse_table_name, parse_update_table
from kuradb.payload import pack, unpack
from kuradb.errors import InternalServerError, KuraError, UnknownOperationException, ValidationException
from kuradb.proto import coordinator_pb2 as cpb
from kuradb.proto import coordinator_pb2_grpc as cpb_grpc
from kuradb.proto import internal_pb2 as ipb

__all__ = ["CoordinatorCore", "CoordinatorService", "ServiceConfig"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    replication_factor: int = 3
    liveness_timeout_s: float = 10.0
    heartbeat_commit_s: float = 3.0  # refresh a node's committed heartbeat at most this often
    command_timeout_s: float = 5.0
    # CreateTable returns TableStatus CREATING, as DynamoDB does, but only after waiting (at most
    # this long) for the table to become ACTIVE: a DescribeTable or a boto3 table_exists waiter
    # right after CreateTable then sees ACTIVE instead of polling for 20 s.
    create_wait_s: float = 8.0


class _Signal:
    """Wakes every waiter on each :meth:`notify` (map watchers)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    def current(self) -> asyncio.Event:
        """The event the NEXT notify sets: take it before checking, then wait on it."""
        return self._event


class CoordinatorCore:
    """The coordinator's logic over its Raft host, independent of gRPC (tests call it directly)."""

    def __init__(
        self,
        host: RaftHost,
        machine: CoordinatorMachine,
        config: ServiceConfig = ServiceConfig(),
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.host = host
        self.machine = machine
        self.config = config
        self.clock = clock
        self.reports = ReportBook()
        self.changed = _Signal()
        host.add_listener(self.changed.notify)
        self.reconciler = Reconciler(
            host, self.state, self.reports, clock, ReconcilerConfig(liveness_timeout_s=config.liveness_timeout_s)
        )

    def state(self) -> CoordinatorState:
        return self.machine.state

    def start(self) -> None:
        self.reconciler.start()

    async def stop(self) -> None:
        await self.reconciler.stop()

    async def commit(self, cmd: dict[str, Any]) -> Any:
        outcome: Outcome = await self.host.propose(encode_command(cmd), self.config.command_timeout_s)
        return outcome.unwrap()

    # ------------------------------------------------------------------ table operations

    async def table_operation(self, op: str, req: dict[str, Any]) -> dict[str, Any]:
        """Run one DynamoDB table operation; raises KuraError, NotLeader or TimeoutError."""
        if op == "CreateTable":
            spec = parse_create_table(req)
            cmd = cmd_create_table(spec, self.clock(), self.config.replication_factor, self.config.liveness_timeout_s)
            rec = await self.commit(cmd)
            self.reconciler.wake()
            await self._wait_until_active(rec.spec.name)
            return {"TableDescription": mapview.describe(rec, self.reports)}
        if op == "UpdateTable":
            rec = await self.commit(cmd_update_table(parse_update_table(req), self.clock()))
            return {"TableDescription": mapview.describe(rec, self.reports)}
        if op == "DeleteTable":
            rec = await self.commit(cmd_delete_table(parse_table_name(req), self.clock()))
            self.reconciler.wake()
            return {"TableDescription": mapview.describe(rec, self.reports)}
        if op == "DescribeTable":
            name = parse_table_name(req)
            await self.host.read_barrier(self.config.command_timeout_s)
            return {"Table": mapview.describe(self.state().table(name), self.reports)}
        if op == "ListTables":
            lr = parse_list_tables(req)
            await self.host.read_barrier(self.config.command_timeout_s)
            names, last = self.state().list_tables(lr.exclusive_start, lr.limit)
            out: dict[str, Any] = {"TableNames": names}
            if last is not None:
                out["LastEvaluatedTableName"] = last
            return out
        raise UnknownOperationException(f"Unknown table operation: {op}")

    async def _wait_until_active(self, name: str) -> None:
        """Wait (bounded by ``create_wait_s``) until table ``name`` is ACTIVE, or gone, or this
        member is no longer the leader. Never an error: the table is created either way."""
        try:
            async with asyncio.timeout(self.config.create_wait_s):
                while self.host.is_leader:
                    changed = self.changed.current()  # taken before the check: no lost wake-up
                    t = self.state().tables.get(name)
                    if t is None or t.status == ACTIVE:
                        return
                    await changed.wait()
        except TimeoutError:
            log.info("table %s not ACTIVE after %.1fs; CreateTable answers anyway", name, self.config.create_wait_s)

    # ------------------------------------------------------------------ heartbeats

    async def heartbeat(self, req: cpb.HeartbeatRequest) -> None:
        if not self.host.is_leader:
            raise self.host.not_leader()
        n = req.node
        if n.node_id <= 0 or not n.address or not n.az:
            raise ValidationException("a heartbeat needs node_id > 0, address and az")
        now = self.clock()
        node = NodeRecord(n.node_id, n.address, n.az, max(1, n.capacity), n.metrics_address, now)
        stored = self.reports.ingest(n.node_id, req.partitions, now)
        state = self.state()
        cur = state.nodes.get(n.node_id)
        if cur is None or not cur.same_registration(node) or now - cur.last_heartbeat >= self.config.heartbeat_commit_s:
            await self.commit(cmd_heartbeat(node, now))
            state = self.state()
        descriptors = []
        leaders = []
        for sr in stored:
            d = sr.descriptor
            if state.is_orphan(d):
                self.reconciler.delete_orphan(n.address, d.partition_id)
                continue
            if state.accepts_descriptor(d):
                descriptors.append(d)
            elif d.partition_id not in state.partitions:
                continue
            if sr.report.is_leader and state.accepts_leader(d.partition_id, sr.report.replica_id, sr.report.term):
                leaders.append((d.partition_id, sr.report.replica_id, sr.report.term))
        if descriptors or leaders:
            await self.commit(cmd_reports(descriptors, leaders))

    # ------------------------------------------------------------------ maps and status

    def partition_map(self) -> cpb.PartitionMap:
        if not self.host.is_leader:
            return cpb.PartitionMap(not_leader=self.host.leader_address() or "?")
        return mapview.partition_map(self.state(), self.reports, self.clock(), self.config.liveness_timeout_s)

    async def watch(self, known_version: int) -> AsyncIterator[cpb.PartitionMap]:
        known = known_version
        while True:
            changed = self.changed.current()
            if not self.host.is_leader:
                yield cpb.PartitionMap(not_leader=self.host.leader_address() or "?")
                return
            if known == 0 or self.state().map_version != known:
                m = self.partition_map()
                known = m.map_version or -1
                yield m
            await changed.wait()

    def status(self) -> cpb.StatusResponse:
        return cpb.StatusResponse(
            map=self.partition_map(),
            reports=self.reports.all(),
            leader_address=self.host.leader_address(),
            members=[addr for _, addr in sorted(self.host.config.members.items())],
        )


class _ServiceMetrics:
    """Low-cardinality labels only: operation names are a fixed set, results are error names."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "kuradb_coordinator_table_operations", "Table operations answered", ["op", "result"], registry=registry
        )
        self.heartbeats = Counter("kuradb_coordinator_heartbeats", "Node heartbeats received", registry=registry)


def _dynamo_error(e: KuraError) -> ipb.DynamoError:
    return ipb.DynamoError(name=e.name, message=e.message)


class CoordinatorService(cpb_grpc.CoordinatorServicer):
    """gRPC face of :class:`CoordinatorCore`."""

    def __init__(self, core: CoordinatorCore, registry: CollectorRegistry | None = None) -> None:
        self.core = core
        self.metrics = _ServiceMetrics(registry if registry is not None else CollectorRegistry())

    async def Heartbeat(self, request: cpb.HeartbeatRequest, context: grpc.aio.ServicerContext) -> cpb.HeartbeatResponse:  # noqa: N802
        self.metrics.heartbeats.inc()
        try:
            await self.core.heartbeat(request)
        except NotLeader as e:
            return cpb.HeartbeatResponse(not_leader=e.leader_address or "?")
        except ValidationException as e:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, e.message)
        except TimeoutError as e:
            await context.abort(grpc.StatusCode.UNAVAILABLE, str(e))
        return cpb.HeartbeatResponse()

    async def TableOperation(self, request: cpb.TableRequest, context: grpc.aio.ServicerContext) -> cpb.TableResponse:  # noqa: N802
        op = request.operation
        try:
            try:
                req = unpack(request.payload) if request.payload else {}
            except (msgpack.UnpackException, ValueError) as e:
                raise ValidationException(f"Malformed request payload: {e}") from None
            if not isinstance(req, dict):
                raise ValidationException("Malformed request payload: expected a map")
            result = await self.core.table_operation(op, req)
        except NotLeader as e:
            self.metrics.requests.labels(op, "not_leader").inc()
            return cpb.TableResponse(not_leader=e.leader_address or "?")
        except KuraError as e:
            self.metrics.requests.labels(op, e.name).inc()
            return cpb.TableResponse(dynamo_error=_dynamo_error(e))
        except TimeoutError as e:
            self.metrics.requests.labels(op, "timeout").inc()
            return cpb.TableResponse(dynamo_error=_dynamo_error(InternalServerError(str(e))))
        self.metrics.requests.labels(op, "ok").inc()
        return cpb.TableResponse(result=pack(result))

    async def GetPartitionMap(self, request: cpb.WatchRequest, context: grpc.aio.ServicerContext) -> cpb.PartitionMap:  # noqa: N802
        return self.core.partition_map()

    async def WatchPartitionMap(  # noqa: N802
        self, request: cpb.WatchRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[cpb.PartitionMap]:
        async for m in self.core.watch(request.known_version):
            yield m

    async def Status(self, request: cpb.StatusRequest, context: grpc.aio.ServicerContext) -> cpb.StatusResponse:  # noqa: N802
        return self.core.status()
