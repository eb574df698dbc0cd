"""The router process: ``kuradb router --listen HOST:PORT --coordinator ADDR[,ADDR...] [--az AZ]``.

Rules:

* One :class:`RouterServer` owns everything of one router (map cache, coordinator link, node
  channels, metrics registry, gRPC server): no globals, so tests run several in one process.
* Readiness: the gRPC server starts only once the first partition map has arrived; then
  ``main`` prints exactly one line, ``kuradb router listening on HOST:PORT``, on stdout. Until
  the coordinator answers, the router waits (logging a warning now and then) rather than
  serving requests it cannot route.
* Logs go to stderr, one ``key=value`` line per record, warning and above by default.
* SIGTERM/SIGINT stop the gRPC server (short grace period), the map watch and every channel;
  the exit status is 0.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from dataclasses import dataclass

import grpc

from kuradb.process import MetricsEndpoint, configure_logging, run_server
from kuradb.proto import dynamodb_pb2_grpc as dpb_grpc
from kuradb.router.channels import NodeChannels
from kuradb.router.coordinator_client import CoordinatorClient
from kuradb.router.executor import Executor
from kuradb.router.http import HttpOptions, HttpServer, create_app
from kuradb.router.metrics import RouterMetrics
from kuradb.router.partition_map import PartitionMap
from kuradb.router.policy import RetryPolicy
from kuradb.router.service import DynamoDBService, Router
from kuradb.router.sigv4 import SigV4Verifier, parse_access_keys

log = logging.getLogger("kuradb.router")

GRACE_S = 1.0
READY_WARN_EVERY_S = 10.0


@dataclass
class RouterOptions:
    listen: str
    coordinators: list[str]
    az: str = ""
    metrics_listen: str | None = None
    election_timeout_s: float = 1.0
    max_attempts: int = 10
    request_timeout_s: float = 10.0
    http_listen: str | None = None  # DynamoDB JSON protocol endpoint (router/http.py), off by default
    access_keys: dict[str, str] | None = None  # SigV4 keys the HTTP endpoint verifies; None: any


class RouterServer:
    """Everything one router runs. ``await start()`` then ``await stop()``."""

    def __init__(self, options: RouterOptions) -> None:
        self.options = options
        self.metrics = RouterMetrics()
        self.pmap = PartitionMap()
        self.coordinator = CoordinatorClient(options.coordinators, self.pmap, on_map=self.metrics.map_version.set)
        self.channels = NodeChannels()
        retry = RetryPolicy(max_attempts=options.max_attempts, election_timeout_s=options.election_timeout_s)
        self.executor = Executor(self.pmap, self.coordinator, self.channels, self.metrics, az=options.az, retry=retry)
        self.router = Router(self.pmap, self.executor, default_timeout_s=options.request_timeout_s)
        self.address = ""
        self.metrics_address = ""
        self._server: grpc.aio.Server | None = None
        self._metrics: MetricsEndpoint | None = None
        self.http_address = ""
        self._http: HttpServer | None = None

    async def start(self) -> str:
        """Wait for the first partition map, then serve; returns the bound ``host:port``."""
        o = self.options
        server = grpc.aio.server(
            options=[("grpc.max_receive_message_length", 64 << 20), ("grpc.max_send_message_length", 64 << 20)]
        )
        host, _, _ = o.listen.rpartition(":")
        bound = server.add_insecure_port(o.listen)
        if bound == 0:
            raise OSError(f"cannot listen on {o.listen}")
        self.address = f"{host}:{bound}"
        dpb_grpc.add_DynamoDBServicer_to_server(DynamoDBService(self.router, self.metrics), server)
        if o.metrics_listen:
            self._metrics = MetricsEndpoint.start(self.metrics.registry, o.metrics_listen)
            self.metrics_address = self._metrics.address
        self.coordinator.start_watch()
        while True:
            try:
                await asyncio.wait_for(self.coordinator.ready.wait(), READY_WARN_EVERY_S)
                break
            except asyncio.TimeoutError:
                log.warning("no partition map yet from coordinator(s) %s", ",".join(o.coordinators))
        await server.start()
        self._server = server
        if o.http_listen:
            options = HttpOptions(SigV4Verifier(o.access_keys or {}), request_timeout_s=o.request_timeout_s)
            self._http = HttpServer(create_app(self.router, options, self.metrics))
            self.http_address = await self._http.start(o.http_listen)
        return self.address

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.stop()
            self._http = None
        if self._server is not None:
            await self._server.stop(GRACE_S)
            self._server = None
        await self.coordinator.close()
        await self.channels.close()
        if self._metrics is not None:
            self._metrics.close()
            self._metrics = None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kuradb router", description="Run a KuraDB router (the client-facing front door).")
    p.add_argument("--listen", required=True, metavar="HOST:PORT", help="gRPC address (port 0: any free port)")
    p.add_argument("--coordinator", required=True, metavar="ADDR[,ADDR...]", help="coordinator group members")
    p.add_argument("--az", default="", help="this router's availability zone (eventual reads prefer it)")
    p.add_argument("--metrics-listen", metavar="HOST:PORT", help="serve Prometheus /metrics here")
    p.add_argument("--election-timeout-ms", type=int, default=1000,
                   help="back-off when a partition has no leader (about one election timeout)")  # fmt: skip
    p.add_argument("--max-attempts", type=int, default=10, help="node attempts per request before giving up")
    p.add_argument("--http-listen", metavar="HOST:PORT", help="also serve the DynamoDB JSON protocol (boto3, AWS CLI) here")
    p.add_argument("--access-keys", metavar="KEY:SECRET[,...]|@FILE", type=parse_access_keys,
                   help="verify SigV4 signatures against these keys (default: accept any credentials)")  # fmt: skip
    p.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"])
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level)
    coordinators = [a.strip() for a in args.coordinator.split(",") if a.strip()]
    options = RouterOptions(
        listen=args.listen,
        coordinators=coordinators,
        az=args.az,
        metrics_listen=args.metrics_listen,
        election_timeout_s=args.election_timeout_ms / 1000.0,
        max_attempts=args.max_attempts,
        http_listen=args.http_listen,
        access_keys=args.access_keys,
    )
    router = RouterServer(options)

    async def start() -> list[str]:
        lines = [f"kuradb router listening on {await router.start()}"]
        if router.http_address:
            lines.append(f"kuradb router http listening on {router.http_address}")
        return lines

    return run_server(start, router.stop, "router")


if __name__ == "__main__":
    sys.exit(main())
