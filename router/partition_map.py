"""The router's cached partition map: which partition holds a key, and where its replicas are.

Rules and invariants:

* The "ring" is the map itself (design §5): per table, the partitions sorted by ``start_h``;
  a key's partition is found by bisecting its partition hash (kuradb.keys.partition_hash of the
  partition key value) into the start hashes. A gap (a hole left by a partial update) answers
  ``None``, which callers treat as "reload the map" — never as a guess.
* A full map from the coordinator (WatchPartitionMap / GetPartitionMap) replaces everything,
  unless its ``map_version`` is older than the one held (a lagging coordinator member).
* Between full maps the cache is patched only from EPOCH_NOT_MATCH answers, and a descriptor is
  accepted only when it is NEWER than every cached descriptor it overlaps: same partition id ->
  compare (version, conf_ver); different ids (a split's parent and child) -> compare
  ``version``, which a split bumps on both halves. So a stale answer can never roll the cache
  back. Overlapped older entries are dropped.
* The leader cache (partition id -> node id) is advisory: learned from NOT_LEADER hints and
  from descriptors' ``leader_hint``; it is forgotten when the partition's replicas change. A
  split's halves inherit the parent's cached leader as a first guess.
* Pure: no I/O, no clocks, no globals; one instance per router (tests run many).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from kuradb.keys import HASH_SPACE
from kuradb.model.schema import KeySchema, TableInfo
from kuradb.node.descriptor import PartitionDescriptor, Role
from kuradb.proto import coordinator_pb2 as cpb
from kuradb.proto import internal_pb2 as ipb


@dataclass(frozen=True, slots=True)
class NodeAddress:
    """What the router needs to know about a node: where it listens and in which AZ."""

    node_id: int
    address: str
    az: str = ""
    alive: bool = True


@dataclass(frozen=True, slots=True)
class TableEntry:
    info: TableInfo
    status: str


def _epoch_key(d: PartitionDescriptor) -> tuple[int, int]:
    return (d.epoch.version, d.epoch.conf_ver)


def is_newer(candidate: PartitionDescriptor, cached: PartitionDescriptor) -> bool:
    """Whether ``candidate`` may replace the overlapping ``cached`` descriptor (module rules)."""
    if candidate.partition_id == cached.partition_id:
        return _epoch_key(candidate) > _epoch_key(cached)
    return candidate.epoch.version > cached.epoch.version


@dataclass
class _TableRing:
    """One table's partitions sorted by start hash (parallel lists for bisect)."""

    starts: list[int] = field(default_factory=list)
    parts: list[PartitionDescriptor] = field(default_factory=list)

    def find(self, h: int) -> PartitionDescriptor | None:
        i = bisect.bisect_right(self.starts, h) - 1
        if i < 0:
            return None
        p = self.parts[i]
        return p if p.contains(h) else None

    def overlapping(self, start_h: int, end_h: int) -> list[int]:
        """Indexes of the partitions intersecting [start_h, end_h), in hash order."""
        i = max(bisect.bisect_right(self.starts, start_h) - 1, 0)
        out = []
        while i < len(self.parts) and self.parts[i].start_h < end_h:
            if self.parts[i].end_h > start_h:
                out.append(i)
            i += 1
        return out

    def insert(self, d: PartitionDescriptor) -> None:
        i = bisect.bisect_left(self.starts, d.start_h)
        self.starts.insert(i, d.start_h)
        self.parts.insert(i, d)

    def remove(self, indexes: Iterable[int]) -> None:
        for i in sorted(indexes, reverse=True):
            del self.starts[i]
            del self.parts[i]


