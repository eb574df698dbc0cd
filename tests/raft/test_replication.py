"""Log replication, conflicting-log repair (fig. 7), the commitment rule (fig. 8), batching,
flow control, proposal forwarding."""

from __future__ import annotations

import pytest

from kuradb.raft.errors import ProposalDropped
from kuradb.raft.progress import ProgressState
from kuradb.raft.storage import MemoryStorage, entry_size
from kuradb.raft.types import ConfState, Entry, HardState, Message, MessageType, StateType
from tests.raft.helpers import new_raft, take
from tests.raft.network import Network

MT = MessageType


def _log_terms(net: Network, i: int) -> list[int]:
    st = net.replicas[i].storage
    return [st.term(x) for x in range(st.first_index(), st.last_index() + 1)]


def test_leader_appends_empty_entry_on_election() -> None:
    """Raft thesis §6.4 / paper §8: a new leader commits a no-op entry of its own term at the
    start of its term, which also commits every earlier entry (Log Matching)."""
    net = Network.create([1, 2, 3])
    net.elect(1)
    st = net.replicas[1].storage
    assert st.last_index() == 2 and st.term(2) == 2
    assert all(net.replicas[i].node.raft.raft_log.committed == 2 for i in (1, 2, 3))


def test_replication_and_commit() -> None:
    """Raft paper §5.3: the leader appends, replicates, and commits once a majority stores it;
    followers learn the commit index and apply in order."""
    net = Network.create([1, 2, 3, 4, 5])
    net.elect(1)
    net.isolate(4)
    net.isolate(5)
    for i in range(10):
        net.propose(1, b"v%d" % i)
    expected = [b"v%d" % i for i in range(10)]
    assert net.applied(1) == net.applied(2) == net.applied(3) == expected
    assert net.applied(4) == []
    net.heal()
    net.tick([1], n=2)
    assert net.applied(4) == net.applied(5) == expected


def test_no_commit_without_majority() -> None:
    """Raft paper §5.3: an entry stored only on a minority is not committed."""
    net = Network.create([1, 2, 3])
    net.elect(1)
    net.isolate(2)
    net.isolate(3)
    net.propose(1, b"lonely")
    assert net.applied(1) == []
    net.heal()
    net.tick([1], n=1)
    assert net.applied(1) == [b"lonely"]


