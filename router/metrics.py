"""Prometheus metrics of one router process (design §7).

Rules (as for the node, kuradb/node/metrics.py):

* Every metric lives on the router's OWN CollectorRegistry, so many routers fit in one process.
* Labels are low-cardinality only: operation, DynamoDB error code ("OK" on success), retry
  reason. No table, key or partition labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class RouterMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.requests = Counter(
            "kuradb_router_requests", "Client requests by operation and outcome", ["operation", "code"], registry=r
        )
        self.request_seconds = Histogram(
            "kuradb_router_request_seconds", "Client request latency", ["operation"], buckets=_LATENCY_BUCKETS, registry=r
        )
        self.retries = Counter("kuradb_router_retries", "Node request retries by cause", ["reason"], registry=r)
        self.map_version = Gauge("kuradb_router_map_version", "Version of the cached partition map", registry=r)

