"""Pure parts: the batch writer's buffer and the Table API's value transformation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kuradb.client.batch import BatchWriteIncomplete, WriteBuffer, delete_request, put_request
from kuradb.client.retry import DefaultRetryPolicy, NoRetryPolicy
from kuradb.client.serializer import Binary
from kuradb.client.transform import deserialize_response, serialize_request


def test_buffer_takes_batches_of_flush_amount() -> None:
    buf = WriteBuffer("t", NoRetryPolicy(), flush_amount=2)
    for i in range(5):
        buf.add(put_request({"id": i}))
    assert buf.full()
    assert [len(buf.take()) for _ in range(3)] == [2, 2, 1]
    assert not buf.pending


@pytest.mark.parametrize("amount", [0, 26])
def test_flush_amount_bounds(amount: int) -> None:
    with pytest.raises(ValueError):
        WriteBuffer("t", NoRetryPolicy(), flush_amount=amount)


def test_overwrite_by_pkeys_replaces_puts_and_deletes() -> None:
    buf = WriteBuffer("t", NoRetryPolicy(), overwrite_by_pkeys=("h", "r"))
    buf.add(put_request({"h": "a", "r": 1, "v": 1}))
    buf.add(put_request({"h": "a", "r": 2}))
    buf.add(delete_request({"h": "a", "r": 1}))
    assert buf.pending == [put_request({"h": "a", "r": 2}), delete_request({"h": "a", "r": 1})]
    with pytest.raises(ValueError, match="no value for key attribute 'r'"):
        buf.add(put_request({"h": "a"}))


def test_unprocessed_items_are_requeued_with_backoff_then_given_up() -> None:
    buf = WriteBuffer("t", DefaultRetryPolicy(base_s=0.01, cap_s=0.01, max_attempts=3))
    buf.add(put_request({"id": 1}))
    sent = buf.take()
    buf.on_response({"UnprocessedItems": {"t": sent}})
    assert buf.pending == sent and 0 <= buf.delay_s <= 0.01 and buf.throttled_rounds == 1
    buf.on_response({"UnprocessedItems": {"t": buf.take()}})
    assert buf.throttled_rounds == 2
    with pytest.raises(BatchWriteIncomplete) as info:
        buf.on_response({"UnprocessedItems": {"t": buf.take()}})
    assert info.value.unprocessed == sent and not buf.pending


def test_a_processed_response_resets_the_backoff() -> None:
    buf = WriteBuffer("t", DefaultRetryPolicy())
    buf.add(put_request({"id": 1}))
    buf.on_response({"UnprocessedItems": {"t": buf.take()}})
    buf.take()
    buf.on_response({})
    assert buf.throttled_rounds == 0 and buf.delay_s == 0.0


def test_transform_covers_legacy_and_nested_members() -> None:
    req = serialize_request(
        "Scan",
        {
            "TableName": "t",
            "ScanFilter": {"a": {"AttributeValueList": [1, "x"], "ComparisonOperator": "IN"}},
            "ExclusiveStartKey": {"id": b"\x00"},
            "Limit": 5,
        },
    )
    assert req == {
        "TableName": "t",
        "ScanFilter": {"a": {"AttributeValueList": [{"N": "1"}, {"S": "x"}], "ComparisonOperator": "IN"}},
        "ExclusiveStartKey": {"id": {"B": b"\x00"}},
        "Limit": 5,
    }
    update = serialize_request(
        "UpdateItem",
        {"TableName": "t", "Key": {"id": 1}, "AttributeUpdates": {"v": {"Value": {"x"}, "Action": "ADD"}},
         "Expected": {"v": {"Exists": False}}},
    )
    assert update["AttributeUpdates"] == {"v": {"Value": {"SS": ["x"]}, "Action": "ADD"}}
    assert update["Expected"] == {"v": {"Exists": False}}
    resp = deserialize_response(
        "BatchGetItem",
        {"Responses": {"t": [{"id": {"B": b"1"}}]}, "UnprocessedKeys": {"t": {"Keys": [{"id": {"N": "2"}}]}}},
    )
    assert resp == {"Responses": {"t": [{"id": Binary(b"1")}]}, "UnprocessedKeys": {"t": {"Keys": [{"id": Decimal(2)}]}}}


def test_transform_leaves_unknown_members_for_the_wire() -> None:
    assert serialize_request("GetItem", {"TableName": "t", "Bogus": 1.5}) == {"TableName": "t", "Bogus": 1.5}
