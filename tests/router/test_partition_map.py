"""The router's partition-map cache (router/partition_map.py)."""

from __future__ import annotations

from kuradb.keys import HASH_SPACE
from kuradb.model.schema import KeySchema, TableInfo
from kuradb.node.descriptor import Epoch, PartitionDescriptor, ReplicaInfo
from kuradb.proto import coordinator_pb2 as cpb
from kuradb.proto import internal_pb2 as ipb
from kuradb.router.partition_map import PartitionMap

TABLE = TableInfo(5, "t", KeySchema("pk", "S"))
REPS = (ReplicaInfo(11, 1, "az-a"), ReplicaInfo(12, 2, "az-b"), ReplicaInfo(13, 3, "az-c"))
Q = HASH_SPACE // 4


def desc(pid: int, start: int, end: int, version: int = 1, conf: int = 1, reps=REPS) -> PartitionDescriptor:  # noqa: ANN001
    return PartitionDescriptor(pid, TABLE, start, end, Epoch(version, conf), reps)


def full_map(parts: list[PartitionDescriptor], version: int = 1, hints: dict[int, int] | None = None) -> cpb.PartitionMap:
    pbs = []
    for d in parts:
        p = d.to_pb()
        p.leader_hint = (hints or {}).get(d.partition_id, 0)
        pbs.append(p)
    ks = ipb.KeySchema(hash_name="pk", hash_type="S")
    return cpb.PartitionMap(
        map_version=version,
        tables=[cpb.TableMeta(table_id=5, name="t", key_schema=ks, status="ACTIVE")],
        partitions=pbs,
        nodes=[cpb.NodeInfo(node_id=i, address=f"127.0.0.1:{9000 + i}", az=f"az-{c}", alive=True) for i, c in ((1, "a"), (2, "b"), (3, "c"))],
    )


FOUR = [desc(1, 0, Q), desc(2, Q, 2 * Q), desc(3, 2 * Q, 3 * Q), desc(4, 3 * Q, HASH_SPACE)]


def loaded(parts: list[PartitionDescriptor] = FOUR, **kw) -> PartitionMap:  # noqa: ANN003
    m = PartitionMap()
    assert m.replace(full_map(parts, **kw))
    return m


def pid_at(m: PartitionMap, h: int) -> int | None:
    p = m.lookup(5, h)
    return p.partition_id if p is not None else None


def test_bisect_edges() -> None:
    m = loaded()
    assert pid_at(m, 0) == 1
    assert pid_at(m, Q - 1) == 1
    assert pid_at(m, Q) == 2
    assert pid_at(m, 2 * Q - 1) == 2
    assert pid_at(m, 2 * Q) == 3
    assert pid_at(m, 3 * Q) == 4
    assert pid_at(m, HASH_SPACE - 1) == 4
    assert m.lookup(99, 0) is None  # unknown table
    assert m.table("t") == TABLE and m.table("nope") is None
    assert m.address(2) == "127.0.0.1:9002" and m.az_of(3) == "az-c"


def test_single_partition_covers_everything() -> None:
    m = loaded([desc(1, 0, HASH_SPACE)])
    assert pid_at(m, 0) == pid_at(m, HASH_SPACE - 1) == 1
    assert m.covers(5)


def test_older_full_map_is_ignored_and_equal_is_reinstalled() -> None:
    m = loaded(version=5)
    assert not m.replace(full_map([desc(1, 0, HASH_SPACE)], version=4))
    assert pid_at(m, HASH_SPACE - 1) == 4
    assert m.replace(full_map([desc(9, 0, HASH_SPACE)], version=5))
    assert pid_at(m, 0) == 9


