"""Single-item operations, Query pagination and read-your-acknowledged-writes through the SDK
against a real cluster."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from kuradb.client import KuraClient
from kuradb.errors import ConditionalCheckFailedException
from kuradb.tools import up

from tests.e2e.conftest import create_table

pytestmark = pytest.mark.timeout(120)


def test_put_get_update_delete_with_conditions_and_return_values(client: KuraClient, table_name: str) -> None:
    create_table(client, table_name)
    key = {"pk": {"S": "item-1"}}

    assert client.put_item(TableName=table_name, Item={**key, "n": {"N": "1"}, "tags": {"SS": ["a"]}},
                           ConditionExpression="attribute_not_exists(pk)", ReturnValues="ALL_OLD") == {}  # fmt: skip
    with pytest.raises(ConditionalCheckFailedException) as failed:
        client.put_item(TableName=table_name, Item={**key, "n": {"N": "99"}},
                        ConditionExpression="attribute_not_exists(pk)",
                        ReturnValuesOnConditionCheckFailure="ALL_OLD")  # fmt: skip
    assert failed.value.item == {**key, "n": {"N": "1"}, "tags": {"SS": ["a"]}}
    assert str(failed.value) == "The conditional request failed"

    old = client.put_item(TableName=table_name, Item={**key, "n": {"N": "2"}, "tags": {"SS": ["a"]}},
                          ConditionExpression="n = :one", ExpressionAttributeValues={":one": {"N": "1"}},
                          ReturnValues="ALL_OLD")  # fmt: skip
    assert old["Attributes"]["n"] == {"N": "1"}

    updated = client.update_item(
        TableName=table_name, Key=key,
        UpdateExpression="SET n = n + :inc, #s = :s ADD tags :t",
        ConditionExpression="n = :two", ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":inc": {"N": "40"}, ":s": {"S": "ok"}, ":t": {"SS": ["b"]}, ":two": {"N": "2"}},
        ReturnValues="UPDATED_NEW",
    )  # fmt: skip
    assert updated["Attributes"] == {"n": {"N": "42"}, "status": {"S": "ok"}, "tags": {"SS": ["a", "b"]}}

    upd_old = client.update_item(TableName=table_name, Key=key, UpdateExpression="REMOVE #s",
                                 ExpressionAttributeNames={"#s": "status"}, ReturnValues="UPDATED_OLD")  # fmt: skip
    assert upd_old["Attributes"] == {"status": {"S": "ok"}}
    with pytest.raises(ConditionalCheckFailedException):
        client.update_item(TableName=table_name, Key=key, UpdateExpression="SET n = :z",
                           ConditionExpression="attribute_exists(#s)", ExpressionAttributeNames={"#s": "status"},
                           ExpressionAttributeValues={":z": {"N": "0"}})  # fmt: skip

    got = client.get_item(TableName=table_name, Key=key, ConsistentRead=True,
                          ProjectionExpression="n, tags")["Item"]  # fmt: skip
    assert got == {"n": {"N": "42"}, "tags": {"SS": ["a", "b"]}}

    with pytest.raises(ConditionalCheckFailedException):
        client.delete_item(TableName=table_name, Key=key, ConditionExpression="n < :ten",
                           ExpressionAttributeValues={":ten": {"N": "10"}})  # fmt: skip
    assert "Item" in client.get_item(TableName=table_name, Key=key, ConsistentRead=True)
    deleted = client.delete_item(TableName=table_name, Key=key, ConditionExpression="n >= :ten",
                                 ExpressionAttributeValues={":ten": {"N": "10"}}, ReturnValues="ALL_OLD")  # fmt: skip
    assert deleted["Attributes"] == {**key, "n": {"N": "42"}, "tags": {"SS": ["a", "b"]}}
    assert "Item" not in client.get_item(TableName=table_name, Key=key, ConsistentRead=True)

    # An upsert through UpdateItem on a missing item creates it; ALL_NEW returns all of it.
    created = client.update_item(TableName=table_name, Key={"pk": {"S": "counter"}},
                                 UpdateExpression="ADD hits :one", ExpressionAttributeValues={":one": {"N": "1"}},
                                 ReturnValues="ALL_NEW")  # fmt: skip
    assert created["Attributes"] == {"pk": {"S": "counter"}, "hits": {"N": "1"}}


def test_table_api_round_trips_plain_values(client: KuraClient, table_name: str) -> None:
    create_table(client, table_name)
    table = client.Table(table_name)
    item = {"pk": "p", "num": Decimal("12.5"), "m": {"l": [1, "x", True, None]}, "b": b"\x00\x01", "ns": {1, 2}}
    table.put_item(Item=item)
    got = table.get_item(Key={"pk": "p"}, ConsistentRead=True)["Item"]
    assert got["num"] == Decimal("12.5") and got["m"] == {"l": [1, "x", True, None]} and got["ns"] == {1, 2}
    assert bytes(got["b"]) == b"\x00\x01"


def test_query_pagination(client: KuraClient, table_name: str) -> None:
    create_table(client, table_name, sort_key="sk")
    table = client.Table(table_name)
    with table.batch_writer() as writer:
        for sk in range(53):
            writer.put_item(Item={"pk": "coll", "sk": sk, "odd": sk % 2 == 1})
        writer.put_item(Item={"pk": "other", "sk": 0})

    pages = list(table.query_pages(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": "coll"}, Limit=10))
    assert [len(p["Items"]) for p in pages] == [10, 10, 10, 10, 10, 3]
    assert [i["sk"] for p in pages for i in p["Items"]] == list(range(53))
    assert "LastEvaluatedKey" not in pages[-1]

    backwards = [i["sk"] for p in table.query_pages(
        KeyConditionExpression="pk = :p AND sk BETWEEN :lo AND :hi", ScanIndexForward=False, Limit=7,
        ExpressionAttributeValues={":p": "coll", ":lo": 10, ":hi": 29}) for i in p["Items"]]  # fmt: skip
    assert backwards == list(range(29, 9, -1))

    # Limit counts items read before the filter, as in DynamoDB: pages may hold fewer matches.
    filtered = list(client.get_paginator("query").paginate(
        TableName=table_name, KeyConditionExpression="pk = :p", FilterExpression="odd = :t",
        ExpressionAttributeValues={":p": {"S": "coll"}, ":t": {"BOOL": True}}, Limit=10))  # fmt: skip
    assert sum(p["ScannedCount"] for p in filtered) == 53
    assert [int(i["sk"]["N"]) for p in filtered for i in p["Items"]] == list(range(1, 53, 2))

    first = table.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": "coll"}, Limit=5)
    assert first["LastEvaluatedKey"] == {"pk": "coll", "sk": 4}
    resumed = table.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": "coll"}, Limit=5,
                          ExclusiveStartKey=first["LastEvaluatedKey"])  # fmt: skip
    assert [i["sk"] for i in resumed["Items"]] == [5, 6, 7, 8, 9]


def test_strong_reads_see_the_last_acknowledged_write(
    shared_cluster: up.LocalCluster, client: KuraClient, table_name: str
) -> None:
    """One writer bumps per-key versions; after each acknowledgement a strong read (on another
    connection) must return exactly that version, and concurrent strong readers never see a
    version older than one acknowledged before their read began."""
    create_table(client, table_name)
    keys = [f"k{i}" for i in range(8)]
    acked = {k: 0 for k in keys}
    lock = threading.Lock()
    stop = threading.Event()
    violations: list[str] = []

    def reader() -> None:
        with KuraClient(shared_cluster.endpoint, timeout=30.0) as own:
            i = 0
            while not stop.is_set():
                k = keys[i % len(keys)]
                i += 1
                with lock:
                    floor = acked[k]
                item = own.get_item(TableName=table_name, Key={"pk": {"S": k}}, ConsistentRead=True).get("Item")
                seen = int(item["v"]["N"]) if item else 0
                if seen < floor:
                    violations.append(f"{k}: read v{seen} after v{floor} was acknowledged")

    readers = [threading.Thread(target=reader, daemon=True) for _ in range(2)]
    for t in readers:
        t.start()
    try:
        with KuraClient(shared_cluster.endpoint, timeout=30.0) as checker:
            for version in range(1, 16):
                for k in keys:
                    client.put_item(TableName=table_name, Item={"pk": {"S": k}, "v": {"N": str(version)}})
                    with lock:
                        acked[k] = version
                    got = checker.get_item(TableName=table_name, Key={"pk": {"S": k}}, ConsistentRead=True)
                    assert got["Item"]["v"] == {"N": str(version)}, k
    finally:
        stop.set()
        for t in readers:
            t.join(timeout=30)
    assert violations == []
