"""Unit tests of the simulator's parts: network, disk, state machine and checker."""

from __future__ import annotations

import random

import pytest

from kuradb.raft.sim.checker import Checker, Violation
from kuradb.raft.sim.disk import SimDisk
from kuradb.raft.sim.kv import KVStateMachine, Write
from kuradb.raft.sim.network import NetworkConfig, SimNetwork
from kuradb.raft.storage import MemoryStorage
from kuradb.raft.types import ConfState, Entry, HardState, Message, MessageType, Snapshot, SnapshotMetadata


def _msg(frm: int, to: int, index: int = 0) -> Message:
    return Message(type=MessageType.APP, frm=frm, to=to, index=index, entries=[Entry(1, index + 1, data=b"x")])


def _drain(net: SimNetwork, until: int) -> list[Message]:
    out = []
    while (m := net.pop_due(until)) is not None:
        out.append(m)
    return out


# -- network --------------------------------------------------------------------------------------


def test_network_delivers_private_copies_in_latency_order() -> None:
    net = SimNetwork(random.Random(1), NetworkConfig(min_latency=1, max_latency=50))
    sent = [_msg(1, 2, i) for i in range(20)]
    for m in sent:
        assert net.send(0, m)
    got = _drain(net, 1000)
    assert sorted(m.index for m in got) == list(range(20))
    assert [m.index for m in got] != list(range(20))  # reordered
    assert all(g is not s and g.entries[0] is not s.entries[0] for g in got for s in sent if s.index == g.index)


def test_partitions_block_one_or_both_ways_and_eat_in_flight_messages() -> None:
    net = SimNetwork(random.Random(2), NetworkConfig(min_latency=10, max_latency=10))
    net.send(0, _msg(1, 2))
    net.partition([1], [2, 3], symmetric=False)
    assert not net.send(0, _msg(1, 3))
    assert net.send(0, _msg(3, 1))
    assert [(m.frm, m.to) for m in _drain(net, 100)] == [(3, 1)]  # 1->2 was in flight: eaten
    net.heal()
    assert net.send(100, _msg(1, 2))
    assert len(_drain(net, 200)) == 1


def test_drops_and_duplicates_follow_rates_and_snapshot_losses_are_reported() -> None:
    net = SimNetwork(random.Random(3), NetworkConfig(drop=0.5, duplicate=0.5))
    for _ in range(400):
        net.send(0, Message(type=MessageType.SNAP, frm=1, to=2))
    delivered = len(_drain(net, 10_000))
    assert 150 < net.dropped < 250
    assert delivered > 400 - net.dropped  # duplicates
    assert len(net.lost_snapshots) == net.dropped


# -- disk -----------------------------------------------------------------------------------------


def _boot() -> SimDisk:
    snap = Snapshot(SnapshotMetadata(1, 1, ConfState(voters=(1, 2, 3))), KVStateMachine(applied=1).encode())
    return SimDisk.bootstrap(snap, HardState(term=1, commit=1))


def test_crash_loses_exactly_the_unsynced_writes() -> None:
    disk = _boot()
    disk.write_entries([Entry(1, 2), Entry(1, 3)])
    disk.write_hard_state(HardState(term=2, vote=1, commit=2))
    disk.sync()
    disk.write_entries([Entry(2, 4)])
    disk.write_hard_state(HardState(term=2, vote=1, commit=3))
    assert disk.storage.last_index() == 4
    disk.crash()
    assert disk.storage.last_index() == 3
    assert disk.storage.initial_state()[0] == HardState(term=2, vote=1, commit=2)
    assert disk.storage.initial_state()[1].voters == (1, 2, 3)


