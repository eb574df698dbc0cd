"""The sync client against the scripted fake server: shapes, errors, retries, deadlines."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from decimal import Decimal

import grpc
import pytest

from kuradb.client import KuraClient, DefaultRetryPolicy, NoRetryPolicy, REQUEST_ID_METADATA
from kuradb.client._base import METHOD_TO_OPERATION, Operations
from kuradb.client.retry import DeadlineExceeded
from kuradb.errors import (
    ConditionalCheckFailedException,
    InternalServerError,
    ProvisionedThroughputExceededException,
    ResourceNotFoundException,
    SerializationException,
    ServiceUnavailable,
    ThrottlingException,
    ValidationException,
)
from tests.client.fake_server import Abort, Delay, FakeDynamoDB

FAST_RETRY = DefaultRetryPolicy(base_s=0.001, cap_s=0.005, rng=random.Random(3))


@pytest.fixture
def client(fake: FakeDynamoDB) -> Iterator[KuraClient]:
    with KuraClient(fake.endpoint, timeout=5.0, retry=FAST_RETRY) as c:
        yield c


def test_every_operation_has_a_method() -> None:
    assert set(METHOD_TO_OPERATION) <= set(vars(Operations))
    assert len(METHOD_TO_OPERATION) == 13


def test_put_and_get_shapes(client: KuraClient, fake: FakeDynamoDB) -> None:
    item = {"id": {"S": "a"}, "n": {"N": "1"}, "b": {"B": b"\x00"}, "l": {"L": [{"NULL": True}]}}
    fake.script("PutItem", {"ConsumedCapacity": {"TableName": "t", "CapacityUnits": 1.0}})
    fake.script("GetItem", {"Item": item})
    assert client.put_item(TableName="t", Item=item, ConditionExpression="attribute_not_exists(id)") == {
        "ConsumedCapacity": {"TableName": "t", "CapacityUnits": 1.0}
    }
    assert client.get_item(TableName="t", Key={"id": {"S": "a"}}) == {"Item": item}
    put, get = fake.calls
    assert put.op == "PutItem" and put.request["Item"] == item
    assert put.request["ConditionExpression"] == "attribute_not_exists(id)"
    assert get.request == {"TableName": "t", "Key": {"id": {"S": "a"}}}


def test_table_management(client: KuraClient, fake: FakeDynamoDB) -> None:
    fake.script("ListTables", {"TableNames": ["a", "b"]})
    fake.script("DescribeTable", {"Table": {"TableName": "a", "TableStatus": "ACTIVE"}})
    assert client.list_tables() == {"TableNames": ["a", "b"]}
    assert client.describe_table(TableName="a")["Table"]["TableStatus"] == "ACTIVE"


@pytest.mark.parametrize(
    "error",
    [
        ValidationException("One or more parameter values were invalid: Missing the key id in the item"),
        ResourceNotFoundException("Requested resource not found"),
        ConditionalCheckFailedException("The conditional request failed"),
    ],
)
def test_errors_keep_their_dynamodb_name_and_message(client: KuraClient, fake: FakeDynamoDB, error: Exception) -> None:
    fake.script("PutItem", error)
    with pytest.raises(type(error)) as info:
        client.put_item(TableName="t", Item={"id": {"S": "a"}})
    assert str(info.value) == str(error)
    assert len(fake.calls) == 1  # never retried
    assert getattr(client.exceptions, type(error).__name__) is type(error)


def test_conditional_check_failed_carries_the_old_item(client: KuraClient, fake: FakeDynamoDB) -> None:
    old = {"id": {"S": "a"}, "v": {"N": "3"}}
    fake.script("UpdateItem", ConditionalCheckFailedException(item=old))
    with pytest.raises(client.exceptions.ConditionalCheckFailedException) as info:
        client.update_item(
            TableName="t", Key={"id": {"S": "a"}}, UpdateExpression="SET v = :v",
            ExpressionAttributeValues={":v": {"N": "4"}}, ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    assert info.value.item == old


def test_local_serialization_errors_need_no_server(fake: FakeDynamoDB) -> None:
    with KuraClient(fake.endpoint) as c:
        with pytest.raises(ValidationException, match='Unknown parameter in input: "Bogus"'):
            c.get_item(TableName="t", Bogus=1)
        with pytest.raises(SerializationException):
            c.get_item(TableName=5)
    assert fake.calls == []


@pytest.mark.parametrize(
    "transient",
    [
        ProvisionedThroughputExceededException("The level of configured provisioned throughput for the table was exceeded."),
        ThrottlingException("Rate of requests exceeds the allowed throughput."),
        ServiceUnavailable("no quorum"),
        InternalServerError("Internal server error"),
        Abort(grpc.StatusCode.UNAVAILABLE, "connection reset"),
    ],
)
def test_transient_errors_are_retried_with_the_same_request_id(
    client: KuraClient, fake: FakeDynamoDB, transient: object
) -> None:
    fake.script("PutItem", transient, transient, {})
    assert client.put_item(TableName="t", Item={"id": {"S": "a"}}) == {}
    calls = fake.calls_of("PutItem")
    assert len(calls) == 3
    ids = {c.metadata[REQUEST_ID_METADATA] for c in calls}
    assert len(ids) == 1 and len(ids.pop()) == 32


def test_each_logical_call_has_its_own_request_id(client: KuraClient, fake: FakeDynamoDB) -> None:
    fake.default("GetItem", {})
    client.get_item(TableName="t", Key={"id": {"S": "a"}})
    client.get_item(TableName="t", Key={"id": {"S": "a"}})
    a, b = fake.calls
    assert a.metadata[REQUEST_ID_METADATA] != b.metadata[REQUEST_ID_METADATA]


def test_retries_give_up_after_max_attempts(fake: FakeDynamoDB) -> None:
    fake.default("GetItem", ThrottlingException("slow down"))
    policy = DefaultRetryPolicy(base_s=0.001, cap_s=0.002, max_attempts=4)
    with KuraClient(fake.endpoint, retry=policy) as c:
        with pytest.raises(ThrottlingException, match="slow down"):
            c.get_item(TableName="t", Key={"id": {"S": "a"}})
    assert len(fake.calls) == 4


def test_unknown_transport_failures_are_not_retried(client: KuraClient, fake: FakeDynamoDB) -> None:
    fake.script("GetItem", Abort(grpc.StatusCode.UNIMPLEMENTED, "no such method"))
    with pytest.raises(InternalServerError, match="UNIMPLEMENTED"):
        client.get_item(TableName="t", Key={"id": {"S": "a"}})
    assert len(fake.calls) == 1


def test_overall_deadline(fake: FakeDynamoDB) -> None:
    fake.default("GetItem", Delay(2.0))
    with KuraClient(fake.endpoint, timeout=0.3, retry=FAST_RETRY) as c:
        start = time.monotonic()
        with pytest.raises(DeadlineExceeded):
            c.get_item(TableName="t", Key={"id": {"S": "a"}})
        assert time.monotonic() - start < 1.9  # gave up before the server answered
    assert len(fake.calls) == 1


def test_attempt_timeout_retries_a_stuck_attempt(fake: FakeDynamoDB) -> None:
    fake.script("PutItem", Delay(2.0), {"Attributes": {"id": {"S": "a"}}})
    with KuraClient(fake.endpoint, timeout=5.0, attempt_timeout=0.2, retry=FAST_RETRY) as c:
        out = c.put_item(TableName="t", Item={"id": {"S": "a"}}, ReturnValues="ALL_OLD")
    assert out == {"Attributes": {"id": {"S": "a"}}}
    first, second = fake.calls
    assert first.metadata[REQUEST_ID_METADATA] == second.metadata[REQUEST_ID_METADATA]


def test_connection_refused_is_service_unavailable() -> None:
    with KuraClient("127.0.0.1:1", timeout=1.0, retry=NoRetryPolicy()) as c:
        with pytest.raises(ServiceUnavailable):
            c.list_tables()


# ---------------------------------------------------------------- paginators


def test_query_paginator_follows_last_evaluated_key(client: KuraClient, fake: FakeDynamoDB) -> None:
    k1, k2 = {"id": {"S": "a"}, "s": {"N": "1"}}, {"id": {"S": "a"}, "s": {"N": "2"}}
    fake.script(
        "Query",
        {"Items": [k1], "Count": 1, "ScannedCount": 1, "LastEvaluatedKey": k1},
        {"Items": [], "Count": 0, "ScannedCount": 3, "LastEvaluatedKey": k2},  # empty page, not the end
        {"Items": [k2], "Count": 1, "ScannedCount": 1},
    )
    assert client.can_paginate("query") and not client.can_paginate("put_item")
    pages = list(
        client.get_paginator("query").paginate(
            TableName="t", KeyConditionExpression="id = :id", ExpressionAttributeValues={":id": {"S": "a"}}
        )
    )
    assert [p["Count"] for p in pages] == [1, 0, 1]
    starts = [c.request.get("ExclusiveStartKey") for c in fake.calls]
    assert starts == [None, k1, k2]
    assert all(c.request["KeyConditionExpression"] == "id = :id" for c in fake.calls)


def test_list_tables_paginator(client: KuraClient, fake: FakeDynamoDB) -> None:
    fake.script("ListTables", {"TableNames": ["a"], "LastEvaluatedTableName": "a"}, {"TableNames": ["b"]})
    names = [n for p in client.get_paginator("list_tables").paginate(Limit=1) for n in p["TableNames"]]
    assert names == ["a", "b"]
    assert fake.calls[1].request == {"Limit": 1, "ExclusiveStartTableName": "a"}


def test_paginator_refuses_a_token_that_does_not_advance(client: KuraClient, fake: FakeDynamoDB) -> None:
    k = {"id": {"S": "a"}}
    fake.default("Scan", {"Items": [], "LastEvaluatedKey": k})
    with pytest.raises(InternalServerError, match="never end"):
        list(client.get_paginator("scan").paginate(TableName="t"))
    assert len(fake.calls) == 2


def test_get_paginator_of_an_unpaginated_operation(client: KuraClient) -> None:
    with pytest.raises(ValueError, match="cannot be paginated"):
        client.get_paginator("put_item").paginate(TableName="t")


# ---------------------------------------------------------------- Table API


def test_table_plain_values(client: KuraClient, fake: FakeDynamoDB) -> None:
    fake.script("PutItem", {})
    fake.script("GetItem", {"Item": {"id": {"S": "a"}, "n": {"N": "1.5"}, "tags": {"SS": ["x"]}}})
    fake.script("UpdateItem", {"Attributes": {"n": {"N": "2"}}})
    table = client.Table("t")
    table.put_item(Item={"id": "a", "n": Decimal("1.5"), "tags": {"x"}}, ConditionExpression="attribute_not_exists(id)")
    assert table.get_item(Key={"id": "a"}) == {"Item": {"id": "a", "n": Decimal("1.5"), "tags": {"x"}}}
    out = table.update_item(
        Key={"id": "a"}, UpdateExpression="ADD n :one", ExpressionAttributeValues={":one": 1}, ReturnValues="UPDATED_NEW"
    )
    assert out == {"Attributes": {"n": Decimal(2)}}
    put, _, update = fake.calls
    assert put.request["TableName"] == "t"
    assert put.request["Item"] == {"id": {"S": "a"}, "n": {"N": "1.5"}, "tags": {"SS": ["x"]}}
    assert update.request["ExpressionAttributeValues"] == {":one": {"N": "1"}}


def test_table_rejects_table_name(client: KuraClient) -> None:
    with pytest.raises(TypeError):
        client.Table("t").get_item(TableName="u", Key={"id": "a"})


def test_table_query_pages(client: KuraClient, fake: FakeDynamoDB) -> None:
    fake.script(
        "Query",
        {"Items": [{"id": {"S": "a"}, "s": {"N": "1"}}], "LastEvaluatedKey": {"id": {"S": "a"}, "s": {"N": "1"}}},
        {"Items": [{"id": {"S": "a"}, "s": {"N": "2"}}]},
    )
    table = client.Table("t")
    items = [
        i
        for p in table.query_pages(KeyConditionExpression="id = :id", ExpressionAttributeValues={":id": "a"})
        for i in p["Items"]
    ]
    assert items == [{"id": "a", "s": 1}, {"id": "a", "s": 2}]
    assert fake.calls[1].request["ExclusiveStartKey"] == {"id": {"S": "a"}, "s": {"N": "1"}}
    assert fake.calls[1].request["ExpressionAttributeValues"] == {":id": {"S": "a"}}


# ---------------------------------------------------------------- batch writer


def _put(i: int) -> dict:
    return {"PutRequest": {"Item": {"id": {"S": str(i)}}}}


def test_batch_writer_flushes_by_25_and_on_exit(client: KuraClient, fake: FakeDynamoDB) -> None:
    fake.default("BatchWriteItem", {"UnprocessedItems": {}})
    with client.Table("t").batch_writer() as batch:
        for i in range(30):
            batch.put_item(Item={"id": str(i)})
        assert len(fake.calls) == 1
        batch.delete_item(Key={"id": "0"})
    sizes = [len(c.request["RequestItems"]["t"]) for c in fake.calls]
    assert sizes == [25, 6]
    assert fake.calls[1].request["RequestItems"]["t"][-1] == {"DeleteRequest": {"Key": {"id": {"S": "0"}}}}


def test_batch_writer_resends_unprocessed_items(client: KuraClient, fake: FakeDynamoDB) -> None:
    fake.script(
        "BatchWriteItem",
        {"UnprocessedItems": {"t": [_put(1), _put(2)]}},
        {"UnprocessedItems": {"t": [_put(2)]}},
        {},
    )
    with client.Table("t").batch_writer() as batch:
        for i in range(3):
            batch.put_item(Item={"id": str(i)})
    sent = [c.request["RequestItems"]["t"] for c in fake.calls]
    assert sent == [[_put(0), _put(1), _put(2)], [_put(1), _put(2)], [_put(2)]]


def test_batch_writer_gives_up(fake: FakeDynamoDB) -> None:
    from kuradb.client import BatchWriteIncomplete

    fake.default("BatchWriteItem", lambda req: {"UnprocessedItems": req["RequestItems"]})
    policy = DefaultRetryPolicy(base_s=0.001, cap_s=0.002, max_attempts=3)
    with KuraClient(fake.endpoint, retry=policy) as c:
        with pytest.raises(BatchWriteIncomplete) as info:
            with c.Table("t").batch_writer() as batch:
                batch.put_item(Item={"id": "1"})
    assert info.value.unprocessed == [_put(1)]
    assert len(fake.calls) == 3


def test_batch_writer_overwrite_by_pkeys(client: KuraClient, fake: FakeDynamoDB) -> None:
    fake.default("BatchWriteItem", {})
    with client.Table("t").batch_writer(overwrite_by_pkeys=["id"]) as batch:
        batch.put_item(Item={"id": "1", "v": 1})
        batch.put_item(Item={"id": "2"})
        batch.put_item(Item={"id": "1", "v": 2})
    (call,) = fake.calls
    assert call.request["RequestItems"]["t"] == [
        _put(2),
        {"PutRequest": {"Item": {"id": {"S": "1"}, "v": {"N": "2"}}}},
    ]
