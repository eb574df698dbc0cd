"""The router's DynamoDB service against fake nodes: routing, every retry path, capacity."""

from __future__ import annotations

from kuradb.errors import (
    ConditionalCheckFailedException,
    InternalServerError,
    ResourceNotFoundException,
    ServiceUnavailable,
    ThrottlingException,
    ValidationException,
)
from kuradb.keys import partition_hash
from kuradb.proto import internal_pb2 as ipb
from tests.router.harness import HASH_TABLE, Harness, n, run, s

Code = ipb.PartitionError.Code


def pid_of(h: Harness, key: str, table_id: int = HASH_TABLE.table_id) -> int:
    p = h.router.pmap.lookup(table_id, partition_hash(s(key)))
    assert p is not None
    return p.partition_id


def test_put_get_update_delete_round_trip() -> None:
    async def scenario(h: Harness) -> None:
        assert await h.call("PutItem", {"TableName": "users", "Item": {"id": s("a"), "v": n(1)}}) == {}
        got = await h.call("GetItem", {"TableName": "users", "Key": {"id": s("a")}, "ConsistentRead": True})
        assert got == {"Item": {"id": s("a"), "v": n(1)}}
        upd = await h.call("UpdateItem", {"TableName": "users", "Key": {"id": s("a")}, "UpdateExpression": "ADD v :one",
                                          "ExpressionAttributeValues": {":one": n(1)}, "ReturnValues": "UPDATED_NEW"})  # fmt: skip
        assert upd == {"Attributes": {"v": n(2)}}
        old = await h.call("DeleteItem", {"TableName": "users", "Key": {"id": s("a")}, "ReturnValues": "ALL_OLD"})
        assert old == {"Attributes": {"id": s("a"), "v": n(2)}}
        assert await h.call("GetItem", {"TableName": "users", "Key": {"id": s("a")}, "ConsistentRead": True}) == {}
        assert h.metric("kuradb_router_requests_total", operation="PutItem", code="OK") == 1
        assert h.metric("kuradb_router_map_version") == 1

    run(scenario)


def test_writes_and_strong_reads_go_to_the_leader_eventual_reads_stay_in_az() -> None:
    async def scenario(h: Harness) -> None:
        for pid in list(h.cluster.leaders):
            h.cluster.leaders[pid] = 3
        await h.coordinator.publish()
        await h.router.coordinator.reload()
        await h.call("PutItem", {"TableName": "users", "Item": {"id": s("k")}})
        await h.call("GetItem", {"TableName": "users", "Key": {"id": s("k")}, "ConsistentRead": True})
        for _ in range(5):
            await h.call("GetItem", {"TableName": "users", "Key": {"id": s("k")}})
        seen = [(x.operation, x.node_id, x.consistency) for x in h.cluster.seen]
        assert seen[0] == ("PutItem", 3, ipb.STRONG)
        assert seen[1] == ("GetItem", 3, ipb.STRONG)
        assert set(seen[2:]) == {("GetItem", 1, ipb.EVENTUAL)}  # the router is in az-a, node 1 too

    run(scenario)


def test_request_id_comes_from_metadata_and_is_fresh_otherwise() -> None:
    async def scenario(h: Harness) -> None:
        await h.call("PutItem", {"TableName": "users", "Item": {"id": s("a")}}, request_id="abc123")
        await h.call("PutItem", {"TableName": "users", "Item": {"id": s("a")}})
        await h.call("PutItem", {"TableName": "users", "Item": {"id": s("a")}})
        ids = [x.request_id for x in h.cluster.seen]
        assert ids[0] == b"abc123"
        assert len(set(ids)) == 3 and all(ids)

    run(scenario)


