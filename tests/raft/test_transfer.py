"""Leadership transfer (Raft thesis §3.10)."""

from __future__ import annotations

import pytest

from kuradb.raft.errors import ProposalDropped
from kuradb.raft.types import MessageType
from tests.raft.network import Network

MT = MessageType


def test_transfer_to_up_to_date_follower() -> None:
    """Raft thesis §3.10: the leader sends TimeoutNow to an up-to-date target, which starts an
    election immediately and wins."""
    net = Network.create([1, 2, 3])
    net.elect(1)
    net.propose(1, b"a")
    net[1].transfer_leader(2)
    net.stabilize()
    assert net.leaders() == [2] and net[1].leader == 2


def test_transfer_catches_target_up_first() -> None:
    """Raft thesis §3.10 step 2: the leader first brings the target's log up to date."""
    net = Network.create([1, 2, 3])
    net.elect(1)
    net.isolate(3)
    for i in range(5):
        net.propose(1, b"%d" % i)
    net.heal()
    net[1].transfer_leader(3)
    net.stabilize()
    assert net.leaders() == [3]
    assert net.applied(3) == [b"%d" % i for i in range(5)]


def test_proposals_refused_during_transfer() -> None:
    """Raft thesis §3.10 step 1: the leader stops accepting client requests while transferring."""
    net = Network.create([1, 2, 3])
    net.elect(1)
    net.isolate(3)
    net[1].transfer_leader(3)
    net.stabilize()
    with pytest.raises(ProposalDropped, match="leadership transfer"):
        net[1].propose(b"x")


def test_transfer_aborts_after_election_timeout() -> None:
    """Raft thesis §3.10: if the transfer does not complete within an election timeout, the
    leader aborts it and resumes accepting requests."""
    net = Network.create([1, 2, 3])
    net.elect(1)
    net.isolate(3)
    net[1].transfer_leader(3)
    net.stabilize()
    assert net[1].status().lead_transferee == 3
    net.tick([1], n=net.replicas[1].node.raft.election_timeout)
    assert net[1].status().lead_transferee == 0
    net.propose(1, b"resumed")
    assert net.applied(2) == [b"resumed"]


def test_transfer_bypasses_lease_and_prevote() -> None:
    """Raft thesis §4.2.3: TimeoutNow-triggered elections are not blocked by the followers'
    leader lease (the leader itself asked for it)."""
    net = Network.create([1, 2, 3], check_quorum=True, pre_vote=True)
    net.elect(1)
    net.tick(n=3)
    net[1].transfer_leader(3)
    net.stabilize()
    assert net.leaders() == [3]


def test_transfer_to_self_or_learner_ignored() -> None:
    net = Network.create([1, 2, 3], learners=[4])
    net.elect(1)
    net[1].transfer_leader(1)
    net[1].transfer_leader(4)
    net.stabilize()
    assert net.leaders() == [1] and net[1].status().lead_transferee == 0


def test_transfer_request_forwarded_from_follower() -> None:
    net = Network.create([1, 2, 3])
    net.elect(1)
    net[2].transfer_leader(2)
    net.stabilize()
    assert net.leaders() == [2]
