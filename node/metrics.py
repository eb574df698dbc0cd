"""Prometheus metrics of one node process (design §7).

Rules:

* Every metric lives on the node's OWN :class:`CollectorRegistry`, never the process-global
  default one, so tests can run several nodes in one process without name clashes.
* Labels are low-cardinality only (operation, result). No per-key, per-table-name or
  per-partition labels: partitions come and go with splits and would grow the series forever.
* Updating a metric is cheap and never does I/O; exposition happens on ``/metrics`` served by
  :func:`serve` (prometheus-client's own HTTP server thread).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096)


@dataclass
class NodeMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.requests = Counter("kuradb_node_requests", "Data requests served", ["op", "result"], registry=r)
        self.request_seconds = Histogram(
            "kuradb_node_request_seconds", "Data request latency", ["op"], buckets=_LATENCY_BUCKETS, registry=r
        )
        self.proposals = Counter("kuradb_raft_proposals", "Raft proposals made on this node", registry=r)
        self.commit_seconds = Histogram(
            "kuradb_raft_commit_seconds", "Proposal to local apply latency", buckets=_LATENCY_BUCKETS, registry=r
        )
        self.leader_changes = Counter("kuradb_raft_leader_changes", "Leader changes seen by local replicas", registry=r)
        self.sync_seconds = Histogram(
            "kuradb_raft_sync_seconds", "Duration of one group-committed Raft log fsync", buckets=_LATENCY_BUCKETS, registry=r
        )
        self.batch_entries = Histogram(
            "kuradb_raft_batch_entries", "Log entries per group-committed batch", buckets=_BATCH_BUCKETS, registry=r
        )
        self.partitions = Gauge("kuradb_node_partitions", "Partition replicas hosted", registry=r)
        self.leaders = Gauge("kuradb_node_leaders", "Partition replicas that are leader", registry=r)

