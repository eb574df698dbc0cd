"""Quorum arithmetic, checked against brute force (Raft paper §5.2, §6 joint consensus)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kuradb.raft.quorum import INFINITY, JointConfig, VoteResult, majority

# Bounded and deadline-free so a loaded machine cannot make these flaky.
BOUNDED = settings(max_examples=200, deadline=None)


def _brute_committed(ids: set[int], acked: dict[int, int]) -> int:
    """The largest index stored by a majority."""
    if not ids:
        return INFINITY
    cands = sorted({acked.get(i, 0) for i in ids} | {0}, reverse=True)
    return next(c for c in cands if sum(1 for i in ids if acked.get(i, 0) >= c) > len(ids) // 2)


@BOUNDED
@given(st.sets(st.integers(1, 7), max_size=7), st.dictionaries(st.integers(1, 7), st.integers(0, 20)))
def test_majority_committed_matches_brute_force(ids: set[int], acked: dict[int, int]) -> None:
    """Raft paper §5.3: an entry is committed once stored on a majority."""
    assert majority(ids).committed_index(acked.get) == _brute_committed(ids, acked)


@BOUNDED
@given(
    st.sets(st.integers(1, 5), min_size=1, max_size=5),
    st.sets(st.integers(1, 5), max_size=5),
    st.dictionaries(st.integers(1, 5), st.integers(0, 20)),
)
def test_joint_committed_needs_both(a: set[int], b: set[int], acked: dict[int, int]) -> None:
    """Raft paper §6: in C_old,new agreement needs separate majorities of both configurations."""
    j = JointConfig(majority(a), majority(b))
    assert j.committed_index(acked.get) == min(_brute_committed(a, acked), _brute_committed(b, acked))


def test_vote_results() -> None:
    """Raft paper §5.2: a candidate wins with votes from a majority."""
    m = majority({1, 2, 3})
    assert m.vote_result({1: True}) == VoteResult.PENDING
    assert m.vote_result({1: True, 2: True}) == VoteResult.WON
    assert m.vote_result({1: True, 2: False, 3: False}) == VoteResult.LOST
    assert majority(()).vote_result({}) == VoteResult.WON
    j = JointConfig(majority({1, 2, 3}), majority({3, 4, 5}))
    assert j.vote_result({1: True, 2: True}) == VoteResult.PENDING
    assert j.vote_result({1: True, 2: True, 3: True, 4: True}) == VoteResult.WON
    assert j.vote_result({1: True, 2: True, 4: False, 5: False}) == VoteResult.LOST
