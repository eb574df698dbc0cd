"""In-process coordinator groups on 127.0.0.1: election, commit, not_leader, restart, snapshots."""

from __future__ import annotations

from pathlib import Path

import grpc
import msgpack
import pytest

from kuradb.coordinator.heartbeat_client import HeartbeatClient, NodeIdentity
from kuradb.coordinator.raft_host import NotLeader
from kuradb.coordinator.server import CoordinatorServer
from kuradb.coordinator.state import NodeRecord, cmd_heartbeat
from kuradb.proto import coordinator_pb2 as cpb
from kuradb.proto import coordinator_pb2_grpc as cpb_grpc

from .helpers import free_ports, leader_of, options, run, wait_for

CREATE = {
    "TableName": "Orders",
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
}


async def register_nodes(server: CoordinatorServer) -> None:
    """Register one node per AZ (addresses nobody listens on: the reconciler's calls fail)."""
    assert server.core is not None
    for nid, az in ((1, "az-a"), (2, "az-b"), (3, "az-c")):
        await server.core.commit(cmd_heartbeat(NodeRecord(nid, f"127.0.0.1:{nid}", az), server.core.clock()))


def test_single_member_commits_and_restarts_from_disk(tmp_path: Path) -> None:
    (port,) = free_ports(1)
    members = {1: f"127.0.0.1:{port}"}

    async def first() -> None:
        s = CoordinatorServer(options(1, members, tmp_path))
        await s.start()
        try:
            await leader_of([s])
            await register_nodes(s)
            assert s.core is not None
            out = await s.core.table_operation("CreateTable", dict(CREATE))
            assert out["TableDescription"]["TableStatus"] == "CREATING"
            assert out["TableDescription"]["TableName"] == "Orders"
            listed = await s.core.table_operation("ListTables", {})
            assert listed == {"TableNames": ["Orders"]}
        finally:
            await s.stop()

    async def second() -> None:
        s = CoordinatorServer(options(1, members, tmp_path))
        await s.start()
        try:
            await leader_of([s])
            assert s.core is not None
            st = s.core.state()
            assert st.table("Orders").table_id == 1 and sorted(st.nodes) == [1, 2, 3]
            ids = (st.next_table_id, st.next_partition_id, st.next_replica_id)
            assert ids == (2, 2, 4)
            desc = await s.core.table_operation("DescribeTable", {"TableName": "Orders"})
            assert desc["Table"]["TableId"] and desc["Table"]["TableStatus"] == "CREATING"
        finally:
            await s.stop()

    run(first())
    run(second())


def test_three_members_elect_replicate_redirect_and_catch_up_by_snapshot(tmp_path: Path) -> None:
    ports = free_ports(3)
    members = {i + 1: f"127.0.0.1:{p}" for i, p in enumerate(ports)}

    async def scenario() -> None:
        servers = [CoordinatorServer(options(i, members, tmp_path, snapshot_every=5)) for i in members]
        for s in servers:
            await s.start()
        try:
            leader = await leader_of(servers)
            await register_nodes(leader)
            assert leader.core is not None
            await leader.core.table_operation("CreateTable", dict(CREATE))
            await wait_for(lambda: all("Orders" in s.machine.state.tables for s in servers), what="replication")

            follower = next(s for s in servers if s is not leader)
            assert follower.core is not None
            with pytest.raises(NotLeader) as ei:
                await follower.core.table_operation("DescribeTable", {"TableName": "Orders"})
            assert ei.value.leader_address == leader.address
            async with grpc.aio.insecure_channel(follower.address) as ch:
                stub = cpb_grpc.CoordinatorStub(ch)
                resp = await stub.TableOperation(cpb.TableRequest(operation="ListTables", payload=msgpack.packb({})))
                assert resp.not_leader == leader.address
                m = await stub.GetPartitionMap(cpb.WatchRequest())
                assert m.not_leader == leader.address
            async with grpc.aio.insecure_channel(leader.address) as ch:
                stub = cpb_grpc.CoordinatorStub(ch)
                resp = await stub.TableOperation(cpb.TableRequest(operation="ListTables", payload=msgpack.packb({})))
                assert msgpack.unpackb(resp.result) == {"TableNames": ["Orders"]}
                bad = await stub.TableOperation(
                    cpb.TableRequest(operation="DescribeTable", payload=msgpack.packb({"TableName": "Nope"}))
                )
                assert bad.dynamo_error.name == "ResourceNotFoundException"
                assert bad.dynamo_error.message == "Requested resource not found: Table: Nope not found"
                m = await stub.GetPartitionMap(cpb.WatchRequest())
                assert [t.name for t in m.tables] == ["Orders"] and len(m.partitions) == 1 and len(m.nodes) == 3

            # A heartbeat sent to a follower is redirected to the leader.
            hb = HeartbeatClient([follower.address], NodeIdentity(9, "127.0.0.1:9", "az-b"), lambda: [])
            try:
                assert await hb.beat_once() is True and hb.target == leader.address
            finally:
                await hb.stop()
            await wait_for(lambda: 9 in leader.machine.state.nodes, what="heartbeat commit")

            # A follower misses many commands (the log is compacted past them) and catches up
            # from a snapshot after it returns; then it restarts from its own disk.
            lagging_id = follower.options.member_id
            await follower.stop()
            for i in range(12):
                await leader.core.commit(cmd_heartbeat(NodeRecord(10 + i, f"127.0.0.1:{100 + i}", "az-a"), leader.core.clock()))
            assert leader.host is not None and leader.host.logdb.group(1).first_index() > 2
            servers[lagging_id - 1] = back = CoordinatorServer(options(lagging_id, members, tmp_path, snapshot_every=5))
            await back.start()
            await wait_for(lambda: back.machine.state.snapshot() == leader.machine.state.snapshot(), what="catch-up")
        finally:
            for s in servers:
                await s.stop()

    run(scenario(), timeout=60)


def test_watch_streams_a_map_per_version(tmp_path: Path) -> None:
    (port,) = free_ports(1)
    members = {1: f"127.0.0.1:{port}"}

    async def scenario() -> None:
        s = CoordinatorServer(options(1, members, tmp_path))
        await s.start()
        try:
            await leader_of([s])
            async with grpc.aio.insecure_channel(s.address) as ch:
                stub = cpb_grpc.CoordinatorStub(ch)
                call = stub.WatchPartitionMap(cpb.WatchRequest(known_version=0))
                first = await call.read()
                await register_nodes(s)
                seen = [first.map_version]
                while seen[-1] < 3:
                    m = await call.read()
                    assert m.map_version > seen[-1]
                    seen.append(m.map_version)
                assert len(m.nodes) == 3
                call.cancel()
        finally:
            await s.stop()

    run(scenario())
