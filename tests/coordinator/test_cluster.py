"""A coordinator and three real storage nodes (one per AZ) in one process on 127.0.0.1.

CreateTable places the partitions, the reconciler creates the replicas on the nodes, the
nodes' heartbeats (coordinator/heartbeat_client.py) report the elected leaders, the table
becomes ACTIVE and takes a write; DeleteTable removes every replica and then the table.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import grpc
import msgpack

from kuradb.coordinator.server import CoordinatorServer
from kuradb.node.server import NodeOptions, NodeServer
from kuradb.proto import coordinator_pb2 as cpb
from kuradb.proto import coordinator_pb2_grpc as cpb_grpc
from kuradb.proto import internal_pb2 as ipb
from kuradb.proto import internal_pb2_grpc as ipb_grpc

from .helpers import TICK_MS, free_ports, leader_of, options, run, wait_for

AZS = ("az-a", "az-b", "az-c")


async def table_op(stub: cpb_grpc.CoordinatorStub, op: str, req: dict[str, Any]) -> dict[str, Any]:
    resp = await stub.TableOperation(cpb.TableRequest(operation=op, payload=msgpack.packb(req, use_bin_type=True)))
    assert not resp.not_leader
    if resp.HasField("dynamo_error"):
        raise AssertionError(f"{resp.dynamo_error.name}: {resp.dynamo_error.message}")
    out: dict[str, Any] = msgpack.unpackb(resp.result, raw=False)
    return out


def test_table_lifecycle_on_real_nodes(tmp_path: Path) -> None:
    ports = free_ports(4)
    coord_members = {1: f"127.0.0.1:{ports[0]}"}
    node_addrs = {i + 1: f"127.0.0.1:{p}" for i, p in enumerate(ports[1:])}

    async def scenario() -> None:
        coord = CoordinatorServer(options(1, coord_members, tmp_path))
        nodes = [
            NodeServer(NodeOptions(
                node_id=nid, az=AZS[nid - 1], listen=addr, data_dir=tmp_path / f"n{nid}", tick_ms=TICK_MS,
                coordinator=coord_members[1], heartbeat_s=0.1,
            ))  # fmt: skip
            for nid, addr in node_addrs.items()
        ]
        await coord.start()
        try:
            for n in nodes:
                await n.start()  # heartbeats to the coordinator from here on (NodeOptions.coordinator)
            await leader_of([coord])
            await wait_for(lambda: len(coord.machine.state.nodes) == 3, what="node registration")
            async with grpc.aio.insecure_channel(coord.address) as ch:
                stub = cpb_grpc.CoordinatorStub(ch)
                created = await table_op(stub, "CreateTable", {
                    "TableName": "Music",
                    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                    "BillingMode": "PAY_PER_REQUEST",
                })  # fmt: skip
                assert created["TableDescription"]["TableStatus"] == "CREATING"
                for _ in range(300):
                    desc = await table_op(stub, "DescribeTable", {"TableName": "Music"})
                    if desc["Table"]["TableStatus"] == "ACTIVE":
                        break
                    await asyncio.sleep(0.05)
                assert desc["Table"]["TableStatus"] == "ACTIVE"

                m = await stub.GetPartitionMap(cpb.WatchRequest())
                (part,) = m.partitions
                assert sorted(r.az for r in part.replicas) == list(AZS) and part.end_is_max
                await wait_for(lambda: coord.machine.state.leader_hint(part.id) != 0, what="leader hint")
                m = await stub.GetPartitionMap(cpb.WatchRequest())
                leader_rid = m.partitions[0].leader_hint
                leader_node = next(r.node_id for r in m.partitions[0].replicas if r.replica_id == leader_rid)

                async with grpc.aio.insecure_channel(node_addrs[leader_node]) as nch:
                    data = ipb_grpc.NodeDataStub(nch)
                    put = {"TableName": "Music", "Item": {"pk": {"S": "k1"}, "v": {"N": "1"}}}
                    resp = await data.Execute(ipb.DataRequest(
                        header=ipb.RequestHeader(partition_id=part.id, epoch=part.epoch, request_id=b"r1"),
                        operation="PutItem", payload=msgpack.packb(put, use_bin_type=True),
                    ))  # fmt: skip
                    assert resp.WhichOneof("outcome") == "result", resp

                for _ in range(300):  # sizes come from the leader's heartbeat reports
                    desc = await table_op(stub, "DescribeTable", {"TableName": "Music"})
                    if desc["Table"]["ItemCount"] == 1:
                        break
                    await asyncio.sleep(0.05)
                assert desc["Table"]["ItemCount"] == 1 and desc["Table"]["TableSizeBytes"] > 0

                deleted = await table_op(stub, "DeleteTable", {"TableName": "Music"})
                assert deleted["TableDescription"]["TableStatus"] == "DELETING"
                for _ in range(300):
                    if (await table_op(stub, "ListTables", {}))["TableNames"] == []:
                        break
                    await asyncio.sleep(0.05)
                assert (await table_op(stub, "ListTables", {}))["TableNames"] == []
                assert all(not n.driver.replicas for n in nodes if n.driver is not None)
        finally:
            for n in nodes:
                await n.stop()
            await coord.stop()

    run(scenario(), timeout=60)
