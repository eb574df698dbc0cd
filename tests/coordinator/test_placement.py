"""Placement: one replica per AZ, deterministic, skips unhealthy nodes, ~1/n moves on a join."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kuradb.coordinator.placement import (
    NodeSlot,
    Placement,
    PlacementError,
    initial_partition_count,
    split_hash_space,
)
from kuradb.keys import HASH_SPACE

PROFILE = settings(max_examples=50, deadline=None)


def cluster(per_az: int, azs: tuple[str, ...] = ("a", "b", "c")) -> list[NodeSlot]:
    return [NodeSlot(i * 100 + j + 1, az) for i, az in enumerate(azs) for j in range(per_az)]


def test_one_replica_per_az_and_deterministic() -> None:
    p1, p2 = Placement(cluster(4)), Placement(list(reversed(cluster(4))))
    for pid in range(1, 200):
        reps = p1.place(pid)
        assert [az for az, _ in reps] == ["a", "b", "c"]
        assert reps == p2.place(pid)


def test_unhealthy_node_is_skipped_and_only_its_partitions_move() -> None:
    nodes = cluster(4)
    before = Placement(nodes)
    dead = nodes[0].node_id
    after = Placement([NodeSlot(n.node_id, n.az, healthy=n.node_id != dead) for n in nodes])
    for pid in range(1, 300):
        b, a = before.place(pid), after.place(pid)
        assert dead not in [n for _, n in a]
        if dead not in [n for _, n in b]:
            assert a == b  # partitions not on the dead node stay where they are


def test_adding_a_node_moves_about_one_nth_of_that_az() -> None:
    nodes = cluster(4)
    before = Placement(nodes)
    after = Placement([*nodes, NodeSlot(999, "a")])
    total = 2000
    moved_a = sum(before.node_in_az(p, "a") != after.node_in_az(p, "a") for p in range(1, total + 1))
    moved_other = sum(before.node_in_az(p, az) != after.node_in_az(p, az) for p in range(1, total + 1) for az in "bc")
    assert moved_other == 0
    assert 0.10 * total < moved_a < 0.32 * total  # ideal 1/5 = 20 %
    assert all(after.node_in_az(p, "a") in (before.node_in_az(p, "a"), 999) for p in range(1, total + 1))


def test_capacity_weights_shift_load() -> None:
    p = Placement([NodeSlot(1, "a", capacity=1), NodeSlot(2, "a", capacity=3)])
    counts = {1: 0, 2: 0}
    for pid in range(1, 2001):
        counts[p.node_in_az(pid, "a")] += 1
    assert counts[2] > 2 * counts[1]


def test_not_enough_azs_is_an_error() -> None:
    with pytest.raises(PlacementError, match="needs 3 availability zones"):
        Placement(cluster(2, ("a", "b"))).place(1)
    assert len(Placement(cluster(1, ("a",)), replication_factor=1).place(1)) == 1


def test_initial_partition_count() -> None:
    assert initial_partition_count(1, 1, 1) == 1
    assert initial_partition_count(1, 1, 3) == 3
    assert initial_partition_count(9000, 1, 1) == 3
    assert initial_partition_count(3001, 2500, 2) == 3
    assert initial_partition_count(0, 0, 0) == 1


@PROFILE
@given(st.integers(min_value=1, max_value=300))
def test_split_hash_space_covers_everything(n: int) -> None:
    ranges = split_hash_space(n)
    assert ranges[0][0] == 0 and ranges[-1][1] == HASH_SPACE
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    sizes = [e - s for s, e in ranges]
    assert max(sizes) - min(sizes) <= 1
