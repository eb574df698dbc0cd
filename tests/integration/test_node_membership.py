"""Membership change through real processes: a replica added on a fresh 4th node.

The new node starts empty (CreateReplica with initial_member=False), is added as a learner
through the leader (AddLearner), receives the partition's data (a snapshot or the log), serves
eventual reads of everything, and after PromoteLearner counts as a voter: the partition keeps
committing with one of the original replicas down and the new one up.
"""

from __future__ import annotations

import pytest

from kuradb.node.descriptor import Epoch
from tests.integration.client import EVENTUAL, RoutingFailed
from tests.integration.cluster import Cluster
from tests.integration.helpers import TABLE, item, key

pytestmark = pytest.mark.timeout(150)


def _eventual_all(cluster: Cluster, node_id: int, pk: str, expected: dict[int, str]) -> bool:
    router = cluster.router()
    try:
        got = router.query(1, TABLE.name, "pk = :p", {":p": {"S": pk}}, consistency=EVENTUAL, node_id=node_id)
    except RoutingFailed:  # e.g. NOT_LEADER: the empty replica refuses reads until its first snapshot
        return False
    seen = {int(i["sk"]["N"]): i["v"]["S"] for i in got}
    return seen == expected


def test_learner_on_fourth_node_catches_up_then_votes(cluster: Cluster) -> None:
    cluster.create_partition(1, TABLE, [1, 2, 3])
    router = cluster.router()
    data = {}
    for sk in range(150):
        router.put(1, TABLE.name, item("m", sk, "x" * 200))
        data[sk] = "x" * 200
    before = cluster.refresh_descriptor(1, cluster.wait_for_leader(1))

    fourth = cluster.add_node().node_id  # az-a again: a second replica in one AZ, as a move does
    learner = cluster.add_learner(1, fourth)
    cluster.wait_for("the learner to serve every item", lambda: _eventual_all(cluster, fourth, "m", data),
                     timeout_s=40.0, interval_s=0.2)  # fmt: skip
    # 150 writes with logs compacted after 100 entries: the learner's catch-up needed a snapshot.
    assert cluster.metric(fourth, "kuradb_raft_transport_snapshots_received_total", result="accepted") >= 1
    # A learner serves eventual reads but never leads: strong reads are refused there.
    out = router.execute(fourth, 1, "GetItem", {"TableName": TABLE.name, "Key": key("m", 0), "ConsistentRead": True})
    assert out.code == "NOT_LEADER"

    cluster.promote_learner(1, learner.replica_id)
    leader = cluster.wait_for_leader(1)
    after = cluster.refresh_descriptor(1, leader)
    assert after == Epoch(before.version, before.conf_ver + 2), "AddLearner and PromoteLearner each bump conf_ver"
    cluster.wait_for("node 4 to report the new epoch",
                     lambda: cluster.stats(fourth)[1].epoch.conf_ver == after.conf_ver, 20.0)  # fmt: skip

    # Four voters, quorum three: with one original replica down, the new voter is needed to commit.
    victim = next(n for n in (1, 2, 3) if n != leader)
    cluster.kill(victim)
    for sk in range(150, 170):
        router.put(1, TABLE.name, item("m", sk, "new"))
        data[sk] = "new"
    cluster.wait_for("node 4 to serve the writes made after promotion",
                     lambda: _eventual_all(cluster, fourth, "m", data), 30.0, 0.2)  # fmt: skip
