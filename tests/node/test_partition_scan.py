"""Scan pages of a partition: Limit, 1 MB pages, ExclusiveStartKey, parallel segments."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kuradb.keys import HASH_SPACE, partition_hash
from kuradb.model.values import item_size
from kuradb.node.engine import Engine
from kuradb.node.partition import PAGE_BYTES, Page, PartitionStateMachine
from kuradb.operations import parse_scan
from tests.node.helpers import HASH_TABLE, RANGE_TABLE, Driver, n, s

MakeSM = Callable[..., PartitionStateMachine]


def scan(sm: PartitionStateMachine, **req: object) -> Page:
    return sm.scan(parse_scan({"TableName": sm.table.name, **req}, sm.table))


def scan_all(sm: PartitionStateMachine, **req: object) -> tuple[list[dict], list[Page]]:
    items: list[dict] = []
    pages: list[Page] = []
    esk = None
    while True:
        page = scan(sm, **req, **({"ExclusiveStartKey": esk} if esk else {}))
        pages.append(page)
        items.extend(page.items)
        esk = page.last_evaluated_key
        if esk is None:
            return items, pages


@pytest.fixture
def big(make_sm: MakeSM) -> PartitionStateMachine:
    """3000 items of about 1 KB in 30 item collections."""
    d = Driver(make_sm())
    for i in range(3000):
        assert d.put({"pk": s(f"p{i % 30}"), "sk": n(i), "pad": s("x" * 1000)}).error is None
    return d.sm


def test_scan_1mb_pages(big: PartitionStateMachine) -> None:
    items, pages = scan_all(big)
    assert len(items) == 3000
    assert len({(i["pk"]["S"], i["sk"]["N"]) for i in items}) == 3000
    assert len(pages) == 3
    for p in pages[:-1]:
        size = sum(item_size(i) for i in p.items)
        assert PAGE_BYTES <= size < PAGE_BYTES + 1100  # stops on the item that reaches 1 MB
        assert p.last_evaluated_key is not None and set(p.last_evaluated_key) == {"pk", "sk"}
        assert p.consumed_rcu == pytest.approx(-(-size // 4096) / 2)  # eventual: half
    assert pages[-1].last_evaluated_key is None


def test_scan_limit_and_lek(make_sm: MakeSM) -> None:
    d = Driver(make_sm(HASH_TABLE))
    for i in range(10):
        d.put({"id": s(f"u{i}")})
    items, pages = scan_all(d.sm, Limit=3)
    assert len(items) == 10 and [p.count for p in pages] == [3, 3, 3, 1]
    # Limit reached exactly at the last item: DynamoDB still returns a LastEvaluatedKey
    items, pages = scan_all(d.sm, Limit=5)
    assert [p.count for p in pages] == [5, 5, 0]
    assert pages[1].last_evaluated_key is not None
    page = scan(d.sm, Select="COUNT")
    assert page.items == [] and page.count == 10 and page.scanned_count == 10


def test_scan_order_is_key_order(make_sm: MakeSM) -> None:
    d = Driver(make_sm(HASH_TABLE))
    for i in range(20):
        d.put({"id": s(f"u{i}")})
    items = scan(d.sm).items
    assert [partition_hash(i["id"]) for i in items] == sorted(partition_hash(i["id"]) for i in items)


@pytest.mark.parametrize("total", [1, 2, 3, 7, 64])
def test_segments_partition_the_data_exactly(big: PartitionStateMachine, total: int) -> None:
    seen: list[tuple[str, str]] = []
    for seg in range(total):
        items, _ = scan_all(big, Segment=seg, TotalSegments=total)
        lo, hi = seg * HASH_SPACE // total, (seg + 1) * HASH_SPACE // total
        assert all(lo <= partition_hash(i["pk"]) < hi for i in items)
        seen.extend((i["pk"]["S"], i["sk"]["N"]) for i in items)
    assert len(seen) == 3000 and len(set(seen)) == 3000


def test_segments_across_partitions(engine: Engine) -> None:
    """Two partitions sharing an engine; a segment spanning both is the union of its halves."""
    cut = (1 << 64) // 3
    parts = [PartitionStateMachine(engine, HASH_TABLE, 0, cut, 1), PartitionStateMachine(engine, HASH_TABLE, cut, HASH_SPACE, 2)]
    drivers = [Driver(p) for p in parts]
    for i in range(200):
        item = {"id": s(f"u{i}")}
        drivers[0 if partition_hash(item["id"]) < cut else 1].put(item)
    got: list[str] = []
    for seg in range(4):
        for p in parts:
            items, _ = scan_all(p, Segment=seg, TotalSegments=4)
            got.extend(i["id"]["S"] for i in items)
    assert sorted(got) == sorted(f"u{i}" for i in range(200))


def test_scan_subrange_argument(make_sm: MakeSM) -> None:
    d = Driver(make_sm(HASH_TABLE))
    for i in range(50):
        d.put({"id": s(f"u{i}")})
    half = 1 << 63
    low = d.sm.scan(parse_scan({"TableName": "users"}, HASH_TABLE), 0, half).items
    high = d.sm.scan(parse_scan({"TableName": "users"}, HASH_TABLE), half, HASH_SPACE).items
    assert len(low) + len(high) == 50
    assert all(partition_hash(i["id"]) < half for i in low)


def test_empty_scan_costs_minimum(make_sm: MakeSM) -> None:
    page = scan(make_sm(RANGE_TABLE), ConsistentRead=True)
    assert page.items == [] and page.last_evaluated_key is None and page.consumed_rcu == 1.0
