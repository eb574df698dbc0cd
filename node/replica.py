"""One replica of one partition: a RawNode, its log storage, its state machine and descriptor.

Rules (the driver, node/driver.py, calls everything here from its one event-loop thread, and
never between a group's ``ready()`` and ``advance()`` except the methods named for that step):

* Log entry formats. A NORMAL entry's data is ``msgpack([kind, proposal_id, body])``:
  ``DATA`` (body = a node/codec.py command) or ``SPLIT`` (body = ``[split_h, child_id,
  child_replica_ids, expected_version]``). Empty data is the leader's no-op of a new term.
  A CONF_CHANGE entry carries ``msgpack([proposal_id, [replica info...]])`` in its context,
  the node/az of replicas it adds, so every replica derives the same new descriptor.
* Data proposals made with ``queue_data`` wait in a per-replica queue until the driver calls
  ``flush_proposals`` at the end of its step phase; all of them then go to the core as ONE
  proposal message (consecutive indexes, one APP per follower instead of one per write). Log
  order is submission order: every other proposal path flushes the queue first. A queued
  proposal is not in the log: if the core refuses the batch (leadership lost meanwhile) every
  one fails with NOT_LEADER, which is safe to retry.
* Proposal ids are unique per replica incarnation. A proposal's future resolves when THIS
  replica applies an entry carrying its id. The index the entry got when proposed is
  remembered: if another entry is applied at that index, the proposal can never commit (the
  log has exactly one committed entry per index) and it fails with NOT_LEADER — retrying is
  safe. A proposal whose fate is unknown at its deadline is the caller's UNDETERMINED.
* Descriptor changes (splits, conf changes) are applied at most once per index: the catalog
  record's ``applied_at`` is the index of the last one applied, and replayed entries at or
  below it only re-apply the conf change to the Raft core (whose membership is rebuilt from
  the log's snapshot on every start). Data entries are idempotent by the state machine's own
  applied index (node/partition.py). Hence a restart may replay the log from its snapshot.
* Strongly consistent reads: a leader holding its lease (which implies it committed an entry
  of its term) waits for applied >= its commit index; otherwise it asks ReadIndex and waits
  for applied >= the returned index. Losing leadership fails pending reads with NOT_LEADER.
* A split narrows this replica and asks the host to create the child replica; the child's Raft
  group (bootstrap, fsync'd) is written before the catalog batch holding both descriptors
  (fsync'd), so a crash between the two leaves an orphan group that replaying the split reuses.
* Snapshot data is this partition's key range and bookkeeping from one LevelDB snapshot plus
  the raft-applied index R it reflects and the descriptor. Installing it (one synced batch) is
  skipped when R is not ahead of what this replica applied; it must be durable before the Raft
  core records the snapshot in the log DB (node/raft_storage.py).
"""

from __future__ import annotations

import asyncio
import enum
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, Protocol

import msgpack

from kuradb.keys import prefix_successor, table_hash_range
from kuradb.node.codec import WriteResult, encode_command
from kuradb.node.descriptor import Catalog, HostedReplica, PartitionDescriptor, ReplicaInfo
from kuradb.node.engine import Engine, WriteBatch
from kuradb.node.partition import PartitionStateMachine, meta_prefix
from kuradb.node.raft_storage import GroupStorage, RaftLogDB
from kuradb.raft.confchange import decode_conf_change
from kuradb.raft.config import Config
from kuradb.raft.errors import ProposalDropped, StepPeerNotFound
from kuradb.raft.rawnode import RawNode, Ready
from kuradb.raft.types import (
    ConfChange,
    ConfChangeSingle,
    ConfChangeType,
    Entry,
    EntryType,
    Message,
    StateType,
)


class EntryKind(enum.IntEnum):
    DATA = 0
    SPLIT = 1


