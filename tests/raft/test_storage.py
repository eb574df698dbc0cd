"""MemoryStorage and size limiting (the Storage contract the core relies on)."""

from __future__ import annotations

import pytest

from kuradb.raft.errors import Compacted, SnapOutOfDate, Unavailable
from kuradb.raft.storage import MemoryStorage, entry_size, limit_size
from kuradb.raft.types import ConfState, Entry


def _st(n: int = 5) -> MemoryStorage:
    st = MemoryStorage.bootstrap(ConfState(voters=(1,)))
    st.append([Entry(term=2, index=i) for i in range(2, n + 1)])
    return st


def test_bootstrap_is_snapshot_at_one() -> None:
    st = MemoryStorage.bootstrap(ConfState(voters=(1, 2)))
    assert (st.first_index(), st.last_index(), st.term(1)) == (2, 1, 1)
    hs, cs = st.initial_state()
    assert (hs.term, hs.commit, cs.voters) == (1, 1, (1, 2))


def test_term_bounds() -> None:
    st = _st()
    st.compact(3)
    with pytest.raises(Compacted):
        st.term(2)
    assert st.term(3) == 2
    with pytest.raises(Unavailable):
        st.term(6)


def test_entries_bounds_and_limit() -> None:
    st = _st(6)
    assert [e.index for e in st.entries(2, 5)] == [2, 3, 4]
    one = entry_size(Entry(term=2, index=2))
    assert [e.index for e in st.entries(2, 6, max_size=2 * one)] == [2, 3]
    assert [e.index for e in st.entries(2, 6, max_size=0)] == [2]  # always at least one
    with pytest.raises(Compacted):
        st.entries(1, 3)
    with pytest.raises(Unavailable):
        st.entries(2, 8)


def test_append_truncates_conflicts_and_ignores_compacted() -> None:
    st = _st(5)
    st.append([Entry(term=3, index=4), Entry(term=3, index=5), Entry(term=3, index=6)])
    assert [(e.index, e.term) for e in st.entries(2, 7)] == [(2, 2), (3, 2), (4, 3), (5, 3), (6, 3)]
    st.compact(4)
    st.append([Entry(term=3, index=3), Entry(term=3, index=4), Entry(term=4, index=5)])
    assert st.last_index() == 5 and st.term(5) == 4
    with pytest.raises(ValueError):
        st.append([Entry(term=4, index=9)])  # gap


def test_snapshot_create_compact_apply() -> None:
    st = _st(5)
    snap = st.create_snapshot(4, ConfState(voters=(1,)), b"img")
    assert (snap.metadata.index, snap.metadata.term) == (4, 2)
    st.compact(4)
    assert st.first_index() == 5
    with pytest.raises(SnapOutOfDate):
        st.create_snapshot(3, None, b"")
    other = MemoryStorage()
    other.apply_snapshot(snap)
    assert (other.first_index(), other.last_index(), other.term(4)) == (5, 4, 2)
    with pytest.raises(SnapOutOfDate):
        other.apply_snapshot(MemoryStorage.bootstrap(ConfState(voters=(1,))).snapshot())


def test_limit_size() -> None:
    ents = [Entry(term=1, index=i, data=b"x" * 10) for i in range(5)]
    assert limit_size(ents, None) == ents
    assert len(limit_size(ents, 2 * entry_size(ents[0]))) == 2
