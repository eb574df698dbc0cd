"""The coordinator's metadata state machine: tables, nodes, the partition map, the id allocator.

Rules and invariants:

* PURE and DETERMINISTIC. :meth:`CoordinatorState.apply` is called with the same commands in
  the same order on every coordinator replica (they come from the coordinator's Raft log) and
  must produce the same state on each: no clock (times travel IN the command: ``now``), no
  randomness, no I/O, no iteration over unordered collections where order matters. Placement
  (coordinator/placement.py) is a pure function of the state and the command, so it runs here.
* A command is a plain dict ``{"op": ..., ...}`` (msgpack-friendly); :func:`encode_command` /
  :func:`decode_command` are its only byte form. The outcome of applying one is an
  :class:`Outcome`: a value or a DynamoDB error, never an exception — a command that fails
  validation at apply time (e.g. the table was created meanwhile) still counts as applied.
* Ids: table ids start at 1 (0 is reserved by the store for node bookkeeping), partition and
  replica ids start at 1; all are allocated here, durably (they are part of the state), and
  never reused. Ids seen in node reports (split children) push the allocator past them.
* The partition map is a cache of the partitions' own Raft logs (design §3): a reported
  descriptor replaces the stored one only when its epoch (version, then conf_ver) is newer; a
  leader hint is accepted only from a term at least as new as the last accepted one.
* ``map_version`` increases by one on every change visible in the partition map (tables,
  their status and description, partitions, leader hints, node registry entries), exactly once
  per command that changes it, so watchers can compare versions.
* Table lifecycle: CreateTable -> CREATING (partitions placed, ids allocated) -> ACTIVE
  (``table_active``, once every partition elected a leader); DeleteTable -> DELETING ->
  removed (``table_removed``, once every replica was deleted). UpdateTable changes throughput
  or billing mode in place (the table stays ACTIVE: KuraDB needs no data movement for it).
* Snapshot/restore round-trips the whole state (msgpack); ``restore(snapshot())`` equals the
  original, and two replicas that applied the same log produce byte-identical snapshots.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final


from kuradb.coordinator.placement import NodeSlot, Placement, PlacementError, initial_partition_count, split_hash_space
from kuradb.coordinator.tables import PAY_PER_REQUEST, PROVISIONED, TableSpec, ThroughputUpdate, table_arn, table_uuid
from kuradb.payload import pack, unpack
from kuradb.errors import InternalServerError, KuraError, ResourceInUseException, ResourceNotFoundException, ValidationException
from kuradb.model.schema import TableInfo
from kuradb.node.descriptor import Epoch, PartitionDescriptor, ReplicaInfo, Role

__all__ = [
    "ACTIVE",
    "CREATING",
    "DELETING",
    "CoordinatorMachine",
    "CoordinatorState",
    "NodeRecord",
    "Outcome",
    "TableRecord",
    "cmd_alloc",
    "cmd_create_table",
    "cmd_delete_table",
    "cmd_heartbeat",
    "cmd_reports",
    "cmd_table_active",
    "cmd_table_removed",
    "cmd_update_table",
    "decode_command",
    "encode_command",
    "not_found",
]

CREATING: Final = "CREATING"
ACTIVE: Final = "ACTIVE"
DELETING: Final = "DELETING"
SNAPSHOT_FORMAT: Final = 1


def encode_command(cmd: dict[str, Any]) -> bytes:
    return pack(cmd)


def decode_command(data: bytes) -> dict[str, Any]:
    cmd: dict[str, Any] = unpack(data)
    return cmd


def not_found(name: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Requested resource not found: Table: {name} not found")


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of applying one command: ``value`` or ``error`` (a DynamoDB error)."""

    value: Any = None
    error: KuraError | None = None

    def unwrap(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


@dataclass(slots=True)
class TableRecord:
    table_id: int
    spec: TableSpec
    status: str
    created_at: float
    partition_ids: list[int] = field(default_factory=list)
    last_increase: float | None = None
    last_decrease: float | None = None
    decreases_today: int = 0
    last_to_pay_per_request: float | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    def info(self) -> TableInfo:
        return TableInfo(table_id=self.table_id, name=self.spec.name, key_schema=self.spec.key_schema)

    def describe(self, item_count: int = 0, size_bytes: int = 0) -> dict[str, Any]:
        """DynamoDB's TableDescription dict (wire.request_to_dict shape)."""
        s = self.spec
        ks = s.key_schema
        key_schema = [{"AttributeName": ks.hash_name, "KeyType": "HASH"}]
        if ks.range_name is not None:
            key_schema.append({"AttributeName": ks.range_name, "KeyType": "RANGE"})
        pt: dict[str, Any] = {
            "NumberOfDecreasesToday": self.decreases_today,
            "ReadCapacityUnits": s.read_capacity,
            "WriteCapacityUnits": s.write_capacity,
        }
        if self.last_increase is not None:
            pt["LastIncreaseDateTime"] = self.last_increase
        if self.last_decrease is not None:
            pt["LastDecreaseDateTime"] = self.last_decrease
        d: dict[str, Any] = {
            "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in s.attribute_definitions],
            "TableName": s.name,
            "KeySchema": key_schema,
            "TableStatus": self.status,
            "CreationDateTime": self.created_at,
            "ProvisionedThroughput": pt,
            "TableSizeBytes": size_bytes,
            "ItemCount": item_count,
            "TableArn": table_arn(s.name),
            "TableId": table_uuid(self.table_id),
            "DeletionProtectionEnabled": s.deletion_protection,
        }
        if s.billing_mode == PAY_PER_REQUEST:
            bms: dict[str, Any] = {"BillingMode": PAY_PER_REQUEST}
            if self.last_to_pay_per_request is not None:
                bms["LastUpdateToPayPerRequestDateTime"] = self.last_to_pay_per_request
            d["BillingModeSummary"] = bms
        return d

    def to_list(self) -> list[Any]:
        return [self.table_id, self.spec.to_dict(), self.status, self.created_at, self.partition_ids,
                self.last_increase, self.last_decrease, self.decreases_today, self.last_to_pay_per_request]  # fmt: skip

    @classmethod
    def from_list(cls, v: list[Any]) -> TableRecord:
        return cls(int(v[0]), TableSpec.from_dict(v[1]), v[2], v[3], [int(p) for p in v[4]], v[5], v[6], int(v[7]), v[8])


@dataclass(frozen=True, slots=True)
class NodeRecord:
    node_id: int
    address: str
    az: str
    capacity: int = 1
    metrics_address: str = ""
    last_heartbeat: float = 0.0  # coordinator's clock, carried in the heartbeat command

    def alive(self, now: float, timeout: float) -> bool:
        return now - self.last_heartbeat <= timeout

    def same_registration(self, other: NodeRecord) -> bool:
        return (self.address, self.az, self.capacity, self.metrics_address) == (
            other.address, other.az, other.capacity, other.metrics_address)  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.node_id, "address": self.address, "az": self.az, "capacity": self.capacity,
                "metrics": self.metrics_address, "hb": self.last_heartbeat}  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NodeRecord:
        return cls(int(d["id"]), d["address"], d["az"], int(d["capacity"]), d["metrics"], float(d["hb"]))


