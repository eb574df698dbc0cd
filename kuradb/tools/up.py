"""``kuradb up``: a whole local cluster — coordinator(s), nodes in simulated AZs, one router — as
child processes of one command.

Rules and invariants:

* Addresses and data directories are a pure function of the flags (:func:`plan`): router at
  ``--port``, coordinator k at ``port+k`` (k = 1..3), node n at ``port+10+n-1``, each process's
  /metrics at its port + 100. A restart with the same flags therefore finds every process at the
  address its peers and the coordinator recorded, and every data dir where it left it, so data is
  kept. The layout is written to ``DATA_DIR/cluster.json`` on first start; a later start whose
  flags give a different layout is refused rather than silently orphaning data.
* Node ids run 1..N round-robin over the AZs (node 1 in the first AZ, node 2 in the second, ...),
  so every AZ has ``--nodes-per-az`` nodes and ids do not depend on the order of discovery.
* Start order: coordinators, then nodes, then the router, each stage waiting for its processes'
  ready lines (``... listening on HOST:PORT``), because each stage needs the previous one to be
  reachable. The node stage also waits until the coordinator reports every node alive: only
  then can a table be placed, and "up" means usable. Stop order is the reverse, so clients lose the router first and nodes can still
  report to the coordinator while they stop.
* Stopping: SIGTERM to the stage's processes, wait up to ``stop_timeout``, then SIGKILL. It
  happens on SIGINT/SIGTERM to the launcher and when any child exits on its own, in which case
  the launcher names the child and exits non-zero: a cluster with a missing member is not "up".
* Children share the launcher's process group, so a terminal's Ctrl-C also reaches them directly
  (they stop gracefully on SIGINT) and a test can kill the whole tree with one killpg.
* Children's stdout and stderr go to ``DATA_DIR/logs/NAME.log`` (appended across restarts);
  readiness is read from there, so no pipe can fill up and block a child, and a child outlives
  nothing it depends on in the launcher. ``--foreground-logs`` also copies new log lines to the
  launcher's stdout with a ``NAME |`` prefix.
* :meth:`LocalCluster.kill` and :meth:`LocalCluster.restart` crash and bring back one named
  member (failure tests). A restarted member runs the same argv, so it is the same member: same
  id, address and data dir.
* No module state: any number of :class:`LocalCluster` objects may run in one process (the
  benchmark starts one); only :func:`main` installs signal handlers.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final, TextIO

COORDINATOR_OFFSET: Final = 1  # coordinator k listens on port + k
MAX_COORDINATORS: Final = 3
HTTP_OFFSET: Final = 4  # the router's DynamoDB JSON endpoint (boto3, AWS CLI) listens on port + 4
NODE_OFFSET: Final = 10  # node n listens on port + 10 + n - 1
MAX_NODES: Final = 80  # node ports stay below the metrics block
METRICS_OFFSET: Final = 100
LAYOUT_FILE: Final = "cluster.json"
COORDINATOR_STAGE, NODE_STAGE, ROUTER_STAGE = 0, 1, 2
DEFAULT_AZS: Final = ("az-a", "az-b", "az-c")


class ClusterError(RuntimeError):
    """The cluster could not be started or a member died; the message says which and why."""


@dataclass(frozen=True)
class ClusterSpec:
    """What ``kuradb up`` was asked for; :func:`plan` turns it into processes."""

    data_dir: Path
    port: int = 8000
    host: str = "127.0.0.1"
    azs: tuple[str, ...] = DEFAULT_AZS
    nodes_per_az: int = 1
    coordinators: int = 1
    tick_ms: int = 100
    metrics: bool = True

    def __post_init__(self) -> None:
        if self.coordinators not in (1, 3):
            raise ValueError("--coordinators must be 1 or 3")
        if not self.azs or len(set(self.azs)) != len(self.azs) or any(not az for az in self.azs):
            raise ValueError("--azs must name distinct, non-empty availability zones")
        if self.nodes_per_az < 1 or self.nodes_per_az * len(self.azs) > MAX_NODES:
            raise ValueError(f"--nodes-per-az must be at least 1 and give at most {MAX_NODES} nodes")
        if not 1 <= self.port <= 65535 - METRICS_OFFSET - NODE_OFFSET - MAX_NODES:
            raise ValueError("--port leaves no room for the derived ports")
        if self.tick_ms < 1:
            raise ValueError("--tick-ms must be positive")

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def http_endpoint(self) -> str:
        return f"{self.host}:{self.port + HTTP_OFFSET}"

    def layout(self) -> dict[str, object]:
        """The part of the spec that fixes addresses and data dirs (stored in cluster.json)."""
        return {"host": self.host, "port": self.port, "azs": list(self.azs),
                "nodes_per_az": self.nodes_per_az, "coordinators": self.coordinators}  # fmt: skip


@dataclass(frozen=True)
class ProcessSpec:
    """One child: how to run it, what line says it is ready, where its log goes."""

    name: str  # "coordinator-1", "node-3", "router"
    stage: int  # 0 coordinators, 1 nodes, 2 router
    argv: tuple[str, ...]
    address: str
    ready_prefix: str
    log: Path
    metrics_address: str | None = None
    node_id: int = 0  # storage nodes only
    az: str = ""  # storage nodes only


def _kuradb(*args: str) -> tuple[str, ...]:
    # The same interpreter and source as the launcher, whether or not a `kuradb` script is on PATH.
    return (sys.executable, "-m", "kuradb.cli", *args)


def plan(spec: ClusterSpec) -> list[ProcessSpec]:
    """Every child of the cluster, in start order. Pure: same spec, same processes."""
    host, base = spec.host, spec.port
    data, logs = spec.data_dir.resolve(), spec.data_dir.resolve() / "logs"

    def metrics(port: int) -> str | None:
        return f"{host}:{port + METRICS_OFFSET}" if spec.metrics else None

    def metrics_args(port: int) -> tuple[str, ...]:
        m = metrics(port)
        return ("--metrics-listen", m) if m else ()

    coord_ports = {k: base + COORDINATOR_OFFSET + k - 1 for k in range(1, spec.coordinators + 1)}
    coord_addrs = {k: f"{host}:{p}" for k, p in coord_ports.items()}
    out: list[ProcessSpec] = []
    for k, port in coord_ports.items():
        peers = ",".join(f"{j}={a}" for j, a in coord_addrs.items() if j != k)
        out.append(ProcessSpec(
            name=f"coordinator-{k}", stage=COORDINATOR_STAGE,
            argv=_kuradb("coordinator", "--id", str(k), "--listen", coord_addrs[k],
                         "--data-dir", str(data / f"coordinator-{k}"), "--tick-ms", str(spec.tick_ms),
                         *(("--peers", peers) if peers else ()), *metrics_args(port)),
            address=coord_addrs[k], ready_prefix="kuradb coordinator listening on",
            log=logs / f"coordinator-{k}.log", metrics_address=metrics(port),
        ))  # fmt: skip
    coordinators = ",".join(coord_addrs.values())
    n_nodes = spec.nodes_per_az * len(spec.azs)
    node_addrs = {n: f"{host}:{base + NODE_OFFSET + n - 1}" for n in range(1, n_nodes + 1)}
    for n, address in node_addrs.items():
        port, az = base + NODE_OFFSET + n - 1, spec.azs[(n - 1) % len(spec.azs)]
        peers = [arg for j, a in node_addrs.items() if j != n for arg in ("--peer", f"{j}={a}")]
        out.append(ProcessSpec(
            name=f"node-{n}", stage=NODE_STAGE,
            argv=_kuradb("node", "--node-id", str(n), "--az", az,
                         "--listen", address, "--data-dir", str(data / f"node-{n}"),
                         "--tick-ms", str(spec.tick_ms), "--coordinator", coordinators, *peers,
                         *metrics_args(port)),
            address=address, ready_prefix=f"kuradb node {n} listening on",
            log=logs / f"node-{n}.log", metrics_address=metrics(port), node_id=n, az=az,
        ))  # fmt: skip
    out.append(ProcessSpec(
        name="router", stage=ROUTER_STAGE,
        argv=_kuradb("router", "--listen", spec.endpoint, "--http-listen", spec.http_endpoint,
                     "--coordinator", coordinators, "--az", spec.azs[0], *metrics_args(base)),
        address=spec.endpoint, ready_prefix="kuradb router listening on",
        log=logs / "router.log", metrics_address=metrics(base),
    ))  # fmt: skip
    return out


def check_layout(spec: ClusterSpec) -> None:
    """Record the layout on first start; refuse a start whose layout differs from the recorded one."""
    path = spec.data_dir / LAYOUT_FILE
    if path.exists():
        recorded = json.loads(path.read_text(encoding="utf-8"))
        if recorded != spec.layout():
            raise ClusterError(
                f"{spec.data_dir} holds a cluster started with {json.dumps(recorded)}; restart it with the "
                "same --port/--azs/--nodes-per-az/--coordinators (addresses and data dirs derive from them) "
                "or use another --data-dir"
            )
        return
    spec.data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(spec.layout(), indent=2) + "\n", encoding="utf-8")


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def ports_of(processes: Sequence[ProcessSpec]) -> list[tuple[str, int]]:
    addrs = [a for p in processes for a in (p.address, p.metrics_address) if a]
    return [(a.rpartition(":")[0], int(a.rpartition(":")[2])) for a in addrs]


def find_free_port_base(spec: ClusterSpec, attempts: int = 50) -> int:
    """A --port for which every derived port is free now (for tests and ``bench --start-cluster``)."""
    rng = random.Random()
    for _ in range(attempts):
        base = rng.randrange(20000, 60000)
        candidate = replace(spec, port=base)
        if not any(_port_in_use(h, p) for h, p in ports_of(plan(candidate))):
            return base
    raise ClusterError("no free block of ports found")


@dataclass
class _Child:
    spec: ProcessSpec
    proc: subprocess.Popen[bytes]
    log_offset: int  # the log file's size at spawn: readiness is looked for after it
    ready: bool = False


@dataclass
class LocalCluster:
    """Starts and stops the processes of :func:`plan`. Not thread-safe; one owner."""

    spec: ClusterSpec
    ready_timeout: float = 60.0
    stop_timeout: float = 10.0
    say: Callable[[str], None] = print
    foreground_logs: bool = False
    children: list[_Child] = field(default_factory=list, init=False)
    _tailer: threading.Thread | None = field(default=None, init=False)
    _stop_tail: threading.Event = field(default_factory=threading.Event, init=False)

    @property
    def endpoint(self) -> str:
        return self.spec.endpoint

    @property
    def coordinator_addresses(self) -> list[str]:
        return [p.address for p in plan(self.spec) if p.stage == COORDINATOR_STAGE]

    def start(self, interrupted: Callable[[], bool] = lambda: False) -> None:
        """Start every stage and wait for its ready lines; on any failure stop what was started
        and raise ClusterError. ``interrupted`` lets the caller abort a slow start (Ctrl-C)."""
        processes = plan(self.spec)
        check_layout(self.spec)
        busy = [f"{h}:{p}" for h, p in ports_of(processes) if _port_in_use(h, p)]
        if busy:
            raise ClusterError(f"address already in use: {', '.join(busy)} (is another cluster running?)")
        (self.spec.data_dir / "logs").mkdir(parents=True, exist_ok=True)
        if self.foreground_logs:
            self._tailer = threading.Thread(target=self._tail, name="kuradb-up-logs", daemon=True)
            self._tailer.start()
        try:
            for stage in sorted({p.stage for p in processes}):
                batch = [self._spawn(p) for p in processes if p.stage == stage]
                self._await_ready(batch, interrupted)
                if stage == NODE_STAGE:
                    self._await_registered(batch, interrupted)
        except BaseException:
            self.stop()
            raise

    def _spawn(self, p: ProcessSpec) -> _Child:
        p.log.parent.mkdir(parents=True, exist_ok=True)
        with open(p.log, "ab") as log:
            offset = log.tell()
            proc = subprocess.Popen(
                p.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip
        child = _Child(p, proc, offset)
        self.children.append(child)
        return child

    def _await_ready(self, batch: list[_Child], interrupted: Callable[[], bool]) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while not all(c.ready for c in batch):
            for c in batch:
                if c.ready:
                    continue
                if _log_has_line(c.spec.log, c.log_offset, c.spec.ready_prefix):
                    c.ready = True
                elif c.proc.poll() is not None:
                    raise ClusterError(f"{c.spec.name} exited with status {c.proc.returncode} before it was "
                                       f"ready; see {c.spec.log}")  # fmt: skip
            if interrupted():
                raise ClusterError("interrupted while starting")
            if time.monotonic() > deadline:
                late = ", ".join(c.spec.name for c in batch if not c.ready)
                raise ClusterError(f"not ready after {self.ready_timeout:.0f} s: {late}; see {self.spec.data_dir / 'logs'}")
            time.sleep(0.05)

    def _await_registered(self, nodes: list[_Child], interrupted: Callable[[], bool], since: float = 0.0) -> None:
        """Wait until the coordinator reports every node alive: before that, CreateTable fails
        for want of live nodes in three AZs, so the cluster is not yet usable. With ``since``
        (unix time; the coordinator runs on this machine, so it shares the clock) only a
        heartbeat received after it counts, so a restarted node is not taken for registered on
        the strength of its previous life's reports."""
        from kuradb.tools.status import StatusError, fetch_status

        want = {c.spec.node_id for c in nodes}
        deadline = time.monotonic() + self.ready_timeout
        missing = want
        while True:
            try:
                resp = fetch_status(self.coordinator_addresses, timeout=2.0)
                missing = want - {n.node_id for n in resp.map.nodes if n.alive and n.last_heartbeat >= since}
            except StatusError:
                pass  # coordinator still electing itself
            if not missing:
                return
            dead = next((c for c in nodes if c.proc.poll() is not None), None)
            if dead is not None:
                raise ClusterError(f"{dead.spec.name} exited with status {dead.proc.returncode}; see {dead.spec.log}")
            if interrupted():
                raise ClusterError("interrupted while starting")
            if time.monotonic() > deadline:
                names = ", ".join(f"node-{n}" for n in sorted(missing))
                raise ClusterError(f"the coordinator does not see {names} alive after {self.ready_timeout:.0f} s "
                                   f"(do the nodes heartbeat?); see {self.spec.data_dir / 'logs'}")  # fmt: skip
            time.sleep(0.2)

    def child(self, name: str) -> _Child:
        """The current process of child ``name`` ("coordinator-1", "node-2", "router")."""
        for c in self.children:
            if c.spec.name == name:
                return c
        raise KeyError(f"no child named {name!r}; children: {', '.join(c.spec.name for c in self.children)}")

    def kill(self, name: str, sig: signal.Signals = signal.SIGKILL) -> int:
        """Send ``sig`` to child ``name`` and wait for it to exit; returns its exit status.

        For failure tests: the default SIGKILL is a crash (nothing flushed, no goodbye to peers),
        which is what durability and failover must survive. The child stays in :attr:`children`
        (as exited) so that :meth:`restart` can bring the same member back.
        """
        c = self.child(name)
        if c.proc.poll() is None:
            c.proc.send_signal(sig)
        return c.proc.wait(timeout=self.stop_timeout)

    def restart(self, name: str, interrupted: Callable[[], bool] = lambda: False) -> None:
        """Start child ``name`` again, after it exited, and wait until it is ready.

        The same argv means the same id, address and data dir, so peers and the coordinator
        find the member where they recorded it and its data is kept. A node is ready again
        once its ready line appeared and the coordinator has had a heartbeat from it since.
        """
        old = self.child(name)
        if old.proc.poll() is None:
            raise ClusterError(f"{name} (pid {old.proc.pid}) is still running; kill or stop it before restarting it")
        spawned_at = time.time()
        new = self._spawn(old.spec)  # appended; replace the old entry so stop() sees one process per member
        self.children.remove(new)
        self.children[self.children.index(old)] = new
        try:
            self._await_ready([new], interrupted)
            if new.spec.stage == NODE_STAGE:
                self._await_registered([new], interrupted, since=spawned_at)
        except BaseException:
            self.kill(name)
            raise

    def dead_child(self) -> _Child | None:
        """A child that has exited, if any (the cluster is then no longer complete)."""
        return next((c for c in self.children if c.proc.poll() is not None), None)

    def stop(self) -> dict[str, int]:
        """Stop every child, last stage first: SIGTERM, wait, SIGKILL. Returns name -> exit status."""
        for stage in sorted({c.spec.stage for c in self.children}, reverse=True):
            batch = [c for c in self.children if c.spec.stage == stage]
            for c in batch:
                if c.proc.poll() is None:
                    c.proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + self.stop_timeout
            for c in batch:
                try:
                    c.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    self.say(f"kuradb up: {c.spec.name} did not stop within {self.stop_timeout:.0f} s; killing it")
                    c.proc.kill()
                    c.proc.wait()
        self._stop_tail.set()
        if self._tailer is not None:
            self._tailer.join(timeout=2)
        return {c.spec.name: c.proc.returncode for c in self.children}

    def _tail(self) -> None:
        """Copy new log lines of every child to stdout (--foreground-logs)."""
        offsets: dict[str, int] = {}
        while not self._stop_tail.wait(0.2):
            for c in list(self.children):
                pos = offsets.get(c.spec.name, c.log_offset)
                with open(c.spec.log, "rb") as f:
                    f.seek(pos)
                    data = f.read()
                complete = data[: data.rfind(b"\n") + 1]
                offsets[c.spec.name] = pos + len(complete)
                for line in complete.decode("utf-8", "replace").splitlines():
                    self.say(f"{c.spec.name} | {line}")

    def __enter__(self) -> LocalCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _log_has_line(path: Path, offset: int, prefix: str) -> bool:
    with open(path, "rb") as f:
        f.seek(offset)
        return any(line.startswith(prefix.encode()) for line in f)