class Unavailable(Exception):
    """The replica cannot serve (a routing/availability problem, sent as a PartitionError)."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code  # a PartitionError.Code name: NOT_LEADER, EPOCH_NOT_MATCH, ...
        self.message = message or code


@dataclass(frozen=True, slots=True)
class ReplicaConfig:
    election_ticks: int = 10
    heartbeat_ticks: int = 1
    compact_after: int = 10_000  # entries kept beyond the applied index before compaction
    max_pending: int = 4096  # proposals awaiting apply before SERVER_BUSY


class ReplicaHost(Protocol):
    """What a replica needs from the node hosting it (implemented by the driver)."""

    def create_split_child(self, child: HostedReplica, campaign: bool) -> None: ...


@dataclass(slots=True)
class _Pending:
    future: asyncio.Future[Any]
    index: int


@dataclass(slots=True)
class _Queued:
    """A data proposal accepted by ``queue_data`` and not yet handed to the core."""

    proposal_id: bytes
    data: bytes
    future: asyncio.Future[Any]


@dataclass(slots=True)
class SnapshotImage:
    """What a leader streams to a replica that needs a snapshot (see module rules)."""

    raft_applied: int
    descriptor: PartitionDescriptor
    pairs: Iterator[tuple[bytes, bytes]]


def encode_entry_data(kind: EntryKind, proposal_id: bytes, body: Any) -> bytes:
    return msgpack.packb([int(kind), proposal_id, body], use_bin_type=True)


def decode_entry_data(data: bytes) -> tuple[EntryKind, bytes, Any]:
    kind, proposal_id, body = msgpack.unpackb(data, raw=False)
    return EntryKind(kind), bytes(proposal_id), body


class PartitionReplica:
    """See the module rules. Not thread-safe: owned by one driver loop."""

    def __init__(
        self,
        record: HostedReplica,
        engine: Engine,
        logdb: RaftLogDB,
        host: ReplicaHost,
        config: ReplicaConfig,
    ) -> None:
        self.record = record
        self.engine = engine
        self.logdb = logdb
        self.host = host
        self.config = config
        pid = record.descriptor.partition_id
        self.storage: GroupStorage = logdb.group(pid)
        self.sm = self._make_sm(record.descriptor)
        never_contacted = self.storage.last_index() == 0 and self.storage.hard_state.is_empty()
        raft_cfg = Config(
            id=record.replica_id,
            election_tick=config.election_ticks,
            heartbeat_tick=config.heartbeat_ticks,
            # Replay from the log's snapshot: conf changes after it must reach the core again;
            # data and descriptor changes are skipped by index (module rules).
            applied=self.storage.first_index() - 1,
            check_quorum=True,
            pre_vote=True,
            disable_proposal_forwarding=True,
            # The driver sends only at ready(): deferring the commit broadcast to then lets the
            # APP with the next writes carry it, halving messages under load (raft/config.py).
            defer_commit_broadcast=True,
            disable_campaign_until_contacted=not record.initial_member and never_contacted,
        )
        self.raw = RawNode(raft_cfg, self.storage)
        self.applied = raft_cfg.applied  # index of the last entry this replica processed
        self._ids = itertools.count(1)
        self._id_prefix = os.urandom(8)
        self._pending: dict[bytes, _Pending] = {}
        self._pending_at: dict[int, bytes] = {}
        self._queued: list[_Queued] = []
        self._read_ctx: dict[bytes, asyncio.Future[None]] = {}
        self._read_waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._last_leader = 0
        self.destroyed = False

    def _make_sm(self, d: PartitionDescriptor) -> PartitionStateMachine:
        return PartitionStateMachine(self.engine, d.table, d.start_h, d.end_h, d.partition_id)

    # -- observation ------------------------------------------------------------------------
    @property
    def partition_id(self) -> int:
        return self.record.descriptor.partition_id

    @property
    def descriptor(self) -> PartitionDescriptor:
        return self.record.descriptor

    @property
    def is_leader(self) -> bool:
        return self.raw.state == StateType.LEADER

    def leader_info(self) -> ReplicaInfo | None:
        lead = self.raw.leader
        return self.descriptor.replica(lead) if lead else None

    # -- inputs (driver step phase) -------------------------------------------------------------
    def step(self, m: Message) -> None:
        try:
            self.raw.step(m)
        except StepPeerNotFound:
            pass  # a response from a replica no longer in the group: nothing to do

    def _new_id(self) -> bytes:
        return self._id_prefix + next(self._ids).to_bytes(8, "big")

    def _check_can_propose(self) -> None:
        if not self.is_leader:
            raise Unavailable("NOT_LEADER", "not the leader of this partition")
        if len(self._pending) + len(self._queued) >= self.config.max_pending:
            raise Unavailable("SERVER_BUSY", "too many proposals in flight")

    def _track(self, proposal_id: bytes, fut: asyncio.Future[Any], index: int | None = None) -> None:
        """Remember the index a proposal got (default: the last one, just appended)."""
        if index is None:
            index = self.raw.raft.raft_log.last_index()
        self._pending[proposal_id] = _Pending(fut, index)
        self._pending_at[index] = proposal_id

    def propose_data(self, op: str, request: dict[str, Any], request_id: bytes | None, fut: asyncio.Future[Any]) -> None:
        """Propose a write now; ``fut`` gets its :class:`WriteResult` once applied here."""
        self.flush_proposals()
        self._check_can_propose()
        pid = self._new_id()
        try:
            self.raw.propose(encode_entry_data(EntryKind.DATA, pid, encode_command(op, request, request_id)))
        except ProposalDropped as e:
            raise Unavailable("NOT_LEADER", str(e)) from e
        self._track(pid, fut)

    def queue_data(self, op: str, request: dict[str, Any], request_id: bytes | None, fut: asyncio.Future[Any]) -> None:
        """Like :meth:`propose_data`, but the entry reaches the core at the next
        :meth:`flush_proposals`, together with the other writes queued in the same step phase
        (module rules). Refusals known now (not leader, too busy) are raised now."""
        self._check_can_propose()
        pid = self._new_id()
        self._queued.append(_Queued(pid, encode_entry_data(EntryKind.DATA, pid, encode_command(op, request, request_id)), fut))

    def flush_proposals(self) -> None:
        """Hand every queued data proposal to the core as one batch (the driver calls this at
        the end of each step phase, before collecting Readys)."""
        if not self._queued:
            return
        batch, self._queued = self._queued, []
        try:
            self.raw.propose_batch([q.data for q in batch])
        except ProposalDropped as e:
            for q in batch:
                _fail(q.future, Unavailable("NOT_LEADER", str(e)))
            return
        first = self.raw.raft.raft_log.last_index() - len(batch) + 1
        for i, q in enumerate(batch):
            self._track(q.proposal_id, q.future, first + i)

    def propose_split(self, split_h: int, child_id: int, child_replica_ids: list[int], expected_version: int,
                      fut: asyncio.Future[Any]) -> None:  # fmt: skip
        self.flush_proposals()
        self._check_can_propose()
        self.descriptor.split(split_h, child_id, tuple(child_replica_ids))  # validate now, apply re-checks
        pid = self._new_id()
        body = [split_h, child_id, list(child_replica_ids), expected_version]
        try:
            self.raw.propose(encode_entry_data(EntryKind.SPLIT, pid, body))
        except ProposalDropped as e:
            raise Unavailable("NOT_LEADER", str(e)) from e
        self._track(pid, fut)

    def propose_conf_change(self, changes: list[tuple[ConfChangeType, int]], added: list[ReplicaInfo],
                            fut: asyncio.Future[Any]) -> None:  # fmt: skip
        """Single-step change for one change, joint consensus (auto-leave) for several."""
        self.flush_proposals()
        self._check_can_propose()
        raft = self.raw.raft
        if raft.pending_conf_index > raft.raft_log.applied or raft.trk.config.voters.is_joint():
            # One membership change at a time (the core would refuse it anyway).
            raise Unavailable("SERVER_BUSY", "another membership change is in progress")
        pid = self._new_id()
        ctx = msgpack.packb([pid, [r.to_list() for r in added]], use_bin_type=True)
        cc = ConfChange(changes=tuple(ConfChangeSingle(t, n) for t, n in changes), context=ctx)
        try:
            self.raw.propose_conf_change(cc)
        except ProposalDropped as e:
            raise Unavailable("NOT_LEADER", str(e)) from e
        self._track(pid, fut)

    def transfer_leader(self, to_replica: int) -> None:
        self.flush_proposals()  # queued writes go first: a transfer in progress drops proposals
        if not self.is_leader:
            raise Unavailable("NOT_LEADER", "not the leader of this partition")
        self.raw.transfer_leader(to_replica)

    def read_barrier(self, fut: asyncio.Future[None]) -> None:
        """Resolve ``fut`` once a linearizable read may run on the applied state (module rules)."""
        if not self.is_leader:
            raise Unavailable("NOT_LEADER", "not the leader of this partition")
        if self.raw.in_lease():
            self._read_waiters.append((self.raw.raft.raft_log.committed, fut))
            self._release_reads()
            return
        ctx = self._new_id()
        self._read_ctx[ctx] = fut
        self.raw.read_index(ctx)

    def abandon(self, fut: asyncio.Future[Any]) -> None:
        """Forget a proposal whose caller gave up (deadline); its entry may still apply."""
        self._queued = [q for q in self._queued if q.future is not fut]
        for k, p in list(self._pending.items()):
            if p.future is fut:
                del self._pending[k]
                self._pending_at.pop(p.index, None)

    # -- Ready processing (driver) ------------------------------------------------------------
    def on_soft_state(self, rd: Ready) -> bool:
        """Returns True when the known leader changed. A replica that stops leading fails its
        pending reads: a ReadIndex request it started will never be answered."""
        if rd.soft_state is None:
            return False
        if rd.soft_state.state != StateType.LEADER:
            for f in self._read_ctx.values():
                _fail(f, Unavailable("NOT_LEADER", "leadership lost"))
            self._read_ctx.clear()
        changed = rd.soft_state.leader != self._last_leader
        self._last_leader = rd.soft_state.leader
        return changed

    def apply(self, rd: Ready) -> list[WriteResult | None]:
        """Step 3 of the Ready contract for this group. Returns data results (metrics)."""
        out: list[WriteResult | None] = []
        if rd.snapshot is not None and not rd.snapshot.is_empty():
            self.applied = max(self.applied, rd.snapshot.metadata.index)
        for e in rd.committed_entries:
            if e.type == EntryType.CONF_CHANGE:
                self._apply_conf_change(e)
            elif e.data:
                out.append(self._apply_normal(e))
            self.applied = e.index
            self._resolve_lost(e.index)
        for rs in rd.read_states:
            f = self._read_ctx.pop(rs.request_ctx, None)
            if f is not None:
                self._read_waiters.append((rs.index, f))
        self._release_reads()
        return out

    def _resolve_lost(self, index: int) -> None:
        pid = self._pending_at.pop(index, None)
        if pid is not None:
            p = self._pending.pop(pid, None)
            if p is not None:
                _fail(p.future, Unavailable("NOT_LEADER", "the proposal was replaced by a new leader's entry"))

    def _resolve(self, proposal_id: bytes, value: Any = None, error: Exception | None = None) -> None:
        p = self._pending.pop(proposal_id, None)
        if p is None:
            return
        self._pending_at.pop(p.index, None)
        if p.future.done():
            return
        if error is not None:
            p.future.set_exception(error)
        else:
            p.future.set_result(value)

    def _release_reads(self) -> None:
        if not self._read_waiters:
            return
        still = []
        for index, f in self._read_waiters:
            if index <= self.applied:
                if not f.done():
                    f.set_result(None)
            else:
                still.append((index, f))
        self._read_waiters = still

    def _apply_normal(self, e: Entry) -> WriteResult | None:
        kind, pid, body = decode_entry_data(e.data)
        if kind == EntryKind.DATA:
            result = self.sm.apply(e.index, body)
            self._resolve(pid, result)
            return result
        if e.index <= self.record.applied_at:
            return None  # split already applied (replay)
        split_h, child_id, child_rids, expected_version = body
        d = self.descriptor
        if d.epoch.version != expected_version or not d.start_h < split_h < d.end_h or len(child_rids) != len(d.replicas):
            # Deterministic refusal: every replica sees the same descriptor at this index.
            self._persist(replace(self.record, applied_at=e.index))
            self._resolve(pid, error=Unavailable("EPOCH_NOT_MATCH", "split planned against another epoch"))
            return None
        parent, child = d.split(split_h, child_id, tuple(child_rids))
        mine = next(c for p, c in zip(d.replicas, child.replicas, strict=True) if p.replica_id == self.record.replica_id)
        child_rec = HostedReplica(child, mine.replica_id, applied_at=0, initial_member=True)
        if self.logdb.group(child_id).last_index() == 0:
            self.logdb.bootstrap(child_id, child.initial_conf_state())
        self.record = replace(self.record, descriptor=parent, applied_at=e.index)
        batch = WriteBatch()
        Catalog.put(batch, self.record)
        Catalog.put(batch, child_rec)
        self.engine.write(batch, sync=True)
        self.sm = self._make_sm(parent)
        self.host.create_split_child(child_rec, campaign=self.is_leader)
        self._resolve(pid, None)
        return None

    def _apply_conf_change(self, e: Entry) -> None:
        cc = decode_conf_change(e.data)
        cs = self.raw.apply_conf_change(cc)
        pid = b""
        known: dict[int, ReplicaInfo] = {}
        if cc.context:
            raw_pid, infos = msgpack.unpackb(cc.context, raw=False)
            pid = bytes(raw_pid)
            known = {r.replica_id: r for r in (ReplicaInfo.from_list(i) for i in infos)}
        if e.index > self.record.applied_at:
            new = self.descriptor.with_membership(cs, known)
            self._persist(replace(self.record, descriptor=new, applied_at=e.index))
        if pid:
            self._resolve(pid, None)

    def _persist(self, rec: HostedReplica, sync: bool = False) -> None:
        """Catalog write; sync=False is safe because the log replays it (module rules)."""
        self.record = rec
        batch = WriteBatch()
        Catalog.put(batch, rec)
        self.engine.write(batch, sync=sync)

    def maybe_compact(self) -> bool:
        """Log compaction once more than ``compact_after`` applied entries are kept (call after
        ``advance``). The data engine is synced first: compacted entries can never be replayed,
        so everything they wrote must be durable."""
        base = self.storage.first_index() - 1
        if self.applied - base <= self.config.compact_after:
            return False
        self._persist(self.record, sync=True)
        self.logdb.compact(self.partition_id, self.applied, self.raw.conf_state)
        return True

    # -- snapshots ------------------------------------------------------------------------------
    def snapshot_image(self) -> tuple[SnapshotImage, Any]:
        """A consistent image for streaming; the second value must be closed by the caller."""
        snap = self.sm.snapshot_range()
        return SnapshotImage(self.applied, self.descriptor, snap.entries()), snap

    def install_snapshot(self, raft_applied: int, descriptor: PartitionDescriptor, pairs: list[tuple[bytes, bytes]]) -> bool:
        """Replace this replica's data by a leader's image (one synced batch), unless it is not
        newer than what was applied here. Call before stepping the SNAP message."""
        if raft_applied <= max(self.applied, self.record.applied_at, self.sm.applied_index):
            return False
        if descriptor.partition_id != self.partition_id:
            raise ValueError("snapshot of another partition")
        batch = WriteBatch()
        meta = meta_prefix(self.partition_id)
        for k, _ in self.engine.iterate(meta, prefix_successor(meta)):
            batch.delete(k)
        for d in (self.descriptor, descriptor):
            for k, _ in self.engine.iterate(*table_hash_range(d.table.table_id, d.start_h, d.end_h)):
                batch.delete(k)
        for k, v in pairs:
            batch.put(k, v)
        self.record = replace(self.record, descriptor=descriptor, applied_at=raft_applied)
        Catalog.put(batch, self.record)
        self.engine.write(batch, sync=True)
        self.sm = self._make_sm(descriptor)
        return True

    # -- teardown -------------------------------------------------------------------------------
    def fail_all(self, why: str) -> None:
        """Give up on everything in flight: a proposal may still commit elsewhere, so it is
        UNDETERMINED (retry only with its request id); a queued proposal never reached the log
        (NOT_LEADER); a read simply failed."""
        for p in self._pending.values():
            _fail(p.future, Unavailable("UNDETERMINED", why))
        err = Unavailable("NOT_LEADER", why)
        for q in self._queued:
            _fail(q.future, err)  # never reached the log: certainly not applied
        for f in self._read_ctx.values():
            _fail(f, err)
        for _, f in self._read_waiters:
            _fail(f, err)
        self._pending.clear()
        self._pending_at.clear()
        self._queued.clear()
        self._read_ctx.clear()
        self._read_waiters.clear()

    def destroy(self) -> None:
        """Delete this replica: its Raft log, its data range, its bookkeeping, its catalog record."""
        self.fail_all("replica deleted")
        self.logdb.destroy(self.partition_id)
        batch = WriteBatch()
        d = self.descriptor
        meta = meta_prefix(self.partition_id)
        for k, _ in self.engine.iterate(meta, prefix_successor(meta)):
            batch.delete(k)
        for k, _ in self.engine.iterate(*table_hash_range(d.table.table_id, d.start_h, d.end_h)):
            batch.delete(k)
        Catalog.delete(batch, self.partition_id)
        self.engine.write(batch, sync=True)
        self.destroyed = True


def _fail(f: asyncio.Future[Any], e: Exception) -> None:
    if not f.done():
        f.set_exception(e)


__all__ = [
    "EntryKind",
    "PartitionReplica",
    "ReplicaConfig",
    "ReplicaHost",
    "SnapshotImage",
    "Unavailable",
    "decode_entry_data",
    "encode_entry_data",
]
