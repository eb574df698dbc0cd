"""TEST-ONLY: a real local cluster (kuradb.tools.up: coordinator + 3 nodes in 3 AZs) plus router
processes serving the DynamoDB JSON protocol (``kuradb router --http-listen``)."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from kuradb.tools.up import ClusterSpec, LocalCluster, find_free_port_base

READY_TIMEOUT_S = 60.0
HTTP_READY_PREFIX = "kuradb router http listening on "


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class HttpRouter:
    proc: subprocess.Popen[str]
    url: str


@dataclass
class HttpCluster:
    """Start with :meth:`start`, always :meth:`stop` (fixtures use a finalizer)."""

    root: Path
    cluster: LocalCluster | None = None
    routers: list[HttpRouter] = field(default_factory=list)

    def start(self) -> HttpCluster:
        spec = ClusterSpec(data_dir=self.root / "data", tick_ms=50, metrics=False)
        spec = ClusterSpec(data_dir=spec.data_dir, port=find_free_port_base(spec), tick_ms=50, metrics=False)
        self.cluster = LocalCluster(spec, ready_timeout=READY_TIMEOUT_S, say=lambda _: None)
        self.cluster.start()
        return self

    def router(self, *extra: str) -> str:
        """Start one more router with an HTTP endpoint; returns its URL once it is serving."""
        assert self.cluster is not None
        port = free_port()
        log = open(self.root / f"router-http-{port}.log", "w")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [sys.executable, "-m", "kuradb.cli", "router", "--listen", "127.0.0.1:0",
             "--coordinator", ",".join(self.cluster.coordinator_addresses),
             "--http-listen", f"127.0.0.1:{port}", *extra],
            stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        router = HttpRouter(proc, "")
        self.routers.append(router)
        ready = threading.Event()

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.startswith(HTTP_READY_PREFIX):
                    router.url = "http://" + line[len(HTTP_READY_PREFIX):].strip()
                    ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(READY_TIMEOUT_S):
            raise RuntimeError(f"router with --http-listen not ready; see {log.name}")
        return router.url

    def stop(self) -> None:
        for r in self.routers:
            if r.proc.poll() is None:
                r.proc.terminate()
            try:
                r.proc.wait(10)
            except subprocess.TimeoutExpired:
                r.proc.kill()
                r.proc.wait()
        self.routers.clear()
        if self.cluster is not None:
            self.cluster.stop()
            self.cluster = None
