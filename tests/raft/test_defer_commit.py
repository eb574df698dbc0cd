"""``Config.defer_commit_broadcast``: the leader owes followers the new commit index until the
next ``RawNode.ready()`` instead of sending (often empty) APPs at once.

Rules checked here:

* Raft paper §5.3: followers learn the commit index from the leader's later AppendEntries
  ("leaderCommit"); *when* that happens is free, so deferring it changes no safety property,
  only the number of messages. With it on, an APP_RESP that advances the commit index queues no
  message by itself; ``ready()`` then sends an APP only to followers not already sent the new
  index, and an APP built in the same step phase (new writes) carries it instead.
* Liveness: every follower still converges to the leader's commit index and applies everything.
* With it off, etcd's behaviour: an immediate APP to every follower (covered by the other
  tests; here only the message counts of both modes are compared for one scenario).
"""

from __future__ import annotations

from kuradb.raft.types import Message, MessageType, StateType
from tests.raft.network import Network

MT = MessageType


def _net(defer: bool) -> Network:
    net = Network.create([1, 2, 3], defer_commit_broadcast=defer)
    net.elect(1)
    return net


def _ready_messages(net: Network, i: int) -> list[Message]:
    """Run one Ready of ``i`` by the contract and return the messages it sent (still queued)."""
    before = len(net.queue)
    assert net.handle_ready(i)
    return list(net.queue)[before:]


def _to_commit_advance(net: Network) -> int:
    """Leader 1 proposes; follower 2 stores it and acks; the APP_RESP is stepped on the leader
    (advancing its commit: 2 of 3) but no Ready of the leader is taken. 3's copies stay queued."""
    leader = net[1].raft
    net[1].propose(b"w")
    assert net.handle_ready(1)
    to2 = [m for m in net.queue if m.to == 2]
    net.queue.clear()  # 3 never gets this APP: only 2's ack advances the commit
    for m in to2:
        net[2].step(m)
    acks = _ready_messages(net, 2)
    net.queue.clear()
    before = leader.raft_log.committed
    for m in acks:
        assert m.type == MT.APP_RESP
        net[1].step(m)
    assert leader.raft_log.committed == before + 1
    return leader.raft_log.committed


def test_commit_advance_queues_no_app_until_ready() -> None:
    """With the option on, the APP_RESP that advances the commit index sends nothing by itself;
    the broadcast is owed (has_ready) and ready() sends it to both followers, since neither has
    been sent the new index (2 acked before the leader committed)."""
    net = _net(True)
    committed = _to_commit_advance(net)
    assert [m for m in net[1].raft.msgs if m.type == MT.APP] == []
    assert net[1].has_ready()
    sent = _ready_messages(net, 1)
    apps = {m.to: m for m in sent if m.type == MT.APP}
    assert sorted(apps) == [2, 3]
    assert all(m.commit == committed for m in apps.values())


def test_without_the_option_the_app_is_queued_at_once() -> None:
    net = _net(False)
    committed = _to_commit_advance(net)
    apps = [m for m in net[1].raft.msgs if m.type == MT.APP]
    assert sorted(m.to for m in apps) == [2, 3] and all(m.commit == committed for m in apps)


def test_next_write_in_the_same_step_phase_carries_the_commit_index() -> None:
    """The saving: a write proposed after the commit advance and before ready() goes out in an
    APP that already holds the new commit index, so no extra (empty) APP is sent to the
    follower that gets it. Off: the immediate empty broadcast plus the write's APP."""
    counts: dict[bool, int] = {}
    for defer in (False, True):
        net = _net(defer)
        committed = _to_commit_advance(net)
        net[1].propose(b"next")
        sent = _ready_messages(net, 1)
        to2 = [m for m in sent if m.type == MT.APP and m.to == 2]
        assert to2[-1].commit == committed and [e.data for e in to2[-1].entries] == [b"next"]
        # Every follower is sent the new commit index in this Ready, in either mode.
        for f in (2, 3):
            assert max(m.commit for m in sent if m.type == MT.APP and m.to == f) == committed
        counts[defer] = len(to2)
        net.stabilize()
        for i in (1, 2, 3):
            assert net.applied(i) == [b"w", b"next"]
    assert counts == {False: 2, True: 1}


def test_step_down_before_ready_sends_nothing_owed() -> None:
    """A leader that loses leadership between the commit advance and ready() must not send
    APPs of its old term: the owed broadcast is dropped with the leadership."""
    net = _net(True)
    _to_commit_advance(net)
    net[1].step(Message(type=MT.APP_RESP, frm=3, to=1, term=net[1].raft.term + 1))  # higher term
    assert net[1].raft.state == StateType.FOLLOWER
    sent = _ready_messages(net, 1)
    assert [m for m in sent if m.type == MT.APP] == []


def _round_driver(defer: bool, rounds: int, per_round: int, cut: tuple[int, int] | None = None) -> Network:
    """Drive the group like the node's driver: per round, a step phase (deliver everything
    queued, without Readys, and propose this round's writes as one batch on the leader), then
    one Ready per replica. Returns the network after it settled (ticks, then stabilize)."""
    net = _net(defer)
    net.stepped = 0
    for k in range(rounds):
        if cut is not None and k == rounds // 3:
            net.cut_link(*cut)
        if cut is not None and k == 2 * rounds // 3:
            net.heal()
        while net.queue:
            m = net.queue.popleft()
            if net._passes(m):
                net.stepped += 1
                net[m.to].step(m)
        net[1].propose_batch([b"%d.%d" % (k, j) for j in range(per_round)])
        for i in (1, 2, 3):
            net.handle_ready(i)
    net.tick([1], n=3)
    net.stabilize()
    return net


def test_same_scenario_fewer_messages_same_outcome() -> None:
    """Same workload, both modes: identical logs applied everywhere, strictly fewer messages
    with the option on (no empty APP and its APP_RESP per commit advance)."""
    off = _round_driver(False, rounds=30, per_round=3)
    on = _round_driver(True, rounds=30, per_round=3)
    want = [b"%d.%d" % (k, j) for k in range(30) for j in range(3)]
    for net in (off, on):
        for i in (1, 2, 3):
            assert net.applied(i) == want
    assert on.stepped < off.stepped


def test_followers_converge_with_a_link_cut_and_healed() -> None:
    """Liveness with the option on: a follower cut off for a third of the run (and the other
    one acking alone) still ends with the leader's commit index and every entry applied."""
    net = _round_driver(True, rounds=30, per_round=2, cut=(1, 3))
    want = [b"%d.%d" % (k, j) for k in range(30) for j in range(2)]
    leader_commit = net[1].raft.raft_log.committed
    for i in (1, 2, 3):
        assert net[i].raft.raft_log.committed == leader_commit
        assert net.applied(i) == want
    assert not net[1].raft.commit_broadcast_owed


def test_commit_only_advance_reaches_every_follower_through_plain_stabilize() -> None:
    """With one Ready per step (the test network), the deferred broadcast still reaches the
    followers: the last write's commit is known everywhere without any tick."""
    net = _net(True)
    for k in range(5):
        net.propose(1, b"%d" % k)
    c = net[1].raft.raft_log.committed
    assert [net[i].raft.raft_log.committed for i in (1, 2, 3)] == [c, c, c]
    assert net.applied(2) == net.applied(3) == [b"%d" % k for k in range(5)]
