"""The node process: data + Raft-log LevelDBs, the driver, gRPC services, metrics, CLI.

Rules:

* One :class:`NodeServer` owns everything of one node (no globals), so tests run several in one
  process. Layout under ``--data-dir``: ``data/`` (the data LevelDB: items, per-partition
  bookkeeping, the replica catalog) and ``raft/`` (every group's log and hard state).
* Readiness: ``main`` prints exactly one line, ``kuradb node N listening on HOST:PORT``, on
  stdout once the gRPC server accepts requests and every hosted replica is loaded; tests and
  scripts wait for it. Logs go to stderr, one ``key=value`` line per record, warning and above
  by default.
* SIGTERM/SIGINT stop the gRPC server (grace period), then the driver, then close both
  databases; the exit status is 0.
* Peer addresses: a node learns them from descriptors that carry them, from peers' streams
  (``from_address``) and from ``--peer N=HOST:PORT`` (repeatable), needed only to reach a peer
  that has not contacted this node yet.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from kuradb.process import MetricsEndpoint, configure_logging, run_server
from kuradb.coordinator.heartbeat_client import HeartbeatClient, NodeIdentity
from kuradb.node.driver import DriverConfig, NodeDriver
from kuradb.node.faults import FaultFileWatcher, FaultTable
from kuradb.node.leveldb_engine import LevelDBEngine
from kuradb.node.metrics import NodeMetrics
from kuradb.node.raft_storage import RaftLogDB
from kuradb.node.service import NodeAdminService, NodeDataService
from kuradb.node.transport import TransportConfig, grpc_options
from kuradb.proto import internal_pb2_grpc as pb_grpc

log = logging.getLogger("kuradb.node")

GRACE_S = 1.0


@dataclass
class NodeOptions:
    node_id: int
    az: str
    listen: str
    data_dir: Path
    metrics_listen: str | None = None
    tick_ms: int = 100
    election_ticks: int = 10
    heartbeat_ticks: int = 1
    compact_after: int = 10_000
    coordinator: str | None = None
    heartbeat_s: float = 1.0  # interval of heartbeats to the coordinator
    peers: dict[int, str] = field(default_factory=dict)


class NodeServer:
    """Everything one node runs. ``await start()`` then ``await stop()``."""

    def __init__(self, options: NodeOptions) -> None:
        self.options = options
        self.metrics = NodeMetrics()
        self.faults = FaultTable()
        self.engine: LevelDBEngine | None = None
        self.logdb: RaftLogDB | None = None
        self.driver: NodeDriver | None = None
        self.address = ""
        self._server: grpc.aio.Server | None = None
        self._watcher: FaultFileWatcher | None = None
        self._metrics: MetricsEndpoint | None = None
        self.metrics_address = ""
        self._heartbeat: HeartbeatClient | None = None

    async def start(self) -> str:
        """Open the databases, reload replicas, serve; returns the bound ``host:port``."""
        o = self.options
        if o.node_id <= 0:
            raise ValueError("--node-id must be a positive integer")
        o.data_dir.mkdir(parents=True, exist_ok=True)
        tconf = TransportConfig()
        server = grpc.aio.server(options=grpc_options(tconf))
        host, _, port = o.listen.rpartition(":")
        bound = server.add_insecure_port(o.listen)
        if bound == 0:
            raise OSError(f"cannot listen on {o.listen}")
        self.address = f"{host}:{bound}"
        self.engine = LevelDBEngine(o.data_dir / "data")
        self.logdb = RaftLogDB(o.data_dir / "raft")
        config = DriverConfig(
            node_id=o.node_id,
            az=o.az,
            address=self.address,
            tick_ms=o.tick_ms,
            election_ticks=o.election_ticks,
            heartbeat_ticks=o.heartbeat_ticks,
            compact_after=o.compact_after,
        )
        self.driver = NodeDriver(config, self.engine, self.logdb, self.metrics, faults=self.faults, transport_config=tconf)
        for nid, addr in o.peers.items():
            self.driver.addresses.set(nid, addr)
        pb_grpc.add_NodeDataServicer_to_server(NodeDataService(self.driver), server)
        pb_grpc.add_NodeAdminServicer_to_server(NodeAdminService(self.driver), server)
        self.driver.transport.add_to_server(server)
        await self.driver.start()
        await server.start()
        self._server = server
        self._watcher = FaultFileWatcher.from_env(self.faults)
        if self._watcher is not None:
            self._watcher.start()
        if o.metrics_listen:
            self._metrics = MetricsEndpoint.start(self.metrics.registry, o.metrics_listen)
            self.metrics_address = self._metrics.address
        if o.coordinator:
            driver = self.driver
            identity = NodeIdentity(o.node_id, self.address, o.az, metrics_address=self.metrics_address)
            self._heartbeat = HeartbeatClient(o.coordinator.split(","), identity, lambda: driver.call(driver.partition_reports),
                                              interval_s=o.heartbeat_s)
            self._heartbeat.start()
        return self.address

    async def stop(self) -> None:
        if self._heartbeat is not None:
            await self._heartbeat.stop()
            self._heartbeat = None
        if self._watcher is not None:
            await self._watcher.stop()
        if self._server is not None:
            await self._server.stop(GRACE_S)
            self._server = None
        if self.driver is not None:
            await self.driver.stop()
        if self._metrics is not None:
            self._metrics.close()
            self._metrics = None
        if self.logdb is not None:
            self.logdb.close()
        if self.engine is not None:
            self.engine.close()


def _peer(text: str) -> tuple[int, str]:
    nid, sep, addr = text.partition("=")
    if not sep or not nid.isdigit() or ":" not in addr:
        raise argparse.ArgumentTypeError(f"expected NODE_ID=HOST:PORT, got {text!r}")
    return int(nid), addr


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kuradb node", description="Run a KuraDB storage node.")
    p.add_argument("--node-id", type=int, required=True, help="this node's id (positive, unique in the cluster)")
    p.add_argument("--az", required=True, help="availability zone of this node")
    p.add_argument("--listen", required=True, metavar="HOST:PORT", help="gRPC address (port 0: any free port)")
    p.add_argument("--data-dir", type=Path, required=True, help="directory of the data and Raft-log LevelDBs")
    p.add_argument("--metrics-listen", metavar="HOST:PORT", help="serve Prometheus /metrics here")
    p.add_argument("--tick-ms", type=int, default=100, help="Raft tick interval (default 100 ms)")
    p.add_argument("--election-ticks", type=int, default=10, help="election timeout in ticks (randomized up to 2x)")
    p.add_argument("--heartbeat-ticks", type=int, default=1, help="heartbeat interval in ticks")
    p.add_argument("--compact-after", type=int, default=10_000, help="applied log entries kept before compaction")
    p.add_argument("--coordinator", metavar="ADDR",
                   help="coordinator address(es), comma-separated: the node heartbeats its partitions there")  # fmt: skip
    p.add_argument("--peer", type=_peer, action="append", default=[], metavar="NODE_ID=HOST:PORT",
                   help="address of a peer node (repeatable); peers are also learned from their streams")  # fmt: skip
    p.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"])
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level)
    options = NodeOptions(
        node_id=args.node_id,
        az=args.az,
        listen=args.listen,
        data_dir=args.data_dir,
        metrics_listen=args.metrics_listen,
        tick_ms=args.tick_ms,
        election_ticks=args.election_ticks,
        heartbeat_ticks=args.heartbeat_ticks,
        compact_after=args.compact_after,
        coordinator=args.coordinator,
        peers=dict(args.peer),
    )
    node = NodeServer(options)

    async def start() -> list[str]:
        return [f"kuradb node {options.node_id} listening on {await node.start()}"]

    return run_server(start, node.stop, f"node {args.node_id}")


if __name__ == "__main__":
    sys.exit(main())
