"""RaftLog: Log Matching, conflict truncation, commit/apply bounds, unstable handling."""

from __future__ import annotations

import pytest

from kuradb.raft.errors import Compacted
from kuradb.raft.log import RaftLog
from kuradb.raft.storage import MemoryStorage
from kuradb.raft.types import ConfState, Entry, Snapshot, SnapshotMetadata


def _log(terms: list[int]) -> RaftLog:
    """Log whose entries 2.. have the given terms (entry 1 is the bootstrap snapshot, term 1)."""
    st = MemoryStorage.bootstrap(ConfState(voters=(1,)))
    st.append([Entry(term=t, index=i + 2) for i, t in enumerate(terms)])
    return RaftLog(st)


def test_maybe_append_log_matching() -> None:
    """Raft paper §5.3: a follower refuses entries unless it has the entry preceding them
    (same index and term), and deletes an existing conflicting entry and all that follow."""
    log = _log([1, 2, 2])  # indexes 2..4
    assert log.maybe_append(4, 3, 0, [Entry(term=3, index=5)]) is None  # term mismatch at 4
    assert log.maybe_append(6, 2, 0, []) is None  # missing entry 6
    assert log.maybe_append(3, 2, 4, [Entry(term=3, index=4), Entry(term=3, index=5)]) == 5
    assert [log.term(i) for i in range(1, 6)] == [1, 1, 2, 3, 3]
    assert log.committed == 4  # min(leader commit, last new entry)


def test_maybe_append_existing_entries_not_truncated() -> None:
    """Raft paper §5.3 (fig. 2 receiver rule 3/4): entries already present are kept; a stale
    or duplicate append must not truncate a longer, matching log."""
    log = _log([1, 2, 2])
    assert log.maybe_append(2, 1, 0, [Entry(term=2, index=3)]) == 3
    assert log.last_index() == 4


def test_conflict_with_committed_is_fatal() -> None:
    """Raft paper §5.4 (Leader Completeness): a committed entry is never overwritten."""
    log = _log([1, 2, 2])
    log.commit_to(4)
    with pytest.raises(AssertionError):
        log.maybe_append(2, 1, 4, [Entry(term=3, index=3)])


def test_find_conflict_by_term() -> None:
    """Raft thesis §5.3 (fast repair): the hint is the last index <= i whose term <= t."""
    log = _log([1, 2, 2, 4, 4, 5])  # idx 2..7
    assert log.find_conflict_by_term(7, 3) == 4
    assert log.find_conflict_by_term(7, 5) == 7
    assert log.find_conflict_by_term(7, 1) == 2
    assert log.find_conflict_by_term(7, 0) == 0


def test_is_up_to_date() -> None:
    """Raft paper §5.4.1: compare last terms, then lengths."""
    log = _log([2, 3])  # last (3, term 3)
    assert log.is_up_to_date(1, 4)
    assert log.is_up_to_date(3, 3)
    assert not log.is_up_to_date(2, 3)
    assert not log.is_up_to_date(9, 2)


def test_unstable_stable_to_and_ready_flow() -> None:
    log = _log([])
    log.append([Entry(term=2, index=2), Entry(term=2, index=3)])
    assert [e.index for e in log.unstable_entries()] == [2, 3]
    log.stable_to(3, 1)  # wrong term: replaced meanwhile, keep
    assert len(log.unstable_entries()) == 2
    log.storage.append(log.unstable_entries())  # type: ignore[attr-defined]
    log.stable_to(3, 2)
    assert log.unstable_entries() == [] and log.last_index() == 3


def test_commit_and_apply_bounds() -> None:
    log = _log([1, 1])
    with pytest.raises(AssertionError):
        log.commit_to(9)
    log.commit_to(3)
    assert [e.index for e in log.next_ents()] == [2, 3]
    log.applied_to(3)
    assert log.next_ents() == []
    with pytest.raises(AssertionError):
        log.applied_to(4)


def test_maybe_commit_only_current_term() -> None:
    """Raft paper §5.4.2: a leader only commits entries of its current term by counting."""
    log = _log([2, 2, 3])
    assert not log.maybe_commit(3, 3)  # index 3 is a term-2 entry
    assert log.maybe_commit(3, 3, any_term=True)  # the deliberately broken variant
    assert log.maybe_commit(4, 3)


def test_restore_snapshot_and_compacted_slice() -> None:
    log = _log([1, 1, 1])
    log.restore(Snapshot(metadata=SnapshotMetadata(index=10, term=4)))
    assert (log.first_index(), log.last_index(), log.committed, log.term(10)) == (11, 10, 10, 4)
    with pytest.raises(Compacted):
        log.slice(5, 11, None)
