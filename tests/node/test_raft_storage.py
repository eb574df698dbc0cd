"""RaftLogDB / GroupStorage: the Storage contract on LevelDB, group commit, recovery.

The contract tests mirror tests/raft/test_storage.py (MemoryStorage); a hypothesis model test
runs random write sequences against both storages (with a tiny tail cache, so reads cross the
cache/disk boundary) and compares every read, also after reopening the DB. The end-to-end test
drives three real RawNodes, each persisting through its own RaftLogDB.

Run ``python -m tests.node.test_raft_storage`` for the group-commit micro-benchmark.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuradb.node.raft_storage import GroupStorage, RaftLogDB, RaftLogDBClosed
from kuradb.raft.errors import Compacted, SnapOutOfDate, Unavailable
from kuradb.raft.rawnode import Config, RawNode
from kuradb.raft.storage import MemoryStorage, entry_size
from kuradb.raft.types import ConfState, Entry, EntryType, HardState, Message, MessageType, Snapshot, SnapshotMetadata, StateType

PID = 7
VOTERS = ConfState(voters=(1, 2, 3))


@pytest.fixture
def db(tmp_path: Path) -> Iterator[RaftLogDB]:
    d = RaftLogDB(tmp_path / "raftlog", cache_entries=3)
    yield d
    d.close()


def _append(db: RaftLogDB, pid: int, ents: list[Entry], sync: bool = False) -> None:
    b = db.begin()
    b.append(pid, ents)
    b.commit(sync=sync)


def _ents(lo: int, hi: int, term: int, size: int = 0) -> list[Entry]:
    return [Entry(term=term, index=i, data=bytes([i % 256]) * size) for i in range(lo, hi + 1)]


def _st(db: RaftLogDB, n: int = 5, pid: int = PID) -> GroupStorage:
    g = db.bootstrap(pid, ConfState(voters=(1,)))
    _append(db, pid, _ents(2, n, term=2))
    return g


def _disk_indexes(db: RaftLogDB, pid: int) -> list[int]:
    prefix = b"l" + pid.to_bytes(8, "big")
    raw = db._live()
    return [int.from_bytes(k[9:], "big") for k in raw.iterator(prefix=prefix, include_value=False)]


def _reopen(db: RaftLogDB, **kw: int) -> RaftLogDB:
    db.close()
    return RaftLogDB(db.path, **kw)


# -- the MemoryStorage contract --------------------------------------------------------------


def test_bootstrap_is_snapshot_at_one_and_durable(db: RaftLogDB) -> None:
    g = db.bootstrap(PID, ConfState(voters=(1, 2)))
    assert (g.first_index(), g.last_index(), g.term(1)) == (2, 1, 1)
    hs, cs = g.initial_state()
    assert (hs.term, hs.commit, cs.voters) == (1, 1, (1, 2))
    with pytest.raises(ValueError, match="already exists"):
        db.bootstrap(PID, ConfState(voters=(1,)))
    db2 = _reopen(db)
    try:
        g2 = db2.group(PID)
        assert (g2.first_index(), g2.last_index(), g2.term(1)) == (2, 1, 1)
        assert g2.initial_state() == (HardState(term=1, commit=1), ConfState(voters=(1, 2)))
        assert g2.snapshot() == Snapshot(metadata=SnapshotMetadata(index=1, term=1, conf_state=ConfState(voters=(1, 2))))
        assert db2.group_ids() == [PID]
    finally:
        db2.close()


def test_empty_group_is_like_empty_memory_storage(db: RaftLogDB) -> None:
    g, m = db.group(3), MemoryStorage()
    assert (g.first_index(), g.last_index(), g.term(0)) == (m.first_index(), m.last_index(), m.term(0))
    assert g.initial_state() == m.initial_state()
    for s in (g, m):
        with pytest.raises(Unavailable):
            s.entries(1, 1)
        with pytest.raises(Unavailable):
            s.term(1)
    assert db.group_ids() == []


def test_term_bounds(db: RaftLogDB) -> None:
    g = _st(db)
    db.compact(PID, 3, ConfState(voters=(1,)))
    with pytest.raises(Compacted):
        g.term(2)
    assert g.term(3) == 2
    assert g.term(4) == 2  # on disk (cache holds the last 3: 3..5 before compaction -> 4..5)
    with pytest.raises(Unavailable):
        g.term(6)


@pytest.mark.parametrize("cache", [0, 2, 4096])
def test_entries_bounds_and_limit(tmp_path: Path, cache: int) -> None:
    with RaftLogDB(tmp_path / "db", cache_entries=cache) as db:
        g = _st(db, 6)
        assert [e.index for e in g.entries(2, 5)] == [2, 3, 4]
        one = entry_size(Entry(term=2, index=2))
        assert [e.index for e in g.entries(2, 6, max_size=2 * one)] == [2, 3]
        assert [e.index for e in g.entries(2, 6, max_size=0)] == [2]  # always at least one
        assert [e.index for e in g.entries(2, 7)] == [2, 3, 4, 5, 6]
        assert g.entries(4, 4) == []
        with pytest.raises(Compacted):
            g.entries(1, 3)
        with pytest.raises(Unavailable):
            g.entries(2, 8)


def test_append_truncates_conflicts_and_ignores_compacted(db: RaftLogDB) -> None:
    g = _st(db, 5)
    _append(db, PID, [Entry(term=3, index=4), Entry(term=3, index=5), Entry(term=3, index=6)])
    assert [(e.index, e.term) for e in g.entries(2, 7)] == [(2, 2), (3, 2), (4, 3), (5, 3), (6, 3)]
    db.compact(PID, 4, ConfState(voters=(1,)))
    _append(db, PID, [Entry(term=3, index=3), Entry(term=3, index=4), Entry(term=4, index=5)])
    assert g.last_index() == 5 and g.term(5) == 4
    _append(db, PID, [Entry(term=1, index=2)])  # entirely compacted: ignored
    assert g.last_index() == 5
    with pytest.raises(ValueError, match="missing log entry"):
        _append(db, PID, [Entry(term=4, index=9)])  # gap


def test_conflicting_suffix_is_deleted_on_disk(tmp_path: Path) -> None:
    db = RaftLogDB(tmp_path / "db", cache_entries=2)
    g = _st(db, 10)
    _append(db, PID, [Entry(term=5, index=4, data=b"new4"), Entry(term=5, index=5, data=b"new5")])
    assert _disk_indexes(db, PID) == [2, 3, 4, 5]
    assert (g.last_index(), g.term(5), g.term(3)) == (5, 5, 2)
    with pytest.raises(Unavailable):
        g.term(6)
    db = _reopen(db, cache_entries=2)
    try:
        g = db.group(PID)
        assert g.last_index() == 5
        assert [(e.index, e.term, e.data) for e in g.entries(4, 6)] == [(4, 5, b"new4"), (5, 5, b"new5")]
        # Growing again after the truncation: no stale term-2 entry resurfaces at 6..10.
        _append(db, PID, [Entry(term=5, index=6)])
        assert [e.term for e in g.entries(2, 7)] == [2, 2, 5, 5, 5]
    finally:
        db.close()


def test_compaction_on_disk_and_after_reopen(db: RaftLogDB) -> None:
    g = _st(db, 8)
    db.compact(PID, 5, ConfState(voters=(1, 4)))
    assert _disk_indexes(db, PID) == [6, 7, 8]
    assert (g.first_index(), g.last_index(), g.term(5)) == (6, 8, 2)
    assert g.snapshot().metadata == SnapshotMetadata(index=5, term=2, conf_state=ConfState(voters=(1, 4)))
    assert g.snapshot().data == b""  # the driver streams the data (module docstring)
    with pytest.raises(Compacted):
        db.compact(PID, 5, ConfState(voters=(1,)))
    with pytest.raises(ValueError, match="out of bound"):
        db.compact(PID, 9, ConfState(voters=(1,)))
    db2 = _reopen(db)
    try:
        g2 = db2.group(PID)
        assert (g2.first_index(), g2.last_index(), g2.term(5), g2.initial_state()[1].voters) == (6, 8, 2, (1, 4))
        with pytest.raises(Compacted):
            g2.entries(5, 7)
    finally:
        db2.close()


def test_snapshot_install_drops_the_log(db: RaftLogDB) -> None:
    g = _st(db, 8)
    meta = SnapshotMetadata(index=20, term=4, conf_state=ConfState(voters=(1, 2, 3)))
    b = db.begin()
    b.apply_snapshot(PID, meta)
    b.append(PID, [Entry(term=4, index=21), Entry(term=5, index=22)])  # staged view: appends after it
    b.set_hard_state(PID, HardState(term=5, vote=2, commit=20))
    b.commit()
    assert _disk_indexes(db, PID) == [21, 22]
    assert (g.first_index(), g.last_index(), g.term(20), g.term(22)) == (21, 22, 4, 5)
    assert g.initial_state() == (HardState(term=5, vote=2, commit=20), ConfState(voters=(1, 2, 3)))
    b = db.begin()
    with pytest.raises(SnapOutOfDate):
        b.apply_snapshot(PID, SnapshotMetadata(index=10, term=3))
    b.discard()


def test_destroy_removes_every_key(db: RaftLogDB) -> None:
    g = _st(db, 6)
    other = _st(db, 4, pid=PID + 1)
    db.destroy(PID)
    assert db.group_ids() == [PID + 1]
    assert [k for k, _ in db._live().iterator() if k[1:9] == PID.to_bytes(8, "big")] == []
    with pytest.raises(RaftLogDBClosed):
        g.term(3)
    fresh = db.group(PID)
    assert (fresh.first_index(), fresh.last_index(), fresh.initial_state()[0]) == (1, 0, HardState())
    assert other.last_index() == 4 and other.term(4) == 2  # the neighbour is untouched


def test_many_groups_in_one_batch(tmp_path: Path) -> None:
    db = RaftLogDB(tmp_path / "db")
    n = 64
    b = db.begin()
    for pid in range(1, n + 1):
        b.apply_snapshot(pid, SnapshotMetadata(index=1, term=1, conf_state=VOTERS))
        b.append(pid, _ents(2, 1 + pid % 5 + 1, term=2, size=pid))
        b.set_hard_state(pid, HardState(term=2, vote=pid % 3 + 1, commit=2))
    b.commit(sync=True)
    expected = {pid: (db.group(pid).last_index(), db.group(pid).initial_state()) for pid in range(1, n + 1)}
    db = _reopen(db)
    try:
        assert db.group_ids() == list(range(1, n + 1))
        for pid in range(1, n + 1):
            g = db.group(pid)
            assert (g.last_index(), g.initial_state()) == expected[pid]
            assert [e.data for e in g.entries(2, g.last_index() + 1)] == [bytes([i]) * pid for i in range(2, g.last_index() + 1)]
    finally:
        db.close()


def test_uncommitted_batch_is_invisible_and_absent_after_crash(tmp_path: Path) -> None:
    db = RaftLogDB(tmp_path / "db")
    g = _st(db, 3)
    b = db.begin()
    b.append(PID, _ents(4, 9, term=3))
    b.set_hard_state(PID, HardState(term=3, vote=1, commit=3))
    assert (g.last_index(), g.initial_state()[0].term) == (3, 1)  # staged only
    with pytest.raises(RuntimeError, match="already open"):
        db.begin()
    db.close()  # "crash": the batch was never written
    db = RaftLogDB(tmp_path / "db")
    try:
        g = db.group(PID)
        assert (g.last_index(), g.initial_state()[0]) == (3, HardState(term=1, commit=1))
    finally:
        db.close()


def test_written_batch_is_published_only_on_publish(db: RaftLogDB) -> None:
    g = _st(db, 3)
    b = db.begin()
    b.append(PID, _ents(4, 5, term=3))
    b.write(sync=True)  # what the driver runs in an executor thread
    assert g.last_index() == 3  # readers still see the previous durable view ...
    assert _disk_indexes(db, PID) == [2, 3, 4, 5]  # ... although the entries are on disk
    b.publish()
    assert (g.last_index(), g.term(5)) == (5, 3)
    with pytest.raises(RuntimeError):
        b.append(PID, _ents(6, 6, term=3))
    db.begin().discard()  # the next batch may begin


def test_failed_write_discards_the_batch(db: RaftLogDB, monkeypatch: pytest.MonkeyPatch) -> None:
    g = _st(db, 3)
    b = db.begin()
    b.append(PID, _ents(4, 5, term=3))

    def broken() -> None:
        raise OSError("fsync failed")

    monkeypatch.setattr(db, "_live", broken)
    with pytest.raises(OSError):
        b.write(sync=True)
    monkeypatch.undo()
    with pytest.raises(RuntimeError):
        b.publish()
    with pytest.raises(RuntimeError):
        b.write(sync=True)  # never retried blindly
    assert g.last_index() == 3
    _append(db, PID, _ents(4, 4, term=3))  # a new batch may begin
    assert g.last_index() == 4


def test_append_rejects_non_contiguous_entries(db: RaftLogDB) -> None:
    _st(db, 3)
    b = db.begin()
    with pytest.raises(ValueError, match="not contiguous"):
        b.append(PID, [Entry(term=2, index=4), Entry(term=2, index=6)])
    assert len(b) == 0  # nothing staged
    b.discard()


def test_cache_is_bounded_by_entries_and_bytes(tmp_path: Path) -> None:
    with RaftLogDB(tmp_path / "db", cache_entries=100, cache_bytes=10 * entry_size(Entry(1, 1, data=b"x" * 100))) as db:
        g = _st(db, 2)
        _append(db, PID, _ents(3, 50, term=2, size=100))
        lo, hi = g.cached_range()
        assert (hi, hi - lo) == (51, 10)
        assert [e.index for e in g.entries(2, 51)] == list(range(2, 51))  # disk + cache, in order


# -- model test: GroupStorage behaves exactly like MemoryStorage -------------------------------

_op = st.one_of(
    st.tuples(st.just("append"), st.integers(0, 12), st.integers(1, 6), st.integers(0, 3)),  # back, n, term bump
    st.tuples(st.just("compact"), st.integers(0, 10)),
    st.tuples(st.just("snap"), st.integers(0, 6)),
    st.tuples(st.just("hs"), st.integers(0, 20)),
    st.tuples(st.just("reopen")),
)


def _observe(s: GroupStorage | MemoryStorage) -> tuple[object, ...]:
    first, last = s.first_index(), s.last_index()
    terms = [s.term(i) for i in range(first - 1, last + 1)]
    ents = [(e.index, e.term, e.data) for e in s.entries(first, last + 1)] if last >= first else []
    limited = [e.index for e in s.entries(first, last + 1, max_size=3 * entry_size(Entry(1, 1, data=b"xx")))] if last >= first else []
    return first, last, terms, ents, limited, s.initial_state(), s.snapshot().metadata


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(_op, max_size=25))
def test_model_against_memory_storage(ops: list[tuple[Any, ...]]) -> None:
    cs = ConfState(voters=(1, 2))
    with tempfile.TemporaryDirectory() as tmp:
        db = RaftLogDB(Path(tmp) / "db", cache_entries=3)
        try:
            mem = MemoryStorage.bootstrap(cs)
            db.bootstrap(1, cs)
            term = 1
            for op in ops:
                if op[0] == "append":
                    _, back, n, bump = op
                    term += bump
                    start = max(mem.first_index(), mem.last_index() + 1 - back)
                    ents = [Entry(term=term, index=i, data=b"%d" % term) for i in range(start, start + n)]
                    mem.append(ents)
                    _append(db, 1, ents)
                elif op[0] == "compact":
                    idx = mem.first_index() + op[1]
                    if idx <= mem.last_index():
                        mem.create_snapshot(idx, cs, b"")
                        mem.compact(idx)
                        db.compact(1, idx, cs, sync=False)
                elif op[0] == "snap":
                    term += 1
                    meta = SnapshotMetadata(index=mem.last_index() + op[1], term=term, conf_state=cs)
                    mem.apply_snapshot(Snapshot(metadata=meta))
                    b = db.begin()
                    b.apply_snapshot(1, meta)
                    b.commit(sync=False)
                elif op[0] == "hs":
                    hs = HardState(term=term, vote=op[1] % 3, commit=min(op[1], mem.last_index()))
                    mem.set_hard_state(hs)
                    b = db.begin()
                    b.set_hard_state(1, hs)
                    b.commit(sync=False)
                else:
                    db = _reopen(db, cache_entries=3)
                assert _observe(db.group(1)) == _observe(mem)
        finally:
            db.close()


# -- end to end: three RawNodes, each on its own RaftLogDB ------------------------------------


@dataclass
class _Replica:
    id: int
    db: RaftLogDB
    node: RawNode
    # The state machine stands for the data LevelDB: durable, so it survives a restart.
    applied: list[tuple[int, bytes]] = field(default_factory=list)
    applied_index: int = 0
    snapshots_installed: int = 0


class _Cluster:
    def __init__(self, root: Path, sync: bool) -> None:
        self.root, self.sync = root, sync
        self.reps: dict[int, _Replica] = {}
        self.queue: deque[Message] = deque()
        self.isolated: set[int] = set()
        for i in VOTERS.voters:
            db = RaftLogDB(root / f"n{i}", cache_entries=64)
            db.bootstrap(PID, VOTERS)
            self.reps[i] = _Replica(i, db, self._node(i, db.group(PID), applied=0), applied_index=1)  # bootstrap snapshot

    @staticmethod
    def _node(i: int, storage: GroupStorage, applied: int) -> RawNode:
        return RawNode(Config(id=i, applied=applied, rng=random.Random(i)), storage)

    def restart_all(self) -> None:
        """Close every DB (all volatile Raft state lost) and rebuild the nodes from disk."""
        self.queue.clear()
        for r in self.reps.values():
            r.db.close()
        for r in self.reps.values():
            r.db = RaftLogDB(self.root / f"n{r.id}", cache_entries=64)
            r.node = self._node(r.id, r.db.group(PID), applied=r.applied_index)

    def handle_ready(self, r: _Replica) -> bool:
        if not r.node.has_ready():
            return False
        rd = r.node.ready()
        if rd.snapshot is not None:  # install the data first (module docstring), then the log
            r.applied = [(i, d) for i, d in msgpack.unpackb(rd.snapshot.data)]
            r.applied_index = rd.snapshot.metadata.index
            r.snapshots_installed += 1
        b = r.db.begin()
        if rd.snapshot is not None:
            b.apply_snapshot(PID, rd.snapshot.metadata)
        b.append(PID, rd.entries)
        if rd.hard_state is not None:
            b.set_hard_state(PID, rd.hard_state)
        b.commit(sync=self.sync and rd.must_sync)
        for m in rd.messages:
            if m.type == MessageType.SNAP:
                assert m.snapshot is not None and r.applied_index >= m.snapshot.metadata.index
                data = msgpack.packb([(i, d) for i, d in r.applied if i <= m.snapshot.metadata.index])
                m.snapshot = Snapshot(metadata=m.snapshot.metadata, data=data)
            self.queue.append(m)
        for e in rd.committed_entries:
            if e.index <= r.applied_index:
                continue  # already in the state machine (idempotent replay)
            assert e.index == r.applied_index + 1
            if e.type == EntryType.NORMAL and e.data:
                r.applied.append((e.index, e.data))
            r.applied_index = e.index
        r.node.advance(rd)
        return True

    def stabilize(self) -> None:
        for _ in range(100_000):
            progressed = False
            for r in self.reps.values():
                progressed |= self.handle_ready(r)
            while self.queue:
                progressed = True
                m = self.queue.popleft()
                if m.to in self.isolated or m.frm in self.isolated:
                    continue
                self.reps[m.to].node.step(m)
                if m.type == MessageType.SNAP:
                    self.reps[m.frm].node.report_snapshot(m.to, failure=False)
                self.handle_ready(self.reps[m.to])
            if not progressed:
                return
        raise AssertionError("cluster did not stabilize")

    def leader(self) -> _Replica | None:
        leaders = [r for r in self.reps.values() if r.node.state == StateType.LEADER]
        return leaders[0] if len(leaders) == 1 else None

    def tick_until_leader(self, max_ticks: int = 200) -> _Replica:
        for _ in range(max_ticks):
            for r in self.reps.values():
                r.node.tick()
            self.stabilize()
            lead = self.leader()
            if lead is not None:
                return lead
        raise AssertionError("no leader elected")

    def close(self) -> None:
        for r in self.reps.values():
            r.db.close()


@pytest.mark.parametrize("sync", [False, True])
def test_three_nodes_persist_restart_and_keep_the_committed_log(tmp_path: Path, sync: bool) -> None:
    c = _Cluster(tmp_path, sync=sync)
    try:
        c.reps[1].node.campaign()
        c.stabilize()
        lead = c.leader()
        assert lead is not None and lead.id == 1
        for k in range(100):
            lead.node.propose(b"e%d" % k)
            c.stabilize()
        # Node 3 falls behind; the others compact past what it has, so it needs a snapshot.
        c.isolated.add(3)
        for k in range(100, 200):
            lead.node.propose(b"e%d" % k)
            c.stabilize()
        for r in (c.reps[1], c.reps[2]):
            r.db.compact(PID, r.applied_index - 10, VOTERS)
        c.isolated.clear()
        lead.node.propose(b"e200")
        c.stabilize()
        for _ in range(3):  # heartbeats let node 3 catch up on the last commit index
            for r in c.reps.values():
                r.node.tick()
            c.stabilize()
        assert c.reps[3].snapshots_installed == 1
        want = [b"e%d" % k for k in range(201)]
        for r in c.reps.values():
            assert [d for _, d in r.applied] == want, r.id
        commit = lead.db.group(PID).initial_state()[0].commit
        last = {r.id: r.db.group(PID).last_index() for r in c.reps.values()}

        c.restart_all()
        for r in c.reps.values():
            g = r.db.group(PID)
            assert g.last_index() == last[r.id]
            assert g.initial_state()[0].commit == commit
        new_lead = c.tick_until_leader()
        new_lead.node.propose(b"after")
        c.stabilize()
        for _ in range(3):
            for r in c.reps.values():
                r.node.tick()
            c.stabilize()
        for r in c.reps.values():
            assert [d for _, d in r.applied] == [*want, b"after"], r.id
            g = r.db.group(PID)
            # The three durable logs agree on every index they all still hold.
            lo = max(x.db.group(PID).first_index() for x in c.reps.values())
            hi = min(x.db.group(PID).last_index() for x in c.reps.values())
            ref = [(e.index, e.term, e.data) for e in c.reps[1].db.group(PID).entries(lo, hi + 1)]
            assert [(e.index, e.term, e.data) for e in g.entries(lo, hi + 1)] == ref
    finally:
        c.close()


# -- micro-benchmark (not a test: run this module) --------------------------------------------


def bench(groups: int, sync: bool, rounds: int = 200) -> float:
    """µs per committed batch of ``groups`` groups x (1 entry of 1 KB + hard state)."""
    with tempfile.TemporaryDirectory() as tmp, RaftLogDB(Path(tmp) / "db") as db:
        for pid in range(groups):
            db.bootstrap(pid, VOTERS)
        payload = b"x" * 1024
        t0 = time.perf_counter()
        for k in range(rounds):
            b = db.begin()
            for pid in range(groups):
                b.append(pid, [Entry(term=2, index=k + 2, data=payload)])
                b.set_hard_state(pid, HardState(term=2, vote=1, commit=k + 1))
            b.commit(sync=sync)
        return (time.perf_counter() - t0) / rounds * 1e6


if __name__ == "__main__":
    for sync in (False, True):
        for groups in (1, 16, 64):
            print(f"sync={sync!s:5} groups={groups:3}: {bench(groups, sync):9.1f} µs/batch")
