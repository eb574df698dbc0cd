"""TEST-ONLY doubles for the router tests: fake storage nodes and a fake coordinator.

Not a node: there is no Raft here. Every "replica" of a partition shares ONE real
PartitionStateMachine over one MemoryEngine (as if replication were instant), so reads and
writes have the real semantics (conditions, pages, LastEvaluatedKey, request-id dedup), while
the routing answers (NOT_LEADER, EPOCH_NOT_MATCH, ...) follow node/service.py's order of checks
and can be scripted per node.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import grpc
import msgpack

from kuradb.errors import ConditionalCheckFailedException, KuraError
from kuradb.keys import HASH_SPACE, partition_hash
from kuradb.model.schema import TableInfo
from kuradb.node.codec import encode_command
from kuradb.node.descriptor import Epoch, PartitionDescriptor, ReplicaInfo
from kuradb.node.memory_engine import MemoryEngine
from kuradb.node.partition import PartitionStateMachine
from kuradb.operations import PARSERS, WRITE_OPERATIONS
from kuradb.proto import coordinator_pb2 as cpb
from kuradb.proto import coordinator_pb2_grpc as cpb_grpc
from kuradb.proto import internal_pb2 as ipb
from kuradb.proto import internal_pb2_grpc as ipb_grpc

Code = ipb.PartitionError.Code


def _pack(obj: Any) -> bytes:
    return msgpack.packb(obj, use_bin_type=True)


@dataclass
class Seen:
    node_id: int
    partition_id: int
    operation: str
    request_id: bytes
    consistency: int
    request: dict[str, Any]


@dataclass
class FakeCluster:
    """Partitions (descriptors + shared state machines), leaders, and what every node saw."""

    engine: MemoryEngine = field(default_factory=MemoryEngine)
    parts: dict[int, PartitionDescriptor] = field(default_factory=dict)
    sms: dict[int, PartitionStateMachine] = field(default_factory=dict)
    leaders: dict[int, int] = field(default_factory=dict)  # partition id -> node id
    index: int = 0
    seen: list[Seen] = field(default_factory=list)
    applied_writes: int = 0

    def add(self, d: PartitionDescriptor, leader: int) -> None:
        self.parts[d.partition_id] = d
        self.sms[d.partition_id] = PartitionStateMachine(self.engine, d.table, d.start_h, d.end_h, d.partition_id)
        self.leaders[d.partition_id] = leader

    def split(self, pid: int, split_h: int, child_id: int) -> tuple[PartitionDescriptor, PartitionDescriptor]:
        """Split like a node does: no data moves, both halves get version + 1."""
        parent, child = self.parts[pid].split(split_h, child_id, tuple(r.replica_id + 100 for r in self.parts[pid].replicas))
        self.add(parent, self.leaders[pid])
        self.add(child, self.leaders[pid])
        return parent, child

    def table_parts(self, table_id: int) -> list[PartitionDescriptor]:
        return sorted((d for d in self.parts.values() if d.table.table_id == table_id), key=lambda d: d.start_h)


class FakeNode(ipb_grpc.NodeDataServicer):
    """One fake node: answers for the partitions that list it as a replica."""

    def __init__(self, cluster: FakeCluster, node_id: int, az: str) -> None:
        self.cluster = cluster
        self.node_id = node_id
        self.az = az
        self.address = ""
        self.script: list[tuple[str | None, ipb.PartitionError]] = []  # (operation or None, error) answered first
        self.hang_s = 0.0  # sleep this long before answering (to provoke timeouts)
        self.down_partitions: set[int] = set()  # answered NOT_LEADER{} (no leader: election running)
        self.undetermined_after_apply = 0  # this many writes are applied, then answered UNDETERMINED
        self._server: grpc.aio.Server | None = None

    async def start(self, port: int = 0) -> str:
        server = grpc.aio.server()
        bound = server.add_insecure_port(f"127.0.0.1:{port}")
        ipb_grpc.add_NodeDataServicer_to_server(self, server)
        await server.start()
        self._server = server
        self.address = f"127.0.0.1:{bound}"
        return self.address

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop(None)
            self._server = None

    async def Execute(self, request: ipb.DataRequest, context: grpc.aio.ServicerContext) -> ipb.DataResponse:  # noqa: N802
        h = request.header
        req = msgpack.unpackb(request.payload, raw=False)
        self.cluster.seen.append(Seen(self.node_id, h.partition_id, request.operation, h.request_id, h.consistency, req))
        if self.hang_s:
            await asyncio.sleep(self.hang_s)
        for i, (op, err) in enumerate(self.script):
            if op is None or op == request.operation:
                del self.script[i]
                return ipb.DataResponse(error=err)
        if h.partition_id in self.down_partitions:
            return ipb.DataResponse(error=ipb.PartitionError(code=Code.NOT_LEADER))
        d = self.cluster.parts.get(h.partition_id)
        if d is None or all(r.node_id != self.node_id for r in d.replicas):
            return ipb.DataResponse(error=ipb.PartitionError(code=Code.PARTITION_NOT_FOUND))
        if h.epoch.version != d.epoch.version:
            current = [p.to_pb() for p in self.cluster.table_parts(d.table.table_id)]
            return ipb.DataResponse(error=ipb.PartitionError(code=Code.EPOCH_NOT_MATCH, current=current))
        sm = self.cluster.sms[h.partition_id]
        try:
            op = PARSERS[request.operation](req, d.table)
            key = getattr(op, "key", None)
            if request.operation == "Query":
                key = {d.table.key_schema.hash_name: op.expr.key_condition.hash_value}
            if key is not None and not d.contains(partition_hash(key[d.table.key_schema.hash_name])):
                return ipb.DataResponse(error=ipb.PartitionError(code=Code.KEY_NOT_IN_PARTITION))
            is_write = request.operation in WRITE_OPERATIONS
            leader = self.cluster.leaders.get(h.partition_id)
            if (is_write or h.consistency == ipb.STRONG) and leader != self.node_id:
                return ipb.DataResponse(error=ipb.PartitionError(code=Code.NOT_LEADER, leader_node_id=leader or 0))
            units_table = {"TableName": d.table.name}
            if is_write:
                self.cluster.index += 1
                result = sm.apply(self.cluster.index, encode_command(request.operation, req, h.request_id or None))
                if result is None:  # cannot happen: indexes only grow
                    raise AssertionError("entry applied twice")
                self.cluster.applied_writes += 1
                if self.undetermined_after_apply:
                    self.undetermined_after_apply -= 1
                    return ipb.DataResponse(error=ipb.PartitionError(code=Code.UNDETERMINED))
                if result.error is not None:
                    raise result.error
                out: dict[str, Any] = {"ConsumedCapacity": units_table | {"CapacityUnits": result.consumed_wcu}}
                if result.attributes is not None:
                    out["Attributes"] = result.attributes
                return ipb.DataResponse(result=_pack(out))
            if request.operation == "GetItem":
                g = sm.get_item(op)
                out = {"ConsumedCapacity": units_table | {"CapacityUnits": g.consumed_rcu}}
                if g.item is not None:
                    out["Item"] = g.item
                return ipb.DataResponse(result=_pack(out))
            page = sm.query(op) if request.operation == "Query" else sm.scan(op)
            out = {"Count": page.count, "ScannedCount": page.scanned_count,
                   "ConsumedCapacity": units_table | {"CapacityUnits": page.consumed_rcu}}  # fmt: skip
            if op.select != "COUNT":
                out["Items"] = page.items
            if page.last_evaluated_key is not None:
                out["LastEvaluatedKey"] = page.last_evaluated_key
            return ipb.DataResponse(result=_pack(out))
        except KuraError as e:
            item = _pack(e.item) if isinstance(e, ConditionalCheckFailedException) and e.item is not None else b""
            return ipb.DataResponse(dynamo_error=ipb.DynamoError(name=e.name, message=e.message, item=item))


class FakeCoordinator(cpb_grpc.CoordinatorServicer):
    """Serves a map built from a FakeCluster; ``publish()`` bumps its version and notifies watchers."""

    def __init__(self, cluster: FakeCluster, nodes: list[FakeNode], tables: list[TableInfo]) -> None:
        self.cluster = cluster
        self.nodes = nodes
        self.tables = tables
        self.version = 0
        self.map = cpb.PartitionMap()
        self.get_calls = 0
        self.table_requests: list[tuple[str, dict[str, Any]]] = []
        self.table_answer: cpb.TableResponse | None = None
        self.not_leader = ""  # when set, every answer is a redirect
        self._changed = asyncio.Condition()
        self._server: grpc.aio.Server | None = None
        self.address = ""

    async def start(self) -> str:
        server = grpc.aio.server()
        bound = server.add_insecure_port("127.0.0.1:0")
        cpb_grpc.add_CoordinatorServicer_to_server(self, server)
        await server.start()
        self._server = server
        self.address = f"127.0.0.1:{bound}"
        return self.address

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop(None)
            self._server = None

    async def publish(self) -> None:
        self.version += 1
        parts = []
        for d in sorted(self.cluster.parts.values(), key=lambda d: (d.table.table_id, d.start_h)):
            p = d.to_pb()
            leader = self.cluster.leaders.get(d.partition_id)
            p.leader_hint = next((r.replica_id for r in d.replicas if r.node_id == leader), 0)
            parts.append(p)
        tables = []
        for t in self.tables:
            ks = t.key_schema
            key_schema = ipb.KeySchema(hash_name=ks.hash_name, hash_type=ks.hash_type,
                                       range_name=ks.range_name or "", range_type=ks.range_type or "")  # fmt: skip
            tables.append(cpb.TableMeta(table_id=t.table_id, name=t.name, key_schema=key_schema, status="ACTIVE"))
        nodes = [cpb.NodeInfo(node_id=n.node_id, address=n.address, az=n.az, alive=True) for n in self.nodes]
        self.map = cpb.PartitionMap(map_version=self.version, tables=tables, partitions=parts, nodes=nodes)
        async with self._changed:
            self._changed.notify_all()

    async def GetPartitionMap(self, request: cpb.WatchRequest, context: Any) -> cpb.PartitionMap:  # noqa: N802
        self.get_calls += 1
        if self.not_leader:
            return cpb.PartitionMap(not_leader=self.not_leader)
        return self.map

    async def WatchPartitionMap(self, request: cpb.WatchRequest, context: Any) -> AsyncIterator[cpb.PartitionMap]:  # noqa: N802
        if self.not_leader:
            yield cpb.PartitionMap(not_leader=self.not_leader)
            return
        sent = 0
        while True:
            if self.version > sent and self.version > request.known_version:
                sent = self.version
                yield self.map
            async with self._changed:
                await self._changed.wait_for(lambda: self.version > sent)

    async def TableOperation(self, request: cpb.TableRequest, context: Any) -> cpb.TableResponse:  # noqa: N802
        if self.not_leader:
            return cpb.TableResponse(not_leader=self.not_leader)
        self.table_requests.append((request.operation, msgpack.unpackb(request.payload, raw=False)))
        if self.table_answer is not None:
            return self.table_answer
        return cpb.TableResponse(result=_pack({"TableNames": [t.name for t in self.tables]}))


def three_az_replicas(base_replica: int) -> tuple[ReplicaInfo, ...]:
    return (ReplicaInfo(base_replica + 1, 1, "az-a"), ReplicaInfo(base_replica + 2, 2, "az-b"), ReplicaInfo(base_replica + 3, 3, "az-c"))


def even_partitions(table: TableInfo, count: int, first_id: int) -> list[PartitionDescriptor]:
    step = HASH_SPACE // count
    out = []
    for i in range(count):
        end = HASH_SPACE if i == count - 1 else (i + 1) * step
        out.append(PartitionDescriptor(first_id + i, table, i * step, end, Epoch(1, 1), three_az_replicas(10 * (first_id + i))))
    return out