def test_leader_hints_from_the_map_and_from_nodes() -> None:
    m = loaded(hints={1: 12})
    assert m.leader(1) == 2  # replica 12 lives on node 2
    m.set_leader(2, 3)
    assert m.leader(2) == 3
    m.forget_leader(2, node_id=1)  # not the cached one: kept
    assert m.leader(2) == 3
    m.forget_leader(2, node_id=3)
    assert m.leader(2) is None
    m.set_leader(3, 7, "10.0.0.7:1")  # unknown node: its address is learned
    assert m.address(7) == "10.0.0.7:1"
    # A new full map without a hint keeps what the router learned; with a hint, the hint wins.
    m.set_leader(1, 3)
    m.replace(full_map(FOUR, version=2))
    assert m.leader(1) == 3
    m.replace(full_map(FOUR, version=3, hints={1: 11}))
    assert m.leader(1) == 1


def test_split_applied_from_epoch_not_match() -> None:
    m = loaded()
    mid = Q + Q // 2
    parent, child = desc(2, Q, mid, version=2), desc(5, mid, 2 * Q, version=2)
    assert m.apply_current([parent.to_pb(), child.to_pb()])
    assert pid_at(m, Q) == 2 and pid_at(m, mid - 1) == 2
    assert pid_at(m, mid) == 5 and pid_at(m, 2 * Q - 1) == 5
    assert m.covers(5)
    assert [p.partition_id for p in m.partitions_between(5, 0, HASH_SPACE)] == [1, 2, 5, 3, 4]


def test_child_alone_leaves_a_gap_not_a_wrong_answer() -> None:
    m = loaded()
    mid = Q + Q // 2
    assert m.apply_current([desc(5, mid, 2 * Q, version=2).to_pb()])
    assert pid_at(m, mid) == 5
    assert pid_at(m, Q) is None  # the parent's old wide range is gone: reload, don't guess
    assert not m.covers(5)


def test_only_newer_epochs_replace() -> None:
    m = loaded()
    assert not m.apply_current([desc(2, Q, 2 * Q, version=1, conf=1).to_pb()])  # same epoch
    assert not m.apply_current([desc(2, Q, 2 * Q, version=0, conf=9).to_pb()])  # older version
    newer_conf = desc(2, Q, 2 * Q, version=1, conf=2, reps=REPS[:2])
    m.set_leader(2, 3)
    assert m.apply_current([newer_conf.to_pb()])
    assert m.partition(2) == newer_conf
    assert m.leader(2) is None  # membership changed: the cached leader is forgotten
    # A stale parent (version 1) cannot roll back a split already learned (children at 2).
    mid = Q + Q // 2
    m.apply_current([desc(2, Q, mid, version=2, conf=2).to_pb(), desc(5, mid, 2 * Q, version=2).to_pb()])
    assert not m.apply_current([desc(2, Q, 2 * Q, version=1, conf=3).to_pb()])
    assert pid_at(m, mid) == 5


def test_descriptors_of_unknown_tables_are_ignored() -> None:
    m = loaded()
    other = PartitionDescriptor(50, TableInfo(77, "other", KeySchema("k", "S")), 0, HASH_SPACE, Epoch(9, 9), REPS)
    assert not m.apply_current([other.to_pb()])
    assert m.lookup(77, 0) is None


def test_invalidate_makes_a_gap() -> None:
    m = loaded()
    m.set_leader(3, 1)
    m.invalidate(3)
    assert pid_at(m, 2 * Q) is None and m.leader(3) is None and m.partition(3) is None
    assert pid_at(m, 3 * Q) == 4
    m.invalidate(3)  # idempotent
    m.replace(full_map(FOUR, version=2))
    assert pid_at(m, 2 * Q) == 3


def test_split_halves_inherit_the_parents_cached_leader() -> None:
    m = loaded(hints={2: 13})
    assert m.leader(2) == 3
    mid = Q + Q // 2
    m.apply_current([desc(2, Q, mid, version=2).to_pb(), desc(5, mid, 2 * Q, version=2).to_pb()])
    assert m.leader(2) == 3 and m.leader(5) == 3
    hinted = desc(6, mid, mid + 10, version=3).to_pb()
    hinted.leader_hint = 11  # an explicit hint beats inheritance
    m.apply_current([hinted])
    assert m.leader(6) == 1