def test_conditional_failure_passes_through_with_old_item() -> None:
    async def scenario(h: Harness) -> None:
        await h.call("PutItem", {"TableName": "users", "Item": {"id": s("a"), "v": n(1)}})
        e = await h.fails("PutItem", {"TableName": "users", "Item": {"id": s("a")}, "ConditionExpression": "attribute_not_exists(id)",
                                      "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})  # fmt: skip
        assert isinstance(e, ConditionalCheckFailedException)
        assert e.message == "The conditional request failed"
        assert e.item == {"id": s("a"), "v": n(1)}
        assert h.metric("kuradb_router_requests_total", operation="PutItem", code="ConditionalCheckFailedException") == 1

    run(scenario)


def test_validation_and_unknown_table_happen_before_routing() -> None:
    async def scenario(h: Harness) -> None:
        calls = h.coordinator.get_calls
        e = await h.fails("GetItem", {"TableName": "nope", "Key": {"id": s("a")}})
        assert isinstance(e, ResourceNotFoundException) and e.message == "Requested resource not found"
        assert h.coordinator.get_calls == calls + 1  # one reload before saying so
        e = await h.fails("GetItem", {"TableName": "users", "Key": {"other": s("a")}})
        assert isinstance(e, ValidationException)
        assert e.message == "The provided key element does not match the schema"
        e = await h.fails("PutItem", {"Item": {"id": s("a")}})
        assert isinstance(e, ValidationException)
        assert h.cluster.seen == []

    run(scenario)


def test_consumed_capacity_shapes() -> None:
    async def scenario(h: Harness) -> None:
        item = {"TableName": "users", "Item": {"id": s("a")}}
        assert "ConsumedCapacity" not in await h.call("PutItem", item)
        total = await h.call("PutItem", item | {"ReturnConsumedCapacity": "TOTAL"})
        assert total["ConsumedCapacity"] == {"TableName": "users", "CapacityUnits": 1.0}
        idx = await h.call("GetItem", {"TableName": "users", "Key": {"id": s("a")}, "ReturnConsumedCapacity": "INDEXES"})
        assert idx["ConsumedCapacity"] == {"TableName": "users", "CapacityUnits": 0.5, "Table": {"CapacityUnits": 0.5}}

    run(scenario)


# ---------------------------------------------------------------------------- retry paths


def test_not_leader_with_hint_retries_at_once_at_the_leader() -> None:
    async def scenario(h: Harness) -> None:
        pid = pid_of(h, "a")
        h.cluster.leaders[pid] = 2  # a leader change the router has not heard of
        await h.call("PutItem", {"TableName": "users", "Item": {"id": s("a")}})
        tries = [(x.node_id, x.request_id) for x in h.cluster.seen]
        assert [t[0] for t in tries] == [1, 2]
        assert tries[0][1] == tries[1][1]  # same request id on the retry
        assert h.router.pmap.leader(pid) == 2
        assert h.metric("kuradb_router_retries_total", reason="not_leader") == 1
        await h.call("PutItem", {"TableName": "users", "Item": {"id": s("a")}})
        assert h.cluster.seen[-1].node_id == 2  # cached now

    run(scenario)


def test_not_leader_without_hint_backs_off_and_reloads() -> None:
    async def scenario(h: Harness) -> None:
        calls = h.coordinator.get_calls
        h.nodes[1].script = [(None, ipb.PartitionError(code=Code.NOT_LEADER))] * 2
        await h.call("PutItem", {"TableName": "users", "Item": {"id": s("a")}})
        assert h.coordinator.get_calls >= calls + 1
        assert h.metric("kuradb_router_retries_total", reason="no_leader") == 2
        assert len({x.request_id for x in h.cluster.seen}) == 1

    run(scenario)


def test_no_leader_past_the_budget_is_service_unavailable() -> None:
    async def scenario(h: Harness) -> None:
        pid = pid_of(h, "a")
        for node in h.nodes.values():
            node.down_partitions.add(pid)
        e = await h.fails("PutItem", {"TableName": "users", "Item": {"id": s("a")}})
        assert isinstance(e, ServiceUnavailable)
        assert len(h.cluster.seen) == 5  # max_attempts

    run(scenario)


def test_epoch_not_match_after_a_split_reroutes_to_the_child() -> None:
    async def scenario(h: Harness) -> None:
        pid = pid_of(h, "a")
        d = h.cluster.parts[pid]
        ha = partition_hash(s("a"))
        split_h = ha if ha > d.start_h else ha + 1  # "a" lands in the child
        _, child = h.cluster.split(pid, split_h, 999)  # the coordinator's map is NOT updated
        await h.call("PutItem", {"TableName": "users", "Item": {"id": s("a")}})
        assert [(x.partition_id, x.node_id) for x in h.cluster.seen] == [(pid, 1), (999, 1)]
        assert h.router.pmap.partition(999) == child
        assert h.router.pmap.lookup(HASH_TABLE.table_id, ha).partition_id == 999
        assert h.metric("kuradb_router_retries_total", reason="epoch_not_match") == 1
        got = await h.call("GetItem", {"TableName": "users", "Key": {"id": s("a")}, "ConsistentRead": True})
        assert got == {"Item": {"id": s("a")}}

    run(scenario)


def test_partition_not_found_invalidates_and_reloads() -> None:
    async def scenario(h: Harness) -> None:
        calls = h.coordinator.get_calls
        h.nodes[1].script = [(None, ipb.PartitionError(code=Code.PARTITION_NOT_FOUND))]
        await h.call("PutItem", {"TableName": "users", "Item": {"id": s("a")}})
        assert h.coordinator.get_calls == calls + 1
        assert h.metric("kuradb_router_retries_total", reason="partition_not_found") == 1

    run(scenario)


def test_server_busy_backs_off_then_succeeds_or_throttles() -> None:
    async def scenario(h: Harness) -> None:
        busy = ipb.PartitionError(code=Code.SERVER_BUSY, backoff_ms=5)
        h.nodes[1].script = [(None, busy)] * 2
        await h.call("PutItem", {"TableName": "users", "Item": {"id": s("a")}})
        assert h.metric("kuradb_router_retries_total", reason="server_busy") == 2
        h.nodes[1].script = [(None, busy)] * 10
        e = await h.fails("PutItem", {"TableName": "users", "Item": {"id": s("a")}})
        assert isinstance(e, ThrottlingException)
        assert e.message == "Rate of requests exceeds the allowed throughput."

    run(scenario)


def test_undetermined_write_is_retried_with_the_same_id_and_applies_once() -> None:
    async def scenario(h: Harness) -> None:
        await h.call("PutItem", {"TableName": "users", "Item": {"id": s("c"), "v": n(0)}})
        h.cluster.seen.clear()
        h.nodes[1].undetermined_after_apply = 2
        await h.call("UpdateItem", {"TableName": "users", "Key": {"id": s("c")}, "UpdateExpression": "ADD v :one",
                                    "ExpressionAttributeValues": {":one": n(1)}})  # fmt: skip
        assert len(h.cluster.seen) == 3 and len({x.request_id for x in h.cluster.seen}) == 1
        got = await h.call("GetItem", {"TableName": "users", "Key": {"id": s("c")}, "ConsistentRead": True})
        assert got["Item"]["v"] == n(1)  # applied once, not three times
        h.nodes[1].undetermined_after_apply = 10
        e = await h.fails("PutItem", {"TableName": "users", "Item": {"id": s("d")}})
        assert isinstance(e, InternalServerError)

    run(scenario)


def test_leader_node_down_fails_over_to_the_new_leader() -> None:
    async def scenario(h: Harness) -> None:
        await h.call("PutItem", {"TableName": "users", "Item": {"id": s("a")}})
        await h.nodes[1].stop()
        for pid in list(h.cluster.leaders):
            h.cluster.leaders[pid] = 2  # the survivors elected node 2
        await h.call("PutItem", {"TableName": "users", "Item": {"id": s("b")}})
        got = await h.call("GetItem", {"TableName": "users", "Key": {"id": s("b")}})  # eventual, own AZ is down
        assert got == {"Item": {"id": s("b")}}
        assert h.metric("kuradb_router_retries_total", reason="node_unreachable") >= 1
        assert {x.node_id for x in h.cluster.seen[1:]} <= {2, 3}

    run(scenario)


def test_every_replica_down_is_service_unavailable() -> None:
    async def scenario(h: Harness) -> None:
        for node in h.nodes.values():
            await node.stop()
        e = await h.fails("GetItem", {"TableName": "users", "Key": {"id": s("a")}})
        assert isinstance(e, ServiceUnavailable)

    run(scenario)


def test_query_goes_to_the_partition_of_its_key() -> None:
    async def scenario(h: Harness) -> None:
        for i in range(5):
            await h.call("PutItem", {"TableName": "events", "Item": {"pk": s("p"), "sk": n(i)}})
            await h.call("PutItem", {"TableName": "events", "Item": {"pk": s("q"), "sk": n(i)}})
        h.cluster.seen.clear()
        page = await h.call("Query", {"TableName": "events", "KeyConditionExpression": "pk = :p AND sk >= :two",
                                      "ExpressionAttributeValues": {":p": s("p"), ":two": n(2)}, "Limit": 2,
                                      "ReturnConsumedCapacity": "TOTAL"})  # fmt: skip
        assert [i["sk"] for i in page["Items"]] == [n(2), n(3)]
        assert page["LastEvaluatedKey"] == {"pk": s("p"), "sk": n(3)}
        assert page["ConsumedCapacity"]["TableName"] == "events"
        pid = h.router.pmap.lookup(4, partition_hash(s("p"))).partition_id
        assert [x.partition_id for x in h.cluster.seen] == [pid]

    run(scenario)


def test_table_operations_go_to_the_coordinator() -> None:
    async def scenario(h: Harness) -> None:
        out = await h.call("ListTables", {})
        assert out == {"TableNames": ["users", "events"]}
        assert h.coordinator.table_requests == [("ListTables", {})]
        h.coordinator.table_answer = __import__("kuradb.proto.coordinator_pb2", fromlist=["x"]).TableResponse(
            dynamo_error=ipb.DynamoError(name="ResourceInUseException", message="Table already exists: users")
        )
        e = await h.fails("CreateTable", {"TableName": "users"})
        assert e.name == "ResourceInUseException" and e.message == "Table already exists: users"

    run(scenario)