def banner(cluster: LocalCluster) -> str:
    """The lines printed once the cluster is up: the endpoint, then how to use it."""
    ep = cluster.endpoint
    opt = "" if ep == "127.0.0.1:8000" else f" --endpoint {ep}"
    coords = ",".join(cluster.coordinator_addresses)
    return "\n".join([
        f"KuraDB is up: gRPC endpoint {ep}",
        f"  DynamoDB endpoint http://{cluster.spec.http_endpoint}  (boto3 / AWS CLI: --endpoint-url)",
        f"  coordinator {coords}  (kuradb status --coordinator {coords})",
        f"  data and logs in {cluster.spec.data_dir.resolve()}",
        "Try:",
        f"  kuradb create-table{opt} --table-name demo --billing-mode PAY_PER_REQUEST \\",
        "      --attribute-definitions '[{\"AttributeName\": \"id\", \"AttributeType\": \"S\"}]' \\",
        "      --key-schema '[{\"AttributeName\": \"id\", \"KeyType\": \"HASH\"}]'",
        f"  kuradb put-item{opt} --table-name demo --item '{{\"id\": {{\"S\": \"1\"}}, \"n\": {{\"N\": \"42\"}}}}'",
        f"  kuradb get-item{opt} --table-name demo --key '{{\"id\": {{\"S\": \"1\"}}}}'",
        "Press Ctrl-C to stop.",
    ])  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kuradb up", description="Run a local KuraDB cluster until Ctrl-C.")
    p.add_argument("--data-dir", type=Path, default=Path("./data"), help="where data and logs live (default ./data)")
    p.add_argument("--port", type=int, default=8000, help="router port; the other ports derive from it (default 8000)")
    p.add_argument("--host", default="127.0.0.1", help="address every process listens on (default 127.0.0.1)")
    p.add_argument("--azs", default=",".join(DEFAULT_AZS), help="comma-separated availability zones (default az-a,az-b,az-c)")
    p.add_argument("--nodes-per-az", type=int, default=1, help="storage nodes per AZ (default 1)")
    p.add_argument("--coordinators", type=int, default=1, choices=(1, 3), help="coordinator group size (default 1)")
    p.add_argument("--tick-ms", type=int, default=100, help="Raft tick interval of nodes and coordinators (default 100)")
    p.add_argument("--no-metrics", action="store_true", help="do not serve /metrics (default: at each port + 100)")
    p.add_argument("--ready-timeout", type=float, default=60.0, help="seconds to wait for each stage (default 60)")
    p.add_argument("--stop-timeout", type=float, default=10.0, help="seconds between SIGTERM and SIGKILL (default 10)")
    p.add_argument("--foreground-logs", action="store_true", help="also print the children's logs here")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        spec = ClusterSpec(
            data_dir=args.data_dir, port=args.port, host=args.host,
            azs=tuple(a.strip() for a in args.azs.split(",") if a.strip()), nodes_per_az=args.nodes_per_az,
            coordinators=args.coordinators, tick_ms=args.tick_ms, metrics=not args.no_metrics,
        )  # fmt: skip
    except ValueError as e:
        print(f"kuradb up: {e}", file=sys.stderr)
        return 2
    stop = threading.Event()
    received: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        received.append(signum)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    out = _printer(sys.stdout)
    cluster = LocalCluster(spec, ready_timeout=args.ready_timeout, stop_timeout=args.stop_timeout, say=out,
                           foreground_logs=args.foreground_logs)  # fmt: skip
    try:
        cluster.start(interrupted=stop.is_set)
    except ClusterError as e:
        print(f"kuradb up: {e}", file=sys.stderr)
        return 130 if received else 1
    out(banner(cluster))
    dead = None
    while not stop.wait(0.2):
        dead = cluster.dead_child()
        if dead is not None:
            break
    if dead is not None:
        print(f"kuradb up: {dead.spec.name} (pid {dead.proc.pid}) exited unexpectedly with status "
              f"{dead.proc.returncode}; see {dead.spec.log}. Stopping the cluster.", file=sys.stderr)  # fmt: skip
    else:
        out(f"kuradb up: {signal.Signals(received[0]).name} received, stopping the cluster")
    statuses = cluster.stop()
    failed = {n: s for n, s in statuses.items() if s not in (0, -signal.SIGTERM, -signal.SIGINT)}
    if failed and dead is None:
        print(f"kuradb up: stopped with errors: {failed}", file=sys.stderr)
    out("kuradb up: stopped")
    return 1 if dead is not None else 0


def _printer(stream: TextIO) -> Callable[[str], None]:
    lock = threading.Lock()  # the log tailer thread prints too

    def say(text: str) -> None:
        with lock:
            print(text, file=stream, flush=True)
    return say
