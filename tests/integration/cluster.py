"""A multi-process test cluster: real ``kuradb node`` processes on 127.0.0.1.

Rules and invariants:

* Each node is its own OS process (``python -m kuradb.cli node ...`` from this interpreter, so
  the venv's kuradb is the one under test) with its own data dir under the cluster's root and
  its own free port. Node ids are 1, 2, 3, ... and AZs go round-robin over az-a, az-b, az-c, so
  the first three nodes always span the three AZs.
* A node is "up" only once it printed ``kuradb node N listening on HOST:PORT`` on stdout;
  :meth:`NodeProcess.start` waits for that line with a timeout and fails with the tail of the
  node's stderr log if the process exits or stays silent.
* Every process started here is stopped: by :meth:`Cluster.close` (fixtures call it in a
  finalizer), by an ``atexit`` hook for whatever a crashed test left behind, and on Linux by a
  parent-death signal (``setpriv --pdeathsig``) so a SIGKILLed pytest leaks no nodes either.
  The registry behind the atexit hook only holds live processes; it does not limit how many
  clusters one process runs.
* A restart reuses the node's data dir and port (the same node, as the Raft group knows it),
  and the cluster drops its gRPC channels to that node so no call waits in a stale channel's
  reconnect backoff.
* Replica ids come from one counter per cluster and are never reused (design §3). The cluster
  remembers the last descriptor it created or changed per partition; the partition's own Raft
  log remains the truth, which tests read back through Stats.
* The fault file of a node (node/faults.py, ``KURADB_FAULTS``) is ``<root>/faults-<id>.json``;
  :meth:`Cluster.set_faults` writes it atomically (rename) so a node never reads half a file.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import grpc
from prometheus_client.parser import text_string_to_metric_families

from kuradb.keys import HASH_SPACE
from kuradb.model.schema import TableInfo
from kuradb.node.descriptor import Epoch, PartitionDescriptor, ReplicaInfo, Role
from kuradb.node.faults import ENV_VAR as FAULTS_ENV
from kuradb.proto import internal_pb2 as pb
from kuradb.proto import internal_pb2_grpc as pb_grpc
from tests.integration.client import Router

AZS = ("az-a", "az-b", "az-c")
READY_TIMEOUT_S = 30.0
ADMIN_TIMEOUT_S = 5.0


class NodeStartError(RuntimeError):
    """The node process exited or never printed its ready line."""


class ClusterError(RuntimeError):
    """An admin step did not reach the state a test waited for."""


def _ephemeral_range() -> tuple[int, int]:
    try:
        lo, hi = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(lo), int(hi)
    except (OSError, ValueError):
        return 32768, 60999


def free_port(taken: Iterable[int] = ()) -> int:
    """A currently bindable port BELOW the kernel's ephemeral range.

    Why: a node's port is chosen before the node binds it (and before a restart re-binds it),
    and every node is told its peers' ports up front. A port from the ephemeral range could be
    handed meanwhile to any outgoing connection on the machine (other engineers run clusters
    too); ports below that range are only ever taken by explicit binds."""
    lo = 20000
    hi = min(_ephemeral_range()[0], 32768) - 1
    avoid = set(taken)
    for _ in range(1000):
        port = random.randint(lo, hi)
        if port in avoid:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise ClusterError("no free port found below the ephemeral range")


@dataclass(frozen=True, slots=True)
class NodeOptions:
    """Flags passed to every node (see ``kuradb node --help``)."""

    tick_ms: int = 50
    election_ticks: int = 10
    heartbeat_ticks: int = 1
    log_level: str = "warning"
    compact_after: int | None = None  # None: the node's default
    metrics: bool = False  # serve /metrics on a free port (Cluster.metric reads it)
    extra_args: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NodeSpec:
    node_id: int
    az: str
    port: int
    data_dir: Path
    faults_file: Path
    metrics_port: int | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


# ------------------------------------------------------------------ process lifetime safety net

_LIVE: weakref.WeakSet[NodeProcess] = weakref.WeakSet()


def _kill_leftovers() -> None:
    for proc in list(_LIVE):
        proc.kill()


atexit.register(_kill_leftovers)


def _die_with_parent_prefix() -> list[str]:
    """``setpriv --pdeathsig KILL --`` when available: the node gets SIGKILL when the process
    that started it dies, however it dies. Not ``preexec_fn``: running Python code between fork
    and exec in a process with gRPC threads can crash the child (seen: SIGSEGV in
    ``threading._after_fork``); setpriv sets the flag and execs, so no Python runs there."""
    setpriv = shutil.which("setpriv") if sys.platform.startswith("linux") else None
    return [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []


class NodeProcess:
    """One ``kuradb node`` process; start / kill -9 / SIGTERM / restart with the same identity."""

    def __init__(self, spec: NodeSpec, options: NodeOptions, log_dir: Path,
                 peers: Callable[[], Mapping[int, str]] = dict) -> None:  # fmt: skip
        self.spec = spec
        self.options = options
        self.log_dir = log_dir
        self.peers = peers  # node id -> address, read at each start (``--peer`` flags)
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._ready = threading.Event()
        self._reader: threading.Thread | None = None

    @property
    def node_id(self) -> int:
        return self.spec.node_id

    @property
    def address(self) -> str:
        return self.spec.address

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def argv(self) -> list[str]:
        s, o = self.spec, self.options
        args = [
            sys.executable, "-m", "kuradb.cli", "node",
            "--node-id", str(s.node_id), "--az", s.az, "--listen", s.address,
            "--data-dir", str(s.data_dir), "--tick-ms", str(o.tick_ms),
            "--election-ticks", str(o.election_ticks), "--heartbeat-ticks", str(o.heartbeat_ticks),
            "--log-level", o.log_level,
        ]  # fmt: skip
        if o.compact_after is not None:
            args += ["--compact-after", str(o.compact_after)]
        if s.metrics_port is not None:
            args += ["--metrics-listen", f"127.0.0.1:{s.metrics_port}"]
        for nid, addr in sorted(self.peers().items()):
            if nid != s.node_id:
                args += ["--peer", f"{nid}={addr}"]
        return args + list(o.extra_args)

    @property
    def stderr_path(self) -> Path:
        return self.log_dir / f"node-{self.node_id}.stderr.log"

    def start(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        if self.alive:
            raise RuntimeError(f"node {self.node_id} is already running")
        self.spec.data_dir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        env = dict(os.environ, PYTHONUNBUFFERED="1", **{FAULTS_ENV: str(self.spec.faults_file)})
        with open(self.stderr_path, "ab") as err:
            err.write(f"---- start #{self.starts}: {' '.join(self.argv())}\n".encode())
            err.flush()
            self.proc = subprocess.Popen(
                _die_with_parent_prefix() + self.argv(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=err, env=env,
            )  # fmt: skip
        _LIVE.add(self)
        self._ready = threading.Event()
        self._reader = threading.Thread(target=self._read_stdout, args=(self.proc, self._ready),
                                        name=f"node-{self.node_id}-stdout", daemon=True)  # fmt: skip
        self._reader.start()
        deadline = time.monotonic() + timeout_s
        while not self._ready.wait(0.05):
            if self.proc.poll() is not None:
                self._reap()
                raise NodeStartError(f"node {self.node_id} exited with {self.proc.returncode} before it was "
                                     f"ready:\n{self.stderr_tail()}")  # fmt: skip
            if time.monotonic() > deadline:
                self.kill()
                raise NodeStartError(f"node {self.node_id} not ready within {timeout_s}s:\n{self.stderr_tail()}")

    def _read_stdout(self, proc: subprocess.Popen[bytes], ready: threading.Event) -> None:
        """Drains stdout (a full pipe would block the node) into a log, spotting the ready line."""
        expected = f"kuradb node {self.node_id} listening on "
        assert proc.stdout is not None
        with open(self.log_dir / f"node-{self.node_id}.stdout.log", "ab") as out:
            for raw in proc.stdout:
                out.write(raw)
                out.flush()
                if raw.decode(errors="replace").startswith(expected):
                    ready.set()

    def stderr_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.stderr_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no stderr log)"

    def kill(self) -> None:
        """kill -9: no shutdown code runs; whatever was not fsync'd may be lost."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        self._reap()

    def pause(self) -> None:
        """SIGSTOP: the process keeps its sockets but runs nothing (a GC pause, a frozen VM)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)

    def terminate(self) -> None:
        """Send SIGTERM without waiting (see :meth:`stop`); a paused process is resumed so it
        can act on it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.send_signal(signal.SIGCONT)

    def stop(self, timeout_s: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL if it does not exit in time. Returns the exit code."""
        if self.proc is not None and self.proc.poll() is None:
            self.terminate()
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self._reap()

    def _reap(self) -> int | None:
        if self.proc is None:
            return None
        code = self.proc.wait()
        if self._reader is not None:
            self._reader.join(timeout=5)
        _LIVE.discard(self)
        return code

    def rss_kb(self) -> int | None:
        """VmRSS of the process from /proc (None when not running or not on Linux)."""
        if not self.alive or self.pid is None:
            return None
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            return None
        return None


# ------------------------------------------------------------------ the cluster


@dataclass
class Cluster:
    """Processes + channels + partition admin helpers (see module rules)."""

    root: Path
    options: NodeOptions = field(default_factory=NodeOptions)
    spare_nodes: int = 1  # planned (address known to every node) but not started: see plan()
    nodes: dict[int, NodeProcess] = field(default_factory=dict)
    planned: dict[int, NodeSpec] = field(default_factory=dict)
    descriptors: dict[int, PartitionDescriptor] = field(default_factory=dict)
    _channels: dict[int, grpc.Channel] = field(default_factory=dict)
    _retired: list[grpc.Channel] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)  # channels: tests call from threads
    _next_replica_id: int = 1

    # -- processes ------------------------------------------------------------------------------
    def start(self, count: int = 3) -> Cluster:
        self.root.mkdir(parents=True, exist_ok=True)
        self.plan(count + self.spare_nodes)
        for _ in range(count):
            self.add_node()
        return self

    def plan(self, count: int) -> None:
        """Fix ids, AZs and ports of the first ``count`` nodes before any starts.

        Why: a node learns peer addresses from ``--peer`` flags and from peers' own streams
        only (the descriptor's Replica has no address field). A node added later as a learner
        never speaks first, so the leader must already know its address: every node is started
        with ``--peer`` for every planned node, including the spares started later."""
        for node_id in range(1, count + 1):
            if node_id not in self.planned:
                taken = {p for s in self.planned.values() for p in (s.port, s.metrics_port) if p is not None}
                port = free_port(taken)
                self.planned[node_id] = NodeSpec(
                    node_id=node_id,
                    az=AZS[(node_id - 1) % len(AZS)],
                    port=port,
                    data_dir=self.root / f"node-{node_id}",
                    faults_file=self.root / f"faults-{node_id}.json",
                    metrics_port=free_port(taken | {port}) if self.options.metrics else None,
                )

    def peer_addresses(self) -> dict[int, str]:
        return {n: s.address for n, s in self.planned.items()}

    def add_node(self, start: bool = True) -> NodeProcess:
        """Start the next node: a planned spare if any is left, else a new one (which only
        nodes started after it, or that it contacts, will know the address of)."""
        node_id = max(self.nodes, default=0) + 1
        self.plan(node_id)
        proc = NodeProcess(self.planned[node_id], self.options, self.root, self.peer_addresses)
        self.nodes[node_id] = proc
        if start:
            proc.start()
        return proc

    def node(self, node_id: int) -> NodeProcess:
        return self.nodes[node_id]

    def live_nodes(self) -> list[int]:
        return [n for n, p in sorted(self.nodes.items()) if p.alive]

    def kill(self, node_id: int) -> None:
        self._drop_channel(node_id)
        self.nodes[node_id].kill()

    def stop(self, node_id: int) -> int | None:
        self._drop_channel(node_id)
        return self.nodes[node_id].stop()

    def restart(self, node_id: int, *, hard: bool = False) -> None:
        """Stop (SIGTERM, or kill -9 when ``hard``) and start again on the same dir and port."""
        if hard:
            self.kill(node_id)
        else:
            self.stop(node_id)
        self.nodes[node_id].start()

    def close(self) -> None:
        """Stop every node: SIGTERM to all first (they shut down in parallel), then reap each,
        escalating to SIGKILL for any that does not exit in time."""
        with self._lock:
            channels = [*self._channels.values(), *self._retired]
            self._channels.clear()
            self._retired.clear()
        for ch in channels:
            ch.close()
        for proc in self.nodes.values():
            proc.terminate()
        for proc in self.nodes.values():
            proc.stop(timeout_s=5.0)

    # -- faults ---------------------------------------------------------------------------------
    def set_faults(self, node_id: int, peers: dict[int | str, dict[str, Any]]) -> None:
        """Replace node ``node_id``'s outbound fault table (picked up within about a second)."""
        path = self.nodes[node_id].spec.faults_file
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"peers": {str(k): v for k, v in peers.items()}}))
        tmp.replace(path)

    def clear_faults(self, node_id: int) -> None:
        self.nodes[node_id].spec.faults_file.unlink(missing_ok=True)

    # -- channels -------------------------------------------------------------------------------
    def channel(self, node_id: int) -> grpc.Channel:
        with self._lock:
            ch = self._channels.get(node_id)
            if ch is None:
                ch = self._channels[node_id] = grpc.insecure_channel(self.nodes[node_id].address)
            return ch

    def _drop_channel(self, node_id: int) -> None:
        """Forget the node's channel so the next call dials afresh. It is closed only at
        :meth:`close`: another thread (a test's writer) may be in a call on it right now, and a
        call on a closed channel raises ValueError instead of a gRPC error."""
        with self._lock:
            ch = self._channels.pop(node_id, None)
            if ch is not None:
                self._retired.append(ch)

    def admin(self, node_id: int) -> pb_grpc.NodeAdminStub:
        return pb_grpc.NodeAdminStub(self.channel(node_id))

    def data(self, node_id: int) -> pb_grpc.NodeDataStub:
        return pb_grpc.NodeDataStub(self.channel(node_id))

    def router(self, **kw: Any) -> Router:
        """A router-like client that tries the live nodes and starts from this view of epochs."""
        return Router(stub=self.data, nodes=self.live_nodes, epochs=lambda pid: self.descriptors[pid].epoch, **kw)

    def metric(self, node_id: int, name: str, **labels: str) -> float:
        """Sum of the samples of ``name`` whose labels include ``labels``, from the node's
        /metrics (requires ``NodeOptions(metrics=True)``)."""
        port = self.nodes[node_id].spec.metrics_port
        if port is None:
            raise ClusterError("the cluster was started without metrics")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=ADMIN_TIMEOUT_S) as resp:
            text = resp.read().decode()
        total = 0.0
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                    total += sample.value
        return total

    # -- partitions -----------------------------------------------------------------------------
    def new_replica_id(self) -> int:
        rid = self._next_replica_id
        self._next_replica_id += 1
        return rid

    def replica_on(self, partition_id: int, node_id: int) -> ReplicaInfo:
        for r in self.descriptors[partition_id].replicas:
            if r.node_id == node_id:
                return r
        raise KeyError(f"partition {partition_id} has no replica on node {node_id}")

    def node_of_replica(self, partition_id: int, replica_id: int) -> int:
        r = self.descriptors[partition_id].replica(replica_id)
        if r is None:
            raise KeyError(f"partition {partition_id} has no replica {replica_id}")
        return r.node_id

    def create_partition(
        self, partition_id: int, table: TableInfo, node_ids: Iterable[int],
        start_h: int = 0, end_h: int = HASH_SPACE,
    ) -> PartitionDescriptor:  # fmt: skip
        """CreateReplica on every listed node as initial members of one Raft group."""
        replicas = tuple(ReplicaInfo(self.new_replica_id(), n, self.nodes[n].spec.az, Role.VOTER) for n in node_ids)
        desc = PartitionDescriptor(partition_id, table, start_h, end_h, Epoch(1, 1), replicas)
        for r in replicas:
            self._check(self.admin(r.node_id).CreateReplica(
                pb.CreateReplicaRequest(descriptor=desc.to_pb(), replica_id=r.replica_id, initial_member=True),
                timeout=ADMIN_TIMEOUT_S))  # fmt: skip
        self.descriptors[partition_id] = desc
        return desc

    @staticmethod
    def _check(resp: pb.AdminResponse) -> None:
        if resp.HasField("error"):
            code = pb.PartitionError.Code.Name(resp.error.code)
            raise ClusterError(f"admin call refused: {code} {resp.error.message}")

    def stats(self, node_id: int) -> dict[int, pb.PartitionStats]:
        resp = self.admin(node_id).Stats(pb.StatsRequest(), timeout=ADMIN_TIMEOUT_S)
        return {p.partition_id: p for p in resp.partitions}

    def stats_or_none(self, node_id: int, partition_id: int) -> pb.PartitionStats | None:
        try:
            return self.stats(node_id).get(partition_id)
        except grpc.RpcError:
            return None

    def wait_for(self, what: str, predicate: Any, timeout_s: float = 20.0, interval_s: float = 0.05) -> Any:
        """Poll ``predicate()`` until it returns a truthy value; raise ClusterError on timeout."""
        deadline = time.monotonic() + timeout_s
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise ClusterError(f"timed out after {timeout_s}s waiting for {what}")
            time.sleep(interval_s)

    def leader_of(self, partition_id: int, exclude: Iterable[int] = ()) -> int | None:
        """The node whose replica claims leadership with the highest term (None if none).
        ``exclude``d nodes are not asked (a paused node would stall the call until its timeout)."""
        best: tuple[int, int] | None = None
        skip = set(exclude)
        for n in self.live_nodes():
            if n in skip:
                continue
            st = self.stats_or_none(n, partition_id)
            if st is not None and st.is_leader and (best is None or st.term > best[0]):
                best = (st.term, n)
        return best[1] if best else None

    def wait_for_leader(self, partition_id: int, timeout_s: float = 20.0, exclude: Iterable[int] = ()) -> int:
        excluded = set(exclude)

        def probe() -> int | None:
            return self.leader_of(partition_id, excluded)

        node: int = self.wait_for(f"a leader of partition {partition_id}", probe, timeout_s)
        return node

    def wait_applied(self, node_id: int, partition_id: int, at_least: int,
                     timeout_s: float = 20.0) -> pb.PartitionStats:  # fmt: skip
        def probe() -> pb.PartitionStats | None:
            st = self.stats_or_none(node_id, partition_id)
            return st if st is not None and st.applied_index >= at_least else None

        st: pb.PartitionStats = self.wait_for(
            f"node {node_id} to apply partition {partition_id} up to {at_least}", probe, timeout_s)
        return st

    def wait_caught_up(self, partition_id: int, node_id: int, timeout_s: float = 20.0) -> pb.PartitionStats:
        """Wait until ``node_id`` applied everything the current leader applied when asked."""
        leader = self.wait_for_leader(partition_id, timeout_s)
        st = self.stats(leader)[partition_id]
        return self.wait_applied(node_id, partition_id, st.applied_index, timeout_s)

    def refresh_descriptor(self, partition_id: int, node_id: int) -> Epoch:
        """Take the epoch a node reports for a partition into this view (after splits/moves)."""
        st = self.stats(node_id)[partition_id]
        epoch = Epoch.from_pb(st.epoch)
        if partition_id in self.descriptors:
            self.descriptors[partition_id] = replace(self.descriptors[partition_id], epoch=epoch)
        return epoch

    # -- membership and splits ------------------------------------------------------------------
    def add_learner(self, partition_id: int, node_id: int) -> ReplicaInfo:
        """Create an empty replica on ``node_id`` and add it as a learner through the leader."""
        leader = self.wait_for_leader(partition_id)
        epoch = self.refresh_descriptor(partition_id, leader)
        desc = self.descriptors[partition_id]
        learner = ReplicaInfo(self.new_replica_id(), node_id, self.nodes[node_id].spec.az, Role.LEARNER)
        with_learner = replace(desc, replicas=desc.replicas + (learner,))
        self._check(self.admin(node_id).CreateReplica(
            pb.CreateReplicaRequest(descriptor=with_learner.to_pb(), replica_id=learner.replica_id,
                                    initial_member=False), timeout=ADMIN_TIMEOUT_S))  # fmt: skip
        self._check(self.admin(leader).AddLearner(
            pb.AddLearnerRequest(partition_id=partition_id, replica=learner.to_pb(), expected_epoch=epoch.to_pb()),
            timeout=ADMIN_TIMEOUT_S))  # fmt: skip
        self.descriptors[partition_id] = replace(with_learner, epoch=Epoch(epoch.version, epoch.conf_ver + 1))
        return learner

    def promote_learner(self, partition_id: int, replica_id: int) -> None:
        leader = self.wait_for_leader(partition_id)
        epoch = self.refresh_descriptor(partition_id, leader)
        self._check(self.admin(leader).PromoteLearner(
            pb.PromoteLearnerRequest(partition_id=partition_id, replica_id=replica_id, expected_epoch=epoch.to_pb()),
            timeout=ADMIN_TIMEOUT_S))  # fmt: skip
        desc = self.descriptors[partition_id]
        reps = tuple(replace(r, role=Role.VOTER) if r.replica_id == replica_id else r for r in desc.replicas)
        self.descriptors[partition_id] = replace(desc, replicas=reps, epoch=Epoch(epoch.version, epoch.conf_ver + 1))

    def split(self, partition_id: int, split_h: int, child_id: int) -> tuple[PartitionDescriptor, PartitionDescriptor]:
        """SplitPartition through the leader; returns this view's (parent, child) descriptors."""
        leader = self.wait_for_leader(partition_id)
        self.refresh_descriptor(partition_id, leader)
        desc = self.descriptors[partition_id]
        child_rids = [self.new_replica_id() for _ in desc.replicas]
        self._check(self.admin(leader).SplitPartition(
            pb.SplitPartitionRequest(partition_id=partition_id, split_h=split_h, new_partition_id=child_id,
                                     new_replica_ids=child_rids, expected_epoch=desc.epoch.to_pb()),
            timeout=ADMIN_TIMEOUT_S))  # fmt: skip
        parent, child = desc.split(split_h, child_id, tuple(child_rids))
        self.descriptors[partition_id] = parent
        self.descriptors[child_id] = child
        return parent, child


@contextlib.contextmanager
def running_cluster(root: Path, nodes: int = 3, options: NodeOptions | None = None) -> Iterator[Cluster]:
    """A started cluster that is always torn down (for scripts; tests use the fixture)."""
    cluster = Cluster(root, options or NodeOptions())
    try:
        cluster.start(nodes)
        yield cluster
    finally:
        cluster.close()


__all__ = [
    "AZS",
    "Cluster",
    "ClusterError",
    "NodeOptions",
    "NodeProcess",
    "NodeSpec",
    "NodeStartError",
    "free_port",
    "running_cluster",
]
