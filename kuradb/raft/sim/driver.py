"""One simulated replica: a RawNode on a SimDisk, driven by the Ready contract.

Rules (the Ready ordering contract, followed to the letter, in this order):

1. persist the snapshot, the entries and the hard state; sync when ``must_sync`` (and always
   for a snapshot, which replaces the whole log);
2. send the messages;
3. install the snapshot into the state machine, then apply the committed entries in order
   (``apply_conf_change`` for CONF_CHANGE entries); answer proposals and reads;
4. ``advance(rd)``.

Local reports that step the core (``report_unreachable``, ``report_snapshot``) are queued and
delivered only *after* ``advance``, never between ``ready()`` and ``advance()``.

A crash may be injected between any two stages: the replica then loses its RawNode, its
volatile state machine, its pending proposals and reads, and everything its disk had not
synced. A restart rebuilds the state machine from the durable snapshot and lets the core
replay the committed log (``Config.applied`` = snapshot index), so apply is idempotent by
construction. The driver checks the core's side of the contract too (``must_sync`` set when
durability is needed, no message to self, committed entries in order) and reports a breach
as a ``ready contract`` violation.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from kuradb.raft.config import Config
from kuradb.raft.confchange import decode_conf_change
from kuradb.raft.rawnode import RawNode, Ready
from kuradb.raft.types import ConfState, EntryType, HardState, Message, StateType

from kuradb.raft.sim.checker import Checker, Violation
from kuradb.raft.sim.disk import SimDisk
from kuradb.raft.sim.kv import KVStateMachine, ProposalId, Write


class CrashPoint(enum.IntEnum):
    """Where in the Ready cycle an injected crash hits."""

    BEFORE_PERSIST = 0
    AFTER_PERSIST = 1
    AFTER_SEND = 2
    AFTER_APPLY = 3


@dataclass
class NodeParams:
    """Everything a replica is configured with, fixed for the run (survives restarts)."""

    config: Config
    snapshot_every: int  # applied entries between state-machine snapshots (log compaction)


@dataclass
class SimNode:
    """Driver of one replica. ``raw`` is None while the node is down."""

    id: int
    params: NodeParams
    disk: SimDisk
    checker: Checker
    send: Callable[[Message], None]
    ack: Callable[[int, ProposalId, Write, int], None]  # (node, pid, write, index)
    read_done: Callable[[int, int, ProposalId | None], None]  # (node, read id, value)
    leader_committed: Callable[[int], None]  # (node): this node, as leader, advanced its commit
    raw: RawNode | None = None
    kv: KVStateMachine = field(default_factory=KVStateMachine)
    conf_state: ConfState = field(default_factory=ConfState)
    proposals: dict[ProposalId, int] = field(default_factory=dict)  # pid -> key
    read_ctx: dict[bytes, tuple[int, int]] = field(default_factory=dict)  # ctx -> (read id, key)
    reads_waiting: list[tuple[int, int, int]] = field(default_factory=list)  # (index, read id, key)
    _deferred: list[Callable[[RawNode], None]] = field(default_factory=list)
    restarts: int = 0

    @property
    def up(self) -> bool:
        return self.raw is not None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """(Re)start from what the disk durably holds."""
        snap = self.disk.storage.snapshot()
        self.kv = KVStateMachine() if snap.is_empty() else KVStateMachine.decode(snap.data)
        if self.kv.applied != snap.metadata.index:
            raise AssertionError("snapshot data and metadata disagree")
        self.conf_state = snap.metadata.conf_state
        cfg = self.params.config
        cfg.applied = snap.metadata.index
        self.raw = RawNode(cfg, self.disk.storage)
        self.checker.on_restart(self.id)

    def crash(self) -> None:
        self.disk.crash()
        self.raw = None
        self.proposals.clear()
        self.read_ctx.clear()
        self.reads_waiting.clear()
        self._deferred.clear()
        self.restarts += 1

    def defer(self, f: Callable[[RawNode], None]) -> None:
        """Run ``f(raw)`` after the current Ready cycle (never between ready() and advance())."""
        self._deferred.append(f)

    # -- the Ready cycle ---------------------------------------------------------------------

    def handle_ready(self, crash_at: CrashPoint | None = None) -> bool:
        """Process every pending Ready; returns False if an injected crash stopped the node."""
        while self.raw is not None:
            raw = self.raw
            while self._deferred:
                self._deferred.pop(0)(raw)
            if not raw.has_ready():
                return True
            rd = raw.ready()
            if crash_at == CrashPoint.BEFORE_PERSIST:
                self.crash()
                return False
            self._persist(rd)
            if crash_at == CrashPoint.AFTER_PERSIST:
                self.crash()
                return False
            for m in rd.messages:
                if m.to == self.id:
                    raise Violation("ready contract", f"node {self.id}: message to self {m.type.name}")
                self.send(m)
            if crash_at == CrashPoint.AFTER_SEND:
                self.crash()
                return False
            self._apply(raw, rd)
            if crash_at == CrashPoint.AFTER_APPLY:
                self.crash()
                return False
            raw.advance(rd)
            self._complete_reads()
        return False

    def _persist(self, rd: Ready) -> None:
        disk = self.disk
        before: HardState = disk.storage.hard_state
        why = []
        if rd.entries:
            why.append(f"{len(rd.entries)} entries")
        if rd.hard_state is not None and (rd.hard_state.term, rd.hard_state.vote) != (before.term, before.vote):
            why.append(f"term/vote {before.term}/{before.vote} -> {rd.hard_state.term}/{rd.hard_state.vote}")
        if why and not rd.must_sync:
            raise Violation("ready contract", f"node {self.id}: must_sync is False but the Ready has {', '.join(why)}")
        if rd.snapshot is not None and not rd.snapshot.is_empty():
            disk.write_snapshot(rd.snapshot)
        self.checker.before_persist(self.id, rd.entries, disk.storage)
        disk.write_entries(rd.entries)
        if rd.hard_state is not None:
            disk.write_hard_state(rd.hard_state)
        if rd.must_sync or rd.snapshot is not None:
            # A snapshot replaces the whole log, so it is always fsync'd (as etcd's server does)
            # whatever must_sync says: must_sync covers entries and term/vote only.
            disk.sync()
        self.checker.on_persist(self.id, rd.entries, disk.storage)
        if rd.hard_state is not None:
            self.checker.on_commit(self.id, rd.hard_state.commit, disk.storage)
            if rd.hard_state.commit > before.commit and self.is_leader():
                self.leader_committed(self.id)

    def _apply(self, raw: RawNode, rd: Ready) -> None:
        if rd.snapshot is not None and not rd.snapshot.is_empty():
            snap = rd.snapshot
            self.checker.on_snapshot_installed(self.id, snap)
            self.kv = KVStateMachine.decode(snap.data)
            self.conf_state = snap.metadata.conf_state
        for e in rd.committed_entries:
            if e.index != self.kv.applied + 1:
                raise Violation(
                    "ready contract", f"node {self.id}: committed entry {e.index} after applied {self.kv.applied}"
                )
            self.checker.on_apply(self.id, e)
            if e.type == EntryType.CONF_CHANGE:
                self.conf_state = raw.apply_conf_change(decode_conf_change(e.data))
                self.kv.skip(e.index)
            else:
                w = self.kv.apply(e.index, e.data)
                if w is not None and w.pid in self.proposals:
                    del self.proposals[w.pid]
                    self.ack(self.id, w.pid, w, e.index)
        for rs in rd.read_states:
            entry = self.read_ctx.pop(rs.request_ctx, None)
            if entry is not None:
                self.reads_waiting.append((rs.index, entry[0], entry[1]))
        self._maybe_snapshot()

    def _maybe_snapshot(self) -> None:
        applied = self.kv.applied
        if applied - (self.disk.storage.first_index() - 1) >= self.params.snapshot_every:
            self.disk.create_snapshot(applied, self.conf_state, self.kv.encode())

    def _complete_reads(self) -> None:
        if not self.reads_waiting:
            return
        still = []
        for index, read_id, key in self.reads_waiting:
            if index <= self.kv.applied:
                self.read_done(self.id, read_id, self.kv.get(key))
            else:
                still.append((index, read_id, key))
        self.reads_waiting = still

    # -- observation ---------------------------------------------------------------------------

    def is_leader(self) -> bool:
        return self.raw is not None and self.raw.state == StateType.LEADER


def make_config(node_id: int, rng: random.Random, base: Config) -> Config:
    """A per-replica copy of ``base`` with its own id and its own seeded election-timeout rng.

    ``dataclasses.replace`` so every other field (``defer_commit_broadcast``, ``bugs``, ...)
    carries over: a field added to Config cannot be silently dropped here."""
    return replace(base, id=node_id, rng=random.Random(rng.getrandbits(64)))
