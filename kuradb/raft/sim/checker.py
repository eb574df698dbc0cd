"""Safety checker of the Raft simulator: every invariant, checked incrementally after each event.

Invariants (Raft paper §5.2-5.4, fig. 3, plus client-visible guarantees):

* ``election safety`` - at most one leader per term.
* ``log matching`` - two *stable* (persisted) entries with the same index and term carry the same
  data and follow the same previous term (so, by induction, identical prefixes).
* ``leader completeness`` - a leader of term T holds every entry committed in a term < T, and no
  replica ever overwrites a committed entry.
* ``state machine safety`` - all replicas commit and apply the same entry at each index; the
  global committed history is the one sequence every node's applied sequence is a prefix of.
* ``ack`` - an acknowledged proposal is in the committed history, at the index it was
  acknowledged for, carrying that very proposal (and, by state machine safety, stays there).
* ``linearizable read`` - per key: a read returns a write no older than the latest write
  acknowledged before the read was invoked, nor older than what any read that completed before
  it returned, and no newer than the history committed when it completed.
* ``liveness`` - checked by the cluster (it owns time), reported through :class:`Violation`.

The checker owns a reference :class:`KVStateMachine` that folds the committed history in order,
so "which write does a value come from" and "which write is effective" have one answer.
It does no I/O and never reads the clock: times are handed in by the cluster.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kuradb.raft.errors import Compacted, Unavailable
from kuradb.raft.storage import Storage
from kuradb.raft.types import Entry, EntryType, Snapshot

from kuradb.raft.sim.kv import KVStateMachine, ProposalId, Write


class Violation(Exception):
    """A broken invariant; ``invariant`` is its short name (printed with the seed)."""

    def __init__(self, invariant: str, detail: str) -> None:
        super().__init__(f"{invariant}: {detail}")
        self.invariant = invariant
        self.detail = detail


@dataclass(slots=True)
class _PendingRead:
    key: int
    invoked_at: int
    min_index: int  # the read must see a write at least this far in the history
    reason: str


@dataclass
class Checker:
    """Incremental invariant checks; the cluster calls ``on_*`` as things happen."""

    leaders: dict[int, int] = field(default_factory=dict)  # term -> leader id
    stable: dict[tuple[int, int], tuple[int, bytes, int]] = field(default_factory=dict)
    committed_terms: dict[int, int] = field(default_factory=dict)  # index -> term
    max_committed: int = 0
    history: dict[int, Entry] = field(default_factory=dict)  # index -> applied entry
    reference: KVStateMachine = field(default_factory=KVStateMachine)
    effective_at: dict[ProposalId, int] = field(default_factory=dict)  # pid -> index it took effect
    writes_by_index: dict[int, Write] = field(default_factory=dict)
    acked: dict[ProposalId, int] = field(default_factory=dict)  # pid -> acknowledged index
    last_acked: dict[int, int] = field(default_factory=dict)  # key -> max acked effective index
    last_read: dict[int, int] = field(default_factory=dict)  # key -> max index a completed read saw
    reads: dict[int, _PendingRead] = field(default_factory=dict)
    completed_reads: int = 0
    _commit_seen: dict[int, int] = field(default_factory=dict)  # node -> commit index recorded

    def bootstrap(self, snap: Snapshot) -> None:
        """The group starts from ``snap`` (provisioned on every initial replica): its index is
        committed and the reference state machine starts from its image."""
        self.reference = KVStateMachine.decode(snap.data)
        self._record_committed(0, snap.metadata.index, snap.metadata.term)

    # -- election safety / leader completeness ----------------------------------------------

    def on_leader(self, node: int, term: int, storage: Storage) -> None:
        """``node`` is leader of ``term`` now (called after its Ready was fully handled)."""
        prev = self.leaders.get(term)
        if prev is not None and prev != node:
            raise Violation("election safety", f"term {term} has two leaders: {prev} and {node}")
        if prev is not None:
            return
        self.leaders[term] = node
        first = storage.first_index()
        snap_index = first - 1
        for i in range(max(1, snap_index), self.max_committed + 1):
            t = self.committed_terms.get(i)
            if t is None or t >= term:
                continue
            if i < snap_index:
                continue  # inside the leader's snapshot, checked when it was installed
            try:
                have = storage.term(i)
            except (Compacted, Unavailable):
                raise Violation(
                    "leader completeness",
                    f"leader {node} of term {term} lacks committed entry {i} (term {t}); "
                    f"its log is [{first}, {storage.last_index()}]",
                ) from None
            if have != t:
                raise Violation(
                    "leader completeness",
                    f"leader {node} of term {term} has term {have} at committed index {i} (term {t})",
                )

    # -- log matching / committed entries --------------------------------------------------

    def before_persist(self, node: int, entries: list[Entry], storage: Storage) -> None:
        """``entries`` are about to be appended to ``node``'s log: nothing it holds that is
        committed (or below its own commit index) may be replaced.

        (A stale leader may *append* at an index committed elsewhere in a later term: its log
        never held the committed entry, and leader completeness keeps it from winning.)"""
        commit = storage.initial_state()[0].commit
        for e in entries:
            try:
                old = storage.term(e.index)
            except (Compacted, Unavailable):
                continue
            if old == e.term:
                continue
            if self.committed_terms.get(e.index) == old or e.index <= commit:
                raise Violation(
                    "leader completeness",
                    f"node {node} overwrote committed entry {e.index} (term {old}) with term {e.term}",
                )

    def on_persist(self, node: int, entries: list[Entry], storage: Storage) -> None:
        """``entries`` were just appended to ``node``'s log (stable once synced)."""
        for e in entries:
            try:
                prev_term = storage.term(e.index - 1)
            except (Compacted, Unavailable):
                prev_term = -1
            key = (e.index, e.term)
            got = (int(e.type), e.data, prev_term)
            have = self.stable.get(key)
            if have is None:
                self.stable[key] = got
                continue
            if have[0] != got[0] or have[1] != got[1]:
                raise Violation("log matching", f"node {node}: entry {key} differs in content from another log")
            if have[2] != -1 and got[2] != -1 and have[2] != got[2]:
                raise Violation(
                    "log matching",
                    f"node {node}: entry {key} follows term {got[2]}, another log has it after term {have[2]}",
                )

    def on_commit(self, node: int, commit: int, storage: Storage) -> None:
        """``node`` persisted a commit index: record the terms now known committed."""
        lo = self._commit_seen.get(node, 0)
        if commit <= lo:
            return
        first = storage.first_index()
        for i in range(max(lo + 1, first - 1), commit + 1):
            try:
                t = storage.term(i)
            except (Compacted, Unavailable):
                continue
            self._record_committed(node, i, t)
        self._commit_seen[node] = commit

    def on_restart(self, node: int) -> None:
        self._commit_seen.pop(node, None)

    def _record_committed(self, node: int, index: int, term: int) -> None:
        have = self.committed_terms.get(index)
        if have is None:
            self.committed_terms[index] = term
            self.max_committed = max(self.max_committed, index)
        elif have != term:
            raise Violation(
                "state machine safety",
                f"node {node} committed term {term} at index {index}, another node committed term {have}",
            )

    # -- applied history ---------------------------------------------------------------------

    def on_apply(self, node: int, e: Entry) -> None:
        """``node`` applied entry ``e`` (in index order)."""
        have = self.history.get(e.index)
        if have is None:
            self.history[e.index] = Entry(e.term, e.index, e.type, e.data)
            self._record_committed(node, e.index, e.term)
            self._fold_reference()
        elif have.term != e.term or have.type != e.type or have.data != e.data:
            raise Violation(
                "state machine safety",
                f"node {node} applied (term {e.term}) at index {e.index}, history has term {have.term}",
            )

    def on_snapshot_installed(self, node: int, snap: Snapshot) -> None:
        meta = snap.metadata
        self._record_committed(node, meta.index, meta.term)
        if self.reference.applied >= meta.index:
            return
        # The snapshot came from a replica that applied up to meta.index, so the history holds it.
        raise Violation(
            "state machine safety",
            f"node {node} installed a snapshot at {meta.index} beyond the applied history ({self.reference.applied})",
        )

    def _fold_reference(self) -> None:
        ref = self.reference
        while (e := self.history.get(ref.applied + 1)) is not None:
            if e.type == EntryType.NORMAL:
                w = ref.apply(e.index, e.data)
                if w is not None:
                    self.effective_at[w.pid] = e.index
                    self.writes_by_index[e.index] = w
            else:
                ref.skip(e.index)

    # -- client acknowledgements ----------------------------------------------------------------

    def on_ack(self, node: int, pid: ProposalId, key: int, index: int) -> None:
        """``node`` acknowledged proposal ``pid`` (a write of ``key``) as applied at ``index``."""
        e = self.history.get(index)
        if e is None or e.type != EntryType.NORMAL or not e.data:
            raise Violation("ack", f"node {node} acked {pid} at {index}, which holds no write")
        w = Write.decode(e.data)
        if w.pid != pid or w.key != key:
            raise Violation("ack", f"node {node} acked {pid} (key {key}) with entry {index} holding {w}")
        if self.effective_at.get(pid) != index:
            raise Violation("ack", f"node {node} acked {pid} at {index} but it took effect at {self.effective_at.get(pid)}")
        if pid in self.acked:
            raise Violation("ack", f"proposal {pid} acknowledged twice")
        self.acked[pid] = index
        self.last_acked[key] = max(self.last_acked.get(key, 0), index)

    # -- linearizable reads --------------------------------------------------------------------

    def on_read_invoked(self, read_id: int, key: int, now: int) -> None:
        acked = self.last_acked.get(key, 0)
        seen = self.last_read.get(key, 0)
        reason = "last acknowledged write" if acked >= seen else "a previously completed read"
        self.reads[read_id] = _PendingRead(key, now, max(acked, seen), reason)

    def on_read_abandoned(self, read_id: int) -> None:
        self.reads.pop(read_id, None)

    def on_read_completed(self, node: int, read_id: int, value: ProposalId | None, now: int) -> None:
        r = self.reads.pop(read_id)
        idx = 0 if value is None else self.effective_at.get(value, -1)
        if idx < 0:
            raise Violation("linearizable read", f"node {node} read {value} for key {r.key}: not a committed write")
        if idx and self.writes_by_index[idx].key != r.key:
            raise Violation("linearizable read", f"node {node} read {value} for key {r.key}: a write of another key")
        if idx < r.min_index:
            raise Violation(
                "linearizable read",
                f"read {read_id} of key {r.key} on node {node} (invoked t={r.invoked_at}, done t={now}) "
                f"returned the write at {idx}, older than the {r.reason} at {r.min_index}",
            )
        if idx > self.max_committed:
            raise Violation("linearizable read", f"read {read_id} returned uncommitted write at {idx}")
        self.last_read[r.key] = max(self.last_read.get(r.key, 0), idx)
        self.completed_reads += 1

    # -- end of run -------------------------------------------------------------------------------

    def check_final(self, logs: dict[int, Storage]) -> None:
        """Every acknowledged write is still in the committed history of every member's log."""
        for pid, index in self.acked.items():
            t = self.committed_terms.get(index)
            if t is None:
                raise Violation("ack lost", f"acknowledged {pid} at {index} is not committed")
            for node, st in logs.items():
                try:
                    have = st.term(index)
                except Compacted:
                    continue
                except Unavailable:
                    raise Violation("ack lost", f"node {node} lacks acknowledged {pid} at {index}") from None
                if have != t:
                    raise Violation("ack lost", f"node {node} has term {have} at acked index {index}, not {t}")
