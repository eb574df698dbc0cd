"""The asyncio client against the scripted fake server."""

from __future__ import annotations

import asyncio
import random
from decimal import Decimal
from typing import Any

import pytest

from kuradb.client import REQUEST_ID_METADATA, AsyncKuraClient, DefaultRetryPolicy
from kuradb.client.retry import DeadlineExceeded
from kuradb.errors import ConditionalCheckFailedException, ServiceUnavailable, ThrottlingException, ValidationException
from tests.client.fake_server import Delay, FakeDynamoDB

FAST_RETRY = DefaultRetryPolicy(base_s=0.001, cap_s=0.005, rng=random.Random(5))


def client(fake: FakeDynamoDB, **kw: Any) -> AsyncKuraClient:
    kw.setdefault("retry", FAST_RETRY)
    return AsyncKuraClient(fake.endpoint, **kw)


def test_calls_errors_and_retries(fake: FakeDynamoDB) -> None:
    old = {"id": {"S": "a"}}
    fake.script("GetItem", ServiceUnavailable("no leader"), {"Item": old})
    fake.script("DeleteItem", ConditionalCheckFailedException(item=old))

    async def main() -> None:
        async with client(fake) as c:
            assert await c.get_item(TableName="t", Key=old) == {"Item": old}
            with pytest.raises(c.exceptions.ConditionalCheckFailedException) as info:
                await c.delete_item(
                    TableName="t", Key=old, ConditionExpression="attribute_not_exists(id)",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            assert info.value.item == old

    asyncio.run(main())
    get1, get2, _ = fake.calls
    assert get1.metadata[REQUEST_ID_METADATA] == get2.metadata[REQUEST_ID_METADATA]


def test_deadline(fake: FakeDynamoDB) -> None:
    fake.default("Scan", Delay(2.0))

    async def main() -> None:
        async with client(fake, timeout=0.2) as c:
            with pytest.raises(DeadlineExceeded):
                await c.scan(TableName="t")

    asyncio.run(main())


def test_paginator(fake: FakeDynamoDB) -> None:
    k = {"id": {"S": "a"}}
    fake.script("Scan", {"Items": [k], "LastEvaluatedKey": k}, {"Items": [k]})

    async def main() -> list[dict[str, Any]]:
        async with client(fake) as c:
            return [p async for p in c.get_paginator("scan").paginate(TableName="t")]

    assert len(asyncio.run(main())) == 2
    assert fake.calls[1].request["ExclusiveStartKey"] == k


def _segmented(pages_per_segment: int) -> Any:
    """A Scan answer with ``pages_per_segment`` pages per segment, one item per page."""

    def answer(req: dict[str, Any]) -> dict[str, Any]:
        seg = req["Segment"]
        page = int(req["ExclusiveStartKey"]["p"]["N"]) + 1 if "ExclusiveStartKey" in req else 0
        item = {"seg": {"N": str(seg)}, "p": {"N": str(page)}}
        out: dict[str, Any] = {"Items": [item], "Count": 1}
        if page + 1 < pages_per_segment:
            out["LastEvaluatedKey"] = item
        return out
    return answer


def test_parallel_scan(fake: FakeDynamoDB) -> None:
    fake.default("Scan", _segmented(3))

    async def main() -> list[dict[str, Any]]:
        async with client(fake) as c:
            return [p async for p in c.parallel_scan(TableName="t", TotalSegments=4, max_concurrency=2)]

    pages = asyncio.run(main())
    got = sorted((int(i["seg"]["N"]), int(i["p"]["N"])) for p in pages for i in p["Items"])
    assert got == [(s, p) for s in range(4) for p in range(3)]
    assert {c.request["TotalSegments"] for c in fake.calls} == {4}
    per_segment: dict[int, list[int]] = {}
    for p in pages:  # each segment's pages arrive in order
        for i in p["Items"]:
            per_segment.setdefault(int(i["seg"]["N"]), []).append(int(i["p"]["N"]))
    assert all(v == [0, 1, 2] for v in per_segment.values())


def test_parallel_scan_failure_and_early_exit(fake: FakeDynamoDB) -> None:
    good = _segmented(50)

    def answer(req: dict[str, Any]) -> Any:
        return ValidationException("boom") if req["Segment"] == 2 else good(req)

    fake.default("Scan", answer)

    async def main() -> None:
        async with client(fake) as c:
            with pytest.raises(ValidationException, match="boom"):
                async for _ in c.parallel_scan(TableName="t", TotalSegments=3):
                    pass
            stream = c.parallel_scan(TableName="t", TotalSegments=2)
            async for _ in stream:
                break
            await stream.aclose()  # cancels the segment workers
            with pytest.raises(ValidationException, match="totalSegments"):
                async for _ in c.parallel_scan(TableName="t", TotalSegments=0):
                    pass

    asyncio.run(main())


def test_table_and_batch_writer(fake: FakeDynamoDB) -> None:
    fake.script("PutItem", {})
    fake.script("Query", {"Items": [{"id": {"S": "a"}, "n": {"N": "5"}}], "LastEvaluatedKey": {"id": {"S": "a"}}}, {"Items": []})
    fake.script("BatchWriteItem", {"UnprocessedItems": {"t": [{"DeleteRequest": {"Key": {"id": {"S": "z"}}}}]}}, {})
    fake.default("Scan", _segmented(1))

    async def main() -> None:
        async with client(fake) as c:
            table = c.Table("t")
            await table.put_item(Item={"id": "a", "n": 5, "data": b"\x01"})
            pages = [p async for p in table.query_pages(KeyConditionExpression="id = :a", ExpressionAttributeValues={":a": "a"})]
            assert pages[0]["Items"] == [{"id": "a", "n": Decimal(5)}] and pages[1]["Items"] == []
            async with table.batch_writer() as batch:
                await batch.put_item(Item={"id": "y"})
                await batch.delete_item(Key={"id": "z"})
            segs = [p async for p in table.parallel_scan(TotalSegments=2)]
            assert sorted(p["Items"][0]["seg"] for p in segs) == [0, 1]

    asyncio.run(main())
    put = fake.calls_of("PutItem")[0]
    assert put.request["Item"] == {"id": {"S": "a"}, "n": {"N": "5"}, "data": {"B": b"\x01"}}
    writes = [c.request["RequestItems"]["t"] for c in fake.calls_of("BatchWriteItem")]
    assert writes == [
        [{"PutRequest": {"Item": {"id": {"S": "y"}}}}, {"DeleteRequest": {"Key": {"id": {"S": "z"}}}}],
        [{"DeleteRequest": {"Key": {"id": {"S": "z"}}}}],
    ]


def test_throttling_exhausts_retries(fake: FakeDynamoDB) -> None:
    fake.default("Query", ThrottlingException("slow down"))

    async def main() -> None:
        async with client(fake, retry=DefaultRetryPolicy(base_s=0.001, cap_s=0.001, max_attempts=3)) as c:
            with pytest.raises(ThrottlingException):
                await c.query(TableName="t", KeyConditionExpression="id = :a", ExpressionAttributeValues={":a": {"S": "a"}})

    asyncio.run(main())
    assert len(fake.calls) == 3
