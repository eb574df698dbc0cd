"""Drives tables through their lifecycle by calling the nodes' NodeAdmin API (leader only).

Rules:

* Level-triggered: every pass compares the committed state with what nodes report and does the
  next step; nothing depends on remembering an earlier pass (a new leader simply continues).
  The in-memory ``_created`` set only avoids repeating calls that already succeeded; losing
  it (failover) costs repeated, idempotent CreateReplica calls.
* CREATING: CreateReplica on each replica's node (an initial member, the descriptor listing the
  full voter set) until it succeeded once; when every partition of the table has a reported
  leader (a report received after the table was created), commit ``table_active``.
* DELETING: DeleteReplica on each replica's node; success and PARTITION_NOT_FOUND both mean
  "gone". A node that is not alive counts as done — its leftover replica is an orphan that the
  heartbeat handler deletes when the node returns (its table no longer exists). When every
  replica is gone, commit ``table_removed``.
* Orphans (a node reports a replica of a partition whose table no longer exists) are deleted
  on the next pass; the heartbeat handler only schedules them, so a heartbeat never waits on a
  call back to its own node.
* Only the coordinator leader acts; each pass re-checks leadership, and every commit goes
  through the Raft host, which refuses proposals on a non-leader.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

import grpc

from kuradb.coordinator.mapview import descriptor_pb
from kuradb.coordinator.raft_host import NotLeader, RaftHost
from kuradb.coordinator.reports import ReportBook
from kuradb.coordinator.state import (
    CREATING,
    DELETING,
    CoordinatorState,
    TableRecord,
    cmd_table_active,
    cmd_table_removed,
    encode_command,
)
from kuradb.proto import internal_pb2 as ipb
from kuradb.proto import internal_pb2_grpc as ipb_grpc

__all__ = ["NodeClients", "Reconciler", "ReconcilerConfig"]

log = logging.getLogger(__name__)


class NodeClients:
    """One gRPC channel (and NodeAdmin stub) per node address, opened lazily."""

    def __init__(self) -> None:
        self._stubs: dict[str, tuple[grpc.aio.Channel, ipb_grpc.NodeAdminStub]] = {}

    def admin(self, address: str) -> ipb_grpc.NodeAdminStub:
        entry = self._stubs.get(address)
        if entry is None:
            channel = grpc.aio.insecure_channel(address)
            entry = self._stubs[address] = (channel, ipb_grpc.NodeAdminStub(channel))
        return entry[1]

    async def close(self) -> None:
        for channel, _ in self._stubs.values():
            await channel.close()
        self._stubs.clear()


@dataclass(frozen=True, slots=True)
class ReconcilerConfig:
    interval_s: float = 0.5
    rpc_timeout_s: float = 5.0
    liveness_timeout_s: float = 10.0


class Reconciler:
    def __init__(
        self,
        host: RaftHost,
        state: Callable[[], CoordinatorState],
        reports: ReportBook,
        clock: Callable[[], float],
        config: ReconcilerConfig = ReconcilerConfig(),
        clients: NodeClients | None = None,
    ) -> None:
        self.host = host
        self._state = state
        self.reports = reports
        self.clock = clock
        self.config = config
        self.clients = clients if clients is not None else NodeClients()
        self._created: set[tuple[int, int]] = set()  # (partition id, replica id)
        self._orphans: set[tuple[str, int]] = set()  # (node address, partition id)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="coordinator-reconciler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
            self._task = None
        await self.clients.close()

    def wake(self) -> None:
        self._wake.set()

    def delete_orphan(self, address: str, partition_id: int) -> None:
        """Schedule DeleteReplica of a replica whose table no longer exists."""
        self._orphans.add((address, partition_id))
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), self.config.interval_s)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()
            if not self.host.is_leader:
                continue
            try:
                await self.reconcile_once()
            except (NotLeader, TimeoutError) as e:
                log.info("reconciler pass interrupted: %s", e)
            except Exception:
                log.exception("reconciler pass failed")

    async def reconcile_once(self) -> None:
        orphans, self._orphans = self._orphans, set()
        for address, pid in sorted(orphans):
            log.info("deleting orphan replica of partition %d on %s", pid, address)
            if await self.delete_replica(address, pid):
                self.reports.forget_partition(pid)
        for t in list(self._state().tables.values()):
            if t.status == CREATING:
                await self._create(t)
            elif t.status == DELETING:
                await self._delete(t)

    async def _create(self, t: TableRecord) -> None:
        state = self._state()
        calls = []
        for d in state.table_partitions(t):
            desc = descriptor_pb(state, d)
            for r in d.replicas:
                if (d.partition_id, r.replica_id) in self._created:
                    continue
                node = state.nodes.get(r.node_id)
                if node is None:
                    continue
                req = ipb.CreateReplicaRequest(descriptor=desc, replica_id=r.replica_id, initial_member=True)
                calls.append(self._call_create(node.address, d.partition_id, r.replica_id, req))
        if calls:
            await asyncio.gather(*calls)
        if all(self.reports.leader(pid, since=t.created_at) is not None for pid in t.partition_ids):
            await self.host.propose(encode_command(cmd_table_active(t.name, t.table_id)))
            log.info("table %s is ACTIVE", t.name)

    async def _call_create(self, address: str, pid: int, rid: int, req: ipb.CreateReplicaRequest) -> None:
        try:
            resp = await self.clients.admin(address).CreateReplica(req, timeout=self.config.rpc_timeout_s)
        except grpc.aio.AioRpcError as e:
            log.warning("CreateReplica of partition %d replica %d on %s failed: %s", pid, rid, address, e.details())
            return
        if resp.HasField("error"):
            log.warning("CreateReplica of partition %d replica %d on %s: %s", pid, rid, address, resp.error.message)
            return
        self._created.add((pid, rid))

    async def _delete(self, t: TableRecord) -> None:
        state = self._state()
        now = self.clock()
        calls = []
        for d in state.table_partitions(t):
            for r in d.replicas:
                node = state.nodes.get(r.node_id)
                if node is None or not node.alive(now, self.config.liveness_timeout_s):
                    continue  # an orphan if it ever returns (module rules)
                calls.append(self.delete_replica(node.address, d.partition_id))
        results = await asyncio.gather(*calls)
        if all(results):
            await self.host.propose(encode_command(cmd_table_removed(t.name, t.table_id)))
            for pid in t.partition_ids:
                self.reports.forget_partition(pid)
                self._created = {k for k in self._created if k[0] != pid}
            log.info("table %s removed", t.name)

    async def delete_replica(self, address: str, partition_id: int) -> bool:
        """DeleteReplica on one node; True when the replica is gone (deleted or never there)."""
        try:
            resp = await self.clients.admin(address).DeleteReplica(
                ipb.DeleteReplicaRequest(partition_id=partition_id), timeout=self.config.rpc_timeout_s
            )
        except grpc.aio.AioRpcError as e:
            log.warning("DeleteReplica of partition %d on %s failed: %s", partition_id, address, e.details())
            return False
        if resp.HasField("error") and resp.error.code != ipb.PartitionError.PARTITION_NOT_FOUND:
            log.warning("DeleteReplica of partition %d on %s: %s", partition_id, address, resp.error.message)
            return False
        return True