@pytest.mark.parametrize(
    "follower",
    [
        # Raft paper fig. 7, followers (a)..(f); terms of entries from index 1.
        [1, 1, 1, 4, 4, 5, 5, 6, 6],
        [1, 1, 1, 4],
        [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
        [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
        [1, 1, 1, 4, 4, 4, 4],
        [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
    ],
    ids=list("abcdef"),
)
def test_leader_repairs_follower_logs_fig7(follower: list[int]) -> None:
    """Raft paper §5.3, fig. 7: whatever a follower's log looks like (missing entries, extra
    uncommitted entries, or both), the leader forces it to duplicate its own log, and fast
    repair (thesis §5.3) needs about one round trip per conflicting term, not per entry."""
    leader = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6]

    def storage(terms: list[int], term: int) -> MemoryStorage:
        st = MemoryStorage.bootstrap(ConfState(voters=(1, 2, 3)))  # index 1 has term 1
        st.append([Entry(term=t, index=i) for i, t in enumerate(terms, start=1) if i > 1])
        st.set_hard_state(HardState(term=term, commit=1))
        return st

    net = Network(pre_vote=False, check_quorum=False)
    net.add(1, storage(leader, 8))
    net.add(2, storage(follower, 7))
    net.add(3, storage([1], 7))
    net.isolate(2)
    net.elect(1)  # needs 3's vote: 2 may have a more up-to-date log (cases c, d)
    net.heal()
    net.record = True
    net.tick([1], n=1)
    net.propose(1, b"x")
    assert _log_terms(net, 2) == _log_terms(net, 1)
    rejections = [m for m in net.delivered if m.type == MT.APP_RESP and m.reject and m.frm == 2]
    assert len(rejections) <= 4, rejections


def _win(net: Network, i: int) -> None:
    """Campaign until ``i`` leads (a first campaign may lose to votes already cast)."""
    for _ in range(3):
        net[i].campaign()
        net.stabilize()
        if net[i].state == StateType.LEADER:
            return
    raise AssertionError(f"{i} could not win")


def _fig8_network(bugs: frozenset[str]) -> Network:
    net = Network.create([1, 2, 3, 4, 5], pre_vote=False, check_quorum=False, bugs=bugs)
    net.elect(1)  # term 2, no-op at index 2 committed everywhere
    # (a) S1 replicates "x" (index 3, term 2) to S2 only.
    for i in (3, 4, 5):
        net.cut_link(1, i)
    net.propose(1, b"x")
    # (b) S1 is down; S5 wins term 3 with S3, S4 and appends entries nobody else receives.
    net.heal()
    net.isolate(1)
    net.intercept = lambda m: not (m.frm == 5 and m.type == MT.APP)
    net.elect(5)
    net.replicas[5].node.propose(b"y")
    net.stabilize()
    # (c) S5 is down; S1 wins term 4 and replicates index 3 (term 2) to S3, but not its term-4
    # no-op (index 4): index 3 is now on a majority {S1, S2, S3}.
    net.heal()
    net.isolate(5)
    net.restart(1)

    def only_up_to_3(m: Message) -> bool:
        if m.frm == 1 and m.type == MT.APP:
            m.entries = [e for e in m.entries if e.index <= 3]
        return m.to != 4 or m.type != MT.APP

    net.intercept = only_up_to_3
    _win(net, 1)  # term 4 (in term 3 S3 and S4 already voted for S5)
    net.tick([1], n=2)
    return net


def test_commit_only_current_term_entries_fig8() -> None:
    """Raft paper §5.4.2, fig. 8: a leader must not commit an entry from a previous term by
    counting replicas; S5 can still overwrite it. Only current-term entries commit that way."""
    net = _fig8_network(frozenset())
    assert net.replicas[1].node.raft.raft_log.committed == 2  # index 3 replicated, not committed
    assert net.applied(1) == []
    # (d) S1 down again; S5 (last term 3) wins and overwrites index 3 on everyone: allowed,
    # because it was never committed.
    net.heal()
    net.isolate(1)
    net.restart(5)
    _win(net, 5)
    net.propose(5, b"z")
    for i in (2, 3, 4, 5):
        assert net.applied(i) == [b"y", b"z"]


def test_commit_previous_term_bug_loses_committed_entry() -> None:
    """The test-only "commit_previous_term" bug commits index 3 in (c) (S1, S2, S3 apply "x");
    then in (d) S5 is elected anyway and its term-3 entries take index 3: replicas that applied
    index 3 disagree — a State Machine Safety violation the simulator's checker must flag."""
    net = _fig8_network(frozenset({"commit_previous_term"}))
    assert net.replicas[1].node.raft.raft_log.committed == 3
    assert net.applied(1) == [b"x"]
    net.heal()
    net.isolate(1)
    net.restart(5)
    _win(net, 5)
    net.propose(5, b"z")
    assert net.replicas[5].applied_index >= 3 and b"x" not in net.applied(5)


def test_batching_respects_max_size_per_msg() -> None:
    """Raft paper §5.3 (AppendEntries may carry several entries): batches are bounded in size."""
    size = 100
    r = new_raft(1, max_size_per_msg=3 * entry_size(Entry(term=0, index=0, data=b"x" * size)), pre_vote=False)
    r.become_candidate()
    r.become_leader()
    take(r)
    pr = r.trk.progress[2]
    for i in range(10):
        r.append_entry([Entry(term=0, index=0, data=b"x" * size)])
    pr.match = 1  # the follower has the bootstrap entry
    pr.become_replicate()
    r._send_append(2)
    m = take(r)[0]
    assert m.type == MT.APP and len(m.entries) == 3


def test_inflight_bound_pauses_replication() -> None:
    """Flow control: at most max_inflight_msgs unacknowledged appends per follower."""
    r = new_raft(1, max_inflight_msgs=2, pre_vote=False)
    r.become_candidate()
    r.become_leader()
    for i in (2, 3):
        r.trk.progress[i].match = 1  # the follower has the bootstrap entry
        r.trk.progress[i].become_replicate()
    take(r)
    for i in range(5):
        r.step(Message(type=MT.PROPOSE, frm=1, entries=[Entry(term=0, index=0, data=b"p")]))
    to2 = [m for m in take(r) if m.to == 2]
    assert len(to2) == 2 and r.trk.progress[2].is_paused()
    r.step(Message(type=MT.APP_RESP, frm=2, term=r.term, index=to2[0].entries[-1].index))
    sent = [m for m in take(r) if m.to == 2 and m.type == MT.APP]
    assert sent and r.trk.progress[2].state == ProgressState.REPLICATE


def test_probe_sends_one_append_per_heartbeat() -> None:
    """Probe state: while the follower's position is unknown, at most one append is in
    flight; a heartbeat response allows the next probe."""
    r = new_raft(1, pre_vote=False)
    r.become_candidate()
    r.become_leader()
    take(r)
    r.step(Message(type=MT.PROPOSE, frm=1, entries=[Entry(term=0, index=0, data=b"a")]))
    r.step(Message(type=MT.PROPOSE, frm=1, entries=[Entry(term=0, index=0, data=b"b")]))
    assert len([m for m in take(r) if m.to == 2]) == 1
    r.step(Message(type=MT.HEARTBEAT_RESP, frm=2, term=r.term))
    assert len([m for m in take(r) if m.to == 2 and m.type == MT.APP]) == 1


def test_follower_forwards_proposals_to_leader() -> None:
    """Raft paper §8: clients may contact any server; followers forward to the leader."""
    net = Network.create([1, 2, 3])
    net.elect(1)
    net.propose(3, b"via-follower")
    assert net.applied(1) == [b"via-follower"]


def test_proposal_dropped_without_leader_or_forwarding() -> None:
    net = Network.create([1, 2, 3], disable_proposal_forwarding=True)
    with pytest.raises(ProposalDropped):
        net[2].propose(b"x")  # no leader yet
    net.elect(1)
    with pytest.raises(ProposalDropped, match="forwarding is disabled"):
        net[2].propose(b"x")


def test_max_uncommitted_entries_size() -> None:
    """Bounded memory: a leader refuses proposals once uncommitted payload exceeds the limit."""
    net = Network.create([1, 2, 3], max_uncommitted_entries_size=10)
    net.elect(1)
    net.isolate(2)
    net.isolate(3)
    net[1].propose(b"12345678")
    net[1].propose(b"12")
    with pytest.raises(ProposalDropped, match="uncommitted"):
        net[1].propose(b"3")
    net.heal()
    net.tick([1], n=2)
    net.propose(1, b"ok")
    assert net.applied(1)[-1] == b"ok"


def test_restart_recovers_from_storage() -> None:
    """Raft paper fig. 2: currentTerm, votedFor and log are persistent; a restarted server
    resumes from them and re-applies committed entries."""
    net = Network.create([1, 2, 3])
    net.elect(1)
    for i in range(3):
        net.propose(1, b"%d" % i)
    net.restart(2)
    assert net[2].term == net[1].term
    net.tick([1], n=1)
    assert net.applied(2) == [b"0", b"1", b"2"]


def test_stale_leader_reply_and_steps_down() -> None:
    """Raft paper §5.1: a leader discovering a higher term reverts to follower."""
    r = new_raft(1, pre_vote=False)
    r.become_candidate()
    r.become_leader()
    r.step(Message(type=MT.APP_RESP, frm=2, term=r.term + 1))
    assert r.state == StateType.FOLLOWER