class PartitionMap:
    """See the module docstring. Table lookups are by name (what requests carry)."""

    def __init__(self) -> None:
        self.version = 0
        self.tables: dict[str, TableEntry] = {}
        self.nodes: dict[int, NodeAddress] = {}
        self._rings: dict[int, _TableRing] = {}  # table id -> ring
        self._by_id: dict[int, PartitionDescriptor] = {}
        self._leaders: dict[int, int] = {}  # partition id -> node id

    # ------------------------------------------------------------------ full maps

    def replace(self, m: cpb.PartitionMap) -> bool:
        """Install a full map; False (and nothing changed) if it is older than the one held."""
        if m.map_version < self.version:
            return False
        old_leaders = self._leaders
        self.version = m.map_version
        self.tables = {}
        for t in m.tables:
            ks = t.key_schema
            schema = KeySchema(ks.hash_name, ks.hash_type, ks.range_name or None, ks.range_type or None)
            self.tables[t.name] = TableEntry(TableInfo(t.table_id, t.name, schema), t.status)
        self.nodes = {n.node_id: NodeAddress(n.node_id, n.address, n.az, n.alive) for n in m.nodes}
        self._rings = {}
        self._by_id = {}
        self._leaders = {}
        for pd in m.partitions:
            d = PartitionDescriptor.from_pb(pd)
            self._rings.setdefault(d.table.table_id, _TableRing()).insert(d)
            self._by_id[d.partition_id] = d
            leader = self._hint_node(d, pd.leader_hint) or old_leaders.get(d.partition_id)
            if leader and self._is_member(d, leader):
                self._leaders[d.partition_id] = leader
        return True

    @staticmethod
    def _hint_node(d: PartitionDescriptor, replica_id: int) -> int | None:
        r = d.replica(replica_id) if replica_id else None
        return r.node_id if r is not None else None

    @staticmethod
    def _is_member(d: PartitionDescriptor, node_id: int) -> bool:
        return any(r.node_id == node_id for r in d.replicas)

    # ------------------------------------------------------------------ lookups

    def table(self, name: str) -> TableInfo | None:
        entry = self.tables.get(name)
        return entry.info if entry is not None else None

    def table_infos(self) -> dict[str, TableInfo]:
        return {name: e.info for name, e in self.tables.items()}

    def lookup(self, table_id: int, h: int) -> PartitionDescriptor | None:
        """The partition of ``table_id`` whose range holds hash ``h``, or None (reload)."""
        ring = self._rings.get(table_id)
        return ring.find(h) if ring is not None else None

    def partition(self, partition_id: int) -> PartitionDescriptor | None:
        return self._by_id.get(partition_id)

    def partitions_between(self, table_id: int, start_h: int, end_h: int) -> list[PartitionDescriptor]:
        """The cached partitions intersecting [start_h, end_h), in hash order (may have gaps)."""
        ring = self._rings.get(table_id)
        if ring is None:
            return []
        return [ring.parts[i] for i in ring.overlapping(start_h, end_h)]

    def covers(self, table_id: int, start_h: int = 0, end_h: int = HASH_SPACE) -> bool:
        """Whether [start_h, end_h) is tiled by cached partitions without a gap."""
        pos = start_h
        for p in self.partitions_between(table_id, start_h, end_h):
            if p.start_h > pos:
                return False
            pos = max(pos, p.end_h)
        return pos >= end_h

    def all_partitions(self) -> Iterator[PartitionDescriptor]:
        for ring in self._rings.values():
            yield from ring.parts

    def leader(self, partition_id: int) -> int | None:
        return self._leaders.get(partition_id)

    def address(self, node_id: int) -> str | None:
        n = self.nodes.get(node_id)
        return n.address if n is not None and n.address else None

    def az_of(self, node_id: int) -> str:
        n = self.nodes.get(node_id)
        return n.az if n is not None else ""

    # ------------------------------------------------------------------ patches from nodes

    def set_leader(self, partition_id: int, node_id: int, address: str = "") -> None:
        """Record a NOT_LEADER hint (and the leader's address if the map lacks it)."""
        if node_id <= 0:
            self._leaders.pop(partition_id, None)
            return
        self._leaders[partition_id] = node_id
        if address and self.address(node_id) is None:
            self.nodes[node_id] = NodeAddress(node_id, address, "", True)

    def forget_leader(self, partition_id: int, node_id: int | None = None) -> None:
        """Drop the cached leader (only if it is still ``node_id``, when given)."""
        if node_id is None or self._leaders.get(partition_id) == node_id:
            self._leaders.pop(partition_id, None)

    def apply_current(self, current: Iterable[ipb.PartitionDescriptor]) -> bool:
        """Patch the cache with an EPOCH_NOT_MATCH answer's descriptors; True if anything changed.

        Each descriptor is accepted only if newer than every cached one it overlaps (module rules).
        """
        changed = False
        incoming = []
        for pd in current:
            d = PartitionDescriptor.from_pb(pd)
            if self.tables and d.table.name not in self.tables:
                continue  # a table this router does not know (yet): the next full map decides
            ring = self._rings.setdefault(d.table.table_id, _TableRing())
            # Leaders of the cached partitions it covers, taken BEFORE any patching (see below).
            covered = {self._leaders.get(ring.parts[i].partition_id) for i in ring.overlapping(d.start_h, d.end_h)}
            incoming.append((pd, d, ring, covered - {None}))
        for pd, d, ring, inherited in incoming:
            idx = ring.overlapping(d.start_h, d.end_h)
            same = self._by_id.get(d.partition_id)
            if same is not None and not is_newer(d, same):
                continue
            if not all(is_newer(d, ring.parts[i]) for i in idx):
                continue
            for i in idx:
                old = ring.parts[i]
                self._by_id.pop(old.partition_id, None)
                if old.partition_id != d.partition_id or old.replicas != d.replicas:
                    self._leaders.pop(old.partition_id, None)
            # Leader guess: the answer's hint, else the covering old partition's leader (a split's
            # child starts on the same members, and its first leader is usually the parent's).
            guess = self._hint_node(d, pd.leader_hint) or (next(iter(inherited)) if len(inherited) == 1 else None)
            if guess and any(r.node_id == guess and r.role == Role.VOTER for r in d.replicas):
                self._leaders[d.partition_id] = guess
            if same is not None and same not in [ring.parts[i] for i in idx]:
                # Its old range no longer overlaps the new one (ranges only narrow, so this is a
                # cache that skipped steps): drop the old entry so an id is in the ring once.
                other = self._rings.get(same.table.table_id)
                if other is not None and same in other.parts:
                    other.remove([other.parts.index(same)])
            ring.remove(idx)
            ring.insert(d)
            self._by_id[d.partition_id] = d
            changed = True
        return changed

    def invalidate(self, partition_id: int) -> None:
        """Drop one partition from the cache (PARTITION_NOT_FOUND / KEY_NOT_IN_PARTITION): its
        range becomes a gap, so lookups there fail until the reloaded map arrives."""
        d = self._by_id.pop(partition_id, None)
        self._leaders.pop(partition_id, None)
        if d is None:
            return
        ring = self._rings.get(d.table.table_id)
        if ring is not None and d in ring.parts:
            ring.remove([ring.parts.index(d)])
