"""The coordinator process: its Raft member, the Coordinator gRPC service, metrics, CLI.

Rules:

* One :class:`CoordinatorServer` owns everything of one member (no globals, metrics on its own
  CollectorRegistry), so tests run a 3-member group in one process. Layout under
  ``--data-dir``: ``raft/`` (the group's log LevelDB) and ``state.snap`` (the saved state image).
* Members: ``--peers id=host:port,...`` lists the group's other members (listing this member
  too is allowed); without it the group has one member. Every member must be started with
  the same member set: the set is the group's initial configuration.
* One gRPC server per member carries the Coordinator service AND the Raft transport between
  members, so a member's address is the same for clients and peers.
* Readiness: ``main`` prints exactly ``kuradb coordinator listening on HOST:PORT`` once the
  server accepts requests. SIGTERM/SIGINT stop the server, the reconciler, then Raft; exit 0.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from prometheus_client import CollectorRegistry

from kuradb.process import MetricsEndpoint, configure_logging, run_server
from kuradb.coordinator.raft_host import RaftHost, RaftHostConfig
from kuradb.coordinator.service import CoordinatorCore, CoordinatorService, ServiceConfig
from kuradb.coordinator.state import CoordinatorMachine
from kuradb.node.transport import TransportConfig, grpc_options
from kuradb.proto import coordinator_pb2_grpc as cpb_grpc

__all__ = ["CoordinatorOptions", "CoordinatorServer", "build_parser", "main", "parse_peers"]

log = logging.getLogger("kuradb.coordinator")

GRACE_S = 1.0


@dataclass
class CoordinatorOptions:
    member_id: int
    listen: str
    data_dir: Path
    peers: dict[int, str] = field(default_factory=dict)
    metrics_listen: str | None = None
    tick_ms: int = 100
    election_ticks: int = 10
    snapshot_every: int = 1000
    service: ServiceConfig = field(default_factory=ServiceConfig)


class CoordinatorServer:
    """Everything one coordinator member runs. ``await start()`` then ``await stop()``."""

    def __init__(self, options: CoordinatorOptions) -> None:
        self.options = options
        self.registry = CollectorRegistry()
        self.machine = CoordinatorMachine()
        self.host: RaftHost | None = None
        self.core: CoordinatorCore | None = None
        self.address = ""
        self._server: grpc.aio.Server | None = None
        self._metrics: MetricsEndpoint | None = None
        self.metrics_address = ""

    async def start(self) -> str:
        o = self.options
        if o.member_id <= 0:
            raise ValueError("--id must be a positive integer")
        tconf = TransportConfig()
        server = grpc.aio.server(options=grpc_options(tconf))
        bound = server.add_insecure_port(o.listen)
        if bound == 0:
            raise OSError(f"cannot listen on {o.listen}")
        host, _, _ = o.listen.rpartition(":")
        self.address = o.peers.get(o.member_id) or f"{host}:{bound}"
        members = {**o.peers, o.member_id: self.address}
        self.host = RaftHost(
            RaftHostConfig(
                member_id=o.member_id,
                members=members,
                data_dir=o.data_dir,
                tick_ms=o.tick_ms,
                election_ticks=o.election_ticks,
                snapshot_every=o.snapshot_every,
            ),
            self.machine,
            registry=self.registry,
            transport_config=tconf,
        )
        self.core = CoordinatorCore(self.host, self.machine, o.service)
        cpb_grpc.add_CoordinatorServicer_to_server(CoordinatorService(self.core, self.registry), server)
        self.host.add_to_server(server)
        await self.host.start()
        self.core.start()
        await server.start()
        self._server = server
        if o.metrics_listen:
            self._metrics = MetricsEndpoint.start(self.registry, o.metrics_listen)
            self.metrics_address = self._metrics.address
        return self.address

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop(GRACE_S)
            self._server = None
        if self.core is not None:
            await self.core.stop()
            self.core = None
        if self.host is not None:
            await self.host.stop()
            self.host = None
        if self._metrics is not None:
            self._metrics.close()
            self._metrics = None


def parse_peers(text: str) -> dict[int, str]:
    """``"1=h:p,2=h:p"`` -> ``{1: "h:p", 2: "h:p"}``."""
    out: dict[int, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        mid, sep, addr = part.partition("=")
        if not sep or not mid.isdigit() or int(mid) <= 0 or ":" not in addr:
            raise argparse.ArgumentTypeError(f"expected ID=HOST:PORT[,ID=HOST:PORT...], got {part!r}")
        out[int(mid)] = addr
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kuradb coordinator", description="Run a KuraDB coordinator member.")
    p.add_argument("--id", type=int, required=True, help="this member's id (positive, unique in the group)")
    p.add_argument("--listen", required=True, metavar="HOST:PORT", help="gRPC address (port 0: any free port)")
    p.add_argument("--data-dir", type=Path, required=True, help="directory of the Raft log and state image")
    p.add_argument("--peers", type=parse_peers, default={}, metavar="ID=HOST:PORT,...",
                   help="the other members of the coordinator group (same list on every member)")  # fmt: skip
    p.add_argument("--metrics-listen", metavar="HOST:PORT", help="serve Prometheus /metrics here")
    p.add_argument("--tick-ms", type=int, default=100, help="Raft tick interval (default 100 ms)")
    p.add_argument("--election-ticks", type=int, default=10, help="election timeout in ticks")
    p.add_argument("--replicas", type=int, default=3, help="replicas per partition, one per AZ (default 3)")
    p.add_argument("--liveness-timeout", type=float, default=10.0, help="seconds without heartbeat before a node is dead")
    p.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"])
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level)
    options = CoordinatorOptions(
        member_id=args.id,
        listen=args.listen,
        data_dir=args.data_dir,
        peers=args.peers,
        metrics_listen=args.metrics_listen,
        tick_ms=args.tick_ms,
        election_ticks=args.election_ticks,
        service=ServiceConfig(replication_factor=args.replicas, liveness_timeout_s=args.liveness_timeout,
                              heartbeat_commit_s=args.liveness_timeout / 3),  # fmt: skip
    )
    server = CoordinatorServer(options)

    async def start() -> list[str]:
        return [f"kuradb coordinator listening on {await server.start()}"]

    return run_server(start, server.stop, f"coordinator {args.id}")


if __name__ == "__main__":
    sys.exit(main())
