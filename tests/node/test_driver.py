"""In-process cluster tests of the node: real gRPC on 127.0.0.1, real LevelDB in tmp dirs.

Each test runs its own event loop (``asyncio.run``) with three (or four) NodeServers in three
AZs, a short Raft tick so elections take a fraction of a second, and tears everything down
even on failure. Waits poll a condition with a timeout; nothing asserts on speed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import grpc
import msgpack
import pytest

from kuradb.keys import HASH_SPACE, partition_hash
from kuradb.node.server import NodeOptions, NodeServer
from kuradb.proto import internal_pb2 as pb
from kuradb.proto import internal_pb2_grpc as pb_grpc

pytestmark = pytest.mark.timeout(60)

T = TypeVar("T")
TABLE = pb.KeySchema(hash_name="pk", hash_type="S")
PID = 1
WAIT_S = 15.0


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


async def eventually(check: Callable[[], Awaitable[T | None]], timeout: float = WAIT_S, what: str = "") -> T:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            v = await check()
            if v:
                return v
        except (AssertionError, grpc.RpcError) as e:
            last = e
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or check}: {last}")


class Node:
    def __init__(self, node_id: int, az: str, data_dir: Path) -> None:
        self.node_id = node_id
        self.az = az
        self.data_dir = data_dir
        self.server: NodeServer | None = None
        self.address = ""
        self.channel: grpc.aio.Channel | None = None

    async def start(self, listen: str = "127.0.0.1:0") -> None:
        self.server = NodeServer(NodeOptions(self.node_id, self.az, listen, self.data_dir, tick_ms=20,
                                             election_ticks=20, heartbeat_ticks=1, compact_after=50))  # fmt: skip
        self.address = await self.server.start()
        self.channel = grpc.aio.insecure_channel(self.address)
        self.data = pb_grpc.NodeDataStub(self.channel)
        self.admin = pb_grpc.NodeAdminStub(self.channel)

    async def stop(self) -> None:
        if self.channel is not None:
            await self.channel.close()
            self.channel = None
        if self.server is not None:
            await self.server.stop()
            self.server = None

    @property
    def driver(self) -> Any:
        assert self.server is not None and self.server.driver is not None
        return self.server.driver


NODES: dict[int, tuple[Node, ...]] = {}  # node id -> node of the running test's cluster


class Cluster:
    def __init__(self, root: Path, n: int = 3) -> None:
        self.nodes = [Node(i + 1, f"az-{'abcd'[i]}", root / f"n{i + 1}") for i in range(n)]
        NODES.clear()
        NODES.update({n.node_id: (n,) for n in self.nodes})

    def introduce(self) -> None:
        for a in self.nodes:
            if a.server is None:
                continue
            for b in self.nodes:
                if b.server is not None:
                    a.driver.addresses.set(b.node_id, b.address)

    def node(self, node_id: int) -> Node:
        return self.nodes[node_id - 1]

    async def stats(self, node: Node, pid: int = PID) -> pb.PartitionStats | None:
        resp = await node.admin.Stats(pb.StatsRequest())
        return next((p for p in resp.partitions if p.partition_id == pid), None)

    async def leader(self, pid: int = PID, among: list[Node] | None = None) -> Node:
        async def find() -> Node | None:
            for n in among or self.nodes:
                if n.server is None:
                    continue
                s = await self.stats(n, pid)
                if s is not None and s.is_leader:
                    return n
            return None

        return await eventually(find, what=f"a leader of partition {pid}")


@contextlib.asynccontextmanager
async def cluster(root: Path, n: int = 3, start: int | None = None) -> AsyncIterator[Cluster]:
    c = Cluster(root, n)
    try:
        for node in c.nodes[: start if start is not None else n]:
            await node.start()
        c.introduce()
        yield c
    finally:
        for node in c.nodes:
            await node.stop()


def descriptor(nodes: list[Node], pid: int = PID, first_replica: int = 10, start_h: int = 0,
               end_h: int = HASH_SPACE, version: int = 1) -> pb.PartitionDescriptor:  # fmt: skip
    return pb.PartitionDescriptor(
        id=pid, table_id=5, table_name="t", start_h=start_h,
        end_h=0 if end_h == HASH_SPACE else end_h, end_is_max=end_h == HASH_SPACE,
        epoch=pb.Epoch(version=version, conf_ver=1),
        replicas=[pb.Replica(replica_id=first_replica + i, node_id=n.node_id, az=n.az) for i, n in enumerate(nodes)],
        key_schema=TABLE,
    )  # fmt: skip


async def create_partition(c: Cluster, nodes: list[Node] | None = None, **kw: Any) -> pb.PartitionDescriptor:
    members = nodes or c.nodes[:3]
    d = descriptor(members, **kw)
    for i, n in enumerate(members):
        resp = await n.admin.CreateReplica(pb.CreateReplicaRequest(descriptor=d, replica_id=d.replicas[i].replica_id,
                                                                   initial_member=True))  # fmt: skip
        assert not resp.HasField("error"), resp
    return d


def header(pid: int = PID, version: int = 1, strong: bool = True, request_id: bytes | None = None) -> pb.RequestHeader:
    return pb.RequestHeader(partition_id=pid, epoch=pb.Epoch(version=version, conf_ver=1),
                            request_id=request_id if request_id is not None else uuid.uuid4().bytes,
                            consistency=pb.STRONG if strong else pb.EVENTUAL,
                            deadline_unix=time.time() + 10)  # fmt: skip


async def execute(node: Node, op: str, req: dict[str, Any], **kw: Any) -> pb.DataResponse:
    return await node.data.Execute(pb.DataRequest(header=header(**kw), operation=op,
                                                  payload=msgpack.packb(req, use_bin_type=True)))  # fmt: skip


def result(resp: pb.DataResponse) -> dict[str, Any]:
    assert resp.WhichOneof("outcome") == "result", resp
    out: dict[str, Any] = msgpack.unpackb(resp.result, raw=False)
    return out


async def write(node: Node, op: str, req: dict[str, Any], **kw: Any) -> dict[str, Any]:
    """A write as a router does it: on NOT_LEADER / UNDETERMINED follow the leader hint and retry
    with the SAME request id, so a leader change on a loaded machine does not fail the test."""
    kw.setdefault("request_id", uuid.uuid4().bytes)
    target = node
    for _ in range(100):
        resp = await execute(target, op, req, **kw)
        if resp.WhichOneof("outcome") != "error" or resp.error.code not in (
            pb.PartitionError.NOT_LEADER, pb.PartitionError.UNDETERMINED):  # fmt: skip
            return result(resp)
        hinted = [n for n in NODES.get(resp.error.leader_node_id, ()) if n.server is not None]
        target = hinted[0] if hinted else target
        await asyncio.sleep(0.1)
    raise AssertionError(f"{op} never succeeded")


async def put(node: Node, key: str, value: str, **kw: Any) -> dict[str, Any]:
    return await write(node, "PutItem", {"TableName": "t", "Item": {"pk": {"S": key}, "v": {"S": value}}}, **kw)


async def get(node: Node, key: str, strong: bool = True, **kw: Any) -> dict[str, Any] | None:
    out = result(await execute(node, "GetItem", {"TableName": "t", "Key": {"pk": {"S": key}}}, strong=strong, **kw))
    return out.get("Item")


def key_in(lo: int, hi: int, prefix: str = "k") -> str:
    """A key whose partition hash is in [lo, hi)."""
    for i in range(100_000):
        k = f"{prefix}{i}"
        if lo <= partition_hash({"S": k}) < hi:
            return k
    raise AssertionError("no key found")


# ----------------------------------------------------------------------------- tests


def test_write_then_read_strong_on_leader_and_eventual_on_followers(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with cluster(tmp_path) as c:
            await create_partition(c)
            leader = await c.leader()
            for i in range(20):
                out = await put(leader, f"k{i}", f"v{i}")
                assert out["ConsumedCapacity"]["CapacityUnits"] == 1.0
            assert await get(leader, "k3") == {"pk": {"S": "k3"}, "v": {"S": "v3"}}
            for n in c.nodes:
                if n is not leader:
                    item = await eventually(lambda n=n: get(n, "k19", strong=False), what="follower catch-up")
                    assert item["v"] == {"S": "v19"}
            # conditional write failing at apply time comes back as a DynamoDB error
            resp = await execute(leader, "PutItem", {"TableName": "t", "Item": {"pk": {"S": "k1"}},
                                                     "ConditionExpression": "attribute_not_exists(pk)"})  # fmt: skip
            assert resp.dynamo_error.name == "ConditionalCheckFailedException"
            assert resp.dynamo_error.message == "The conditional request failed"
            # query and scan
            q = result(await execute(leader, "Query", {"TableName": "t", "KeyConditionExpression": "pk = :p",
                                                       "ExpressionAttributeValues": {":p": {"S": "k5"}}}))  # fmt: skip
            assert q["Count"] == 1 and q["Items"][0]["v"] == {"S": "v5"}
            s = result(await execute(leader, "Scan", {"TableName": "t"}))
            assert s["Count"] == 20
            # metrics on the node's own registry
            reg = leader.driver.metrics.registry
            assert reg.get_sample_value("kuradb_node_requests_total", {"op": "PutItem", "result": "ok"}) >= 20
            assert reg.get_sample_value("kuradb_node_requests_total",
                                        {"op": "PutItem", "result": "ConditionalCheckFailedException"}) == 1  # fmt: skip
            assert reg.get_sample_value("kuradb_node_partitions") == 1
            assert reg.get_sample_value("kuradb_node_leaders") == 1
            assert reg.get_sample_value("kuradb_raft_sync_seconds_count") > 0
            assert reg.get_sample_value("kuradb_raft_batch_entries_sum") >= 20

    run(scenario())


def test_routing_and_validation_errors(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with cluster(tmp_path) as c:
            half = HASH_SPACE // 2
            await create_partition(c, end_h=half)
            leader = await c.leader()
            follower = next(n for n in c.nodes if n is not leader)
            inside, outside = key_in(0, half), key_in(half, HASH_SPACE)

            resp = await execute(leader, "GetItem", {"TableName": "t", "Key": {"pk": {"S": inside}}}, pid=99)
            assert resp.error.code == pb.PartitionError.PARTITION_NOT_FOUND

            resp = await execute(leader, "GetItem", {"TableName": "t", "Key": {"pk": {"S": inside}}}, version=7)
            assert resp.error.code == pb.PartitionError.EPOCH_NOT_MATCH
            assert [d.id for d in resp.error.current] == [PID] and resp.error.current[0].epoch.version == 1

            resp = await execute(leader, "PutItem", {"TableName": "t", "Item": {"pk": {"S": outside}}})
            assert resp.error.code == pb.PartitionError.KEY_NOT_IN_PARTITION

            resp = await leader.data.Execute(pb.DataRequest(header=header(), operation="PutItem", payload=b"\xc1\x00"))
            assert resp.dynamo_error.name == "ValidationException"
            resp = await execute(leader, "PutItem", {"TableName": "t", "Item": {"nope": {"S": "x"}}})
            assert resp.dynamo_error.name == "ValidationException"
            assert resp.dynamo_error.message == "One or more parameter values were invalid: Missing the key pk in the item"

            resp = await execute(follower, "PutItem", {"TableName": "t", "Item": {"pk": {"S": inside}}})
            assert resp.error.code == pb.PartitionError.NOT_LEADER
            assert resp.error.leader_node_id == leader.node_id
            assert resp.error.leader_address == leader.address
            resp = await execute(follower, "GetItem", {"TableName": "t", "Key": {"pk": {"S": inside}}})
            assert resp.error.code == pb.PartitionError.NOT_LEADER
            # nothing was written by any of the refused requests
            s = result(await execute(leader, "Scan", {"TableName": "t"}))
            assert s["Count"] == 0

    run(scenario())


def test_request_id_dedup_applies_a_retried_write_once(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with cluster(tmp_path) as c:
            await create_partition(c)
            leader = await c.leader()
            req = {"TableName": "t", "Key": {"pk": {"S": "ctr"}}, "UpdateExpression": "ADD n :one",
                   "ExpressionAttributeValues": {":one": {"N": "1"}}, "ReturnValues": "UPDATED_NEW"}  # fmt: skip
            rid = b"retry-me"
            first = result(await execute(leader, "UpdateItem", req, request_id=rid))
            again = result(await execute(leader, "UpdateItem", req, request_id=rid))
            assert first["Attributes"] == again["Attributes"] == {"n": {"N": "1"}}
            assert (await get(leader, "ctr"))["n"] == {"N": "1"}

    run(scenario())


def test_restarted_node_reloads_its_replicas_and_catches_up(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with cluster(tmp_path) as c:
            await create_partition(c)
            leader = await c.leader()
            for i in range(5):
                await put(leader, f"a{i}", "1")
            down = next(n for n in c.nodes if n is not leader)
            await eventually(lambda: get(down, "a4", strong=False), what="replicated before the stop")
            await down.stop()
            # more than compact_after (50) entries while it is down: it needs a snapshot or the log
            for i in range(70):
                await put(leader, f"b{i}", "2")
            await down.start()
            c.introduce()
            item = await eventually(lambda: get(down, "b69", strong=False), what="restarted node catch-up")
            assert item["v"] == {"S": "2"}
            assert await get(down, "a0", strong=False) is not None
            st = await c.stats(down)
            assert st is not None and st.epoch.version == 1
            assert _snapshots_received(down) >= 1  # the leader had compacted past it

    run(scenario())


def test_split_serves_each_half_from_its_own_partition(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with cluster(tmp_path) as c:
            await create_partition(c)
            leader = await c.leader()
            half = HASH_SPACE // 2
            lo_key, hi_key = key_in(0, half), key_in(half, HASH_SPACE)
            await put(leader, lo_key, "low")
            await put(leader, hi_key, "high")
            resp = await leader.admin.SplitPartition(pb.SplitPartitionRequest(
                partition_id=PID, split_h=half, new_partition_id=2, new_replica_ids=[20, 21, 22],
                expected_epoch=pb.Epoch(version=1, conf_ver=1)))  # fmt: skip
            assert not resp.HasField("error"), resp
            for n in c.nodes:
                await eventually(lambda n=n: c.stats(n, 2), what=f"child on node {n.node_id}")
            child_leader = await c.leader(pid=2)
            # old epoch -> EPOCH_NOT_MATCH listing both halves
            resp = await execute(leader, "GetItem", {"TableName": "t", "Key": {"pk": {"S": lo_key}}})
            assert resp.error.code == pb.PartitionError.EPOCH_NOT_MATCH
            assert sorted(d.id for d in resp.error.current) == [1, 2]
            assert all(d.epoch.version == 2 for d in resp.error.current)
            # each half serves its own keys, with data that existed before the split
            assert (await get(leader, lo_key, version=2))["v"] == {"S": "low"}
            assert (await get(child_leader, hi_key, pid=2, version=2))["v"] == {"S": "high"}
            resp = await execute(leader, "GetItem", {"TableName": "t", "Key": {"pk": {"S": hi_key}}}, version=2)
            assert resp.error.code == pb.PartitionError.KEY_NOT_IN_PARTITION
            # both halves take writes
            await put(child_leader, key_in(half, HASH_SPACE, "z"), "new", pid=2, version=2)
            await put(leader, key_in(0, half, "z"), "new", version=2)
            s1 = result(await execute(leader, "Scan", {"TableName": "t"}, version=2))
            s2 = result(await execute(child_leader, "Scan", {"TableName": "t"}, pid=2, version=2))
            assert (s1["Count"], s2["Count"]) == (2, 2)

    run(scenario())


def test_learner_on_a_fourth_node_gets_a_snapshot_and_serves_eventual_reads(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with cluster(tmp_path, n=4) as c:
            d = await create_partition(c)
            leader = await c.leader()
            for i in range(80):  # past compact_after: the learner must be sent a snapshot
                await put(leader, f"k{i}", f"v{i}")
            fourth = c.nodes[3]
            learner = pb.Replica(replica_id=13, node_id=fourth.node_id, az=fourth.az, role=pb.Replica.LEARNER)
            d_with = pb.PartitionDescriptor()
            d_with.CopyFrom(d)
            d_with.replicas.append(learner)
            resp = await fourth.admin.CreateReplica(pb.CreateReplicaRequest(descriptor=d_with, replica_id=13,
                                                                            initial_member=False))  # fmt: skip
            assert not resp.HasField("error"), resp
            resp = await leader.admin.AddLearner(pb.AddLearnerRequest(partition_id=PID, replica=learner))
            assert not resp.HasField("error"), resp
            item = await eventually(lambda: get(fourth, "k79", strong=False), what="learner snapshot")
            assert item["v"] == {"S": "v79"}
            s = result(await execute(fourth, "Scan", {"TableName": "t"}, strong=False))
            assert s["Count"] == 80
            st = await c.stats(fourth)
            assert st is not None and st.epoch.conf_ver == 2 and not st.is_leader
            assert _snapshots_received(fourth) >= 1
            # a learner never leads and refuses strong reads
            resp = await execute(fourth, "GetItem", {"TableName": "t", "Key": {"pk": {"S": "k1"}}})
            assert resp.error.code == pb.PartitionError.NOT_LEADER
            # it keeps following new writes
            await put(leader, "late", "x")
            await eventually(lambda: get(fourth, "late", strong=False), what="learner follows")

    run(scenario())


def _snapshots_received(node: Node) -> float:
    v = node.driver.metrics.registry.get_sample_value("kuradb_raft_transport_snapshots_received_total",
                                                      {"result": "accepted"})  # fmt: skip
    return v or 0.0


def test_move_a_replica_learner_promote_transfer_remove_delete(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with cluster(tmp_path, n=4) as c:
            d = await create_partition(c)
            leader = await c.leader()
            for i in range(60):
                await put(leader, f"k{i}", "v")
            n4 = c.nodes[3]
            learner = pb.Replica(replica_id=13, node_id=n4.node_id, az=n4.az, role=pb.Replica.LEARNER)
            d4 = pb.PartitionDescriptor()
            d4.CopyFrom(d)
            d4.replicas.append(learner)
            assert not (await n4.admin.CreateReplica(pb.CreateReplicaRequest(descriptor=d4, replica_id=13))).HasField("error")
            assert not (await leader.admin.AddLearner(pb.AddLearnerRequest(
                partition_id=PID, replica=learner, expected_epoch=pb.Epoch(version=1, conf_ver=1)))).HasField("error")  # fmt: skip
            await eventually(lambda: get(n4, "k59", strong=False), what="learner caught up")
            assert _snapshots_received(n4) >= 1
            # a stale expected epoch is refused
            resp = await leader.admin.PromoteLearner(pb.PromoteLearnerRequest(
                partition_id=PID, replica_id=13, expected_epoch=pb.Epoch(version=1, conf_ver=1)))  # fmt: skip
            assert resp.error.code == pb.PartitionError.EPOCH_NOT_MATCH
            resp = await leader.admin.PromoteLearner(pb.PromoteLearnerRequest(partition_id=PID, replica_id=13))
            assert not resp.HasField("error"), resp
            assert not (await leader.admin.TransferLeader(pb.TransferLeaderRequest(partition_id=PID, to_replica_id=13))).HasField("error")
            await eventually(lambda: _is_leader(c, n4), what="leadership moved to node 4")
            # remove the replica of node 1 through the new leader, then delete it on node 1
            n1 = c.nodes[0]
            resp = await n4.admin.RemoveMember(pb.RemoveMemberRequest(partition_id=PID, replica_id=10))
            assert not resp.HasField("error"), resp
            st = await c.stats(n4)
            assert st is not None and st.epoch.conf_ver == 4
            assert not (await n1.admin.DeleteReplica(pb.DeleteReplicaRequest(partition_id=PID))).HasField("error")
            assert await c.stats(n1) is None
            resp = await execute(n1, "GetItem", {"TableName": "t", "Key": {"pk": {"S": "k1"}}}, strong=False)
            assert resp.error.code == pb.PartitionError.PARTITION_NOT_FOUND
            # the moved group still takes writes with a majority of {11, 12, 13}
            await put(n4, "after-move", "ok")
            assert (await get(n4, "after-move"))["v"] == {"S": "ok"}
            # a full restart of the moved group replays its logs (conf changes included)
            for n in c.nodes[1:]:
                await n.stop()
            for n in c.nodes[1:]:
                await n.start()
            c.introduce()
            new_leader = await c.leader(among=c.nodes[1:])
            assert (await get(new_leader, "after-move"))["v"] == {"S": "ok"}
            for n in c.nodes[1:]:
                st = await c.stats(n)
                assert st is not None and (st.epoch.version, st.epoch.conf_ver) == (1, 4)

    run(scenario())


async def _is_leader(c: Cluster, n: Node) -> bool:
    s = await c.stats(n)
    return s is not None and s.is_leader


def test_write_without_a_quorum_is_not_acknowledged_and_its_retry_applies_once(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with cluster(tmp_path) as c:
            await create_partition(c)
            leader = await c.leader()
            await put(leader, "before", "1")
            followers = [n for n in c.nodes if n is not leader]
            for n in followers:
                await n.stop()
            req = {"TableName": "t", "Key": {"pk": {"S": "ctr"}}, "UpdateExpression": "ADD n :one",
                   "ExpressionAttributeValues": {":one": {"N": "1"}}}  # fmt: skip
            h = header()
            h.deadline_unix = time.time() + 0.3
            resp = await leader.data.Execute(pb.DataRequest(header=h, operation="UpdateItem",
                                                            payload=msgpack.packb(req, use_bin_type=True)))  # fmt: skip
            assert resp.error.code in (pb.PartitionError.UNDETERMINED, pb.PartitionError.NOT_LEADER), resp
            for n in followers:
                await n.start()
            c.introduce()
            # the router's retry, with the same request id, applies the increment exactly once
            # whether or not the first attempt's entry survived the election
            await write(await c.leader(), "UpdateItem", req, request_id=h.request_id)
            reader = await c.leader()
            item = await eventually(lambda: get(reader, "ctr"), what="counter readable")
            assert item["n"] == {"N": "1"}

    run(scenario())
