"""Fixtures of the end-to-end suite: real local clusters (kuradb.tools.up.LocalCluster) driven
through the client SDK.

Rules:

* A cluster runs on a block of free ports (``find_free_port_base``) in a pytest tmp dir and is
  always stopped, whatever the tests did (the fixture's ``finally``); children share pytest's
  process group, so a Ctrl-C reaches them too.
* ``shared_cluster`` (session scope) serves every test that leaves the cluster whole; each such
  test works in its own tables (``table_name``), so tests do not see each other's data.
  Tests that kill or restart members use ``private_cluster`` (module scope) instead.
* Nothing here asserts on speed; every wait has a timeout and fails with what it waited for.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from kuradb.client import KuraClient
from kuradb.proto import internal_pb2 as ipb
from kuradb.tools import up
from kuradb.tools.status import fetch_status

READY_TIMEOUT = 90.0  # a loaded 2-core machine starts five Python processes slowly
START_ATTEMPTS = 3  # free ports found a moment ago may be taken by another test run meanwhile


def start_cluster(data_dir: Path) -> up.LocalCluster:
    """A started 1-coordinator, 3-node (az-a/b/c), 1-router cluster on free ports."""
    base = up.ClusterSpec(data_dir=data_dir, metrics=False)
    last: up.ClusterError | None = None
    for _ in range(START_ATTEMPTS):
        spec = replace(base, port=up.find_free_port_base(base))
        (data_dir / up.LAYOUT_FILE).unlink(missing_ok=True)  # a failed attempt recorded its ports
        cluster = up.LocalCluster(spec, ready_timeout=READY_TIMEOUT, say=lambda _line: None)
        try:
            cluster.start()
            return cluster
        except up.ClusterError as e:
            if "address already in use" not in str(e):
                raise
            last = e
    raise AssertionError(f"no cluster could be started on free ports: {last}")


def _cluster(data_dir: Path) -> Iterator[up.LocalCluster]:
    cluster = start_cluster(data_dir)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def shared_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[up.LocalCluster]:
    yield from _cluster(tmp_path_factory.mktemp("e2e-shared") / "data")


@pytest.fixture(scope="module")
def private_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[up.LocalCluster]:
    yield from _cluster(tmp_path_factory.mktemp("e2e-private") / "data")


@pytest.fixture
def client(shared_cluster: up.LocalCluster) -> Iterator[KuraClient]:
    with KuraClient(shared_cluster.endpoint, timeout=30.0) as c:
        yield c


_names = itertools.count(1)


@pytest.fixture
def table_name(request: pytest.FixtureRequest) -> str:
    """A table name no other test uses (DynamoDB names: [a-zA-Z0-9_.-]{3,255})."""
    return f"e2e-{request.node.name[:40].strip('_')}-{next(_names)}".replace("[", "-").replace("]", "")


def wait_until(what: str, check: Callable[[], bool], timeout: float = 60.0, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def create_table(
    client: KuraClient, name: str, *, sort_key: str | None = None, sort_type: str = "N",
    rcu: int | None = None, wcu: int | None = None,
) -> dict[str, Any]:
    """Create table ``name`` (hash key ``pk`` S, optional sort key) and wait until it is ACTIVE.

    With ``rcu``/``wcu`` the table is PROVISIONED, which sets how many partitions it starts with
    (coordinator.placement.initial_partition_count); otherwise PAY_PER_REQUEST.
    """
    attrs = [{"AttributeName": "pk", "AttributeType": "S"}]
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
    if sort_key:
        attrs.append({"AttributeName": sort_key, "AttributeType": sort_type})
        keys.append({"AttributeName": sort_key, "KeyType": "RANGE"})
    billing: dict[str, Any] = (
        {"BillingMode": "PROVISIONED", "ProvisionedThroughput": {"ReadCapacityUnits": rcu or 1, "WriteCapacityUnits": wcu or 1}}
        if rcu or wcu else {"BillingMode": "PAY_PER_REQUEST"}
    )  # fmt: skip
    created = client.create_table(TableName=name, AttributeDefinitions=attrs, KeySchema=keys, **billing)
    wait_until(f"table {name} ACTIVE",
               lambda: client.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE")  # fmt: skip
    return created


def partitions_of(cluster: up.LocalCluster, table: str) -> list[ipb.PartitionDescriptor]:
    """The coordinator's current descriptors of ``table``'s partitions, by start hash."""
    status = fetch_status(cluster.coordinator_addresses, timeout=10.0)
    return sorted((p for p in status.map.partitions if p.table_name == table), key=lambda p: p.start_h)


def leader_nodes(cluster: up.LocalCluster, table: str) -> dict[int, int]:
    """partition id -> node id of its leader, from the nodes' own reports (is_leader)."""
    status = fetch_status(cluster.coordinator_addresses, timeout=10.0)
    ids = {p.id for p in status.map.partitions if p.table_name == table}
    node_of = {(r.descriptor.id, r.replica_id): rep.node_id
               for r in status.reports for rep in r.descriptor.replicas if rep.replica_id == r.replica_id}  # fmt: skip
    return {r.descriptor.id: node_of[(r.descriptor.id, r.replica_id)]
            for r in status.reports if r.is_leader and r.descriptor.id in ids}  # fmt: skip


def partition_of(partitions: list[ipb.PartitionDescriptor], h: int) -> int:
    """Id of the partition whose [start_h, end_h) holds hash ``h``."""
    for p in partitions:
        if p.start_h <= h and (p.end_is_max or h < p.end_h):
            return p.id
    raise AssertionError(f"hash {h:016x} is in no partition of {[p.id for p in partitions]}")
