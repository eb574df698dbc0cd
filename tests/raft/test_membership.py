"""Membership changes: one-at-a-time, joint consensus, learners (Raft paper §6, thesis §4)."""

from __future__ import annotations

import pytest

from kuradb.raft.errors import ProposalDropped
from kuradb.raft.types import ConfChange, ConfChangeSingle, ConfChangeTransition, ConfChangeType, StateType
from tests.raft.network import Network

ADD, REMOVE, LEARNER = ConfChangeType.ADD_NODE, ConfChangeType.REMOVE_NODE, ConfChangeType.ADD_LEARNER_NODE


def _cc(*changes: tuple[ConfChangeType, int], transition: ConfChangeTransition = ConfChangeTransition.AUTO) -> ConfChange:
    return ConfChange(changes=tuple(ConfChangeSingle(t, i) for t, i in changes), transition=transition)


def _change(net: Network, leader: int, cc: ConfChange) -> None:
    net[leader].propose_conf_change(cc)
    net.stabilize()


def test_add_voter_catches_up_and_counts() -> None:
    """Raft thesis §4.1/§4.2.1: a new server joins with an empty log, catches up (here via the
    snapshot holding the initial membership) and then counts toward the majority."""
    net = Network.create([1, 2, 3])
    net.elect(1)
    net.propose(1, b"before")
    net.add(4)
    _change(net, 1, _cc((ADD, 4)))
    net.tick([1], n=2)
    assert net[4].conf_state.voters == (1, 2, 3, 4)
    assert net.applied(4) == [b"before"]
    # With 4 voters, a majority is 3: {1, 4} and one more.
    net.isolate(2)
    net.isolate(3)
    net.propose(1, b"needs3")
    assert net.applied(1) == [b"before"]
    net.heal()
    net.tick([1], n=1)
    assert net.applied(4) == [b"before", b"needs3"]


def test_remove_voter_shrinks_quorum() -> None:
    """Raft paper §6: after C_new applies, decisions need only a majority of C_new."""
    net = Network.create([1, 2, 3, 4])
    net.elect(1)
    _change(net, 1, _cc((REMOVE, 4)))
    assert net[1].conf_state.voters == (1, 2, 3)
    net.isolate(3)
    net.isolate(4)
    net.propose(1, b"two-of-three")
    assert net.applied(1) == [b"two-of-three"]


def test_removed_leader_steps_down() -> None:
    """Raft paper §6: a leader not part of C_new steps down once C_new is committed."""
    net = Network.create([1, 2, 3])
    net.elect(1)
    _change(net, 1, _cc((REMOVE, 1)))
    assert net[1].state == StateType.FOLLOWER
    net.tick([2, 3], n=40)
    assert len([i for i in (2, 3) if net[i].state == StateType.LEADER]) == 1


def test_only_one_pending_conf_change() -> None:
    """Raft thesis §4.1: a leader does not start a new change until the previous one is
    applied (otherwise two single-server changes could overlap unsafely)."""
    net = Network.create([1, 2, 3])
    net.elect(1)
    net.isolate(2)
    net.isolate(3)
    net[1].propose_conf_change(_cc((ADD, 4)))
    with pytest.raises(ProposalDropped, match="unapplied conf change"):
        net[1].propose_conf_change(_cc((ADD, 5)))
    net.heal()
    net.add(4)
    net.tick([1], n=2)
    _change(net, 1, _cc((ADD, 5)))  # accepted now that the first is applied
    net.add(5)
    net.tick([1], n=2)
    assert net[1].conf_state.voters == (1, 2, 3, 4, 5)


def test_joint_consensus_auto_leave() -> None:
    """Raft paper §6: the cluster first switches to C_old,new, then (once that committed) to
    C_new; with auto-leave the leader proposes the second step itself."""
    net = Network.create([1, 2, 3])
    net.elect(1)
    net.add(4)
    net.add(5)
    _change(net, 1, _cc((ADD, 4), (ADD, 5), (REMOVE, 3)))
    net.tick([1], n=2)
    cs = net[1].conf_state
    assert (cs.voters, cs.voters_outgoing) == ((1, 2, 4, 5), ())
    assert all(net[i].conf_state == cs for i in (1, 2, 4, 5))
    net.isolate(3)
    net.propose(1, b"new-config")
    assert net.applied(5) == [b"new-config"]