def _newer(a: Epoch, b: Epoch) -> bool:
    return (a.version, a.conf_ver) > (b.version, b.conf_ver)


class CoordinatorState:
    """The whole metadata state of a cluster (module rules). Mutated only by :meth:`apply`."""

    def __init__(self) -> None:
        self.map_version = 0
        self.next_table_id = 1
        self.next_partition_id = 1
        self.next_replica_id = 1
        self.tables: dict[str, TableRecord] = {}
        self.nodes: dict[int, NodeRecord] = {}
        self.partitions: dict[int, PartitionDescriptor] = {}
        self.leaders: dict[int, tuple[int, int]] = {}  # partition id -> (leader replica id, term)

    # ------------------------------------------------------------------ queries

    def table(self, name: str) -> TableRecord:
        t = self.tables.get(name)
        if t is None:
            raise not_found(name)
        return t

    def table_by_id(self, table_id: int) -> TableRecord | None:
        for t in self.tables.values():
            if t.table_id == table_id:
                return t
        return None

    def list_tables(self, exclusive_start: str | None, limit: int) -> tuple[list[str], str | None]:
        """Names in order after ``exclusive_start``; the last name returned when more remain."""
        names = sorted(n for n in self.tables if exclusive_start is None or n > exclusive_start)
        page = names[:limit]
        return page, (page[-1] if len(names) > limit else None)

    def table_partitions(self, t: TableRecord) -> list[PartitionDescriptor]:
        return sorted((self.partitions[p] for p in t.partition_ids if p in self.partitions), key=lambda d: d.start_h)

    def leader_hint(self, partition_id: int) -> int:
        return self.leaders.get(partition_id, (0, 0))[0]

    def accepts_descriptor(self, d: PartitionDescriptor) -> bool:
        """Would a report of ``d`` change the map? A known partition: only a newer epoch. An
        unknown one (a split child): only if its table exists and is not being deleted."""
        cur = self.partitions.get(d.partition_id)
        if cur is not None:
            return _newer(d.epoch, cur.epoch)
        t = self.table_by_id(d.table.table_id)
        return t is not None and t.status != DELETING

    def accepts_leader(self, partition_id: int, replica_id: int, term: int) -> bool:
        """Would a leadership claim change the stored hint? Newer terms win; within a term the
        first claim does (Raft has at most one leader per term)."""
        cur_rid, cur_term = self.leaders.get(partition_id, (0, 0))
        return term > cur_term or (term == cur_term and cur_rid == 0)

    def is_orphan(self, d: PartitionDescriptor) -> bool:
        """A replica of a partition this coordinator allocated whose table no longer exists."""
        return (
            d.partition_id not in self.partitions
            and d.partition_id < self.next_partition_id
            and self.table_by_id(d.table.table_id) is None
        )

    def live_nodes(self, now: float, timeout: float) -> list[NodeRecord]:
        return [n for _, n in sorted(self.nodes.items()) if n.alive(now, timeout)]

    # ------------------------------------------------------------------ apply

    def apply(self, cmd: dict[str, Any]) -> Outcome:
        handler = _HANDLERS.get(cmd.get("op", ""))
        if handler is None:
            # A command this version does not know: a newer coordinator wrote it. Stopping is the
            # only safe choice; skipping would make replicas of different versions diverge.
            raise ValueError(f"unknown coordinator command {cmd.get('op')!r}")
        try:
            return Outcome(value=handler(self, cmd))
        except KuraError as e:
            return Outcome(error=e)

    def _bump(self) -> None:
        self.map_version += 1

    def _alloc_partition(self) -> int:
        pid = self.next_partition_id
        self.next_partition_id += 1
        return pid

    def _alloc_replica(self) -> int:
        rid = self.next_replica_id
        self.next_replica_id += 1
        return rid

    def _heartbeat(self, cmd: dict[str, Any]) -> NodeRecord:
        rec = NodeRecord.from_dict({**cmd["node"], "hb": cmd["now"]})
        old = self.nodes.get(rec.node_id)
        self.nodes[rec.node_id] = rec
        if old is None or not old.same_registration(rec):
            self._bump()
        return rec

    def _create_table(self, cmd: dict[str, Any]) -> TableRecord:
        spec = TableSpec.from_dict(cmd["spec"])
        if spec.name in self.tables:
            raise ResourceInUseException(f"Table already exists: {spec.name}")
        now = float(cmd["now"])
        slots = [NodeSlot(n.node_id, n.az, n.capacity, n.alive(now, cmd["liveness"])) for _, n in sorted(self.nodes.items())]
        placement = Placement(slots, replication_factor=int(cmd["rf"]))
        count = initial_partition_count(spec.read_capacity, spec.write_capacity, placement.largest_az_size())
        # Check placement before allocating anything, so a failed CreateTable consumes no ids.
        try:
            placement.place(self.next_partition_id)
        except PlacementError as e:
            raise InternalServerError(f"Cannot create table {spec.name}: {e}") from None
        table_id = self.next_table_id
        self.next_table_id += 1
        rec = TableRecord(table_id=table_id, spec=spec, status=CREATING, created_at=now)
        if spec.billing_mode == PAY_PER_REQUEST:
            rec.last_to_pay_per_request = now
        info = rec.info()
        for start, end in split_hash_space(count):
            pid = self._alloc_partition()
            replicas = tuple(ReplicaInfo(self._alloc_replica(), nid, az, Role.VOTER) for az, nid in placement.place(pid))
            self.partitions[pid] = PartitionDescriptor(pid, info, start, end, Epoch(1, 1), replicas)
            rec.partition_ids.append(pid)
        self.tables[spec.name] = rec
        self._bump()
        return dataclasses.replace(rec, partition_ids=list(rec.partition_ids))

    def _find(self, name: str, table_id: int) -> TableRecord | None:
        t = self.tables.get(name)
        return t if t is not None and t.table_id == table_id else None

    def _table_active(self, cmd: dict[str, Any]) -> bool:
        t = self._find(cmd["name"], cmd["table_id"])
        if t is None or t.status != CREATING:
            return False  # deleted (or already activated) meanwhile: nothing to do
        t.status = ACTIVE
        self._bump()
        return True

    def _update_table(self, cmd: dict[str, Any]) -> TableRecord:
        u = ThroughputUpdate.from_dict(cmd["update"])
        now = float(cmd["now"])
        t = self.table(u.name)
        if t.status != ACTIVE:
            verb = {CREATING: "created", DELETING: "deleted"}.get(t.status, "updated")
            raise ResourceInUseException(f"Attempt to change a resource which is still in use: Table is being {verb}: {u.name}")
        s = t.spec
        billing = u.billing_mode or s.billing_mode
        rcu, wcu = s.read_capacity, s.write_capacity
        if billing == PROVISIONED:
            if u.read_capacity is None:
                if s.billing_mode == PAY_PER_REQUEST or u.billing_mode is not None:
                    raise ValidationException(
                        "One or more parameter values were invalid: ProvisionedThroughput must be specified when BillingMode is PROVISIONED"
                    )
            else:
                assert u.write_capacity is not None
                if s.billing_mode == PROVISIONED and (u.read_capacity, u.write_capacity) == (rcu, wcu):
                    raise ValidationException(
                        "The provisioned throughput for the table will not change. The requested value equals the current value. "
                        f"Current ReadCapacityUnits provisioned for the table: {rcu}. Requested ReadCapacityUnits: {u.read_capacity}. "
                        f"Current WriteCapacityUnits provisioned for the table: {wcu}. Requested WriteCapacityUnits: {u.write_capacity}. "
                        "Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits."
                    )
                if u.read_capacity > rcu or u.write_capacity > wcu:
                    t.last_increase = now
                if u.read_capacity < rcu or u.write_capacity < wcu:
                    t.last_decrease = now
                    t.decreases_today += 1
                rcu, wcu = u.read_capacity, u.write_capacity
        else:
            if u.read_capacity is not None:
                raise ValidationException(
                    "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits "
                    "can be specified when BillingMode is PAY_PER_REQUEST"
                )
            if s.billing_mode != PAY_PER_REQUEST:
                t.last_to_pay_per_request = now
            rcu = wcu = 0
        dp = s.deletion_protection if u.deletion_protection is None else u.deletion_protection
        t.spec = dataclasses.replace(s, billing_mode=billing, read_capacity=rcu, write_capacity=wcu, deletion_protection=dp)
        self._bump()
        return dataclasses.replace(t, partition_ids=list(t.partition_ids))

    def _delete_table(self, cmd: dict[str, Any]) -> TableRecord:
        name = cmd["name"]
        t = self.table(name)
        if t.status == CREATING:
            raise ResourceInUseException(f"Attempt to change a resource which is still in use: Table is being created: {name}")
        if t.status == DELETING:
            raise ResourceInUseException(f"Attempt to change a resource which is still in use: Table is being deleted: {name}")
        if t.spec.deletion_protection:
            raise ValidationException("Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")
        t.status = DELETING
        self._bump()
        return dataclasses.replace(t, partition_ids=list(t.partition_ids))

    def _table_removed(self, cmd: dict[str, Any]) -> bool:
        t = self._find(cmd["name"], cmd["table_id"])
        if t is None or t.status != DELETING:
            return False
        del self.tables[t.name]
        for pid in t.partition_ids:
            self.partitions.pop(pid, None)
            self.leaders.pop(pid, None)
        self._bump()
        return True

    def _reports(self, cmd: dict[str, Any]) -> int:
        """Newer descriptors and leader hints from node heartbeats; returns how many changed."""
        changed = 0
        for raw in cmd.get("descriptors", []):
            d = PartitionDescriptor.decode(raw)
            self.next_partition_id = max(self.next_partition_id, d.partition_id + 1)
            self.next_replica_id = max(self.next_replica_id, max((r.replica_id for r in d.replicas), default=0) + 1)
            if not self.accepts_descriptor(d):
                continue
            cur = self.partitions.get(d.partition_id)
            if cur is not None:
                self.partitions[d.partition_id] = dataclasses.replace(d, table=cur.table)
            else:
                t = self.table_by_id(d.table.table_id)
                assert t is not None  # accepts_descriptor checked it
                self.partitions[d.partition_id] = dataclasses.replace(d, table=t.info())
                t.partition_ids.append(d.partition_id)
            changed += 1
        for pid, replica_id, term in cmd.get("leaders", []):
            if pid not in self.partitions or not self.accepts_leader(pid, replica_id, term):
                continue
            cur_rid = self.leader_hint(pid)
            self.leaders[pid] = (replica_id, term)
            if cur_rid != replica_id:  # a new term with the same leader changes no hint
                changed += 1
        if changed:
            self._bump()
        return changed

    def _alloc(self, cmd: dict[str, Any]) -> dict[str, list[int]]:
        """Ids for schedulers (splits, moves): ``{"partitions": [...], "replicas": [...]}``."""
        return {
            "partitions": [self._alloc_partition() for _ in range(int(cmd.get("partitions", 0)))],
            "replicas": [self._alloc_replica() for _ in range(int(cmd.get("replicas", 0)))],
        }

    # ------------------------------------------------------------------ snapshot

    def snapshot(self) -> bytes:
        return pack({
            "format": SNAPSHOT_FORMAT,
            "map_version": self.map_version,
            "ids": [self.next_table_id, self.next_partition_id, self.next_replica_id],
            "tables": [t.to_list() for _, t in sorted(self.tables.items())],
            "nodes": [n.to_dict() for _, n in sorted(self.nodes.items())],
            "partitions": [d.encode() for _, d in sorted(self.partitions.items())],
            "leaders": [[pid, rid, term] for pid, (rid, term) in sorted(self.leaders.items())],
        })  # fmt: skip

    @classmethod
    def restore(cls, data: bytes) -> CoordinatorState:
        raw = unpack(data)
        if raw.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(f"unknown coordinator snapshot format {raw.get('format')!r}")
        s = cls()
        s.map_version = int(raw["map_version"])
        s.next_table_id, s.next_partition_id, s.next_replica_id = (int(x) for x in raw["ids"])
        for v in raw["tables"]:
            t = TableRecord.from_list(v)
            s.tables[t.name] = t
        for d in raw["nodes"]:
            n = NodeRecord.from_dict(d)
            s.nodes[n.node_id] = n
        for b in raw["partitions"]:
            p = PartitionDescriptor.decode(b)
            s.partitions[p.partition_id] = p
        s.leaders = {int(pid): (int(rid), int(term)) for pid, rid, term in raw["leaders"]}
        return s


