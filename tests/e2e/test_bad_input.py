"""Bad input gets a clear DynamoDB-named error with DynamoDB's text, and changes nothing: every
case reads the item back afterwards to prove it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kuradb.client import KuraClient
from kuradb.errors import ResourceNotFoundException, ValidationException
from kuradb.tools import up

from tests.e2e.conftest import create_table

pytestmark = pytest.mark.timeout(120)

KEY = {"pk": {"S": "k"}, "sk": {"N": "1"}}
ORIGINAL = {**KEY, "n": {"N": "1"}, "s": {"S": "keep"}}


@pytest.fixture(scope="module")
def table(shared_cluster: up.LocalCluster) -> str:
    """One table for the whole module: no case may change it, so sharing it is the check."""
    name = "e2e-bad-input"
    with KuraClient(shared_cluster.endpoint, timeout=30.0) as client:
        create_table(client, name, sort_key="sk")
        client.put_item(TableName=name, Item=ORIGINAL)
    return name


def _unchanged(client: KuraClient, table: str) -> None:
    assert client.get_item(TableName=table, Key=KEY, ConsistentRead=True)["Item"] == ORIGINAL
    assert client.scan(TableName=table, ConsistentRead=True)["Items"] == [ORIGINAL]


def test_unknown_table_is_resource_not_found(client: KuraClient, table: str) -> None:
    calls: list[Callable[[], Any]] = [
        lambda: client.get_item(TableName="e2e-no-such-table", Key=KEY),
        lambda: client.put_item(TableName="e2e-no-such-table", Item=ORIGINAL),
        lambda: client.query(TableName="e2e-no-such-table", KeyConditionExpression="pk = :p",
                             ExpressionAttributeValues={":p": {"S": "k"}}),
        lambda: client.describe_table(TableName="e2e-no-such-table"),
        lambda: client.batch_write_item(RequestItems={"e2e-no-such-table": [{"PutRequest": {"Item": ORIGINAL}}]}),
    ]  # fmt: skip
    for call in calls:
        with pytest.raises(ResourceNotFoundException, match="^Requested resource not found"):
            call()
    _unchanged(client, table)
    assert "e2e-no-such-table" not in client.list_tables()["TableNames"]


@pytest.mark.parametrize("key", [
    {"pk": {"S": "k"}},  # sort key missing
    {"pk": {"S": "k"}, "sk": {"S": "1"}},  # sort key of the wrong type
    {"pk": {"N": "1"}, "sk": {"N": "1"}},  # partition key of the wrong type
    {"pk": {"S": "k"}, "sk": {"N": "1"}, "extra": {"S": "x"}},  # an attribute that is not a key
    {"id": {"S": "k"}, "sk": {"N": "1"}},  # wrong key name
], ids=["missing-sort-key", "sort-key-type", "hash-key-type", "extra-attribute", "wrong-name"])  # fmt: skip
def test_wrong_key_schema_is_validation_exception(client: KuraClient, table: str, key: dict[str, Any]) -> None:
    for call in (
        lambda: client.get_item(TableName=table, Key=key),
        lambda: client.delete_item(TableName=table, Key=key),
        lambda: client.update_item(TableName=table, Key=key, UpdateExpression="SET n = :v",
                                   ExpressionAttributeValues={":v": {"N": "2"}}),
    ):  # fmt: skip
        with pytest.raises(ValidationException, match="^The provided key element does not match the schema$"):
            call()
    _unchanged(client, table)


def test_put_without_the_key_is_validation_exception(client: KuraClient, table: str) -> None:
    with pytest.raises(ValidationException, match="^One or more parameter values were invalid: Missing the key sk"):
        client.put_item(TableName=table, Item={"pk": {"S": "k"}, "n": {"N": "5"}})
    _unchanged(client, table)


def test_oversized_item_is_validation_exception(client: KuraClient, table: str) -> None:
    big = {"S": "x" * (400 * 1024)}
    with pytest.raises(ValidationException, match="^Item size has exceeded the maximum allowed size$"):
        client.put_item(TableName=table, Item={**KEY, "big": big})
    with pytest.raises(ValidationException, match="Item size"):  # the update would grow the item past 400 KB
        client.update_item(TableName=table, Key=KEY, UpdateExpression="SET big = :b", ExpressionAttributeValues={":b": big})
    with pytest.raises(ValidationException, match="^Item size has exceeded the maximum allowed size$"):
        client.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": {**KEY, "big": big}}}]})
    _unchanged(client, table)


@pytest.mark.parametrize("params", [
    {"UpdateExpression": "SET n = "},
    {"UpdateExpression": "SET n = :v", "ConditionExpression": "n = = :v"},
    {"UpdateExpression": "SET n = :v", "ConditionExpression": "n = :missing"},
    {"UpdateExpression": "SET n = :v, n = :v"},
    {"UpdateExpression": "SET n = :v", "ExpressionAttributeNames": {"#unused": "x"}},
], ids=["update-syntax", "condition-syntax", "undefined-value", "overlapping-paths", "unused-name"])  # fmt: skip
def test_malformed_expression_is_validation_exception(
    client: KuraClient, table: str, params: dict[str, Any]
) -> None:
    with pytest.raises(ValidationException, match=r"^(Invalid (Update|Condition)Expression: |Value provided in "
                                                  r"ExpressionAttributeNames unused in expressions)"):  # fmt: skip
        client.update_item(TableName=table, Key=KEY, ExpressionAttributeValues={":v": {"N": "7"}}, **params)
    _unchanged(client, table)


def test_malformed_key_condition_and_filter_are_validation_exceptions(client: KuraClient, table: str) -> None:
    with pytest.raises(ValidationException, match="^Invalid KeyConditionExpression: "):
        client.query(TableName=table, KeyConditionExpression="pk = :p AND AND", ExpressionAttributeValues={":p": {"S": "k"}})
    with pytest.raises(ValidationException, match="^Query condition missed key schema element"):
        client.query(TableName=table, KeyConditionExpression="n = :p", ExpressionAttributeValues={":p": {"N": "1"}})
    with pytest.raises(ValidationException, match="^Invalid FilterExpression: "):
        client.scan(TableName=table, FilterExpression="n <> ")
    _unchanged(client, table)
