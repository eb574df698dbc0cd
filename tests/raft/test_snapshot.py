"""Log compaction and snapshots (Raft paper §7)."""

from __future__ import annotations

from kuradb.raft.progress import ProgressState
from kuradb.raft.storage import MemoryStorage
from kuradb.raft.types import ConfState, Message, MessageType, Snapshot, SnapshotMetadata
from tests.raft.helpers import new_raft, storage_with, take
from tests.raft.network import Network

MT = MessageType


def _lagging_follower_net() -> Network:
    net = Network.create([1, 2, 3])
    net.elect(1)
    net.isolate(3)
    for i in range(20):
        net.propose(1, b"%d" % i)
    net.compact(1)
    net.compact(2)
    return net


def test_leader_sends_snapshot_to_lagging_follower() -> None:
    """Raft paper §7: when a follower needs entries the leader has discarded, the leader sends
    InstallSnapshot; the follower replaces its state and resumes normal replication."""
    net = _lagging_follower_net()
    assert net.replicas[1].storage.first_index() > 2
    net.heal()
    net.tick([1], n=2)
    assert net.replicas[1].snapshot_sends == 1
    assert net.applied(3) == net.applied(1) == [b"%d" % i for i in range(20)]
    net.propose(1, b"after")
    assert net.applied(3)[-1] == b"after"
    pr = net[1].status().progress[3]
    assert pr.state == ProgressState.REPLICATE


def test_snapshot_failure_reported_then_retried() -> None:
    """Raft paper §7: a lost snapshot is resent; the driver reports the failure."""
    net = _lagging_follower_net()
    net.heal()
    net.ignored.add(MT.SNAP)
    net.tick([1], n=2)
    assert net[1].status().progress[3].state == ProgressState.SNAPSHOT
    net[1].report_snapshot(3, failure=True)
    net.ignored.clear()
    net.tick([1], n=3)
    assert net.applied(3) == net.applied(1)
    assert net.replicas[1].snapshot_sends == 2


def test_follower_ignores_stale_snapshot() -> None:
    """Raft paper §7: a snapshot that describes a prefix of the follower's committed log does
    not replace it; the follower just acknowledges what it has."""
    r = new_raft(2, storage=storage_with([(2, 2), (2, 3), (2, 4)]))
    r.raft_log.commit_to(4)
    r.step(Message(type=MT.SNAP, frm=1, term=2, snapshot=Snapshot(SnapshotMetadata(index=3, term=2, conf_state=ConfState(voters=(1, 2, 3))))))
    resp = take(r)[-1]
    assert (resp.type, resp.index) == (MT.APP_RESP, 4)
    assert r.raft_log.last_index() == 4


def test_snapshot_matching_log_fast_forwards_commit() -> None:
    """Raft paper §7: if the follower already has the snapshot's last entry, it keeps its log
    (the entries after it are still valid) and only advances its commit index."""
    r = new_raft(2, storage=storage_with([(2, 2), (2, 3), (2, 4)]))
    r.step(Message(type=MT.SNAP, frm=1, term=2, snapshot=Snapshot(SnapshotMetadata(index=3, term=2, conf_state=ConfState(voters=(1, 2, 3))))))
    assert r.raft_log.committed == 3 and r.raft_log.last_index() == 4
    assert not r.raft_log.has_pending_snapshot()


def test_snapshot_installs_membership() -> None:
    """Raft paper §7: the snapshot carries the latest configuration as of its last index."""
    r = new_raft(4, storage=MemoryStorage())
    snap = Snapshot(SnapshotMetadata(index=10, term=3, conf_state=ConfState(voters=(1, 2, 3), learners=(4,))), b"img")
    r.step(Message(type=MT.SNAP, frm=1, term=3, snapshot=snap))
    assert r.trk.conf_state().learners == (4,) and r.is_learner
    assert r.raft_log.committed == 10 and r.raft_log.has_pending_snapshot()


def test_restart_from_compacted_storage() -> None:
    """Raft paper §7: a server restarts from its snapshot plus the log after it."""
    net = Network.create([1, 2, 3])
    net.elect(1)
    for i in range(5):
        net.propose(1, b"%d" % i)
    net.compact(2)
    net.propose(1, b"tail")
    net.restart(2)
    assert net.applied(2)[:5] == [b"%d" % i for i in range(5)]
    net.tick([1], n=1)
    assert net.applied(2) == net.applied(1)