_HANDLERS: Final = {
    "heartbeat": CoordinatorState._heartbeat,
    "create_table": CoordinatorState._create_table,
    "table_active": CoordinatorState._table_active,
    "update_table": CoordinatorState._update_table,
    "delete_table": CoordinatorState._delete_table,
    "table_removed": CoordinatorState._table_removed,
    "reports": CoordinatorState._reports,
    "alloc": CoordinatorState._alloc,
}


# ---------------------------------------------------------------------- command builders
# The service builds commands only through these, so the field names live in one module.


def cmd_heartbeat(node: NodeRecord, now: float) -> dict[str, Any]:
    return {"op": "heartbeat", "node": node.to_dict(), "now": now}


def cmd_create_table(spec: TableSpec, now: float, replication_factor: int, liveness_timeout: float) -> dict[str, Any]:
    return {"op": "create_table", "spec": spec.to_dict(), "now": now, "rf": replication_factor, "liveness": liveness_timeout}


def cmd_table_active(name: str, table_id: int) -> dict[str, Any]:
    return {"op": "table_active", "name": name, "table_id": table_id}


def cmd_update_table(update: ThroughputUpdate, now: float) -> dict[str, Any]:
    return {"op": "update_table", "update": update.to_dict(), "now": now}


def cmd_delete_table(name: str, now: float) -> dict[str, Any]:
    return {"op": "delete_table", "name": name, "now": now}


def cmd_table_removed(name: str, table_id: int) -> dict[str, Any]:
    return {"op": "table_removed", "name": name, "table_id": table_id}


def cmd_reports(descriptors: Iterable[PartitionDescriptor], leaders: Iterable[tuple[int, int, int]]) -> dict[str, Any]:
    return {"op": "reports", "descriptors": [d.encode() for d in descriptors], "leaders": [list(x) for x in leaders]}


def cmd_alloc(partitions: int = 0, replicas: int = 0) -> dict[str, Any]:
    return {"op": "alloc", "partitions": partitions, "replicas": replicas}


class CoordinatorMachine:
    """The :class:`~kuradb.coordinator.raft_host.StateMachine` face of the state: commands as
    bytes in, :class:`Outcome` out. ``state`` is replaced wholesale on restore."""

    def __init__(self, state: CoordinatorState | None = None) -> None:
        self.state = state if state is not None else CoordinatorState()

    def apply(self, data: bytes) -> Outcome:
        return self.state.apply(decode_command(data))

    def snapshot(self) -> bytes:
        return self.state.snapshot()

    def restore(self, data: bytes) -> None:
        self.state = CoordinatorState.restore(data)
