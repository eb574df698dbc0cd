"""The deterministic simulation of one Raft group: replicas, network, clients, faults, checks.

Rules:

* One seed drives everything. ``random.Random(seed)`` draws the scenario; the simulation's own
  rng (and the network's and each replica's election rng) are derived from it in a fixed order.
  Iteration is over lists and int-keyed dicts in insertion order only, and nothing reads the wall
  clock, so a seed replays bit for bit (``trace_hash`` proves it).
* Time is simulated units (see network.TICK_UNITS). The run is a sequence of *steps*; a step is
  the earliest pending thing: a message delivery (messages first on ties) or a timed event
  (replica tick, client operation, fault, membership change, leader transfer, restart, heal).
  After every step every live replica drains its Ready queue and the checker's per-step
  invariants (one leader per term, leader completeness) run.
* Faults are random (partitions, one-way partitions, leader isolation, crashes of one or all
  replicas, crashes inside a Ready cycle, network weather) plus, in "fig. 8" scenarios, an
  adversary that crashes new leaders and cuts leaders off right after a commit advance: the
  schedule of Raft paper fig. 8, which is what a wrong commit rule needs to lose data.
* Phase 1 (``scenario.steps`` steps) injects faults; phase 2 heals everything (network, crashed
  replicas, joint configs) and demands liveness: a leader and a newly committed proposal within
  ``LIVENESS_ELECTIONS`` election timeouts, then every member caught up within
  ``CATCHUP_ELECTIONS`` more. Failing that is the ``liveness`` violation.
"""

from __future__ import annotations

import hashlib
import heapq
import random
from dataclasses import dataclass, field

from kuradb.raft.config import Config
from kuradb.raft.errors import ProposalDropped, RaftError, StepPeerNotFound
from kuradb.raft.types import (
    ConfChange,
    ConfChangeSingle,
    ConfChangeTransition,
    ConfChangeType,
    ConfState,
    HardState,
    Message,
    MessageType,
    Snapshot,
    SnapshotMetadata,
)

from kuradb.raft.sim.checker import Checker, Violation
from kuradb.raft.sim.disk import SimDisk
from kuradb.raft.sim.driver import CrashPoint, NodeParams, SimNode, make_config
from kuradb.raft.sim.kv import KVStateMachine, ProposalId, Write
from kuradb.raft.sim.network import TICK_UNITS, NetworkConfig, SimNetwork
from kuradb.raft.sim.scenario import Scenario
from kuradb.raft.sim.workload import Workload

LIVENESS_ELECTIONS = 8  # election timeouts to elect a leader and commit after the heal (p99 seen: ~2)
CATCHUP_ELECTIONS = 4  # election timeouts for every member to apply that commit (p99 seen: <1)
MARKER_CLIENT = 1_000_000  # client id of the liveness phase's probe writes

# event kinds (ints: heap entries never compare anything but ints)
TICK, CLIENT, FAULT, MEMBERSHIP, TRANSFER, RESTART, HEAL, CUT = range(8)
_KIND_NAMES = ("tick", "client", "fault", "membership", "transfer", "restart", "heal", "cut")


@dataclass
class SimResult:
    seed: int
    ok: bool
    invariant: str = ""
    detail: str = ""
    trace_hash: str = ""
    steps: int = 0
    sim_time: int = 0
    acked: int = 0
    reads: int = 0
    elections: int = 0
    heal_to_commit: int = 0  # units from the heal to the probe's commit (phase 2)
    commit_to_caught_up: int = 0  # units from that commit until every member applied it
    notes: list[str] = field(default_factory=list)


