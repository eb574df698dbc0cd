"""Bad requests against a real node are refused with the right answer and change nothing.

The partition here covers only the lower half of the hash space, [0, 2**63), so a key hashing
into the upper half is outside it. Every refusal is checked by reading back: the stored items,
a strong Scan's count and the leader's applied index are the same before and after (a refusal
that had been proposed would have advanced the applied index).
"""

from __future__ import annotations

import pytest

from kuradb.errors import ValidationException
from kuradb.node.descriptor import Epoch
from tests.integration.client import EVENTUAL, Outcome, Router
from tests.integration.cluster import Cluster
from tests.integration.helpers import HALF, TABLE, item, key, pks_in

pytestmark = pytest.mark.timeout(90)


def _snapshot(cluster: Cluster, router: Router, leader: int) -> tuple[int, list[dict]]:
    res = router.call(1, "Scan", {"TableName": TABLE.name, "ConsistentRead": True})
    return cluster.stats(leader)[1].applied_index, sorted(res["Items"], key=lambda i: (i["pk"]["S"], i["sk"]["N"]))


def test_bad_requests_change_nothing(cluster: Cluster) -> None:
    cluster.create_partition(1, TABLE, [1, 2, 3], start_h=0, end_h=HALF)
    router = cluster.router()
    inside = pks_in(0, HALF, 5, "in")
    outside = pks_in(HALF, 2**64, 2, "out")
    for pk in inside:
        router.put(1, TABLE.name, item(pk))
    leader = cluster.wait_for_leader(1)
    before = _snapshot(cluster, router, leader)
    assert len(before[1]) == 5

    def put(pk: str, partition_id: int = 1, epoch: Epoch | None = None) -> Outcome:
        req = {"TableName": TABLE.name, "Item": item(pk, 0, "bad")}
        return router.execute(leader, partition_id, "PutItem", req, request_id=b"bad-" + pk.encode(), epoch=epoch)

    # Unknown partition.
    out = put(inside[0], partition_id=99, epoch=Epoch(1, 1))
    assert out.code == "PARTITION_NOT_FOUND", out
    # Wrong epoch (a version this partition never had): refused with the current descriptor.
    out = put(inside[0], epoch=Epoch(7, 1))
    assert out.code == "EPOCH_NOT_MATCH", out
    assert out.error is not None and [(d.id, d.epoch.version, d.start_h, d.end_h) for d in out.error.current] == [
        (1, 1, 0, HALF)
    ]
    # Key whose hash is outside [0, 2**63): writes and reads.
    out = put(outside[0])
    assert out.code == "KEY_NOT_IN_PARTITION", out
    out = router.execute(leader, 1, "GetItem", {"TableName": TABLE.name, "Key": key(outside[1])})
    assert out.code == "KEY_NOT_IN_PARTITION", out
    # Malformed payloads: not msgpack at all, msgpack but not a request object.
    for payload in (b"\xc1\xc1 not msgpack", b"\x93\x01\x02\x03"):
        out = router.execute(leader, 1, "PutItem", payload, request_id=b"bad-payload")
        assert isinstance(out.dynamo, ValidationException), out
    # Well-formed msgpack, invalid requests: DynamoDB's ValidationException, found before proposing.
    invalid = [
        {"TableName": TABLE.name, "Item": {"pk": {"S": inside[0]}}},  # sort key missing
        {"TableName": TABLE.name, "Item": {"pk": {"N": "1"}, "sk": {"N": "1"}}},  # key of the wrong type
        {"TableName": TABLE.name, "Item": {**item(inside[0]), "v": {"S": "x", "N": "1"}}},  # two types in one value
        {"TableName": TABLE.name, "Item": item(inside[0]), "ReturnValues": "ALL_NEW"},  # not valid for PutItem
        {"TableName": TABLE.name, "Item": item(inside[0]), "ConditionExpression": "attribute_exists("},
    ]
    for req in invalid:
        out = router.execute(leader, 1, "PutItem", req, request_id=b"bad-request")
        assert isinstance(out.dynamo, ValidationException), (req, out)
    out = router.execute(leader, 1, "UpdateItem", {"TableName": TABLE.name, "Key": key(inside[0]),
                                                   "UpdateExpression": "SET pk = :v",
                                                   "ExpressionAttributeValues": {":v": {"S": "z"}}},
                         request_id=b"bad-update")  # fmt: skip
    assert isinstance(out.dynamo, ValidationException), out
    # Writes on a follower are refused with a hint pointing at the leader.
    follower = next(n for n in (1, 2, 3) if n != leader)
    out = router.execute(follower, 1, "PutItem", {"TableName": TABLE.name, "Item": item(inside[0], 5)},
                         request_id=b"follower-write")  # fmt: skip
    assert out.code == "NOT_LEADER", out
    assert out.error is not None and out.error.leader_node_id == leader
    assert out.error.leader_address == cluster.node(leader).address

    assert cluster.wait_for_leader(1) == leader, "the leader changed during the test; applied index not comparable"
    assert _snapshot(cluster, router, leader) == before
    for n in (1, 2, 3):  # and no replica stored anything else
        cluster.wait_caught_up(1, n)
        res = router.execute(n, 1, "Scan", {"TableName": TABLE.name}, consistency=EVENTUAL).unwrap()
        assert sorted(i["pk"]["S"] for i in res["Items"]) == sorted(inside)


def test_conditional_failure_is_a_replicated_dynamo_error(cluster: Cluster) -> None:
    """A failed condition is decided at apply time: it comes back as the DynamoDB error (with the
    old item when asked), and a retry with the same request id gets the same answer."""
    cluster.create_partition(1, TABLE, [1, 2, 3])
    router = cluster.router()
    router.put(1, TABLE.name, item("c"))
    req = {"TableName": TABLE.name, "Item": item("c", 0, "second"), "ConditionExpression": "attribute_not_exists(pk)",
           "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}  # fmt: skip
    rid = b"cond-1"
    leader = cluster.wait_for_leader(1)
    first = router.execute(leader, 1, "PutItem", req, request_id=rid)
    again = router.execute(leader, 1, "PutItem", req, request_id=rid)
    for out in (first, again):
        assert out.dynamo is not None and out.dynamo.name == "ConditionalCheckFailedException", out
        assert out.dynamo.message == "The conditional request failed"
        assert getattr(out.dynamo, "item", None) == item("c")
    assert router.get(1, TABLE.name, key("c")) == item("c")
