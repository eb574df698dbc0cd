"""Network partitions and process pauses: a deposed leader must never acknowledge a write nor
serve a stale strong read.

* Partition (node/faults.py fault files, both directions): the isolated leader's writes are
  never acknowledged and never survive; the majority elects a leader and keeps serving; after
  healing, the old leader follows and catches up.
* Pause (SIGSTOP): while the leader is frozen the others elect a new leader and overwrite a
  key. A strong read queued at the frozen leader and delivered the instant it resumes must not
  return the overwritten value: its lease must have run out in real time, however few ticks
  it saw while stopped.
"""

from __future__ import annotations

import pytest

from tests.integration.client import EVENTUAL, Outcome, Router, encode_payload, make_request, new_request_id
from tests.integration.cluster import Cluster
from tests.integration.helpers import TABLE, item, key

pytestmark = pytest.mark.timeout(120)


def _router_over(cluster: Cluster, nodes: list[int], **kw: float) -> Router:
    return Router(stub=cluster.data, nodes=lambda: nodes, epochs=lambda p: cluster.descriptors[p].epoch, **kw)


DROPPED = "kuradb_raft_transport_messages_dropped_total"


def _isolate(cluster: Cluster, node: int, others: list[int]) -> None:
    """Cut ``node`` off in both directions; returns once ``node`` itself applies the cut (its
    fault-drop counter moves: the fault file is polled, not pushed)."""
    base = cluster.metric(node, DROPPED, reason="fault")
    cluster.set_faults(node, {o: {"drop_all": True} for o in others})
    for o in others:
        cluster.set_faults(o, {node: {"drop_all": True}})
    cluster.wait_for(f"node {node} to drop its traffic", lambda: cluster.metric(node, DROPPED, reason="fault") > base)


def test_isolated_leader_cannot_acknowledge_and_majority_moves_on(cluster: Cluster) -> None:
    cluster.create_partition(1, TABLE, [1, 2, 3])
    router = cluster.router()
    router.put(1, TABLE.name, item("p", 0, "before"))
    old = cluster.wait_for_leader(1)
    majority = [n for n in (1, 2, 3) if n != old]
    _isolate(cluster, old, majority)

    # A write sent to the isolated leader is never acknowledged.
    lone = _router_over(cluster, [old], call_timeout_s=2.0)
    orphan = lone.execute(old, 1, "PutItem", {"TableName": TABLE.name, "Item": item("p", 1, "orphan")},
                          request_id=new_request_id())  # fmt: skip
    assert orphan.result is None, "an isolated leader acknowledged a write"

    new = cluster.wait_for_leader(1, exclude=[old], timeout_s=30.0)
    assert new in majority
    # The cut is in force both ways (the new leader's heartbeats to the old one are dropped)
    # before the majority overwrites the key.
    cluster.wait_for(f"node {new} to drop its traffic", lambda: cluster.metric(new, DROPPED, reason="fault") > 0)
    maj = _router_over(cluster, majority)
    maj.put(1, TABLE.name, item("p", 0, "after"))
    for sk in range(2, 12):
        maj.put(1, TABLE.name, item("p", sk))

    # Strong reads at the deposed leader never see the old value as current.
    out = lone.execute(old, 1, "GetItem", {"TableName": TABLE.name, "Key": key("p", 0), "ConsistentRead": True})
    assert out.result is None or out.result.get("Item", {}).get("v") == {"S": "after"}, out

    for n in (1, 2, 3):
        cluster.clear_faults(n)
    expected = {0: "after", **{sk: f"p/{sk}" for sk in range(2, 12)}}

    def healed() -> bool:
        got = router.query(1, TABLE.name, "pk = :p", {":p": {"S": "p"}}, consistency=EVENTUAL, node_id=old)
        return {int(i["sk"]["N"]): i["v"]["S"] for i in got} == expected

    cluster.wait_for("the old leader to catch up and drop its orphan write", healed, 30.0, 0.2)
    assert router.get(1, TABLE.name, key("p", 1)) is None, "a write no quorum acknowledged survived"


def test_paused_leader_serves_no_stale_strong_read(cluster: Cluster) -> None:
    cluster.create_partition(1, TABLE, [1, 2, 3])
    router = cluster.router()
    router.put(1, TABLE.name, item("z", 0, "v1"))
    old = cluster.wait_for_leader(1)
    majority = [n for n in (1, 2, 3) if n != old]
    cluster.node(old).pause()
    try:
        cluster.wait_for_leader(1, exclude=[old], timeout_s=30.0)
        _router_over(cluster, majority).put(1, TABLE.name, item("z", 0, "v2"))
        # Queue a strong read at the frozen leader, then let it run: the request is the first
        # thing it sees on waking, before its ticker has caught up with the time it missed.
        req = make_request(1, cluster.descriptors[1].epoch, "GetItem",
                           encode_payload({"TableName": TABLE.name, "Key": key("z", 0), "ConsistentRead": True}),
                           deadline_s=3.0)  # fmt: skip
        pending = cluster.data(old).Execute.future(req, timeout=5.0)
    finally:
        cluster.node(old).resume()
    out = Outcome.from_pb(pending.result())
    stale = out.result is not None and out.result.get("Item", {}).get("v") == {"S": "v1"}
    assert not stale, "a deposed leader served a stale strongly consistent read after a pause"
    assert router.get(1, TABLE.name, key("z", 0)) == item("z", 0, "v2")
