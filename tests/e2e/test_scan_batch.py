"""Scan (sequential and parallel segments) and batch operations over a table with several
partitions, through the SDK against a real cluster."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from kuradb.client import AsyncKuraClient, KuraClient
from kuradb.keys import partition_hash
from kuradb.tools import up

from tests.e2e.conftest import create_table, partition_of, partitions_of

pytestmark = pytest.mark.timeout(180)

# DynamoDB sizes a partition at <= 3000 RCU and <= 1000 WCU (coordinator.placement): 4 partitions.
RCU, WCU, PARTITIONS = 12_000, 4_000, 4
ITEMS = 400


@pytest.fixture(scope="module")
def wide_table(shared_cluster: up.LocalCluster) -> str:
    """A PROVISIONED table with several partitions, filled with ITEMS items by batch_writer."""
    name = "e2e-wide"
    with KuraClient(shared_cluster.endpoint, timeout=30.0) as client:
        create_table(client, name, rcu=RCU, wcu=WCU)
        with client.Table(name).batch_writer() as writer:
            for i in range(ITEMS):
                writer.put_item(Item={"pk": f"item-{i:04d}", "i": i, "pad": "x" * 100})
    return name


def _by_partition(cluster: up.LocalCluster, table: str, pks: list[str]) -> Counter[int]:
    parts = partitions_of(cluster, table)
    return Counter(partition_of(parts, partition_hash({"S": pk})) for pk in pks)


def test_table_starts_with_several_partitions(shared_cluster: up.LocalCluster, wide_table: str) -> None:
    parts = partitions_of(shared_cluster, wide_table)
    assert len(parts) >= PARTITIONS
    assert parts[0].start_h == 0 and parts[-1].end_is_max
    assert all(a.end_h == b.start_h for a, b in zip(parts, parts[1:])), "partitions must tile the hash space"


def test_scan_covers_every_partition(shared_cluster: up.LocalCluster, client: KuraClient, wide_table: str) -> None:
    pages = list(client.Table(wide_table).scan_pages(Limit=37))
    pks = [item["pk"] for page in pages for item in page["Items"]]
    assert sorted(pks) == [f"item-{i:04d}" for i in range(ITEMS)]  # each item exactly once
    per_partition = _by_partition(shared_cluster, wide_table, pks)
    assert set(per_partition) == {p.id for p in partitions_of(shared_cluster, wide_table)}
    assert all(len(p["Items"]) <= 37 for p in pages)

    counted = client.scan(TableName=wide_table, Select="COUNT", FilterExpression="i < :n",
                          ExpressionAttributeValues={":n": {"N": "100"}})  # fmt: skip
    total = counted["Count"]
    start = counted.get("LastEvaluatedKey")
    while start:  # COUNT pages may stop at 1 MB or a partition boundary: follow them
        page = client.scan(TableName=wide_table, Select="COUNT", FilterExpression="i < :n", ExclusiveStartKey=start,
                           ExpressionAttributeValues={":n": {"N": "100"}})  # fmt: skip
        total += page["Count"]
        start = page.get("LastEvaluatedKey")
    assert total == 100


@pytest.mark.parametrize("segments", [1, 3, 8])
def test_parallel_scan_segments_cover_the_table_once(
    shared_cluster: up.LocalCluster, wide_table: str, segments: int
) -> None:
    async def scan() -> tuple[list[str], list[list[str]]]:
        async with AsyncKuraClient(shared_cluster.endpoint, timeout=30.0) as aclient:
            table = aclient.Table(wide_table)
            everything = [i["pk"] async for page in table.parallel_scan(TotalSegments=segments, Limit=50)
                          for i in page["Items"]]  # fmt: skip
            each: list[list[str]] = []
            for segment in range(segments):  # segments are disjoint: no item in two of them
                seg = [i["pk"] async for page in table.scan_pages(Segment=segment, TotalSegments=segments)
                       for i in page["Items"]]  # fmt: skip
                each.append(seg)
            return everything, each

    everything, each = asyncio.run(scan())
    assert sorted(everything) == [f"item-{i:04d}" for i in range(ITEMS)]
    assert sorted(pk for seg in each for pk in seg) == sorted(everything)
    if segments > 1:
        assert sum(1 for seg in each if seg) > 1, "the items should spread over several segments"
    assert set(_by_partition(shared_cluster, wide_table, everything)) == {
        p.id for p in partitions_of(shared_cluster, wide_table)}  # fmt: skip


def _batch_get_all(client: KuraClient, table: str, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """BatchGetItem of up to 100 keys, resending UnprocessedKeys as DynamoDB's docs advise."""
    request: dict[str, Any] = {table: {"Keys": keys, "ConsistentRead": True}}
    items: list[dict[str, Any]] = []
    for _ in range(20):
        resp = client.batch_get_item(RequestItems=request)
        items.extend(resp["Responses"].get(table, []))
        request = resp.get("UnprocessedKeys") or {}
        if not request:
            return items
    raise AssertionError(f"keys still unprocessed after 20 rounds: {request}")


def test_batch_operations_over_many_partitions(
    shared_cluster: up.LocalCluster, client: KuraClient, table_name: str
) -> None:
    create_table(client, table_name, rcu=RCU, wcu=WCU)
    keys = [f"b{i:03d}" for i in range(250)]
    assert len(_by_partition(shared_cluster, table_name, keys)) >= PARTITIONS  # the batches span partitions

    for start in range(0, len(keys), 25):  # the low-level call, 25 requests at a time
        request = {table_name: [{"PutRequest": {"Item": {"pk": {"S": k}, "v": {"N": "1"}}}} for k in keys[start:start + 25]]}
        for _ in range(20):
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
            if not request:
                break
        assert not request
    got = _batch_get_all(client, table_name, [{"pk": {"S": k}} for k in keys[:100]])
    assert sorted(i["pk"]["S"] for i in got) == keys[:100]
    assert all(i["v"] == {"N": "1"} for i in got)

    table = client.Table(table_name)
    with table.batch_writer(overwrite_by_pkeys=["pk"]) as writer:  # deletes and overwrites mixed
        for k in keys[::2]:
            writer.delete_item(Key={"pk": k})
        for k in keys[1::2]:
            writer.put_item(Item={"pk": k, "v": 2})
    remaining = [i for page in table.scan_pages() for i in page["Items"]]
    assert sorted(i["pk"] for i in remaining) == keys[1::2]
    assert {i["v"] for i in remaining} == {2}
    got = _batch_get_all(client, table_name, [{"pk": {"S": k}} for k in keys[:100]])
    assert sorted(i["pk"]["S"] for i in got) == keys[1:100:2]
