"""Replica placement (design §5, §6): consistent-hash rings per AZ, and initial partitioning.

Rules:

* One :class:`uhashring.HashRing` per AZ over that AZ's nodes, weighted by capacity. The desired
  replica of partition P in AZ X is ``ring_X.get_node(str(P))``; an unhealthy node is skipped by
  walking the ring from that point (``ring.range``), so a dead node's partitions spread over the
  AZ's other nodes instead of piling onto one neighbour. Adding a node to an AZ moves about 1/n
  of that AZ's replicas and nothing in other AZs.
* Exactly one replica per AZ: a partition's replicas are in ``replication_factor`` distinct
  AZs, chosen deterministically (AZs sorted by name; the first ``replication_factor`` AZs that
  have a healthy node). Fewer such AZs than the replication factor is an error, never a
  silently under-replicated partition.
* Rings hash with md5 (uhashring's ketama default), a pure function of node ids and weights:
  every coordinator replica that applies the same command computes the same placement, which is
  what lets placement run *inside* the deterministic state machine.
* Initial partitioning: enough partitions for the table's throughput (a partition serves at
  most 3000 RCU and 1000 WCU) and at least one per node of the largest AZ (so leaders can
  spread over every node), with the 64-bit hash space cut evenly.

Pure functions and values; no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from uhashring import HashRing

from kuradb.keys import HASH_SPACE

__all__ = [
    "MAX_RCU_PER_PARTITION",
    "MAX_WCU_PER_PARTITION",
    "NodeSlot",
    "Placement",
    "PlacementError",
    "desired_nodes",
    "initial_partition_count",
    "split_hash_space",
]

MAX_RCU_PER_PARTITION: Final = 3000
MAX_WCU_PER_PARTITION: Final = 1000


class PlacementError(Exception):
    """Not enough healthy nodes/AZs to place a partition."""


@dataclass(frozen=True, slots=True)
class NodeSlot:
    """A node as placement sees it."""

    node_id: int
    az: str
    capacity: int = 1
    healthy: bool = True


class Placement:
    """The per-AZ rings of one cluster view. Build once, ask for many partitions."""

    def __init__(self, nodes: Iterable[NodeSlot], replication_factor: int = 3) -> None:
        if replication_factor < 1:
            raise ValueError("replication_factor must be at least 1")
        self.replication_factor = replication_factor
        by_az: dict[str, list[NodeSlot]] = {}
        for n in nodes:
            by_az.setdefault(n.az, []).append(n)
        self._nodes = {n.node_id: n for ns in by_az.values() for n in ns}
        self._rings: dict[str, HashRing] = {}
        for az, ns in sorted(by_az.items()):
            # vnodes scale with weight in uhashring; sorted so construction order never matters.
            conf = {str(n.node_id): {"weight": max(1, n.capacity)} for n in sorted(ns, key=lambda s: s.node_id)}
            self._rings[az] = HashRing(nodes=conf)

    @property
    def azs(self) -> list[str]:
        return sorted(self._rings)

    def healthy_azs(self) -> list[str]:
        return [az for az in self.azs if any(self._nodes[int(k)].healthy for k in self._rings[az].get_nodes())]

    def node_in_az(self, partition_id: int, az: str) -> int:
        """The desired node of ``partition_id`` in ``az``: its ring point, walking past
        unhealthy nodes."""
        ring = self._rings.get(az)
        if ring is None:
            raise PlacementError(f"no nodes in availability zone {az!r}")
        for entry in ring.range(str(partition_id)):
            nid = int(entry["nodename"])
            if self._nodes[nid].healthy:
                return nid
        raise PlacementError(f"no healthy node in availability zone {az!r}")

    def place(self, partition_id: int) -> list[tuple[str, int]]:
        """``(az, node_id)`` of each replica of ``partition_id``: one per AZ, in AZ order."""
        azs = self.healthy_azs()
        if len(azs) < self.replication_factor:
            raise PlacementError(
                f"placing a partition needs {self.replication_factor} availability zones with a live node, "
                f"found {len(azs)}" + (f" ({', '.join(azs)})" if azs else "")
            )
        return [(az, self.node_in_az(partition_id, az)) for az in azs[: self.replication_factor]]

    def largest_az_size(self) -> int:
        """Healthy nodes in the AZ with the most of them."""
        return max((sum(1 for k in r.get_nodes() if self._nodes[int(k)].healthy) for r in self._rings.values()), default=0)


def initial_partition_count(read_capacity: int, write_capacity: int, nodes_in_largest_az: int) -> int:
    """Partitions a new table starts with (module rules). On-demand tables pass 0/0."""
    by_throughput = max(math.ceil(read_capacity / MAX_RCU_PER_PARTITION), math.ceil(write_capacity / MAX_WCU_PER_PARTITION))
    return max(1, by_throughput, nodes_in_largest_az)


def split_hash_space(count: int) -> list[tuple[int, int]]:
    """``count`` contiguous half-open ranges covering [0, 2**64), as even as integers allow."""
    if count < 1:
        raise ValueError("at least one partition")
    bounds = [HASH_SPACE * i // count for i in range(count + 1)]
    return [(bounds[i], bounds[i + 1]) for i in range(count)]


def desired_nodes(placement: Placement, partition_ids: Iterable[int]) -> Mapping[int, list[tuple[str, int]]]:
    """The desired placement of many partitions (what a future placement checker compares the
    map against)."""
    return {pid: placement.place(pid) for pid in partition_ids}
