"""Fan-out through the router: Batch* with partial failures, Scan across partitions and segments."""

from __future__ import annotations

from typing import Any

from kuradb.errors import ThrottlingException
from kuradb.keys import HASH_SPACE, partition_hash
from kuradb.proto import internal_pb2 as ipb
from tests.router.harness import HASH_TABLE, Harness, n, run, s

Code = ipb.PartitionError.Code
KEYS = [f"k{i:03d}" for i in range(40)]


def pid_of(h: Harness, key: str) -> int:
    p = h.router.pmap.lookup(HASH_TABLE.table_id, partition_hash(s(key)))
    assert p is not None
    return p.partition_id


async def load(h: Harness, keys: list[str] = KEYS) -> None:
    for i in range(0, len(keys), 25):
        chunk = keys[i : i + 25]
        out = await h.call("BatchWriteItem", {"RequestItems": {"users": [
            {"PutRequest": {"Item": {"id": s(k), "v": n(j)}}} for j, k in enumerate(chunk)]}})  # fmt: skip
        assert out == {"UnprocessedItems": {}}


# ---------------------------------------------------------------------------- batches


def test_batch_write_and_get_span_partitions() -> None:
    async def scenario(h: Harness) -> None:
        await load(h)
        assert len({x.partition_id for x in h.cluster.seen}) == 4  # keys spread over every partition
        keys = [{"id": s(k)} for k in KEYS[:30]] + [{"id": s("missing")}]
        out = await h.call("BatchGetItem", {"RequestItems": {"users": {"Keys": keys, "ProjectionExpression": "id"}},
                                            "ReturnConsumedCapacity": "TOTAL"})  # fmt: skip
        assert sorted(i["id"]["S"] for i in out["Responses"]["users"]) == KEYS[:30]
        assert all(set(i) == {"id"} for i in out["Responses"]["users"])
        assert out["UnprocessedKeys"] == {}
        assert out["ConsumedCapacity"] == [{"TableName": "users", "CapacityUnits": 15.5}]

    run(scenario)


def test_batch_write_ids_are_per_item_and_stable_across_client_retries() -> None:
    async def scenario(h: Harness) -> None:
        req = {"RequestItems": {"users": [{"PutRequest": {"Item": {"id": s(k)}}} for k in KEYS[:5]]}}
        await h.call("BatchWriteItem", req, request_id="call-1")
        first = {x.request["Item"]["id"]["S"]: x.request_id for x in h.cluster.seen}
        h.cluster.seen.clear()
        await h.call("BatchWriteItem", req, request_id="call-1")
        again = {x.request["Item"]["id"]["S"]: x.request_id for x in h.cluster.seen}
        assert first == again and len(set(first.values())) == 5

    run(scenario)


def test_batch_write_partial_failure_comes_back_unprocessed() -> None:
    async def scenario(h: Harness) -> None:
        dead = pid_of(h, KEYS[0])
        for node in h.nodes.values():
            node.down_partitions.add(dead)  # no leader there, past the retry budget
        writes = [{"PutRequest": {"Item": {"id": s(k)}}} for k in KEYS[:20]] + [{"DeleteRequest": {"Key": {"id": s("zz")}}}]
        out = await h.call("BatchWriteItem", {"RequestItems": {"users": writes}})
        expected = [w for w in writes if pid_of(h, (w.get("PutRequest") or {}).get("Item", {}).get("id", {}).get("S") or "zz") == dead]
        assert out["UnprocessedItems"] == {"users": expected}
        assert 0 < len(expected) < len(writes)
        for node in h.nodes.values():
            node.down_partitions.clear()
        written = await h.call("BatchGetItem", {"RequestItems": {"users": {"Keys": [{"id": s(k)} for k in KEYS[:20]],
                                                                           "ConsistentRead": True}}})  # fmt: skip
        got = {i["id"]["S"] for i in written["Responses"]["users"]}
        assert got == {k for k in KEYS[:20] if pid_of(h, k) != dead}

    run(scenario)


def test_batch_get_partial_failure_comes_back_unprocessed_with_options() -> None:
    async def scenario(h: Harness) -> None:
        await load(h)
        dead = pid_of(h, KEYS[0])
        for node in h.nodes.values():
            node.down_partitions.add(dead)
        keys = [{"id": s(k)} for k in KEYS[:20]]
        out = await h.call("BatchGetItem", {"RequestItems": {"users": {"Keys": keys, "ConsistentRead": True}}})
        unprocessed = out["UnprocessedKeys"]["users"]
        assert unprocessed["ConsistentRead"] is True
        assert unprocessed["Keys"] == [k for k in keys if pid_of(h, k["id"]["S"]) == dead]
        assert len(out["Responses"]["users"]) == 20 - len(unprocessed["Keys"])

    run(scenario)