class Simulation:
    """One run of one scenario. Create, call :meth:`run` once."""

    def __init__(self, scenario: Scenario, *, verbose: bool = False) -> None:
        self.sc = scenario
        self.verbose = verbose
        self.log: list[str] = []
        rng = random.Random(f"sim:{scenario.seed}")
        self.rng = random.Random(rng.getrandbits(64))
        self.network = SimNetwork(random.Random(rng.getrandbits(64)), _copy_net(scenario.network))
        self._raft_rng = random.Random(rng.getrandbits(64))
        self.checker = Checker()
        self.workload = Workload.create(scenario.clients, scenario.keys, timeout=8 * scenario.election_units)
        self.now = 0
        self._events: list[tuple[int, int, int, int]] = []
        self._seq = 0
        self._hash = hashlib.blake2b(digest_size=16)
        self.nodes: dict[int, SimNode] = {}
        self.next_id = 1
        self.faults_on = True
        self.marker: tuple[ProposalId, int] | None = None
        self._marker_seq = 0
        boot = scenario.voters + scenario.learners
        cs = ConfState(
            voters=tuple(range(1, scenario.voters + 1)),
            learners=tuple(range(scenario.voters + 1, boot + 1)),
        )
        self._boot_snapshot = Snapshot(
            SnapshotMetadata(index=1, term=1, conf_state=cs), KVStateMachine(applied=1).encode()
        )
        self.checker.bootstrap(self._boot_snapshot)
        for _ in range(boot):
            self._add_node(bootstrap=True)
        self._schedule_recurring()

    # -- construction -------------------------------------------------------------------------

    def _base_config(self, node_id: int, *, joining: bool) -> Config:
        sc = self.sc
        return make_config(
            node_id,
            self._raft_rng,
            Config(
                id=node_id,
                election_tick=sc.election_tick,
                heartbeat_tick=sc.heartbeat_tick,
                max_size_per_msg=sc.max_size_per_msg,
                max_inflight_msgs=sc.max_inflight_msgs,
                read_only=sc.read_only,
                disable_campaign_until_contacted=joining,
                defer_commit_broadcast=sc.defer_commit,
                bugs=sc.bugs,
            ),
        )

    def _add_node(self, *, bootstrap: bool) -> SimNode:
        node_id = self.next_id
        self.next_id += 1
        if bootstrap:
            disk = SimDisk.bootstrap(self._boot_snapshot, HardState(term=1, vote=0, commit=1))
        else:
            disk = SimDisk()  # a new replica: empty log, learns everything by snapshot
        node = SimNode(
            id=node_id,
            params=NodeParams(self._base_config(node_id, joining=not bootstrap), self.sc.snapshot_every),
            disk=disk,
            checker=self.checker,
            send=self._send,
            ack=self._on_ack,
            read_done=self._on_read_done,
            leader_committed=self._on_leader_committed,
        )
        self.nodes[node_id] = node
        node.start()
        period = TICK_UNITS + self.sc.drifts[(node_id - 1) % len(self.sc.drifts)]
        self._at(self.now + self.rng.randint(1, period), TICK, node_id)
        return node

    def _schedule_recurring(self) -> None:
        sc = self.sc
        self._at(self._jitter(sc.client_every), CLIENT, 0)
        self._at(self._jitter(sc.fault_every), FAULT, 0)
        if sc.membership_every:
            self._at(self._jitter(sc.membership_every), MEMBERSHIP, 0)
        if sc.transfer_every:
            self._at(self._jitter(sc.transfer_every), TRANSFER, 0)

    def _jitter(self, mean: int) -> int:
        return self.now + self.rng.randint(max(1, mean // 2), mean + mean // 2)

    def _at(self, when: int, kind: int, arg: int) -> None:
        self._seq += 1
        heapq.heappush(self._events, (when, self._seq, kind, arg))

    # -- the loop -------------------------------------------------------------------------------

    def run(self) -> SimResult:
        res = SimResult(seed=self.sc.seed, ok=True)
        try:
            for _ in range(self.sc.steps):
                self._step()
                res.steps += 1
            self._liveness_phase(res)
            self.checker.check_final({n.id: n.disk.storage for n in self.nodes.values() if self._is_member(n.id)})
        except Violation as v:
            res.ok, res.invariant, res.detail = False, v.invariant, v.detail
        except Exception as e:  # noqa: BLE001 - a crash of the core is a failed run, with its seed
            res.ok, res.invariant, res.detail = False, f"exception {type(e).__name__}", repr(e)
        res.trace_hash = self._hash.hexdigest()
        res.sim_time = self.now
        res.acked = len(self.checker.acked)
        res.reads = self.checker.completed_reads
        res.elections = len(self.checker.leaders)
        return res

    def _step(self) -> None:
        due = self.network.next_time()
        if due is not None and (not self._events or due <= self._events[0][0]):
            self.now = max(self.now, due)
            m = self.network.pop_due(self.now)
            if m is not None:
                self._deliver(m)
        else:
            when, _, kind, arg = heapq.heappop(self._events)
            self.now = max(self.now, when)
            self._trace(f"{self.now} {_KIND_NAMES[kind]} {arg}")
            self._handle_event(kind, arg)
        self._report_lost_snapshots()
        self._drain_all()
        self._check_leaders()

    def _drain_all(self) -> None:
        crash_node = 0
        if self.faults_on and self.sc.crash_in_ready and self.rng.random() < self.sc.crash_in_ready:
            crash_node = self.rng.choice(list(self.nodes))
        for node in list(self.nodes.values()):
            if not node.up:
                continue
            point = CrashPoint(self.rng.randrange(4)) if node.id == crash_node else None
            if not node.handle_ready(point) and point is not None:
                self._after_crash(node)

    def _check_leaders(self) -> None:
        for node in self.nodes.values():
            if node.is_leader():
                assert node.raw is not None
                new = node.raw.term not in self.checker.leaders
                self.checker.on_leader(node.id, node.raw.term, node.disk.storage)
                if new and self.faults_on and self.sc.figure8 and self.rng.random() < 0.5:
                    # Fig. 8 adversary: a new leader dies holding entries of its term nobody
                    # else has; it may later come back with the most up-to-date last term.
                    self._crash(node, restart_after=self.rng.randint(1, 4) * self.sc.election_units)
                    self._note(f"figure 8 crash new leader {node.id}")

    def _trace(self, line: str) -> None:
        self._hash.update(line.encode())
        self._hash.update(b"\n")
        if self.verbose:
            self.log.append(line)

    # -- messages -------------------------------------------------------------------------------

    def _send(self, m: Message) -> None:
        sent = self.network.send(self.now, m)
        if not sent and self.network.is_blocked(m.frm, m.to):
            sender = self.nodes[m.frm]
            sender.defer(lambda raw, to=m.to: raw.report_unreachable(to))

    def _deliver(self, m: Message) -> None:
        self._trace(
            f"{self.now} msg {m.type.name} {m.frm}->{m.to} t{m.term} i{m.index} lt{m.log_term} "
            f"n{len(m.entries)} c{m.commit} r{int(m.reject)}"
        )
        node = self.nodes.get(m.to)
        if node is None or node.raw is None:
            if m.type == MessageType.SNAP:
                self._snapshot_status(m, failure=True)
            return
        try:
            node.raw.step(m)
        except StepPeerNotFound:
            pass  # a response from a peer removed meanwhile: etcd drops it too
        except ProposalDropped:
            pass  # a forwarded proposal/read reached a node without a leader: it is lost
        if m.type == MessageType.SNAP:
            self._snapshot_status(m, failure=False)

    def _snapshot_status(self, m: Message, *, failure: bool) -> None:
        sender = self.nodes.get(m.frm)
        if sender is not None and sender.up:
            sender.defer(lambda raw, to=m.to, f=failure: raw.report_snapshot(to, f))

    def _report_lost_snapshots(self) -> None:
        lost, self.network.lost_snapshots = self.network.lost_snapshots, []
        for m in lost:
            self._snapshot_status(m, failure=True)

    # -- timed events -----------------------------------------------------------------------------

    def _handle_event(self, kind: int, arg: int) -> None:
        if kind == TICK:
            node = self.nodes[arg]
            if node.raw is not None:
                node.raw.tick()
            self._at(self.now + TICK_UNITS + self.sc.drifts[(arg - 1) % len(self.sc.drifts)], TICK, arg)
        elif kind == RESTART:
            node = self.nodes[arg]
            if not node.up:
                node.start()
        elif kind == HEAL:
            self.network.heal()
        elif kind == CUT:
            node = self.nodes[arg]
            if self.faults_on and node.is_leader():
                if self.rng.random() < 0.5:
                    self._cut_off_with_minority(node)
                else:
                    self._crash(node, restart_after=self.rng.randint(1, 4) * self.sc.election_units)
                    self._note(f"figure 8 crash leader {node.id} after commit")
        elif not self.faults_on:
            return  # phase 2: no more clients, faults, or membership changes
        elif kind == CLIENT:
            self._client_op()
            self._at(self._jitter(self.sc.client_every), CLIENT, 0)
        elif kind == FAULT:
            self._fault()
            self._at(self._jitter(self.sc.fault_every), FAULT, 0)
        elif kind == MEMBERSHIP:
            self._membership()
            self._at(self._jitter(self.sc.membership_every), MEMBERSHIP, 0)
        elif kind == TRANSFER:
            self._transfer()
            self._at(self._jitter(self.sc.transfer_every), TRANSFER, 0)

    # -- clients ------------------------------------------------------------------------------------

    def _pick_node(self) -> SimNode | None:
        up = [n for n in self.nodes.values() if n.up]
        if not up:
            return None
        leader = self._leader()
        if leader is not None and self.rng.random() < 0.7:
            return leader
        return self.rng.choice(up)

    def _client_op(self) -> None:
        writes, reads = self.workload.expired(self.now)
        for pid, node_id in writes:
            self.nodes[node_id].proposals.pop(pid, None)
        for r in reads:
            self.checker.on_read_abandoned(r.read_id)
        node = self._pick_node()
        if node is None or node.raw is None:
            return
        if self.rng.random() < 0.6:
            client = self.workload.idle_client(self.rng)
            if client is None:
                return
            w = self.workload.new_write(client, self.rng)
            self._propose(node, w)
            if w.pid in node.proposals:
                self.workload.started(client, w, node.id, self.now)
                if self.sc.figure8 and node.is_leader() and self.rng.random() < 0.2:
                    self._cut_off_with_minority(node)
            else:
                client.outstanding = None
                self.workload.rejected += 1
        else:
            key = self.rng.randrange(self.sc.keys)
            r = self.workload.new_read(key, node.id, self.now)
            self.checker.on_read_invoked(r.read_id, key, self.now)
            if self.sc.stale_reads:
                # Broken on purpose (proves the read checker can fail): local state, no quorum.
                self._on_read_done(node.id, r.read_id, node.kv.get(key))
                return
            ctx = b"r%d" % r.read_id
            node.read_ctx[ctx] = (r.read_id, key)
            try:
                node.raw.read_index(ctx)
            except ProposalDropped:
                node.read_ctx.pop(ctx, None)
                self.workload.reads.pop(r.read_id, None)
                self.checker.on_read_abandoned(r.read_id)

    def _propose(self, node: SimNode, w: Write) -> None:
        assert node.raw is not None
        node.proposals[w.pid] = w.key
        try:
            node.raw.propose(w.encode())
        except ProposalDropped:
            node.proposals.pop(w.pid, None)

    def _on_ack(self, node: int, pid: ProposalId, w: Write, index: int) -> None:
        if pid[0] == MARKER_CLIENT:
            self.checker.on_ack(node, pid, w.key, index)
            if self.marker is None:
                self.marker = (pid, index)
            return
        if self.workload.owner_waiting(pid):
            self.checker.on_ack(node, pid, w.key, index)
            self.workload.finished(pid, acked=True)

    def _on_read_done(self, node: int, read_id: int, value: ProposalId | None) -> None:
        if self.workload.reads.pop(read_id, None) is not None:
            self.checker.on_read_completed(node, read_id, value, self.now)
            self.workload.reads_done += 1

    # -- faults --------------------------------------------------------------------------------------

    def _fault(self) -> None:
        ids = list(self.nodes)
        r = self.rng.random()
        heal_after = self.rng.randint(2, 8) * self.sc.election_units
        if r < 0.2:
            side = self.rng.sample(ids, self.rng.randint(1, max(1, len(ids) // 2)))
            other = [i for i in ids if i not in side]
            self.network.partition(side, other, symmetric=True)
            self._at(self.now + heal_after, HEAL, 0)
            self._note(f"partition {side} | {other}")
        elif r < 0.35:
            side = self.rng.sample(ids, self.rng.randint(1, max(1, len(ids) // 2)))
            other = [i for i in ids if i not in side]
            self.network.partition(side, other, symmetric=False)
            self._at(self.now + heal_after, HEAL, 0)
            self._note(f"one-way partition {side} -> {other}")
        elif r < 0.5:
            leader = self._leader()
            if leader is not None:
                others = [i for i in ids if i != leader.id]
                # Often isolate the leader together with the learners: with a broken vote count
                # that is the minority that could elect its own leader.
                learners = list(leader.conf_state.learners) if self.rng.random() < 0.5 else []
                self.network.partition([leader.id, *learners], [i for i in others if i not in learners])
                self._at(self.now + heal_after, HEAL, 0)
                self._note(f"isolate leader {leader.id} with {learners}")
        elif r < 0.6:
            self.network.heal()
            self._note("heal")
        elif r < 0.85:
            if self.rng.random() < self.sc.crash_all:
                for node in self.nodes.values():
                    self._crash(node, restart_after=self.rng.randint(1, 4) * self.sc.election_units)
                self._note("crash all")
            else:
                node = self.nodes[self.rng.choice(ids)]
                if node.up:
                    self._crash(node, restart_after=self.rng.randint(1, 6) * self.sc.election_units)
                    self._note(f"crash {node.id}")
        else:
            net = self.network.config
            net.drop = self.rng.choice((0.0, 0.05, 0.2, 0.4))
            net.duplicate = self.rng.choice((0.0, 0.05))
            self._note(f"weather drop={net.drop} dup={net.duplicate}")

    def _on_leader_committed(self, node_id: int) -> None:
        """Fig. 8 adversary: cut a leader off within about a round trip of a commit advance,
        when followers may hold the committed entry but not yet what the leader sent after."""
        if self.faults_on and self.sc.figure8 and self.rng.random() < 0.8:
            self._at(self.now + self.rng.randint(0, 2 * self.network.config.max_latency), CUT, node_id)

    def _cut_off_with_minority(self, leader: SimNode) -> None:
        """Raft paper fig. 8 setup: the entry just proposed reaches at most a minority, and the
        rest of the group elects a leader without it."""
        assert leader.raw is not None
        voters = [v for v in leader.raw.conf_state.voters if v != leader.id]
        k = self.rng.randint(0, max(0, (len(voters) + 1) // 2 - 1))
        side = [leader.id, *self.rng.sample(voters, k)]
        self.network.partition(side, [i for i in self.nodes if i not in side])
        self._at(self.now + self.rng.randint(1, 3) * self.sc.election_units, HEAL, 0)
        self._note(f"figure 8 cut {side}")

    def _crash(self, node: SimNode, *, restart_after: int) -> None:
        if node.up:
            node.crash()
            self._after_crash(node, restart_after)

    def _after_crash(self, node: SimNode, restart_after: int | None = None) -> None:
        self.network.drop_to(node.id)
        self._report_lost_snapshots()
        delay = restart_after if restart_after is not None else self.rng.randint(1, 4) * self.sc.election_units
        self._at(self.now + delay, RESTART, node.id)

    def _note(self, what: str) -> None:
        self._trace(f"{self.now} fault {what}")

    # -- membership and leadership -------------------------------------------------------------------

    def _leader(self) -> SimNode | None:
        best: SimNode | None = None
        for n in self.nodes.values():
            if n.is_leader() and (best is None or n.raw.term > best.raw.term):  # type: ignore[union-attr]
                best = n
        return best

    def _membership(self) -> None:
        leader = self._leader()
        if leader is None or leader.raw is None:
            return
        cs = leader.raw.conf_state
        voters = [v for v in cs.voters]
        learners = list(cs.learners)
        choices: list[ConfChange] = []
        if cs.voters_outgoing:
            choices.append(ConfChange())
        else:
            can_add = self.next_id <= self.sc.voters + self.sc.learners + self.sc.max_extra_nodes
            if can_add:
                choices.append(ConfChange((ConfChangeSingle(ConfChangeType.ADD_LEARNER_NODE, self.next_id),)))
            for lrn in learners:
                choices.append(ConfChange((ConfChangeSingle(ConfChangeType.ADD_NODE, lrn),)))
            if len(voters) >= 4:
                for v in voters:
                    choices.append(ConfChange((ConfChangeSingle(ConfChangeType.REMOVE_NODE, v),)))
            if learners and len(voters) >= 3:
                lrn, v = self.rng.choice(learners), self.rng.choice(voters)
                transition = ConfChangeTransition(self.rng.randrange(3))
                kind = self.rng.choice((ConfChangeType.REMOVE_NODE, ConfChangeType.ADD_LEARNER_NODE))
                choices.append(
                    ConfChange(
                        (ConfChangeSingle(ConfChangeType.ADD_NODE, lrn), ConfChangeSingle(kind, v)), transition
                    )
                )
        if not choices:
            return
        cc = self.rng.choice(choices)
        try:
            leader.raw.propose_conf_change(cc)
        except RaftError:
            return  # refused (pending change, transfer in progress): the operator retries later
        for c in cc.changes:
            if c.type == ConfChangeType.ADD_LEARNER_NODE and c.node_id == self.next_id:
                self._add_node(bootstrap=False)
        self._note(f"conf change {[(c.type.name, c.node_id) for c in cc.changes]} {cc.transition.name}")

    def _transfer(self) -> None:
        leader = self._leader()
        if leader is None or leader.raw is None:
            return
        others = [v for v in leader.raw.conf_state.voters if v != leader.id]
        if others:
            target = self.rng.choice(others)
            leader.raw.transfer_leader(target)
            self._note(f"transfer {leader.id} -> {target}")

    # -- phase 2: heal and demand liveness -----------------------------------------------------------

    def _is_member(self, node_id: int) -> bool:
        leader = self._leader()
        if leader is None or leader.raw is None:
            return True
        cs = leader.raw.conf_state
        return node_id in cs.voters or node_id in cs.learners or node_id in cs.voters_outgoing

    def _liveness_phase(self, res: SimResult) -> None:
        self.faults_on = False
        self.network.heal()
        self.network.config = NetworkConfig(drop=0.0, duplicate=0.0, min_latency=1, max_latency=30)
        for node in self.nodes.values():
            if not node.up:
                node.start()
        self._note("phase 2: healed")
        start = self.now
        deadline = start + LIVENESS_ELECTIONS * self.sc.election_units
        next_probe = self.now
        left_joint_term = -1
        while self.marker is None:
            if self.now > deadline:
                raise Violation(
                    "liveness",
                    f"no leader committed a new proposal within {LIVENESS_ELECTIONS} election timeouts of the heal "
                    f"(leader: {getattr(self._leader(), 'id', None)})",
                )
            leader = self._leader()
            if leader is not None and leader.raw is not None and self.now >= next_probe:
                if leader.raw.conf_state.voters_outgoing and left_joint_term != leader.raw.term:
                    try:
                        leader.raw.propose_conf_change(ConfChange())
                        left_joint_term = leader.raw.term
                    except RaftError:
                        pass
                self._marker_seq += 1
                self._propose(leader, Write(MARKER_CLIENT, self._marker_seq, 0))
                next_probe = self.now + 2 * self.sc.election_units
            self._step()
        committed_at = self.now
        deadline = self.now + CATCHUP_ELECTIONS * self.sc.election_units
        while True:
            # Every member must reach the probe and every write acknowledged so far (late acks
            # of writes proposed before the heal keep arriving meanwhile).
            marker_index = max(self.marker[1], max(self.checker.acked.values(), default=0))
            lagging = [
                n.id for n in self.nodes.values() if self._is_member(n.id) and n.kv.applied < marker_index
            ]
            if not lagging:
                break
            if self.now > deadline:
                raise Violation(
                    "liveness",
                    f"members {lagging} did not apply index {marker_index} within {CATCHUP_ELECTIONS} election timeouts",
                )
            self._step()
        self._check_convergence()
        res.heal_to_commit = committed_at - start
        res.commit_to_caught_up = self.now - committed_at

    def _check_convergence(self) -> None:
        """Members that applied the same index hold the same state machine (byte-equal)."""
        by_index: dict[int, bytes] = {}
        for n in self.nodes.values():
            if not self._is_member(n.id):
                continue
            enc = n.kv.encode()
            have = by_index.setdefault(n.kv.applied, enc)
            if have != enc:
                raise Violation("state machine safety", f"node {n.id} state differs from another at {n.kv.applied}")


def _copy_net(cfg: NetworkConfig) -> NetworkConfig:
    return NetworkConfig(
        cfg.drop, cfg.duplicate, cfg.min_latency, cfg.max_latency, cfg.spike, cfg.spike_latency
    )


def run_seed(
    seed: int,
    *,
    nodes: int | None = None,
    steps: int = 2000,
    bugs: frozenset[str] = frozenset(),
    hunt: bool | None = None,
    calm: bool = False,
    stale_reads: bool = False,
    defer_commit: bool = False,
    verbose: bool = False,
) -> SimResult:
    """Draw the scenario of ``seed`` (or its fault-free variant, ``calm``) and run it.
    ``defer_commit`` runs every replica with ``Config.defer_commit_broadcast``; it is applied
    after the draw, so a seed's scenario (and the rng streams) are the same either way."""
    if calm:
        if bugs:
            raise ValueError("a calm run cannot hunt bugs: it injects no faults")
        sc = Scenario.calm(seed, nodes=nodes or 3, steps=steps)
    else:
        sc = Scenario.draw(seed, nodes=nodes, steps=steps, bugs=bugs, hunt=hunt)
    sc.stale_reads = stale_reads
    sc.defer_commit = defer_commit
    sim = Simulation(sc, verbose=verbose)
    res = sim.run()
    if verbose:
        res.notes.extend(sim.log)
    return res
