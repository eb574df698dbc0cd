"""Leader election: terms, votes, randomized timeouts, pre-vote, check-quorum."""

from __future__ import annotations

import random

from kuradb.raft.rawnode import Config, RawNode
from kuradb.raft.storage import MemoryStorage
from kuradb.raft.types import NONE, ConfState, Message, MessageType, StateType
from tests.raft.helpers import new_raft, storage_with, take
from tests.raft.network import Network

MT = MessageType


def test_follower_starts_election_after_timeout() -> None:
    """Raft paper §5.2: a follower that hears nothing for an election timeout becomes a
    candidate, increments its term, votes for itself and requests votes from all voters."""
    r = new_raft(1, pre_vote=False)
    for _ in range(2 * r.election_timeout):
        r.tick()
    assert r.state == StateType.CANDIDATE and r.term == 2 and r.vote == 1
    msgs = take(r)
    assert sorted((m.to, m.type, m.term) for m in msgs) == [(2, MT.VOTE, 2), (3, MT.VOTE, 2)]


def test_randomized_election_timeout_range() -> None:
    """Raft paper §5.2: election timeouts are randomized in [T, 2T) to avoid split votes."""
    r = new_raft(1)
    seen = set()
    for _ in range(200):
        r.become_follower(r.term, NONE)
        seen.add(r.randomized_election_timeout)
    assert min(seen) == 10 and max(seen) == 19


def test_seeded_rng_makes_timeouts_reproducible() -> None:
    a = RawNode(Config(id=1, rng=random.Random(7)), MemoryStorage.bootstrap(ConfState(voters=(1, 2, 3))))
    b = RawNode(Config(id=1, rng=random.Random(7)), MemoryStorage.bootstrap(ConfState(voters=(1, 2, 3))))
    assert a.raft.randomized_election_timeout == b.raft.randomized_election_timeout


def test_one_vote_per_term() -> None:
    """Raft paper §5.2: each server votes for at most one candidate in a given term."""
    r = new_raft(1)
    r.step(Message(type=MT.VOTE, frm=2, to=1, term=5, index=1, log_term=1))
    r.step(Message(type=MT.VOTE, frm=3, to=1, term=5, index=1, log_term=1))
    resp = take(r)
    assert [(m.to, m.reject) for m in resp] == [(2, False), (3, True)]
    assert r.vote == 2 and r.term == 5
    r.step(Message(type=MT.VOTE, frm=2, to=1, term=5, index=1, log_term=1))  # retransmission
    assert not take(r)[0].reject


def test_vote_requires_up_to_date_log() -> None:
    """Raft paper §5.4.1: a voter denies its vote if its own log is more up to date."""
    r = new_raft(1, storage=storage_with([(2, 2), (3, 3)]))
    for idx, lterm, reject in [(3, 2, True), (2, 3, True), (3, 3, False)]:
        r.become_follower(r.term, NONE)
        r.step(Message(type=MT.VOTE, frm=2, to=1, term=r.term + 1, index=idx, log_term=lterm))
        assert take(r)[0].reject is reject


def test_candidate_wins_with_majority_and_steps_down_on_leader() -> None:
    """Raft paper §5.2: a candidate becomes leader with a majority, and returns to follower on
    an AppendEntries from a leader of at least its term."""
    r = new_raft(1, voters=(1, 2, 3, 4, 5), pre_vote=False)
    r.step(Message(type=MT.HUP))
    r.step(Message(type=MT.VOTE_RESP, frm=2, term=2))
    assert r.state == StateType.CANDIDATE
    r.step(Message(type=MT.VOTE_RESP, frm=3, term=2))
    assert r.state == StateType.LEADER
    c = new_raft(1, pre_vote=False)
    c.step(Message(type=MT.HUP))
    c.step(Message(type=MT.APP, frm=3, term=2, index=1, log_term=1))
    assert (c.state, c.lead) == (StateType.FOLLOWER, 3)


def test_candidate_loses_on_majority_reject() -> None:
    """Raft paper §5.2: a candidate that cannot win goes back to waiting."""
    r = new_raft(1, pre_vote=False)
    r.step(Message(type=MT.HUP))
    r.step(Message(type=MT.VOTE_RESP, frm=2, term=2, reject=True))
    r.step(Message(type=MT.VOTE_RESP, frm=3, term=2, reject=True))
    assert r.state == StateType.FOLLOWER and r.term == 2


def test_split_vote_resolves() -> None:
    """Raft paper §5.2: with split votes the term times out and randomization lets one
    candidate win a later election."""
    net = Network.create([1, 2, 3, 4], pre_vote=False, check_quorum=False)
    net.cut_link(1, 2)
    net.cut_link(3, 4)
    net.cut_link(1, 4)
    net.cut_link(2, 3)
    # 1 and 3 campaign simultaneously; each gets at most 2 of 4 votes.
    net[1].campaign()
    net[3].campaign()
    net.stabilize()
    assert net.leaders() == []
    net.heal()
    for _ in range(100):
        net.tick()
        if net.leaders():
            break
    assert len(net.leaders()) == 1
    lead = net.leaders()[0]
    net.tick(n=3)
    assert {net[i].leader for i in (1, 2, 3, 4)} == {lead}


