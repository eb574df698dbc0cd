"""The leader's volatile view of node heartbeats: latest partition reports, sizes, leaders.

Rules:

* Not replicated. Reports arrive every second from every node; putting them all through the
  coordinator's Raft log would make the log grow with the cluster's heartbeat rate for data
  that is stale a second later. Only what changes the partition map (a newer descriptor epoch,
  a new leader) is committed, as a ``reports`` command; everything else lives here and is
  rebuilt from the next round of heartbeats after a coordinator failover.
* One report per (partition, replica): a newer report of the same replica replaces the older.
  A partition's leader is the replica reporting ``is_leader`` with the highest term.
* Sizes (ItemCount / TableSizeBytes) are taken from each partition's leader report, the
  replica that has applied the most.

Pure data structure (times are arguments); no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kuradb.node.descriptor import PartitionDescriptor
from kuradb.proto import coordinator_pb2 as cpb

__all__ = ["ReportBook", "StoredReport"]


@dataclass(frozen=True, slots=True)
class StoredReport:
    node_id: int
    received_at: float
    report: cpb.PartitionReport
    descriptor: PartitionDescriptor


class ReportBook:
    def __init__(self) -> None:
        # partition id -> replica id -> latest report: per-partition lookups stay O(replicas).
        self._reports: dict[int, dict[int, StoredReport]] = {}

    def ingest(self, node_id: int, reports: Iterable[cpb.PartitionReport], now: float) -> list[StoredReport]:
        """Record a node's reports; returns them decoded (malformed descriptors are skipped)."""
        out: list[StoredReport] = []
        for r in reports:
            try:
                d = PartitionDescriptor.from_pb(r.descriptor)
            except Exception:  # a bad report must not fail the whole heartbeat
                continue
            sr = StoredReport(node_id, now, r, d)
            self._reports.setdefault(d.partition_id, {})[r.replica_id] = sr
            out.append(sr)
        return out

    def forget_partition(self, partition_id: int) -> None:
        self._reports.pop(partition_id, None)

    def leader(self, partition_id: int, *, since: float = 0.0) -> StoredReport | None:
        """The report of the partition's current leader (highest term claiming leadership),
        considering only reports received at or after ``since``."""
        best: StoredReport | None = None
        for sr in self._reports.get(partition_id, {}).values():
            if not sr.report.is_leader or sr.received_at < since:
                continue
            if best is None or sr.report.term > best.report.term:
                best = sr
        return best

    def table_size(self, partition_ids: Iterable[int], *, since: float = 0.0) -> tuple[int, int]:
        """(items, bytes) summed over the partitions' leader reports."""
        items = size = 0
        for pid in partition_ids:
            sr = self.leader(pid, since=since)
            if sr is not None:
                items += sr.report.keys
                size += sr.report.bytes
        return items, size

    def all(self) -> list[cpb.PartitionReport]:
        return [sr.report for _, by_rid in sorted(self._reports.items()) for _, sr in sorted(by_rid.items())]
