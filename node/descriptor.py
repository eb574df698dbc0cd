"""Partition descriptors (design §3) and the node's durable catalog of the replicas it hosts.

Rules:

* A :class:`PartitionDescriptor` is a value: every change (split, membership change) builds a
  new one. ``epoch.version`` increases on split, ``epoch.conf_ver`` on every membership change,
  so "newer" is a total order per partition that caches (router, coordinator) can rely on.
* The partition's own Raft log is the source of truth. A replica's descriptor is what it has
  *applied*: :class:`HostedReplica` records ``applied_at``, the log index of the last entry that
  changed the descriptor. Re-applying an entry at or below it (log replay after a restart, or a
  snapshot that already reflected it) leaves the descriptor alone — descriptor changes are
  idempotent by index exactly like the data (node/partition.py).
* The catalog lives in the node's data engine under partition id 0's bookkeeping prefix
  (``meta_prefix(0) + b"d" + partition id``); partition ids are positive (internal.proto rule 6)
  so it never meets a real partition's keys, and a table scan never sees it (table id 0).
  One record per partition: a node hosts at most one replica of a partition.
* Addresses are not part of the descriptor (a node may move address); the node learns peer
  addresses through its :class:`AddressBook`, fed by admin calls and peers' streams.

Pure data + (de)serialisation; the only I/O is through the engine handed to :class:`Catalog`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import msgpack

from kuradb.keys import HASH_SPACE
from kuradb.model.schema import KeySchema, TableInfo
from kuradb.node.engine import Engine, WriteBatch
from kuradb.node.partition import meta_prefix
from kuradb.proto import internal_pb2 as pb
from kuradb.raft.types import ConfState

CATALOG_PREFIX = meta_prefix(0) + b"d"


class Role(enum.IntEnum):
    VOTER = 0
    LEARNER = 1


@dataclass(frozen=True, slots=True)
class Epoch:
    version: int = 1
    conf_ver: int = 1

    def to_pb(self) -> pb.Epoch:
        return pb.Epoch(version=self.version, conf_ver=self.conf_ver)

    @classmethod
    def from_pb(cls, m: pb.Epoch) -> Epoch:
        return cls(version=m.version, conf_ver=m.conf_ver)


@dataclass(frozen=True, slots=True)
class ReplicaInfo:
    replica_id: int
    node_id: int
    az: str = ""
    role: Role = Role.VOTER

    def to_pb(self) -> pb.Replica:
        return pb.Replica(replica_id=self.replica_id, node_id=self.node_id, az=self.az, role=int(self.role))

    @classmethod
    def from_pb(cls, m: pb.Replica) -> ReplicaInfo:
        return cls(replica_id=m.replica_id, node_id=m.node_id, az=m.az, role=Role(m.role))

    def to_list(self) -> list[Any]:
        return [self.replica_id, self.node_id, self.az, int(self.role)]

    @classmethod
    def from_list(cls, v: list[Any]) -> ReplicaInfo:
        return cls(replica_id=int(v[0]), node_id=int(v[1]), az=str(v[2]), role=Role(v[3]))


@dataclass(frozen=True, slots=True)
class PartitionDescriptor:
    partition_id: int
    table: TableInfo
    start_h: int
    end_h: int  # exclusive; HASH_SPACE (2**64) for the last partition of a table
    epoch: Epoch = field(default_factory=Epoch)
    replicas: tuple[ReplicaInfo, ...] = ()

    def __post_init__(self) -> None:
        if self.partition_id <= 0:
            raise ValueError("partition ids are positive")
        if not 0 <= self.start_h < self.end_h <= HASH_SPACE:
            raise ValueError(f"bad partition range [{self.start_h}, {self.end_h})")

    def contains(self, h: int) -> bool:
        return self.start_h <= h < self.end_h

    def replica(self, replica_id: int) -> ReplicaInfo | None:
        for r in self.replicas:
            if r.replica_id == replica_id:
                return r
        return None

    def voters(self) -> tuple[int, ...]:
        return tuple(r.replica_id for r in self.replicas if r.role == Role.VOTER)

    def learners(self) -> tuple[int, ...]:
        return tuple(r.replica_id for r in self.replicas if r.role == Role.LEARNER)

    def initial_conf_state(self) -> ConfState:
        return ConfState(voters=tuple(sorted(self.voters())), learners=tuple(sorted(self.learners())))

    # -- changes (each returns a new descriptor) ------------------------------------------------

    def split(self, split_h: int, child_id: int, child_replica_ids: tuple[int, ...]) -> tuple[PartitionDescriptor, PartitionDescriptor]:
        """Parent keeps ``[start_h, split_h)``, the child gets ``[split_h, end_h)`` with the same
        members (child replica ids given positionally, in ``replicas`` order). Both get version+1:
        a request routed with the old epoch must re-learn which half holds its key."""
        if not self.start_h < split_h < self.end_h:
            raise ValueError(f"split point {split_h} is not inside [{self.start_h}, {self.end_h})")
        if len(child_replica_ids) != len(self.replicas):
            raise ValueError("one child replica id per parent replica is required")
        epoch = Epoch(self.epoch.version + 1, self.epoch.conf_ver)
        parent = replace(self, end_h=split_h, epoch=epoch)
        kids = tuple(replace(r, replica_id=c) for r, c in zip(self.replicas, child_replica_ids, strict=True))
        child = PartitionDescriptor(child_id, self.table, split_h, self.end_h, epoch, kids)
        return parent, child

    def with_membership(self, cs: ConfState, known: dict[int, ReplicaInfo]) -> PartitionDescriptor:
        """The descriptor after a membership change made ``cs`` current; bumps conf_ver.

        Voters of a joint config (incoming and outgoing) are listed as voters; ``known`` supplies
        node/az of replicas this descriptor did not list yet."""
        infos = {r.replica_id: r for r in self.replicas} | known
        voters = set(cs.voters) | set(cs.voters_outgoing)
        learners = (set(cs.learners) | set(cs.learners_next)) - voters
        reps: list[ReplicaInfo] = []
        for rid in sorted(voters | learners):
            info = infos.get(rid)
            if info is None:
                raise ValueError(f"no node known for replica {rid}")
            reps.append(replace(info, role=Role.VOTER if rid in voters else Role.LEARNER))
        return replace(self, epoch=Epoch(self.epoch.version, self.epoch.conf_ver + 1), replicas=tuple(reps))

    # -- wire and disk forms -------------------------------------------------------------------

    def to_pb(self) -> pb.PartitionDescriptor:
        ks = self.table.key_schema
        return pb.PartitionDescriptor(
            id=self.partition_id,
            table_id=self.table.table_id,
            table_name=self.table.name,
            start_h=self.start_h,
            end_h=0 if self.end_h == HASH_SPACE else self.end_h,
            end_is_max=self.end_h == HASH_SPACE,
            epoch=self.epoch.to_pb(),
            replicas=[r.to_pb() for r in self.replicas],
            key_schema=pb.KeySchema(
                hash_name=ks.hash_name, hash_type=ks.hash_type, range_name=ks.range_name or "", range_type=ks.range_type or ""
            ),
        )

    @classmethod
    def from_pb(cls, m: pb.PartitionDescriptor) -> PartitionDescriptor:
        ks = m.key_schema
        schema = KeySchema(ks.hash_name, ks.hash_type, ks.range_name or None, ks.range_type or None)
        return cls(
            partition_id=m.id,
            table=TableInfo(table_id=m.table_id, name=m.table_name, key_schema=schema),
            start_h=m.start_h,
            end_h=HASH_SPACE if m.end_is_max else m.end_h,
            epoch=Epoch.from_pb(m.epoch),
            replicas=tuple(ReplicaInfo.from_pb(r) for r in m.replicas),
        )

    def encode(self) -> bytes:
        return self.to_pb().SerializeToString()

    @classmethod
    def decode(cls, data: bytes) -> PartitionDescriptor:
        return cls.from_pb(pb.PartitionDescriptor.FromString(data))


@dataclass(frozen=True, slots=True)
class HostedReplica:
    """One catalog record: which replica of which partition this node hosts, as applied."""

    descriptor: PartitionDescriptor
    replica_id: int
    applied_at: int = 0  # log index of the last entry that changed ``descriptor``
    initial_member: bool = True  # False: created empty during a move; never campaigns uncontacted

    def encode(self) -> bytes:
        return msgpack.packb(
            [self.descriptor.encode(), self.replica_id, self.applied_at, self.initial_member], use_bin_type=True
        )

    @classmethod
    def decode(cls, data: bytes) -> HostedReplica:
        d, rid, at, initial = msgpack.unpackb(data, raw=False)
        return cls(PartitionDescriptor.decode(d), int(rid), int(at), bool(initial))


def catalog_key(partition_id: int) -> bytes:
    return CATALOG_PREFIX + partition_id.to_bytes(8, "big")


class Catalog:
    """The set of replicas hosted by one node, persisted in its data engine (see module rules)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def load(self) -> Iterator[HostedReplica]:
        hi = CATALOG_PREFIX[:-1] + bytes([CATALOG_PREFIX[-1] + 1])
        for _, v in self.engine.iterate(CATALOG_PREFIX, hi):
            yield HostedReplica.decode(v)

    @staticmethod
    def put(batch: WriteBatch, rec: HostedReplica) -> None:
        batch.put(catalog_key(rec.descriptor.partition_id), rec.encode())

    @staticmethod
    def delete(batch: WriteBatch, partition_id: int) -> None:
        batch.delete(catalog_key(partition_id))


class AddressBook:
    """node id -> gRPC address of that node. Learned, not replicated: addresses may change, and
    the newest report wins."""

    def __init__(self) -> None:
        self._addrs: dict[int, str] = {}

    def set(self, node_id: int, address: str) -> None:
        if node_id > 0 and address:
            self._addrs[node_id] = address

    def get(self, node_id: int) -> str | None:
        return self._addrs.get(node_id)

    def items(self) -> dict[int, str]:
        return dict(self._addrs)
