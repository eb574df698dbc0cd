"""The replica's view of the Raft log: durable ``Storage`` + the not-yet-persisted ``Unstable`` tail.

Rules (Raft paper §5.3, fig. 2; etcd-io/raft log.go / log_unstable.go):

* Log Matching: entries are identified by (index, term). Appending after (index, log_term)
  is allowed only if our entry at ``index`` has ``log_term``; the first new entry whose term
  differs from ours truncates our suffix from there (never below ``committed``: that would lose
  a committed entry, so it is a fatal invariant violation).
* ``applied <= committed <= last_index()`` always; ``committed`` never decreases.
* Unstable holds entries (and possibly a snapshot) that the driver has not yet persisted; they
  are handed out in a Ready and dropped from Unstable by ``stable_to`` once persisted, only if
  they were not replaced meanwhile (same term at that index).
* ``term(i)`` is 0 outside ``[first_index()-1, last_index()]`` (etcd convention) and raises
  :class:`Compacted` / :class:`Unavailable` when the storage says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kuradb.raft.errors import Compacted, Unavailable
from kuradb.raft.storage import Storage, limit_size
from kuradb.raft.types import Entry, Snapshot


@dataclass(slots=True)
class Unstable:
    """Entries from ``offset`` on (and maybe an incoming snapshot) not yet in Storage."""

    offset: int
    entries: list[Entry] = field(default_factory=list)
    snapshot: Snapshot | None = None

    def maybe_first_index(self) -> int | None:
        return self.snapshot.metadata.index + 1 if self.snapshot is not None else None

    def maybe_last_index(self) -> int | None:
        if self.entries:
            return self.offset + len(self.entries) - 1
        if self.snapshot is not None:
            return self.snapshot.metadata.index
        return None

    def maybe_term(self, i: int) -> int | None:
        if i < self.offset:
            if self.snapshot is not None and self.snapshot.metadata.index == i:
                return self.snapshot.metadata.term
            return None
        last = self.maybe_last_index()
        if last is None or i > last:
            return None
        if i - self.offset >= len(self.entries):  # i == snapshot index == offset - 1 handled above
            return None
        return self.entries[i - self.offset].term

    def stable_to(self, i: int, t: int) -> None:
        if self.maybe_term(i) == t and i >= self.offset:
            del self.entries[: i + 1 - self.offset]
            self.offset = i + 1

    def stable_snap_to(self, i: int) -> None:
        if self.snapshot is not None and self.snapshot.metadata.index == i:
            self.snapshot = None

    def restore(self, s: Snapshot) -> None:
        self.offset = s.metadata.index + 1
        self.entries = []
        self.snapshot = s

    def truncate_and_append(self, ents: list[Entry]) -> None:
        after = ents[0].index
        if after == self.offset + len(self.entries):
            self.entries.extend(ents)
        elif after <= self.offset:
            # Replace everything unstable (the persisted part is overridden via Ready.entries).
            self.offset = after
            self.entries = list(ents)
        else:
            self.entries = self.entries[: after - self.offset] + list(ents)

    def slice(self, lo: int, hi: int) -> list[Entry]:
        return self.entries[lo - self.offset : hi - self.offset]


class RaftLog:
    def __init__(self, storage: Storage, max_next_ents_size: int | None = None) -> None:
        self.storage = storage
        first = storage.first_index()
        last = storage.last_index()
        self.unstable = Unstable(offset=last + 1)
        self.committed = first - 1
        self.applied = first - 1
        self.max_next_ents_size = max_next_ents_size

    # -- indexes and terms ------------------------------------------------------------------
    def first_index(self) -> int:
        i = self.unstable.maybe_first_index()
        return i if i is not None else self.storage.first_index()

    def last_index(self) -> int:
        i = self.unstable.maybe_last_index()
        return i if i is not None else self.storage.last_index()

    def term(self, i: int) -> int:
        dummy = self.first_index() - 1
        if i < dummy or i > self.last_index():
            return 0
        t = self.unstable.maybe_term(i)
        if t is not None:
            return t
        return self.storage.term(i)

    def zero_term_on_compacted(self, i: int) -> int:
        try:
            return self.term(i)
        except Compacted:
            return 0

    def last_term(self) -> int:
        return self.term(self.last_index())

    def match_term(self, i: int, term: int) -> bool:
        try:
            return self.term(i) == term
        except (Compacted, Unavailable):
            return False

    def is_up_to_date(self, lasti: int, term: int) -> bool:
        """Election restriction (§5.4.1): is a candidate with (lasti, term) at least as up to date?"""
        lt = self.last_term()
        return term > lt or (term == lt and lasti >= self.last_index())

    # -- appending ---------------------------------------------------------------------------
    def maybe_append(self, index: int, log_term: int, committed: int, ents: list[Entry]) -> int | None:
        """Follower side of AppendEntries; returns the last new index or None on mismatch."""
        if not self.match_term(index, log_term):
            return None
        last_new = index + len(ents)
        ci = self.find_conflict(ents)
        if ci != 0:
            if ci <= self.committed:
                raise AssertionError(f"entry {ci} conflict with committed entry [committed({self.committed})]")
            self.append(ents[ci - (index + 1) :])
        self.commit_to(min(committed, last_new))
        return last_new

    def append(self, ents: list[Entry]) -> int:
        if not ents:
            return self.last_index()
        after = ents[0].index - 1
        if after < self.committed:
            raise AssertionError(f"after({after}) is out of range [committed({self.committed})]")
        self.unstable.truncate_and_append(ents)
        return self.last_index()

    def find_conflict(self, ents: list[Entry]) -> int:
        """Index of the first entry that is new or conflicts with ours; 0 if all are present."""
        for e in ents:
            if not self.match_term(e.index, e.term):
                return e.index
        return 0

    def find_conflict_by_term(self, index: int, term: int) -> int:
        """Largest index <= ``index`` whose term is <= ``term`` (fast log repair, thesis §5.3:
        every entry above it in a term greater than ``term`` cannot match, so skip them)."""
        while True:
            try:
                t = self.term(index)
            except (Compacted, Unavailable):
                break
            if t <= term:
                break
            index -= 1
        return index

    # -- commit / apply / persist --------------------------------------------------------------
    def commit_to(self, to: int) -> None:
        if self.committed < to:
            if self.last_index() < to:
                raise AssertionError(f"tocommit({to}) is out of range [lastIndex({self.last_index()})]")
            self.committed = to

    def maybe_commit(self, max_index: int, term: int, *, any_term: bool = False) -> bool:
        """Commit ``max_index`` if its entry is of ``term`` (§5.4.2). ``any_term`` is the
        test-only Figure 8 bug."""
        if max_index > self.committed and (any_term or self.zero_term_on_compacted(max_index) == term):
            self.commit_to(max_index)
            return True
        return False

    def applied_to(self, i: int) -> None:
        if i == 0:
            return
        if self.committed < i or i < self.applied:
            raise AssertionError(f"applied({i}) is out of range [prevApplied({self.applied}), committed({self.committed})]")
        self.applied = i

    def stable_to(self, i: int, t: int) -> None:
        self.unstable.stable_to(i, t)

    def stable_snap_to(self, i: int) -> None:
        self.unstable.stable_snap_to(i)

    def restore(self, s: Snapshot) -> None:
        self.committed = s.metadata.index
        self.unstable.restore(s)

    # -- reading ------------------------------------------------------------------------------
    def unstable_entries(self) -> list[Entry]:
        return list(self.unstable.entries)

    def next_ents(self) -> list[Entry]:
        off = max(self.applied + 1, self.first_index())
        if self.committed + 1 > off:
            return self.slice(off, self.committed + 1, self.max_next_ents_size)
        return []

    def has_next_ents(self) -> bool:
        return self.committed + 1 > max(self.applied + 1, self.first_index())

    def has_pending_snapshot(self) -> bool:
        return self.unstable.snapshot is not None

    def snapshot(self) -> Snapshot:
        if self.unstable.snapshot is not None:
            return self.unstable.snapshot
        return self.storage.snapshot()

    def entries(self, i: int, max_size: int | None) -> list[Entry]:
        if i > self.last_index():
            return []
        return self.slice(i, self.last_index() + 1, max_size)

    def slice(self, lo: int, hi: int, max_size: int | None) -> list[Entry]:
        """Entries ``[lo, hi)`` from storage then unstable, limited to ``max_size`` bytes."""
        if lo > hi:
            raise AssertionError(f"invalid slice {lo} > {hi}")
        if lo < self.first_index():
            raise Compacted()
        if hi > self.last_index() + 1:
            raise AssertionError(f"slice[{lo},{hi}) out of bound [{self.first_index()},{self.last_index()}]")
        if lo == hi:
            return []
        ents: list[Entry] = []
        off = self.unstable.offset
        if lo < off:
            stored = self.storage.entries(lo, min(hi, off), max_size)
            if len(stored) < min(hi, off) - lo:
                return stored  # size-limited
            ents = list(stored)
        if hi > off:
            ents.extend(self.unstable.slice(max(lo, off), hi))
        return limit_size(ents, max_size)