def test_conflicting_append_and_compaction_survive_a_crash() -> None:
    disk = _boot()
    disk.write_entries([Entry(1, 2), Entry(1, 3), Entry(1, 4)])
    disk.write_entries([Entry(2, 3)])  # truncates 3..4
    disk.write_hard_state(HardState(term=2, commit=3))
    disk.create_snapshot(2, ConfState(voters=(1, 2, 3)), b"img")
    disk.crash()
    st = disk.storage
    assert (st.first_index(), st.last_index(), st.term(3)) == (3, 3, 2)
    assert st.snapshot().metadata.index == 2 and st.snapshot().data == b"img"


def test_installed_snapshot_replaces_the_durable_log() -> None:
    disk = _boot()
    disk.write_entries([Entry(1, 2)])
    disk.sync()
    disk.write_snapshot(Snapshot(SnapshotMetadata(10, 3, ConfState(voters=(1, 2))), b"s"))
    disk.sync()
    disk.crash()
    assert (disk.storage.first_index(), disk.storage.last_index()) == (11, 10)


# -- state machine --------------------------------------------------------------------------------


def test_kv_dedups_by_client_sequence_and_snapshots_round_trip() -> None:
    kv = KVStateMachine(applied=1)
    assert kv.apply(2, Write(1, 1, 0).encode()) == Write(1, 1, 0)
    assert kv.apply(3, Write(1, 1, 0).encode()) is None  # duplicate
    kv.apply(4, Write(2, 1, 5).encode())
    kv.skip(5)
    kv.apply(6, b"")
    back = KVStateMachine.decode(kv.encode())
    assert back == kv and back.get(5) == (2, 1) and back.applied == 6
    with pytest.raises(AssertionError):
        kv.apply(8, b"")


# -- checker --------------------------------------------------------------------------------------


def _log(*terms: int) -> MemoryStorage:
    ms = MemoryStorage()
    ms.append([Entry(t, i + 1) for i, t in enumerate(terms)])
    return ms


def test_two_leaders_in_one_term_is_caught() -> None:
    c = Checker()
    c.on_leader(1, 5, _log(1))
    c.on_leader(1, 5, _log(1))
    with pytest.raises(Violation, match="two leaders") as e:
        c.on_leader(2, 5, _log(1))
    assert e.value.invariant == "election safety"


def test_leader_without_a_committed_entry_is_caught() -> None:
    c = Checker()
    c.on_commit(1, 2, _log(1, 2))
    c.on_leader(3, 3, _log(1, 2, 3))
    with pytest.raises(Violation) as e:
        c.on_leader(2, 4, _log(1, 3))
    assert e.value.invariant == "leader completeness"


def test_log_matching_and_committed_overwrite_are_caught() -> None:
    c = Checker()
    c.on_persist(1, [Entry(1, 1, data=b"a")], _log(1))
    with pytest.raises(Violation, match="differs"):
        c.on_persist(2, [Entry(1, 1, data=b"b")], _log(1))
    c.on_commit(1, 1, _log(1))
    with pytest.raises(Violation, match="overwrote"):
        c.before_persist(1, [Entry(2, 1)], _log(1))


def test_stale_read_is_caught_and_fresh_read_passes() -> None:
    c = Checker()
    for i, w in enumerate([Write(1, 1, 0), Write(1, 2, 0)], start=1):
        e = Entry(1, i, data=w.encode())
        c.on_apply(1, e)
        c.on_ack(1, w.pid, w.key, i)
    c.on_read_invoked(10, 0, now=5)
    c.on_read_completed(1, 10, (1, 2), now=6)
    c.on_read_invoked(11, 0, now=7)
    with pytest.raises(Violation) as e:
        c.on_read_completed(2, 11, (1, 1), now=8)
    assert e.value.invariant == "linearizable read"


def test_ack_for_another_proposal_is_caught() -> None:
    c = Checker()
    c.on_apply(1, Entry(1, 1, data=Write(1, 1, 0).encode()))
    with pytest.raises(Violation) as e:
        c.on_ack(1, (2, 1), 0, 1)
    assert e.value.invariant == "ack"
