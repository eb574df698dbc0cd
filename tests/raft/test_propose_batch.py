"""``RawNode.propose_batch``: several normal entries proposed as ONE proposal message.

What the batch must guarantee (the node's write path relies on each point):

* the entries get consecutive indexes ``last_index()+1 ..`` in list order, all of the leader's
  current term (Raft paper §5.3: the leader appends new entries to its log);
* the leader sends them to each follower in one APP (not one APP per entry) when flow control
  and ``max_size_per_msg`` allow;
* a follower forwards the whole batch to the leader (paper §8) or raises ProposalDropped;
* all or nothing: ``max_uncommitted_entries_size`` refuses the whole batch, appending none;
* an empty batch is a no-op (no step at all, so it never raises and never produces a Ready).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kuradb.raft.errors import ProposalDropped
from kuradb.raft.types import EntryType, Message, MessageType
from tests.raft.network import Network

MT = MessageType
PROFILE = settings(max_examples=40, deadline=None)


def _leader_net(**config: object) -> Network:
    net = Network.create([1, 2, 3], **config)
    net.elect(1)
    return net


def _apps(msgs: list[Message]) -> dict[int, list[Message]]:
    out: dict[int, list[Message]] = {}
    for m in msgs:
        if m.type == MT.APP:
            out.setdefault(m.to, []).append(m)
    return out


def test_batch_gets_consecutive_indexes_in_order() -> None:
    """Paper §5.3: the leader appends the entries in the order given, at last_index()+1 onwards,
    stamped with its current term; every replica then applies them in that order."""
    net = _leader_net()
    leader = net[1].raft
    last = leader.raft_log.last_index()
    datas = [b"a", b"b", b"c", b"d"]
    net[1].propose_batch(datas)
    assert leader.raft_log.last_index() == last + len(datas)
    ents = leader.raft_log.slice(last + 1, last + len(datas) + 1, None)
    assert [(e.index, e.term, e.type, e.data) for e in ents] == [
        (last + 1 + i, leader.term, EntryType.NORMAL, d) for i, d in enumerate(datas)
    ]
    net.stabilize()
    for i in (1, 2, 3):
        assert net.applied(i) == datas


def test_one_app_per_follower_carries_the_whole_batch() -> None:
    """The point of batching: one APP per follower holding every entry of the batch, so one
    APP_RESP back, where single proposals cost one APP (and one APP_RESP) per entry each."""
    net = _leader_net()
    leader = net[1].raft
    last = leader.raft_log.last_index()
    net[1].propose_batch([b"x%d" % i for i in range(5)])
    apps = _apps(leader.msgs)
    assert sorted(apps) == [2, 3]
    for to, ms in apps.items():
        assert len(ms) == 1, to
        assert ms[0].index == last  # prev index: the batch follows straight on
        assert [e.index for e in ms[0].entries] == list(range(last + 1, last + 6))
    net.stabilize()

    # The same five writes proposed one by one send five APPs per follower.
    single = _leader_net()
    for i in range(5):
        single[1].propose(b"x%d" % i)
    assert {to: len(ms) for to, ms in _apps(single[1].raft.msgs).items()} == {2: 5, 3: 5}


def test_batch_interleaves_with_single_proposals_in_submission_order() -> None:
    net = _leader_net()
    net[1].propose(b"s1")
    net[1].propose_batch([b"b1", b"b2"])
    net[1].propose(b"s2")
    net.stabilize()
    assert net.applied(1) == net.applied(2) == net.applied(3) == [b"s1", b"b1", b"b2", b"s2"]


def test_follower_forwards_the_batch_as_one_proposal() -> None:
    """Paper §8: a follower forwards proposals to the leader; the batch stays one message and
    lands contiguously, in order."""
    net = _leader_net()
    f = net[3].raft
    net[3].propose_batch([b"f1", b"f2", b"f3"])
    props = [m for m in f.msgs if m.type == MT.PROPOSE]
    assert len(props) == 1 and props[0].to == 1
    assert [e.data for e in props[0].entries] == [b"f1", b"f2", b"f3"]
    last = net[1].raft.raft_log.last_index()
    net.stabilize()
    assert net.applied(1) == net.applied(2) == net.applied(3) == [b"f1", b"f2", b"f3"]
    ents = net[1].raft.raft_log.slice(last + 1, last + 4, None)
    assert [e.data for e in ents] == [b"f1", b"f2", b"f3"]


def test_batch_dropped_without_leader_or_forwarding() -> None:
    net = Network.create([1, 2, 3], disable_proposal_forwarding=True)
    with pytest.raises(ProposalDropped, match="no leader"):
        net[2].propose_batch([b"a", b"b"])
    net.elect(1)
    last = net[2].raft.raft_log.last_index()
    with pytest.raises(ProposalDropped, match="forwarding is disabled"):
        net[2].propose_batch([b"a", b"b"])
    assert net[2].raft.raft_log.last_index() == last and not net[2].raft.msgs


def test_batch_respects_max_uncommitted_entries_size_all_or_nothing() -> None:
    """Bounded memory (as for single proposals): a batch that would push the uncommitted payload
    past the limit is refused as a whole, so no prefix of it is in the log."""
    net = _leader_net(max_uncommitted_entries_size=10)
    net.isolate(2)
    net.isolate(3)
    leader = net[1].raft
    net[1].propose_batch([b"1234", b"5678"])  # 8 bytes
    last = leader.raft_log.last_index()
    with pytest.raises(ProposalDropped, match="uncommitted"):
        net[1].propose_batch([b"a", b"b", b"c"])  # 8 + 3 > 10
    assert leader.raft_log.last_index() == last
    assert leader.uncommitted_size == 8
    net[1].propose_batch([b"a", b"b"])  # 8 + 2 = 10: fits exactly
    assert leader.raft_log.last_index() == last + 2
    net.heal()
    net.tick([1], n=2)
    assert net.applied(2) == [b"1234", b"5678", b"a", b"b"]
    assert leader.uncommitted_size == 0


def test_oversized_batch_accepted_when_nothing_is_uncommitted() -> None:
    """Like a single proposal (etcd's rule): with nothing uncommitted any size is accepted, so a
    batch larger than the limit cannot be refused forever."""
    net = _leader_net(max_uncommitted_entries_size=4)
    net[1].propose_batch([b"123", b"456", b"789"])
    net.stabilize()
    assert net.applied(2) == [b"123", b"456", b"789"]


def test_empty_batch_is_a_no_op() -> None:
    net = _leader_net()
    net.stabilize()
    leader = net[1].raft
    last = leader.raft_log.last_index()
    net[1].propose_batch([])
    assert leader.raft_log.last_index() == last and not leader.msgs and not net[1].has_ready()
    leaderless = Network.create([1, 2, 3])
    leaderless[2].propose_batch([])  # no step, so no ProposalDropped either
    assert not leaderless[2].raft.msgs


@PROFILE
@given(st.lists(st.tuples(st.sampled_from((1, 2)), st.integers(min_value=1, max_value=6)), min_size=1, max_size=8))
def test_any_mix_of_batches_lands_contiguously_in_order(batches: list[tuple[int, int]]) -> None:
    """Whatever the batch sizes and whoever proposes (the leader, or a follower forwarding),
    every batch occupies consecutive log positions in its own order, each proposer's batches
    keep their submission order, and every replica applies the same sequence. (Batches of
    different proposers may interleave: a forwarded one reaches the leader later.)"""
    net = _leader_net()
    submitted: dict[int, list[list[bytes]]] = {1: [], 2: []}
    for k, (proposer, n) in enumerate(batches):
        datas = [b"%d.%d" % (k, j) for j in range(n)]
        net[proposer].propose_batch(datas)
        submitted[proposer].append(datas)
    net.stabilize()
    applied = net.applied(1)
    assert net.applied(2) == net.applied(3) == applied
    assert sorted(applied) == sorted(d for b in submitted[1] + submitted[2] for d in b)
    pos = {d: i for i, d in enumerate(applied)}
    for proposer, bs in submitted.items():
        starts = [pos[b[0]] for b in bs]
        assert starts == sorted(starts), proposer
        for b in bs:
            assert [pos[d] for d in b] == list(range(pos[b[0]], pos[b[0]] + len(b)))