def test_batch_entirely_throttled_is_the_throttling_error() -> None:
    async def scenario(h: Harness) -> None:
        busy = ipb.PartitionError(code=Code.SERVER_BUSY, backoff_ms=1)
        h.nodes[1].script = [(None, busy)] * 100
        e = await h.fails("BatchWriteItem", {"RequestItems": {"users": [{"PutRequest": {"Item": {"id": s("a")}}},
                                                                        {"PutRequest": {"Item": {"id": s("b")}}}]}})  # fmt: skip
        assert isinstance(e, ThrottlingException)

    run(scenario, max_attempts=3)


# ---------------------------------------------------------------------------- scans


async def scan_all(h: Harness, **extra: Any) -> tuple[list[str], int]:
    """Page through a Scan following LastEvaluatedKey; (ids in order, pages)."""
    ids: list[str] = []
    req: dict[str, Any] = {"TableName": "users", **extra}
    pages = 0
    while True:
        page = await h.call("Scan", req)
        pages += 1
        ids += [i["id"]["S"] for i in page.get("Items", [])]
        assert page["Count"] == len(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return ids, pages
        req["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_scan_walks_partitions_in_hash_order() -> None:
    async def scenario(h: Harness) -> None:
        await load(h)
        page = await h.call("Scan", {"TableName": "users", "ReturnConsumedCapacity": "TOTAL"})
        ids = [i["id"]["S"] for i in page["Items"]]
        assert sorted(ids) == KEYS and "LastEvaluatedKey" not in page
        assert [partition_hash(s(k)) for k in ids] == sorted(partition_hash(s(k)) for k in ids)
        assert page["ConsumedCapacity"]["CapacityUnits"] == 2.0  # 4 partitions x 0.5

    run(scenario)


def test_scan_with_limit_resumes_from_last_evaluated_key() -> None:
    async def scenario(h: Harness) -> None:
        await load(h)
        ids, pages = await scan_all(h, Limit=7)
        assert sorted(ids) == KEYS and len(ids) == len(KEYS)  # every item exactly once
        assert pages >= len(KEYS) // 7

    run(scenario)


def test_scan_resumes_across_a_split() -> None:
    async def scenario(h: Harness) -> None:
        await load(h)
        page = await h.call("Scan", {"TableName": "users", "Limit": 3})
        ids = [i["id"]["S"] for i in page["Items"]]
        lek = page["LastEvaluatedKey"]
        pid = pid_of(h, lek["id"]["S"])
        d = h.cluster.parts[pid]
        h.cluster.split(pid, (d.start_h + d.end_h) // 2, 777)  # the router learns it from EPOCH_NOT_MATCH
        rest, _ = await scan_all(h, Limit=5, ExclusiveStartKey=lek)
        assert sorted(ids + rest) == KEYS and len(ids + rest) == len(KEYS)

    run(scenario)


def test_parallel_segments_tile_the_table() -> None:
    async def scenario(h: Harness) -> None:
        await load(h)
        seen: list[str] = []
        for seg in range(3):  # 3 segments over 4 partitions: slices cross partition boundaries
            ids, _ = await scan_all(h, Segment=seg, TotalSegments=3, Limit=4)
            lo, hi = seg * HASH_SPACE // 3, (seg + 1) * HASH_SPACE // 3
            assert all(lo <= partition_hash(s(k)) < hi for k in ids)
            seen += ids
        assert sorted(seen) == KEYS

    run(scenario)


def test_scan_count_and_filter() -> None:
    async def scenario(h: Harness) -> None:
        await load(h)
        page = await h.call("Scan", {"TableName": "users", "Select": "COUNT", "FilterExpression": "v < :x",
                                     "ExpressionAttributeValues": {":x": n(5)}})  # fmt: skip
        assert "Items" not in page
        assert page["ScannedCount"] == len(KEYS)
        assert page["Count"] == 10  # v = 0..4 in each of the two 25/15-item chunks

    run(scenario)


def test_scan_page_stops_at_the_byte_budget_with_a_real_key() -> None:
    async def scenario(h: Harness) -> None:
        big = "x" * 300_000
        keys = KEYS[:12]
        for k in keys:
            await h.call("PutItem", {"TableName": "users", "Item": {"id": s(k), "blob": s(big)}})
        page = await h.call("Scan", {"TableName": "users", "ProjectionExpression": "id"})
        assert "LastEvaluatedKey" in page and len(page["Items"]) < len(keys)
        ids, _ = await scan_all(h, ProjectionExpression="id")
        assert sorted(ids) == keys

    run(scenario)
