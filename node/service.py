"""The node's gRPC services: NodeData (router -> node) and NodeAdmin (coordinator -> node).

Rules (internal.proto and design §5):

* Routing/availability problems are answered with a PartitionError field, checked in this
  order: unknown partition -> PARTITION_NOT_FOUND; ``epoch.version`` differs -> EPOCH_NOT_MATCH
  with the current descriptors of that table hosted here; key hash outside the range ->
  KEY_NOT_IN_PARTITION; writes and strong reads on a non-leader -> NOT_LEADER with the leader's
  node id and address when known; too much in flight -> SERVER_BUSY; the deadline passed after
  the write was proposed -> UNDETERMINED (the router may retry with the SAME request id only).
* A malformed payload or invalid request is a ValidationException (DynamoError) found BEFORE
  anything is proposed, so it changes nothing. Errors found at apply time (a failed condition)
  come back from the state machine as values and are passed through unchanged.
* Results are msgpack of DynamoDB-shaped response dicts. ``ConsumedCapacity`` (table name and
  units) is always included: the router needs the units for admission control and removes the
  field when the client did not ask for it.
* Admin commands change a partition only through its Raft log (conf changes, splits); a
  command answers once this node has APPLIED it (or with a PartitionError), so the epoch in a
  following Stats call already reflects it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import grpc
import msgpack

from kuradb.errors import ConditionalCheckFailedException, KuraError, ValidationException
from kuradb.node.codec import KeyNotInPartitionError, WriteResult
from kuradb.node.descriptor import PartitionDescriptor, ReplicaInfo, Role
from kuradb.node.driver import NodeDriver
from kuradb.node.partition import Page
from kuradb.node.replica import PartitionReplica, Unavailable
from kuradb.payload import pack, unpack
from kuradb.operations import parse_delete_item, parse_get_item, parse_put_item, parse_query, parse_scan, parse_update_item
from kuradb.proto import internal_pb2 as pb
from kuradb.proto import internal_pb2_grpc as pb_grpc
from kuradb.raft.types import ConfChangeType

WRITE_PARSERS: dict[str, Callable[..., Any]] = {
    "PutItem": parse_put_item,
    "UpdateItem": parse_update_item,
    "DeleteItem": parse_delete_item,
}
READ_OPS = ("GetItem", "Query", "Scan")
DEFAULT_TIMEOUT_S = 10.0
ADMIN_TIMEOUT_S = 10.0
BUSY_BACKOFF_MS = 50

Code = pb.PartitionError.Code


def _perr(code: int, message: str = "", **kw: Any) -> pb.PartitionError:
    return pb.PartitionError(code=code, message=message, **kw)


def _timeout(deadline_unix: float) -> float:
    return DEFAULT_TIMEOUT_S if deadline_unix <= 0 else deadline_unix - time.time()


class NodeDataService(pb_grpc.NodeDataServicer):
    def __init__(self, driver: NodeDriver) -> None:
        self.driver = driver

    async def Execute(self, request: pb.DataRequest, context: grpc.aio.ServicerContext) -> pb.DataResponse:  # noqa: N802
        op = request.operation
        t0 = time.perf_counter()
        resp = await self._execute(request)
        kind = resp.WhichOneof("outcome")
        result = "ok" if kind == "result" else (resp.dynamo_error.name if kind == "dynamo_error" else Code.Name(resp.error.code))
        m = self.driver.metrics
        label = op if op in WRITE_PARSERS or op in READ_OPS else "other"
        m.requests.labels(label, result).inc()
        m.request_seconds.labels(label).observe(time.perf_counter() - t0)
        return resp

    async def _execute(self, request: pb.DataRequest) -> pb.DataResponse:
        h = request.header
        r = self.driver.replicas.get(h.partition_id)
        if r is None:
            return pb.DataResponse(error=_perr(Code.PARTITION_NOT_FOUND, f"partition {h.partition_id} is not on this node"))
        if h.epoch.version != r.descriptor.epoch.version:
            return pb.DataResponse(error=self._epoch_error(r))
        try:
            req = unpack(request.payload)
        except (msgpack.UnpackException, ValueError) as e:
            return _dynamo(ValidationException(f"Malformed request payload: {e}"))
        try:
            if not isinstance(req, dict):
                raise ValidationException("Malformed request payload: expected a map")
            if request.operation in WRITE_PARSERS:
                return await self._write(r, request, req)
            if request.operation in READ_OPS:
                return await self._read(r, request, req)
            raise ValidationException(f"Unsupported operation {request.operation!r}")
        except KeyNotInPartitionError as e:
            return pb.DataResponse(error=_perr(Code.KEY_NOT_IN_PARTITION, str(e)))
        except Unavailable as e:
            return pb.DataResponse(error=self._unavailable(r, e))
        except KuraError as e:
            return _dynamo(e)

    def _epoch_error(self, r: PartitionReplica) -> pb.PartitionError:
        table = r.descriptor.table.table_id
        current = [x.descriptor.to_pb() for x in self.driver.replicas.values() if x.descriptor.table.table_id == table]
        return _perr(Code.EPOCH_NOT_MATCH, "epoch mismatch", current=current)

    def _unavailable(self, r: PartitionReplica, e: Unavailable) -> pb.PartitionError:
        code = Code.Value(e.code)
        if code == Code.NOT_LEADER:
            node, addr = self.driver.leader_of(r)
            return _perr(code, e.message, leader_node_id=node, leader_address=addr)
        if code == Code.EPOCH_NOT_MATCH:
            return self._epoch_error(r)
        if code == Code.SERVER_BUSY:
            return _perr(code, e.message, backoff_ms=BUSY_BACKOFF_MS)
        return _perr(code, e.message)

    def _check_key(self, r: PartitionReplica, key: dict[str, Any]) -> None:
        h = r.descriptor.table.partition_hash(key)
        if not r.descriptor.contains(h):
            raise KeyNotInPartitionError(r.partition_id, h)

    async def _write(self, r: PartitionReplica, request: pb.DataRequest, req: dict[str, Any]) -> pb.DataResponse:
        op = WRITE_PARSERS[request.operation](req, r.descriptor.table)  # validates; nothing changed yet
        self._check_key(r, op.key)
        if not r.is_leader:
            raise Unavailable("NOT_LEADER", "not the leader of this partition")
        h = request.header
        timeout = _timeout(h.deadline_unix)
        if timeout <= 0:
            raise Unavailable("SERVER_BUSY", "the request's deadline passed before it was proposed")
        request_id = h.request_id or None
        t0 = time.perf_counter()
        fut: asyncio.Future[WriteResult] = self.driver.submit(
            lambda f: r.queue_data(request.operation, req, request_id, f)
        )
        self.driver.metrics.proposals.inc()
        try:
            result = await asyncio.wait_for(asyncio.shield(fut), timeout)
        except asyncio.TimeoutError:
            self.driver.call(lambda: r.abandon(fut))
            raise Unavailable("UNDETERMINED", "the write may or may not have applied") from None
        self.driver.metrics.commit_seconds.observe(time.perf_counter() - t0)
        if isinstance(result.error, KeyNotInPartitionError):
            raise result.error
        if result.error is not None:
            assert isinstance(result.error, KuraError)
            return _dynamo(result.error)
        out: dict[str, Any] = {"ConsumedCapacity": _capacity(r, result.consumed_wcu)}
        if result.attributes is not None:
            out["Attributes"] = result.attributes
        return pb.DataResponse(result=pack(out))

    async def _read(self, r: PartitionReplica, request: pb.DataRequest, req: dict[str, Any]) -> pb.DataResponse:
        table = r.descriptor.table
        name = request.operation
        parsed: Any
        if name == "GetItem":
            parsed = parse_get_item(req, table)
            self._check_key(r, parsed.key)
        elif name == "Query":
            parsed = parse_query(req, table)
        else:
            parsed = parse_scan(req, table)
        if r.applied == 0:
            # An empty replica added by a move, still waiting for its first snapshot: its
            # (empty) state is not a committed prefix of the partition.
            raise Unavailable("NOT_LEADER", "replica has not received its first snapshot yet")
        if request.header.consistency == pb.STRONG:
            if not r.is_leader:
                raise Unavailable("NOT_LEADER", "not the leader of this partition")
            timeout = _timeout(request.header.deadline_unix)
            try:
                await asyncio.wait_for(asyncio.shield(self.driver.submit(r.read_barrier)), max(timeout, 0.0))
            except asyncio.TimeoutError:
                raise Unavailable("NOT_LEADER", "could not confirm leadership in time") from None
            if self.driver.replicas.get(r.partition_id) is not r:
                raise Unavailable("NOT_LEADER", "replica removed")
        if name == "GetItem":
            g = r.sm.get_item(parsed)
            out: dict[str, Any] = {"ConsumedCapacity": _capacity(r, g.consumed_rcu)}
            if g.item is not None:
                out["Item"] = g.item
            return pb.DataResponse(result=pack(out))
        page: Page = r.sm.query(parsed) if name == "Query" else r.sm.scan(parsed)
        res: dict[str, Any] = {"Count": page.count, "ScannedCount": page.scanned_count,
                               "ConsumedCapacity": _capacity(r, page.consumed_rcu)}  # fmt: skip
        if parsed.select != "COUNT":
            res["Items"] = page.items
        if page.last_evaluated_key is not None:
            res["LastEvaluatedKey"] = page.last_evaluated_key
        return pb.DataResponse(result=pack(res))


def _capacity(r: PartitionReplica, units: float) -> dict[str, Any]:
    return {"TableName": r.descriptor.table.name, "CapacityUnits": units}


def _dynamo(e: KuraError) -> pb.DataResponse:
    item = b""
    if isinstance(e, ConditionalCheckFailedException) and e.item is not None:
        item = pack(e.item)
    return pb.DataResponse(dynamo_error=pb.DynamoError(name=e.name, message=e.message, item=item))


class NodeAdminService(pb_grpc.NodeAdminServicer):
    """Admin commands from the coordinator (see module rules)."""

    def __init__(self, driver: NodeDriver) -> None:
        self.driver = driver

    def _replica(self, partition_id: int) -> PartitionReplica:
        r = self.driver.replicas.get(partition_id)
        if r is None:
            raise Unavailable("PARTITION_NOT_FOUND", f"partition {partition_id} is not on this node")
        return r

    @staticmethod
    def _check_epoch(r: PartitionReplica, expected: pb.Epoch | None) -> None:
        if expected is None or (expected.version == 0 and expected.conf_ver == 0):
            return  # unset: no precondition (internal.proto)
        e = r.descriptor.epoch
        if (expected.version, expected.conf_ver) != (e.version, e.conf_ver):
            raise Unavailable("EPOCH_NOT_MATCH", f"partition is at epoch {e.version}/{e.conf_ver}")

    async def _run(
        self,
        partition_id: int,
        command: Callable[[PartitionReplica], asyncio.Future[Any]],
        context: grpc.aio.ServicerContext,
    ) -> pb.AdminResponse:
        r: PartitionReplica | None = None
        try:
            r = self._replica(partition_id)
            await asyncio.wait_for(asyncio.shield(command(r)), ADMIN_TIMEOUT_S)
        except asyncio.TimeoutError:
            return pb.AdminResponse(error=_perr(Code.UNDETERMINED, "the command was not applied in time"))
        except Unavailable as e:
            if r is None:
                return pb.AdminResponse(error=_perr(Code.Value(e.code), e.message))
            return pb.AdminResponse(error=NodeDataService(self.driver)._unavailable(r, e))
        except ValueError as e:  # a precondition the coordinator got wrong (a bug, not routing)
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(e))
        return pb.AdminResponse()

    async def CreateReplica(self, request: pb.CreateReplicaRequest, context: grpc.aio.ServicerContext) -> pb.AdminResponse:  # noqa: N802
        try:
            desc = PartitionDescriptor.from_pb(request.descriptor)
        except (ValueError, KuraError) as e:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"bad descriptor: {e}")
        self._learn_addresses(request.descriptor.replicas)
        try:
            await self.driver.call(lambda: self.driver.create_replica(desc, request.replica_id, request.initial_member))
        except ValueError as e:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(e))
        return pb.AdminResponse()

    def _learn_addresses(self, replicas: Any) -> None:
        """Learn peers' addresses from the descriptor (``Replica.address``, filled by the
        coordinator); the address book is also fed by peers' streams and the --peer list."""
        for rep in replicas:
            if rep.address:
                self.driver.addresses.set(rep.node_id, rep.address)

    async def AddLearner(self, request: pb.AddLearnerRequest, context: grpc.aio.ServicerContext) -> pb.AdminResponse:  # noqa: N802
        info = ReplicaInfo.from_pb(request.replica)
        self._learn_addresses([request.replica])
        if info.role != Role.LEARNER:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "AddLearner needs a replica with role LEARNER")

        def command(r: PartitionReplica) -> asyncio.Future[Any]:
            def go(fut: asyncio.Future[Any]) -> None:
                self._check_epoch(r, request.expected_epoch)
                self.driver.known([info])
                r.propose_conf_change([(ConfChangeType.ADD_LEARNER_NODE, info.replica_id)], [info], fut)

            return self.driver.submit(go)

        return await self._run(request.partition_id, command, context)

    async def PromoteLearner(self, request: pb.PromoteLearnerRequest, context: grpc.aio.ServicerContext) -> pb.AdminResponse:  # noqa: N802
        def command(r: PartitionReplica) -> asyncio.Future[Any]:
            def go(fut: asyncio.Future[Any]) -> None:
                self._check_epoch(r, request.expected_epoch)
                rep = r.descriptor.replica(request.replica_id)
                if rep is None or rep.role != Role.LEARNER:
                    raise ValueError(f"replica {request.replica_id} is not a learner of partition {r.partition_id}")
                r.propose_conf_change([(ConfChangeType.ADD_NODE, request.replica_id)], [], fut)

            return self.driver.submit(go)

        return await self._run(request.partition_id, command, context)

    async def RemoveMember(self, request: pb.RemoveMemberRequest, context: grpc.aio.ServicerContext) -> pb.AdminResponse:  # noqa: N802
        def command(r: PartitionReplica) -> asyncio.Future[Any]:
            def go(fut: asyncio.Future[Any]) -> None:
                self._check_epoch(r, request.expected_epoch)
                if r.descriptor.replica(request.replica_id) is None:
                    raise ValueError(f"replica {request.replica_id} is not a member of partition {r.partition_id}")
                r.propose_conf_change([(ConfChangeType.REMOVE_NODE, request.replica_id)], [], fut)

            return self.driver.submit(go)

        return await self._run(request.partition_id, command, context)

    async def TransferLeader(self, request: pb.TransferLeaderRequest, context: grpc.aio.ServicerContext) -> pb.AdminResponse:  # noqa: N802
        def command(r: PartitionReplica) -> asyncio.Future[Any]:
            return self.driver.call(lambda: r.transfer_leader(request.to_replica_id))

        return await self._run(request.partition_id, command, context)

    async def SplitPartition(self, request: pb.SplitPartitionRequest, context: grpc.aio.ServicerContext) -> pb.AdminResponse:  # noqa: N802
        def command(r: PartitionReplica) -> asyncio.Future[Any]:
            def go(fut: asyncio.Future[Any]) -> None:
                self._check_epoch(r, request.expected_epoch)
                if request.new_partition_id in self.driver.replicas:
                    raise ValueError(f"partition {request.new_partition_id} already exists on this node")
                version = request.expected_epoch.version or r.descriptor.epoch.version
                r.propose_split(request.split_h, request.new_partition_id, list(request.new_replica_ids), version, fut)

            return self.driver.submit(go)

        return await self._run(request.partition_id, command, context)

    async def DeleteReplica(self, request: pb.DeleteReplicaRequest, context: grpc.aio.ServicerContext) -> pb.AdminResponse:  # noqa: N802
        try:
            await self.driver.call(lambda: self.driver.delete_replica(request.partition_id))
        except Unavailable as e:
            return pb.AdminResponse(error=_perr(Code.Value(e.code), e.message))
        return pb.AdminResponse()

    async def Stats(self, request: pb.StatsRequest, context: grpc.aio.ServicerContext) -> pb.StatsResponse:  # noqa: N802
        out = []
        for r in list(self.driver.replicas.values()):
            st = r.sm.stats()
            out.append(
                pb.PartitionStats(
                    partition_id=r.partition_id,
                    replica_id=r.record.replica_id,
                    size_bytes=st.bytes,
                    key_count=st.keys,
                    applied_index=r.applied,
                    is_leader=r.is_leader,
                    leader_replica_id=r.raw.leader,
                    epoch=r.descriptor.epoch.to_pb(),
                    term=r.raw.term,
                )
            )
        return pb.StatsResponse(node_id=self.driver.config.node_id, partitions=out)

