"""`kuradb status` rendering (pure) and the not_leader redirect against fake coordinators."""

from __future__ import annotations

from concurrent import futures
from typing import Any, Iterator

import grpc
import pytest

from kuradb.proto import coordinator_pb2 as cpb
from kuradb.proto import coordinator_pb2_grpc as cpb_grpc
from kuradb.proto import internal_pb2 as ipb
from kuradb.tools import status


def _status() -> cpb.StatusResponse:
    replicas = [ipb.Replica(replica_id=10 + n, node_id=n, az=az) for n, az in ((1, "az-a"), (2, "az-b"), (3, "az-c"))]
    ks = ipb.KeySchema(hash_name="id", hash_type="S", range_name="ts", range_type="N")
    p1 = ipb.PartitionDescriptor(id=7, table_id=1, table_name="t", start_h=0, end_h=1 << 63,
                                 epoch=ipb.Epoch(version=2, conf_ver=3), replicas=replicas, leader_hint=12, key_schema=ks)  # fmt: skip
    p2 = ipb.PartitionDescriptor(id=8, table_id=1, table_name="t", start_h=1 << 63, end_is_max=True,
                                 epoch=ipb.Epoch(version=2, conf_ver=1), replicas=replicas[:2], key_schema=ks)  # fmt: skip
    nodes = [cpb.NodeInfo(node_id=1, address="h:1", az="az-a", alive=True, last_heartbeat=99.0),
             cpb.NodeInfo(node_id=2, address="h:2", az="az-b", alive=True, last_heartbeat=99.5),
             cpb.NodeInfo(node_id=3, address="h:3", az="az-c", alive=False, last_heartbeat=50.0)]  # fmt: skip
    table = cpb.TableMeta(table_id=1, name="t", key_schema=ks, status="ACTIVE")
    report = cpb.PartitionReport(descriptor=p2, replica_id=11, is_leader=True)
    return cpb.StatusResponse(
        map=cpb.PartitionMap(map_version=5, tables=[table], partitions=[p2, p1], nodes=nodes),
        reports=[report], leader_address="c:1", members=["c:1"],
    )


def test_render_lists_nodes_tables_and_partitions() -> None:
    text = status.render(_status(), now=100.0)
    assert "Coordinator leader c:1; members c:1; map version 5" in text
    assert "Nodes (2/3 alive)" in text
    lines = text.splitlines()
    node3 = next(line for line in lines if line.startswith("3 "))
    assert "az-c" in node3 and "NO" in node3 and "50.0s ago" in node3
    assert any(line.startswith("t ") and "id(S) HASH, ts(N) RANGE" in line and line.endswith("2") for line in lines)
    header = next(line for line in lines if line.startswith("TABLE"))
    assert header.split() == ["TABLE", "ID", "HASH", "RANGE", "EPOCH", "az-a", "az-b", "az-c", "LEADER"]
    rows = [line for line in lines if line.startswith("t  ") and "[" in line]
    assert len(rows) == 2
    assert "[0000000000000000, 8000000000000000)" in rows[0] and "2/3" in rows[0]
    assert "n2/r12" in rows[0] and rows[0].endswith("node 2")  # leader from leader_hint
    assert "8000000000000000, max)" in rows[1] and rows[1].endswith("node 1")  # leader from a report
    assert " - " in rows[1]  # no replica in az-c


class _Coordinator(cpb_grpc.CoordinatorServicer):
    def __init__(self, answer: cpb.StatusResponse) -> None:
        self.answer = answer

    def Status(self, request: Any, context: Any) -> cpb.StatusResponse:  # noqa: N802
        return self.answer


@pytest.fixture
def coordinators() -> Iterator[tuple[str, str]]:
    """A follower that redirects to the leader, and the leader."""
    servers = []
    leader_server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    leader_port = leader_server.add_insecure_port("127.0.0.1:0")
    leader = f"127.0.0.1:{leader_port}"
    cpb_grpc.add_CoordinatorServicer_to_server(_Coordinator(_status()), leader_server)
    follower_server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    follower_port = follower_server.add_insecure_port("127.0.0.1:0")
    cpb_grpc.add_CoordinatorServicer_to_server(
        _Coordinator(cpb.StatusResponse(map=cpb.PartitionMap(not_leader=leader))), follower_server)
    for s in (leader_server, follower_server):
        s.start()
        servers.append(s)
    try:
        yield f"127.0.0.1:{follower_port}", leader
    finally:
        for s in servers:
            s.stop(0)


def test_fetch_follows_not_leader_and_skips_dead_members(coordinators: tuple[str, str]) -> None:
    follower, _ = coordinators
    resp = status.fetch_status(["127.0.0.1:1", follower], timeout=2.0)
    assert resp.map.map_version == 5


def test_main_reports_unreachable_coordinators(capsys: pytest.CaptureFixture[str]) -> None:
    assert status.main(["--coordinator", "127.0.0.1:1", "--timeout", "1"]) == 1
    assert "no coordinator answered" in capsys.readouterr().err