def test_joint_needs_both_majorities() -> None:
    """Raft paper §6: in C_old,new, commitment needs majorities of both configurations."""
    net = Network.create([1, 2, 3])
    net.elect(1)
    for i in (4, 5, 6):
        net.add(i)
    _change(net, 1, _cc((ADD, 4), (ADD, 5), (ADD, 6), (REMOVE, 2), (REMOVE, 3), transition=ConfChangeTransition.JOINT_EXPLICIT))
    net.tick([1], n=2)
    cs = net[1].conf_state
    assert (cs.voters, cs.voters_outgoing) == ((1, 4, 5, 6), (1, 2, 3))
    # A majority of C_new ({1,4,5}) but only 1 of C_old: no commit.
    net.isolate(2)
    net.isolate(3)
    net.propose(1, b"blocked")
    assert net.applied(1) == []
    net.heal()
    net.tick([1], n=1)
    assert net.applied(1) == [b"blocked"]
    with pytest.raises(ProposalDropped, match="transition out of joint"):
        net[1].propose_conf_change(_cc((ADD, 7)))
    _change(net, 1, ConfChange())  # explicit leave
    net.tick([1], n=2)
    assert (net[1].conf_state.voters, net[1].conf_state.voters_outgoing) == ((1, 4, 5, 6), ())


def test_empty_conf_change_refused_when_not_joint() -> None:
    net = Network.create([1, 2, 3])
    net.elect(1)
    with pytest.raises(ProposalDropped, match="not in joint state"):
        net[1].propose_conf_change(ConfChange())


def test_learner_receives_log_but_never_counts() -> None:
    """Raft thesis §4.2.1: non-voting members replicate the log but are not counted in
    majorities, neither for commitment nor for elections."""
    net = Network.create([1, 2, 3], learners=[4])
    net.elect(1)
    net.propose(1, b"a")
    assert net.applied(4) == [b"a"]
    net.isolate(2)
    net.isolate(3)
    net.propose(1, b"b")
    assert net.applied(1) == [b"a"]  # leader + learner is not a majority


def test_learner_promotion() -> None:
    """Raft thesis §4.2.1: a caught-up learner is promoted to voter."""
    net = Network.create([1, 2, 3])
    net.elect(1)
    net.add(4)
    _change(net, 1, _cc((LEARNER, 4)))
    net.tick([1], n=2)
    assert net[4].conf_state.learners == (4,)
    _change(net, 1, _cc((ADD, 4)))
    net.tick([1], n=1)
    assert net[4].conf_state.voters == (1, 2, 3, 4) and not net.replicas[4].node.raft.is_learner


def test_voter_demoted_to_learner_via_joint() -> None:
    """etcd rule: demotion goes through a joint config (the node still votes in C_old)."""
    net = Network.create([1, 2, 3])
    net.elect(1)
    _change(net, 1, _cc((LEARNER, 3), transition=ConfChangeTransition.JOINT_IMPLICIT))
    net.tick([1], n=2)
    assert (net[3].conf_state.voters, net[3].conf_state.learners) == ((1, 2), (3,))
    assert net.replicas[3].node.raft.is_learner


def _learner_partition(bugs: frozenset[str]) -> Network:
    net = Network.create([1, 2, 3], learners=[4, 5], pre_vote=False, check_quorum=False, bugs=bugs)
    net.elect(2)
    net.cut_link(1, 2)
    net.cut_link(1, 3)
    net[1].campaign()
    net.stabilize()
    return net


def test_learner_votes_never_count() -> None:
    """Raft thesis §4.2.1: a candidate cut off from the other voters cannot win with learners."""
    net = _learner_partition(frozenset())
    assert net[1].state != StateType.LEADER


def test_learner_votes_count_bug_elects_second_leader() -> None:
    """The test-only "learner_votes_count" bug: counting learners lets a minority voter win,
    and (no check-quorum) the old leader keeps leading: two leaders, different terms."""
    net = _learner_partition(frozenset({"learner_votes_count"}))
    assert net[1].state == StateType.LEADER
