"""The router's coordinator link: watch pushes, not_leader redirects, reconnects; the CLI process."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import urllib.request

import grpc

from kuradb.proto import coordinator_pb2 as cpb
from kuradb.proto import coordinator_pb2_grpc as cpb_grpc
from kuradb.router.coordinator_client import CoordinatorClient
from kuradb.router.partition_map import PartitionMap
from tests.router.fakes import FakeCluster, FakeCoordinator, FakeNode, even_partitions
from tests.router.harness import HASH_TABLE, Harness, run, s


async def wait_until(cond, timeout: float = 5.0) -> None:  # noqa: ANN001
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        assert loop.time() < end, "condition not met in time"
        await asyncio.sleep(0.01)


def test_watch_pushes_new_maps() -> None:
    async def scenario(h: Harness) -> None:
        pid = h.router.pmap.lookup(HASH_TABLE.table_id, 0).partition_id
        h.cluster.split(pid, 12345, 555)
        await h.coordinator.publish()
        await wait_until(lambda: h.router.pmap.version == 2)
        assert h.router.pmap.lookup(HASH_TABLE.table_id, 12345).partition_id == 555
        assert h.metric("kuradb_router_map_version") == 2
        await h.call("PutItem", {"TableName": "users", "Item": {"id": s("a")}})
        assert h.metric("kuradb_router_retries_total", reason="epoch_not_match") == 0

    run(scenario)


async def _two_coordinators() -> tuple[FakeCoordinator, FakeCoordinator, list[FakeNode]]:
    cluster = FakeCluster()
    nodes = [FakeNode(cluster, 1, "az-a")]
    for d in even_partitions(HASH_TABLE, 1, 100):
        cluster.add(d, leader=1)
    follower = FakeCoordinator(cluster, nodes, [HASH_TABLE])
    leader = FakeCoordinator(cluster, nodes, [HASH_TABLE])
    await follower.start()
    await leader.start()
    follower.not_leader = leader.address
    await leader.publish()
    return follower, leader, nodes


def test_not_leader_is_followed_for_watch_reload_and_table_operations() -> None:
    async def main() -> None:
        follower, leader, _ = await _two_coordinators()
        pmap = PartitionMap()
        client = CoordinatorClient([follower.address], pmap)
        try:
            client.start_watch()
            await asyncio.wait_for(client.ready.wait(), 5)
            assert pmap.version == 1 and pmap.table("users") is not None
            assert client.members == [follower.address, leader.address]
            out = await client.table_operation("ListTables", {})
            assert out == {"TableNames": ["users"]}
            await client.reload()
            assert leader.get_calls == 1
        finally:
            await client.close()
            await follower.stop()
            await leader.stop()

    asyncio.run(main())


def test_unknown_leader_fails_over_to_the_next_member_and_watch_reconnects() -> None:
    async def main() -> None:
        follower, leader, _ = await _two_coordinators()
        follower.not_leader = "?"
        pmap = PartitionMap()
        client = CoordinatorClient([follower.address, leader.address], pmap, max_backoff_s=0.05)
        try:
            client.start_watch()
            await asyncio.wait_for(client.ready.wait(), 5)
            # The leader goes away and comes back on the same port with a newer map.
            port = int(leader.address.rsplit(":", 1)[1])
            await leader.stop()
            server_again = FakeCoordinator(leader.cluster, leader.nodes, leader.tables)
            server_again.version = 6
            srv = grpc.aio.server()
            srv.add_insecure_port(f"127.0.0.1:{port}")
            cpb_grpc.add_CoordinatorServicer_to_server(server_again, srv)
            await srv.start()
            await server_again.publish()
            await wait_until(lambda: pmap.version == 7)
            await srv.stop(None)
        finally:
            await client.close()
            await follower.stop()

    asyncio.run(main())


def test_no_coordinator_is_service_unavailable() -> None:
    async def main() -> None:
        client = CoordinatorClient(["127.0.0.1:1"], PartitionMap(), max_backoff_s=0.01)
        try:
            try:
                await client.table_operation("ListTables", {})
            except Exception as e:  # noqa: BLE001
                assert type(e).__name__ == "ServiceUnavailable"
            else:
                raise AssertionError("no coordinator, yet it answered")
        finally:
            await client.close()

    asyncio.run(main())


def test_older_map_from_a_lagging_member_is_ignored() -> None:
    pmap = PartitionMap()
    assert pmap.replace(cpb.PartitionMap(map_version=3))
    assert not pmap.replace(cpb.PartitionMap(map_version=2))
    assert pmap.version == 3


def test_cli_process_prints_ready_line_serves_metrics_and_exits_cleanly() -> None:
    async def main() -> None:
        cluster = FakeCluster()
        node = FakeNode(cluster, 1, "az-a")
        for d in even_partitions(HASH_TABLE, 1, 100):
            cluster.add(d, leader=1)
        coord = FakeCoordinator(cluster, [node], [HASH_TABLE])
        await coord.start()
        await coord.publish()
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "kuradb.cli", "router", "--listen", "127.0.0.1:0", "--coordinator", coord.address,
            "--az", "az-a", "--metrics-listen", "127.0.0.1:0",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
        )  # fmt: skip
        try:
            assert proc.stdout is not None
            line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
            assert line.startswith("kuradb router listening on 127.0.0.1:"), line
        finally:
            proc.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(proc.wait(), 20)
            await coord.stop()
        assert code == 0

    asyncio.run(main())


def test_metrics_endpoint_serves_router_metrics() -> None:
    async def scenario(h: Harness) -> None:
        from kuradb.process import MetricsEndpoint

        endpoint = MetricsEndpoint.start(h.router.metrics.registry, "127.0.0.1:0")
        try:
            await h.call("PutItem", {"TableName": "users", "Item": {"id": s("a")}})
            url = f"http://{endpoint.address}/metrics"
            body = await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=5).read().decode())
            for name in ("kuradb_router_requests_total", "kuradb_router_request_seconds", "kuradb_router_map_version",
                         "kuradb_router_retries_total"):  # fmt: skip
                assert name in body
        finally:
            endpoint.close()

    run(scenario)
