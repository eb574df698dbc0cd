"""A split through real processes: two partitions, each serving exactly its half of the range.

SplitPartition(split_h = 2**63) on a full-range partition leaves the parent [0, 2**63) and
creates the child [2**63, 2**64) with the same members. Both get epoch.version + 1, so requests
routed with the old epoch are refused with EPOCH_NOT_MATCH carrying both current descriptors;
a key sent to the wrong half gets KEY_NOT_IN_PARTITION; no data is lost or duplicated.
"""

from __future__ import annotations

import pytest

from kuradb.node.descriptor import Epoch
from tests.integration.client import EVENTUAL
from tests.integration.cluster import Cluster
from tests.integration.helpers import HALF, TABLE, assert_replicas_identical, item, key, pk_hash, pks_in

pytestmark = pytest.mark.timeout(120)


def test_split_serves_each_half(cluster: Cluster) -> None:
    cluster.create_partition(1, TABLE, [1, 2, 3])
    router = cluster.router()
    low = pks_in(0, HALF, 10, "lo")
    high = pks_in(HALF, 2**64, 10, "hi")
    for pk in low + high:
        router.put(1, TABLE.name, item(pk))

    parent, child = cluster.split(1, HALF, child_id=2)
    assert (parent.start_h, parent.end_h, child.start_h, child.end_h) == (0, HALF, HALF, 2**64)
    cluster.wait_for_leader(2)
    for n in (1, 2, 3):  # every replica applied the split (the child exists on every member)
        cluster.wait_for(f"node {n} to host both halves", lambda n=n: {1, 2} <= set(cluster.stats(n)), 20.0)
    assert cluster.refresh_descriptor(1, cluster.wait_for_leader(1)) == Epoch(2, 1)
    assert cluster.refresh_descriptor(2, cluster.wait_for_leader(2)) == Epoch(2, 1)

    fresh = cluster.router()
    for pk, mine, other in [(pk, 1, 2) for pk in low] + [(pk, 2, 1) for pk in high]:
        got = fresh.get(mine, TABLE.name, key(pk))
        assert got is not None and got["v"]["S"] == f"{pk}/0", f"{pk} lost by the split"
        wrong = fresh.execute(cluster.wait_for_leader(other), other, "GetItem",
                              {"TableName": TABLE.name, "Key": key(pk), "ConsistentRead": True})  # fmt: skip
        assert wrong.code == "KEY_NOT_IN_PARTITION", (pk, hex(pk_hash(pk)), wrong)
        put_wrong = fresh.execute(cluster.wait_for_leader(other), other, "PutItem",
                                  {"TableName": TABLE.name, "Item": item(pk, 1)}, request_id=b"wrong-half")  # fmt: skip
        assert put_wrong.code == "KEY_NOT_IN_PARTITION"

    # Each half takes new writes, and each follower serves its half (eventual reads).
    for pk in low[:3]:
        fresh.put(1, TABLE.name, item(pk, 7))
    for pk in high[:3]:
        fresh.put(2, TABLE.name, item(pk, 7))
    for pid, pks in ((1, low), (2, high)):
        leader = cluster.wait_for_leader(pid)
        follower = next(n for n in (1, 2, 3) if n != leader)
        cluster.wait_caught_up(pid, follower)
        for pk in pks[:3]:
            cluster.wait_for(f"{pk}/7 on node {follower}",
                             lambda pk=pk, pid=pid: fresh.get(pid, TABLE.name, key(pk, 7), consistency=EVENTUAL,
                                                              node_id=follower) is not None, 20.0)  # fmt: skip
    # The wrong-half writes changed nothing.
    for pk in low + high:
        pid = 1 if pk in low else 2
        assert fresh.get(pid, TABLE.name, key(pk, 1)) is None

    # A request with the pre-split epoch is refused and told about both halves.
    leader = cluster.wait_for_leader(1)
    stale = fresh.execute(leader, 1, "GetItem", {"TableName": TABLE.name, "Key": key(low[0]), "ConsistentRead": True},
                          epoch=Epoch(1, 1))  # fmt: skip
    assert stale.code == "EPOCH_NOT_MATCH"
    assert stale.error is not None
    current = {d.id: (d.start_h, d.end_h, d.end_is_max, d.epoch.version) for d in stale.error.current}
    assert current == {1: (0, HALF, False, 2), 2: (HALF, 0, True, 2)}

    # Scans of each half see exactly their own items (3 extra writes each).
    for pid, pks in ((1, low), (2, high)):
        res = fresh.call(pid, "Scan", {"TableName": TABLE.name, "ConsistentRead": True})
        seen = {i["pk"]["S"] for i in res["Items"]}
        assert seen == set(pks)
        assert res["Count"] == len(pks) + 3
        assert_replicas_identical(cluster, pid, [1, 2, 3])
