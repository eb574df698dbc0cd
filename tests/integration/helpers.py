"""Shared table, items and key choosers for the integration tests."""

from __future__ import annotations

from typing import Any

from kuradb.keys import partition_hash
from kuradb.model.schema import KeySchema, TableInfo
from tests.integration.client import EVENTUAL
from tests.integration.cluster import Cluster

TABLE = TableInfo(table_id=1, name="it_orders", key_schema=KeySchema("pk", "S", "sk", "N"))
HALF = 2**63  # the split point used by the tests: [0, HALF) and [HALF, 2**64)

AV = dict[str, Any]


def key(pk: str, sk: int = 0) -> dict[str, AV]:
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}}


def item(pk: str, sk: int = 0, value: str = "") -> dict[str, AV]:
    return {**key(pk, sk), "v": {"S": value or f"{pk}/{sk}"}}


def pk_hash(pk: str) -> int:
    return partition_hash({"S": pk})


def pks_in(start_h: int, end_h: int, count: int, prefix: str = "k") -> list[str]:
    """``count`` distinct partition key strings whose hash lies in [start_h, end_h)."""
    out: list[str] = []
    i = 0
    while len(out) < count:
        pk = f"{prefix}{i}"
        if start_h <= pk_hash(pk) < end_h:
            out.append(pk)
        i += 1
    return out


def scan_on(cluster: Cluster, partition_id: int, node_id: int) -> list[dict[str, AV]]:
    """Every item of the partition as ``node_id``'s own replica has it (eventual Scan, all pages)."""
    router = cluster.router()
    items: list[dict[str, AV]] = []
    start = None
    while True:
        req: dict[str, Any] = {"TableName": TABLE.name}
        if start is not None:
            req["ExclusiveStartKey"] = start
        res = router.execute(node_id, partition_id, "Scan", req, consistency=EVENTUAL).unwrap()
        items.extend(res.get("Items", []))
        start = res.get("LastEvaluatedKey")
        if not start:
            return items


def assert_replicas_identical(cluster: Cluster, partition_id: int, nodes: list[int]) -> None:
    """No divergence: once caught up with the leader, every replica holds the same items."""
    for n in nodes:
        cluster.wait_caught_up(partition_id, n)
    scans = {n: scan_on(cluster, partition_id, n) for n in nodes}
    first = scans[nodes[0]]
    for n, items in scans.items():
        assert items == first, f"replica on node {n} diverges from node {nodes[0]}"
