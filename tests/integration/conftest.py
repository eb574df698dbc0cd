"""Fixtures for the multi-process node tests: a started 3-node cluster, always torn down."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.cluster import Cluster, NodeOptions, running_cluster

# Fast elections for tests: 50 ms ticks, 10-tick election timeout (0.5-1 s randomized). Logs are
# compacted after 100 entries so that catching up after a restart or a membership change goes
# through snapshots too, not only log replay. /metrics is served so tests can see snapshots.
TEST_OPTIONS = NodeOptions(tick_ms=50, election_ticks=10, heartbeat_ticks=1, compact_after=100, metrics=True)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """Three nodes in az-a, az-b, az-c (and a planned spare, node 4); every process is stopped
    whatever the test does. Node logs stay in the test's tmp dir (``cluster/node-N.*.log``)."""
    with running_cluster(tmp_path / "cluster", 3, TEST_OPTIONS) as c:
        yield c
