"""Protobuf views of the coordinator state: PartitionMap, TableMeta, NodeInfo, descriptors.

Rules:

* A view is a pure function of the state (plus the liveness clock and the volatile report book
  for sizes), built on demand: there is one source of truth (coordinator/state.py) and no second
  copy to keep in sync.
* A descriptor's ``leader_hint`` is the state's committed leader hint; replica addresses are
  filled in from the node registry, so nodes learn their peers' addresses from CreateReplica.
* A node's ``alive`` flag is computed at build time from its committed heartbeat time, so it
  can flip without a ``map_version`` bump; a watcher sees it with the next map it receives.
"""

from __future__ import annotations


import msgpack

from kuradb.coordinator.reports import ReportBook
from kuradb.coordinator.state import CoordinatorState, NodeRecord, TableRecord
from kuradb.node.descriptor import PartitionDescriptor
from kuradb.proto import coordinator_pb2 as cpb
from kuradb.proto import internal_pb2 as ipb

__all__ = ["describe", "descriptor_pb", "node_info", "partition_map", "table_meta"]

def describe(t: TableRecord, reports: ReportBook) -> dict[str, object]:
    """The table's DynamoDB TableDescription, with ItemCount/TableSizeBytes from the reports."""
    items, size = reports.table_size(t.partition_ids)
    return t.describe(item_count=items, size_bytes=size)


def descriptor_pb(state: CoordinatorState, d: PartitionDescriptor) -> ipb.PartitionDescriptor:
    m = d.to_pb()
    m.leader_hint = state.leader_hint(d.partition_id)
    for r in m.replicas:
        node = state.nodes.get(r.node_id)
        if node is not None:
            r.address = node.address
    return m


def node_info(n: NodeRecord, now: float, liveness_timeout: float) -> cpb.NodeInfo:
    return cpb.NodeInfo(
        node_id=n.node_id,
        address=n.address,
        az=n.az,
        capacity=n.capacity,
        alive=n.alive(now, liveness_timeout),
        last_heartbeat=n.last_heartbeat,
        metrics_address=n.metrics_address,
    )


def table_meta(state: CoordinatorState, t: TableRecord, reports: ReportBook) -> cpb.TableMeta:
    ks = t.spec.key_schema
    return cpb.TableMeta(
        table_id=t.table_id,
        name=t.name,
        key_schema=ipb.KeySchema(
            hash_name=ks.hash_name, hash_type=ks.hash_type, range_name=ks.range_name or "", range_type=ks.range_type or ""
        ),
        status=t.status,
        description=msgpack.packb(describe(t, reports), use_bin_type=True),
    )


def partition_map(state: CoordinatorState, reports: ReportBook, now: float, liveness_timeout: float) -> cpb.PartitionMap:
    return cpb.PartitionMap(
        map_version=state.map_version,
        tables=[table_meta(state, t, reports) for _, t in sorted(state.tables.items())],
        partitions=[descriptor_pb(state, d) for _, d in sorted(state.partitions.items())],
        nodes=[node_info(n, now, liveness_timeout) for _, n in sorted(state.nodes.items())],
    )
