"""The RawNode/Ready contract."""

from __future__ import annotations

import random

import pytest

from kuradb.raft.errors import StepLocalMessage, StepPeerNotFound
from kuradb.raft.progress import ProgressState
from kuradb.raft.rawnode import Config, RawNode
from kuradb.raft.storage import MemoryStorage
from kuradb.raft.types import ConfState, HardState, Message, MessageType, SoftState, StateType
from tests.raft.network import Network

MT = MessageType


def _node(i: int = 1, voters: tuple[int, ...] = (1, 2, 3)) -> tuple[RawNode, MemoryStorage]:
    st = MemoryStorage.bootstrap(ConfState(voters=voters))
    return RawNode(Config(id=i, rng=random.Random(1), pre_vote=False), st), st


def test_ready_persist_before_send_and_must_sync() -> None:
    """Raft paper fig. 2: term and vote are persisted before responding; the Ready carries the
    new hard state (must_sync) together with the vote requests that depend on it."""
    n, _ = _node()
    n.campaign()
    rd = n.ready()
    assert rd.hard_state == HardState(term=2, vote=1, commit=1) and rd.must_sync
    assert rd.soft_state == SoftState(leader=0, state=StateType.CANDIDATE)
    assert {m.to for m in rd.messages} == {2, 3}
    n.advance(rd)
    assert not n.has_ready()


def test_commit_only_change_needs_no_sync() -> None:
    """Only term, vote and new entries need an fsync; the commit index can be recovered."""
    net = Network.create([1, 2, 3])
    net.elect(1)
    net.isolate(2)
    net.propose(1, b"a")  # committed by {1, 3}; 2 is behind
    net.heal()
    n2 = net[2]
    n2.step(_append_from(net, 1, 2))
    rd = n2.ready()
    assert rd.entries and rd.must_sync
    net.replicas[2].storage.append(rd.entries)
    n2.advance(rd)
    n2.step(Message(type=MT.HEARTBEAT, frm=1, to=2, term=2, commit=3))
    rd = n2.ready()
    assert rd.hard_state is not None and rd.hard_state.commit == 3 and not rd.must_sync


def _append_from(net: Network, leader: int, to: int) -> Message:
    log = net.replicas[leader].node.raft.raft_log
    return Message(type=MT.APP, frm=leader, to=to, term=2, index=2, log_term=2, entries=log.entries(3, None), commit=2)


def test_step_rejects_local_messages_and_unknown_responders() -> None:
    n, _ = _node()
    with pytest.raises(StepLocalMessage):
        n.step(Message(type=MT.HUP))
    with pytest.raises(StepPeerNotFound):
        n.step(Message(type=MT.APP_RESP, frm=42, term=1))


def test_status_and_properties() -> None:
    net = Network.create([1, 2, 3])
    net.elect(1)
    s = net[1].status()
    assert s.soft_state == SoftState(leader=1, state=StateType.LEADER)
    assert set(s.progress) == {1, 2, 3} and s.applied == 2
    assert net[2].status().progress == {}
    assert (net[2].leader, net[2].term, net[2].state, net[2].conf_state.voters) == (1, 2, StateType.FOLLOWER, (1, 2, 3))


def test_report_unreachable_moves_to_probe() -> None:
    net = Network.create([1, 2, 3])
    net.elect(1)
    net.propose(1, b"a")
    assert net[1].status().progress[2].state == ProgressState.REPLICATE
    net[1].report_unreachable(2)
    assert net[1].status().progress[2].state == ProgressState.PROBE


def test_invalid_config_rejected() -> None:
    with pytest.raises(ValueError, match="election tick"):
        RawNode(Config(id=1, election_tick=1), MemoryStorage())
    with pytest.raises(ValueError, match="unknown raft bugs"):
        RawNode(Config(id=1, bugs=frozenset({"nope"})), MemoryStorage())
