"""Table lifecycle through the SDK against a real cluster: create, describe, list, delete."""

from __future__ import annotations

import pytest

from kuradb.client import KuraClient
from kuradb.errors import ResourceInUseException, ResourceNotFoundException

from tests.e2e.conftest import create_table, wait_until

pytestmark = pytest.mark.timeout(120)


def _all_table_names(client: KuraClient) -> list[str]:
    pages = client.get_paginator("list_tables").paginate(Limit=2)  # several pages once tests made tables
    return [name for page in pages for name in page.get("TableNames", [])]


def test_create_describe_list_delete(client: KuraClient, table_name: str) -> None:
    created = create_table(client, table_name, sort_key="sk")["TableDescription"]
    assert created["TableName"] == table_name
    assert created["TableStatus"] in ("CREATING", "ACTIVE")

    table = client.describe_table(TableName=table_name)["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == [
        {"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}]  # fmt: skip
    assert table["TableArn"].endswith(f":table/{table_name}")

    with pytest.raises(ResourceInUseException):
        create_table(client, table_name)
    names = _all_table_names(client)
    assert table_name in names and names == sorted(names)  # DynamoDB lists tables by name

    client.put_item(TableName=table_name, Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
    deleted = client.delete_table(TableName=table_name)["TableDescription"]
    assert deleted["TableName"] == table_name

    def gone() -> bool:
        try:
            client.describe_table(TableName=table_name)
        except ResourceNotFoundException:
            return True
        return False

    wait_until(f"table {table_name} deleted", gone)
    assert table_name not in _all_table_names(client)
    with pytest.raises(ResourceNotFoundException):
        client.get_item(TableName=table_name, Key={"pk": {"S": "a"}, "sk": {"N": "1"}})
    with pytest.raises(ResourceNotFoundException):
        client.delete_table(TableName=table_name)


def test_recreated_table_starts_empty(client: KuraClient, table_name: str) -> None:
    """A table created again under a deleted table's name must not see the old items."""
    create_table(client, table_name)
    client.put_item(TableName=table_name, Item={"pk": {"S": "old"}})
    client.delete_table(TableName=table_name)

    def recreated() -> bool:
        try:
            create_table(client, table_name)
        except ResourceInUseException:  # the old table is still DELETING
            return False
        return True

    wait_until(f"table {table_name} re-created", recreated, interval=0.5)
    assert "Item" not in client.get_item(TableName=table_name, Key={"pk": {"S": "old"}}, ConsistentRead=True)
    assert client.scan(TableName=table_name)["Items"] == []
