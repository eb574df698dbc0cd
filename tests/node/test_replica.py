"""Unit tests of descriptors, the replica catalog and PartitionReplica (no network).

A single-voter group is driven by a minimal Ready cycle written here (persist -> apply ->
advance), so proposal bookkeeping, splits, snapshots and compaction are tested without gRPC.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kuradb.keys import HASH_SPACE
from kuradb.model.schema import KeySchema, TableInfo
from kuradb.node.codec import WriteResult, encode_command
from kuradb.node.descriptor import Catalog, Epoch, HostedReplica, PartitionDescriptor, ReplicaInfo, Role
from kuradb.node.engine import WriteBatch
from kuradb.node.leveldb_engine import LevelDBEngine
from kuradb.node.raft_storage import RaftLogDB
from kuradb.node.replica import (
    EntryKind,
    PartitionReplica,
    ReplicaConfig,
    Unavailable,
    decode_entry_data,
    encode_entry_data,
)
from kuradb.raft.rawnode import Ready
from kuradb.raft.types import ConfState, Entry

TABLE = TableInfo(table_id=5, name="t", key_schema=KeySchema("pk", "S"))
HALF = HASH_SPACE // 2


def desc(pid: int = 1, replicas: tuple[ReplicaInfo, ...] = (ReplicaInfo(10, 1, "az-a"),), **kw: Any) -> PartitionDescriptor:
    return PartitionDescriptor(pid, TABLE, kw.pop("start_h", 0), kw.pop("end_h", HASH_SPACE), replicas=replicas, **kw)


# ----------------------------------------------------------------------------- descriptors


def test_descriptor_round_trips_through_protobuf_including_the_max_end() -> None:
    d = desc(replicas=(ReplicaInfo(10, 1, "a"), ReplicaInfo(11, 2, "b", Role.LEARNER)), epoch=Epoch(3, 4))
    pb = d.to_pb()
    assert pb.end_is_max and pb.end_h == 0
    assert PartitionDescriptor.from_pb(pb) == d
    half = desc(end_h=HALF)
    assert PartitionDescriptor.decode(half.encode()) == half


def test_split_narrows_parent_and_gives_child_the_same_members_positionally() -> None:
    d = desc(replicas=(ReplicaInfo(10, 1, "a"), ReplicaInfo(11, 2, "b"), ReplicaInfo(12, 3, "c", Role.LEARNER)))
    parent, child = d.split(HALF, 2, (20, 21, 22))
    assert (parent.start_h, parent.end_h, child.start_h, child.end_h) == (0, HALF, HALF, HASH_SPACE)
    assert parent.epoch == child.epoch == Epoch(2, 1)
    assert [(r.replica_id, r.node_id, r.role) for r in child.replicas] == [
        (20, 1, Role.VOTER), (21, 2, Role.VOTER), (22, 3, Role.LEARNER)]  # fmt: skip
    assert child.initial_conf_state() == ConfState(voters=(20, 21), learners=(22,))
    with pytest.raises(ValueError):
        d.split(0, 2, (20, 21, 22))
    with pytest.raises(ValueError):
        d.split(HALF, 2, (20,))


def test_membership_change_bumps_conf_ver_and_needs_node_of_new_replicas() -> None:
    d = desc(replicas=(ReplicaInfo(10, 1, "a"), ReplicaInfo(11, 2, "b")))
    new = d.with_membership(ConfState(voters=(10, 11), learners=(12,)), {12: ReplicaInfo(12, 4, "d")})
    assert new.epoch == Epoch(1, 2)
    assert new.replica(12) == ReplicaInfo(12, 4, "d", Role.LEARNER)
    assert d.with_membership(ConfState(voters=(10,)), {}).replicas == (ReplicaInfo(10, 1, "a"),)
    with pytest.raises(ValueError):
        d.with_membership(ConfState(voters=(10, 11, 13)), {})


def test_catalog_persists_hosted_replicas_outside_every_table(tmp_path: Path) -> None:
    eng = LevelDBEngine(tmp_path / "db")
    try:
        b = WriteBatch()
        recs = [HostedReplica(desc(1, end_h=HALF), 10, 7, True), HostedReplica(desc(2, start_h=HALF), 20, 0, False)]
        for r in recs:
            Catalog.put(b, r)
        eng.write(b, sync=True)
        assert list(Catalog(eng).load()) == recs
        b = WriteBatch()
        Catalog.delete(b, 1)
        eng.write(b, sync=True)
        assert [r.descriptor.partition_id for r in Catalog(eng).load()] == [2]
    finally:
        eng.close()


def test_entry_data_round_trip() -> None:
    data = encode_entry_data(EntryKind.SPLIT, b"id", [1, 2, [3], 1])
    assert decode_entry_data(data) == (EntryKind.SPLIT, b"id", [1, 2, [3], 1])


# ----------------------------------------------------------------------------- replica


class Host:
    def __init__(self) -> None:
        self.children: list[tuple[HostedReplica, bool]] = []

    def create_split_child(self, child: HostedReplica, campaign: bool) -> None:
        self.children.append((child, campaign))


class Rig:
    """One single-voter replica on real LevelDBs, driven synchronously."""

    def __init__(self, root: Path, compact_after: int = 10_000) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.loop = asyncio.new_event_loop()
        self.compact_after = compact_after
        self.host = Host()
        self.open()

    def open(self, rec: HostedReplica | None = None) -> None:
        self.engine = LevelDBEngine(self.root / "data")
        self.logdb = RaftLogDB(self.root / "raft")
        if rec is None:
            rec = HostedReplica(desc(), 10)
            self.logdb.bootstrap(1, rec.descriptor.initial_conf_state())
            b = WriteBatch()
            Catalog.put(b, rec)
            self.engine.write(b, sync=True)
        self.r = PartitionReplica(rec, self.engine, self.logdb, self.host, ReplicaConfig(compact_after=self.compact_after))

    def close(self) -> None:
        self.logdb.close()
        self.engine.close()

    def cycle(self) -> None:
        while self.r.raw.has_ready():
            rd = self.r.raw.ready()
            b = self.logdb.begin()
            if rd.snapshot is not None:
                b.apply_snapshot(1, rd.snapshot.metadata)
            b.append(1, rd.entries)
            if rd.hard_state is not None:
                b.set_hard_state(1, rd.hard_state)
            b.commit(sync=True)
            self.r.on_soft_state(rd)
            self.r.apply(rd)
            self.r.raw.advance(rd)
            self.r.maybe_compact()

    def elect(self) -> None:
        self.r.raw.campaign()
        self.cycle()
        assert self.r.is_leader

    def put(self, key: str) -> asyncio.Future[Any]:
        fut = self.loop.create_future()
        self.r.propose_data("PutItem", {"TableName": "t", "Item": {"pk": {"S": key}}}, None, fut)
        return fut


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    r = Rig(tmp_path)
    yield r
    r.close()
    r.loop.close()


def test_proposal_resolves_on_apply_and_non_leader_refuses(rig: Rig) -> None:
    with pytest.raises(Unavailable) as e:
        rig.put("a")
    assert e.value.code == "NOT_LEADER"
    rig.elect()
    fut = rig.put("a")
    assert not fut.done()
    rig.cycle()
    assert isinstance(fut.result(), WriteResult) and fut.result().error is None
    assert rig.r.sm.stats().keys == 1


def test_proposal_replaced_at_its_index_fails_not_leader_never_a_wrong_answer(rig: Rig) -> None:
    rig.elect()
    fut = rig.put("mine")
    index = rig.r.raw.raft.raft_log.last_index()
    other = encode_entry_data(EntryKind.DATA, b"someone-else", encode_command("PutItem", {"TableName": "t", "Item": {"pk": {"S": "theirs"}}}))
    rig.r.apply(Ready(committed_entries=[Entry(term=rig.r.raw.term, index=index, data=other)]))
    assert isinstance(fut.exception(), Unavailable) and fut.exception().code == "NOT_LEADER"  # type: ignore[union-attr]


def test_split_applies_once_and_persists_both_descriptors(rig: Rig, tmp_path: Path) -> None:
    rig.elect()
    rig.cycle()
    fut = rig.loop.create_future()
    rig.r.propose_split(HALF, 2, [20], 1, fut)
    rig.cycle()
    assert fut.done() and fut.exception() is None
    assert (rig.r.descriptor.end_h, rig.r.descriptor.epoch.version, rig.r.sm.end_h) == (HALF, 2, HALF)
    [(child, campaign)] = rig.host.children
    assert campaign and child.replica_id == 20 and child.descriptor.start_h == HALF
    assert rig.logdb.group(2).first_index() == 2  # bootstrapped: snapshot at index 1
    assert {r.descriptor.partition_id: r.descriptor.end_h for r in Catalog(rig.engine).load()} == {1: HALF, 2: HASH_SPACE}
    # a split planned against the old epoch is refused deterministically
    fut2 = rig.loop.create_future()
    rig.r.propose_split(HALF // 2, 3, [30], 1, fut2)
    rig.cycle()
    assert isinstance(fut2.exception(), Unavailable) and fut2.exception().code == "EPOCH_NOT_MATCH"  # type: ignore[union-attr]
    assert rig.r.descriptor.end_h == HALF


def test_restart_replays_the_log_without_reapplying(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.elect()
    futs = [rig.put(f"k{i}") for i in range(5)]
    fut = rig.loop.create_future()
    rig.r.propose_split(HALF, 2, [20], 1, fut)
    rig.cycle()
    assert all(f.done() for f in futs)
    applied = rig.r.sm.applied_index
    rig.close()
    rig.engine = LevelDBEngine(tmp_path / "data")
    rec1 = next(r for r in Catalog(rig.engine).load() if r.descriptor.partition_id == 1)
    rig.engine.close()
    rig.host = Host()
    rig.open(rec1)
    rig.r.raw.campaign()
    rig.cycle()
    assert rig.r.sm.applied_index >= applied
    assert rig.r.descriptor.end_h == HALF and rig.r.descriptor.epoch.version == 2
    assert rig.host.children == []  # the split entry was not applied a second time
    rig.close()
    rig.loop.close()


def test_log_compaction_after_threshold_keeps_serving(tmp_path: Path) -> None:
    rig = Rig(tmp_path, compact_after=10)
    rig.elect()
    for i in range(30):
        rig.put(f"k{i}")
        rig.cycle()
    assert rig.r.storage.first_index() > 10
    assert rig.r.sm.stats().keys == 30
    rig.close()
    rig.loop.close()


def test_snapshot_install_replaces_range_only_when_newer(rig: Rig, tmp_path: Path) -> None:
    rig.elect()
    for i in range(3):
        rig.put(f"old{i}")
    rig.cycle()
    # an image from another replica: one key, far ahead in the log
    src = Rig(tmp_path / "src")
    src.elect()
    src.put("fresh")
    src.cycle()
    image, handle = src.r.snapshot_image()
    pairs = list(image.pairs)
    handle.close()
    assert not rig.r.install_snapshot(1, image.descriptor, pairs)  # not newer: ignored
    assert rig.r.install_snapshot(1000, image.descriptor, pairs)
    assert rig.r.sm.stats().keys == 1
    assert rig.r.record.applied_at == 1000
    src.close()
    src.loop.close()
