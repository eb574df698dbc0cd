"""Linearizable reads: ReadIndex and leader leases (Raft thesis §6.4)."""

from __future__ import annotations

import random

import pytest

from kuradb.raft.config import Config
from kuradb.raft.errors import ProposalDropped
from kuradb.raft.read_only import ReadOnlyOption
from kuradb.raft.types import MessageType, ReadState
from tests.raft.network import Network

MT = MessageType
LEASE = ReadOnlyOption.LEASE_BASED


def test_read_index_on_leader() -> None:
    """Raft thesis §6.4: the leader records its commit index, confirms leadership with a
    heartbeat round to a quorum, then the read may be served once applied to that index."""
    net = Network.create([1, 2, 3])
    net.elect(1)
    net.propose(1, b"a")
    net.record = True
    net[1].read_index(b"r1")
    net.stabilize()
    commit = net.replicas[1].node.raft.raft_log.committed
    assert net.replicas[1].read_states == [ReadState(index=commit, request_ctx=b"r1")]
    assert any(m.type == MT.HEARTBEAT and m.context == b"r1" for m in net.delivered)


def test_read_index_forwarded_from_follower() -> None:
    """Raft thesis §6.4.1: a follower asks the leader for the read index, then waits until it
    applied that far itself."""
    net = Network.create([1, 2, 3])
    net.elect(1)
    net.propose(1, b"a")
    net[3].read_index(b"f")
    net.stabilize()
    (rs,) = net.replicas[3].read_states
    assert rs.request_ctx == b"f" and rs.index == net.replicas[1].node.raft.raft_log.committed
    assert net.replicas[3].applied_index >= rs.index


def test_partitioned_leader_cannot_confirm_read() -> None:
    """Raft thesis §6.4: a deposed leader (minority side) must not answer reads."""
    net = Network.create([1, 2, 3])
    net.elect(1)
    net.isolate(1)
    net[1].read_index(b"stale?")
    net.stabilize()
    assert net.replicas[1].read_states == []


def test_no_read_before_own_term_entry_commits() -> None:
    """Raft thesis §6.4 step 1: a new leader does not know the commit index until it commits
    an entry of its own term; reads wait for its empty entry to commit."""
    net = Network.create([1, 2, 3])
    net.ignored.add(MT.APP)  # the leader's empty entry cannot reach anyone
    net.elect(1)
    assert net.replicas[1].node.raft.raft_log.committed == 1
    net[1].read_index(b"early")
    net.stabilize()
    assert net.replicas[1].read_states == []
    net.heal()
    net.tick([1], n=1)
    assert [rs.request_ctx for rs in net.replicas[1].read_states] == [b"early"]
    assert net.replicas[1].read_states[0].index == 2


def test_read_index_single_node() -> None:
    net = Network.create([1])
    net.elect(1)
    net[1].read_index(b"solo")
    net.stabilize()
    assert net.replicas[1].read_states == [ReadState(index=2, request_ctx=b"solo")]


def test_read_without_leader_dropped() -> None:
    net = Network.create([1, 2, 3])
    with pytest.raises(ProposalDropped):
        net[1].read_index(b"x")


def test_lease_read_answered_without_round_trip() -> None:
    """Raft thesis §6.4.1: with a lease the leader answers from its commit index without a
    heartbeat round, as long as a quorum acknowledged it less than lease_ticks ago."""
    net = Network.create([1, 2, 3], read_only=LEASE, lease_ticks=5)
    net.elect(1)
    assert not net[1].in_lease()  # no heartbeat acknowledged yet in this term
    net.tick([1], n=1)
    assert net[1].in_lease()
    net.record = True
    net[1].read_index(b"lease")
    net.stabilize()
    assert [rs.request_ctx for rs in net.replicas[1].read_states] == [b"lease"]
    assert net.delivered == []


def test_lease_expires_without_quorum_contact() -> None:
    """Raft thesis §6.4.1: the lease lasts lease_ticks (< election timeout) from the send time
    of the last heartbeat a quorum acknowledged; afterwards reads fall back to ReadIndex."""
    net = Network.create([1, 2, 3], read_only=LEASE, lease_ticks=5)
    net.elect(1)
    net.tick([1], n=1)
    net.isolate(1)
    net.tick([1], n=4)
    assert net[1].in_lease()
    net.tick([1], n=1)
    assert not net[1].in_lease()
    net[1].read_index(b"after-lease")
    net.stabilize()
    assert net.replicas[1].read_states == []  # ReadIndex fallback cannot reach a quorum


def test_no_lease_before_own_term_entry_commits() -> None:
    """Raft thesis §6.4: a lease is no substitute for knowing the commit index."""
    net = Network.create([1, 2, 3], read_only=LEASE, lease_ticks=5)
    net.ignored.add(MT.APP)
    net.elect(1)
    net.tick([1], n=1)
    assert not net[1].in_lease()


def test_lease_config_validation() -> None:
    with pytest.raises(ValueError, match="lease_ticks"):
        Config(id=1, lease_ticks=10, rng=random.Random(0)).validate()
    with pytest.raises(ValueError, match="CheckQuorum"):
        Config(id=1, read_only=LEASE, check_quorum=False).validate()
    assert Config(id=1).effective_lease_ticks() == 8


def test_lease_void_once_timeout_now_sent() -> None:
    """Raft thesis §6.4.1 + §3.10: TIMEOUT_NOW lets the target win despite the followers'
    leases, so a leader that sent one (even if the transfer is then aborted) stops lease reads."""
    net = Network.create([1, 2, 3], read_only=LEASE, lease_ticks=5)
    net.elect(1)
    net.tick([1], n=1)
    assert net[1].in_lease()
    net.ignored.add(MT.TIMEOUT_NOW)
    net[1].transfer_leader(2)
    net.stabilize()
    net.tick([1], n=net.replicas[1].node.raft.election_timeout)  # transfer aborted
    assert net[1].status().lead_transferee == 0 and net[1].leader == 1
    assert not net[1].in_lease()
    net.record = True
    net[1].read_index(b"safe-path")
    net.stabilize()
    assert any(m.type == MT.HEARTBEAT and m.context == b"safe-path" for m in net.delivered)
    assert [rs.request_ctx for rs in net.replicas[1].read_states] == [b"safe-path"]