def test_election_safety_under_repeated_partitions() -> None:
    """Raft paper §5.2 (Election Safety): at most one leader per term."""
    net = Network.create([1, 2, 3, 4, 5], seed=3)
    leaders_by_term: dict[int, set[int]] = {}
    rng = random.Random(5)
    for round_ in range(12):
        net.heal()
        net.isolate(rng.choice([1, 2, 3, 4, 5]))
        for _ in range(30):
            net.tick()
            for i in net.leaders():
                leaders_by_term.setdefault(net[i].term, set()).add(i)
    assert leaders_by_term
    assert all(len(v) == 1 for v in leaders_by_term.values()), leaders_by_term


def test_prevote_partitioned_node_does_not_disrupt() -> None:
    """Raft thesis §9.6: with pre-vote a node rejoining from a partition does not bump terms
    and depose a healthy leader, because it cannot win a pre-vote."""
    net = Network.create([1, 2, 3])
    net.elect(1)
    term = net[1].term
    net.isolate(3)
    net.tick(n=50)  # 3 keeps pre-campaigning, but never increments its term
    assert net[3].term == term and net[3].state == StateType.PRE_CANDIDATE
    net.heal()
    net.tick(n=5)
    assert net.leaders() == [1] and net[1].term == term
    assert net[3].state == StateType.FOLLOWER and net[3].leader == 1


def test_without_prevote_rejoining_node_disrupts() -> None:
    """Raft thesis §9.6 (contrast): without pre-vote the isolated node's term inflates and,
    when it rejoins, the leader must step down."""
    net = Network.create([1, 2, 3], pre_vote=False, check_quorum=False)
    net.elect(1)
    term = net[1].term
    net.isolate(3)
    net.tick(n=50)
    assert net[3].term > term + 1
    net.heal()
    net.tick(n=60)
    assert net[1].term > term


def test_check_quorum_leader_steps_down() -> None:
    """Raft thesis §6.2: a leader that does not hear from a quorum within an election timeout
    steps down (so clients are not stuck with a partitioned leader)."""
    net = Network.create([1, 2, 3], pre_vote=False)
    net.elect(1)
    net.isolate(1)
    net.tick([1], n=21)
    assert net[1].state == StateType.FOLLOWER


def test_check_quorum_ignores_votes_in_lease() -> None:
    """Raft thesis §4.2.3: a server that heard from a leader within the minimum election timeout
    ignores RequestVote (it does not update its term or grant)."""
    r = new_raft(2)
    r.step(Message(type=MT.HEARTBEAT, frm=1, term=3))
    take(r)
    r.step(Message(type=MT.VOTE, frm=3, term=4, index=9, log_term=9))
    assert r.term == 3 and take(r) == []


def test_stale_term_message_gets_term_reply() -> None:
    """Raft paper §5.1: a server receiving a stale-term request rejects it, letting the stale
    leader learn the newer term and step down."""
    net = Network.create([1, 2, 3])
    net.elect(1)
    net.isolate(1)
    net.tick([2, 3], n=30)
    new = [i for i in (2, 3) if net[i].state == StateType.LEADER]
    assert new
    net.heal()
    net.tick([1], n=1)  # old leader heartbeats; the response carries the higher term
    assert net[1].state == StateType.FOLLOWER and net[1].leader in (0, new[0])


def test_learner_never_campaigns() -> None:
    """Raft thesis §4.2.1: non-voting members never start elections."""
    net = Network.create([1, 2], learners=[3])
    net.tick([3], n=100)
    assert net[3].state == StateType.FOLLOWER and net[3].term == 1


def test_disable_campaign_until_contacted() -> None:
    """A replica created during a move never campaigns on its own until it has heard from a
    leader of its group (it could otherwise disrupt the group before catching up)."""
    net = Network.create([1, 2, 3])
    net.add(3, MemoryStorage.bootstrap(ConfState(voters=(1, 2, 3))), disable_campaign_until_contacted=True)
    net.isolate(3)
    net.tick([3], n=100)
    assert net[3].state == StateType.FOLLOWER and net[3].term == 1
    net.heal()
    net.elect(1)
    net.isolate(1)
    net.tick([2, 3], n=60)
    assert len([i for i in net.leaders() if i != 1]) == 1  # 3 was contacted: an election happens
    assert net.replicas[3].node.raft.contacted


def test_single_node_elects_itself() -> None:
    """Raft paper §5.2: a candidate with votes from a majority (itself) wins at once."""
    net = Network.create([1])
    net.tick(n=25)
    assert net.leaders() == [1]
