"""CreateTable / UpdateTable / ListTables validation: DynamoDB's messages, in DynamoDB's order."""

from __future__ import annotations

from typing import Any

import pytest

from kuradb.coordinator.tables import (
    PAY_PER_REQUEST,
    parse_create_table,
    parse_list_tables,
    parse_update_table,
    table_arn,
    table_uuid,
)
from kuradb.errors import ValidationException

PT = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}


def create(**kw: Any) -> dict[str, Any]:
    req: dict[str, Any] = {
        "TableName": "abc",
        "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
        "ProvisionedThroughput": PT,
    }
    req.update(kw)
    return {k: v for k, v in req.items() if v is not None}


def message(req: dict[str, Any]) -> str:
    with pytest.raises(ValidationException) as ei:
        parse_create_table(req)
    return ei.value.message


def test_valid_hash_and_range_table() -> None:
    spec = parse_create_table(
        create(
            AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}, {"AttributeName": "b", "AttributeType": "N"}],
            KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "RANGE"}],
            ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 7},
        )
    )
    assert (spec.key_schema.hash_name, spec.key_schema.hash_type) == ("a", "S")
    assert (spec.key_schema.range_name, spec.key_schema.range_type) == ("b", "N")
    assert (spec.billing_mode, spec.read_capacity, spec.write_capacity) == ("PROVISIONED", 5, 7)
    assert type(spec).from_dict(spec.to_dict()) == spec


def test_pay_per_request() -> None:
    spec = parse_create_table(create(BillingMode=PAY_PER_REQUEST, ProvisionedThroughput=None))
    assert (spec.billing_mode, spec.read_capacity, spec.write_capacity) == (PAY_PER_REQUEST, 0, 0)


@pytest.mark.parametrize(
    ("req", "expected"),
    [
        (create(TableName="ab"), "TableName must be at least 3 characters long and at most 255 characters long"),
        (
            create(TableName="a;b"),
            "1 validation error detected: Value 'a;b' at 'tableName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
        ),
        (
            create(ProvisionedThroughput=None),
            "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be "
            "specified when BillingMode is PROVISIONED",
        ),
        (
            create(BillingMode=PAY_PER_REQUEST),
            "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be "
            "specified when BillingMode is PAY_PER_REQUEST",
        ),
        (
            create(ProvisionedThroughput={"ReadCapacityUnits": 1000000000001, "WriteCapacityUnits": 1000000000001}),
            "Given value 1000000000001 for ReadCapacityUnits is out of bounds",
        ),
        (
            create(ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 0}),
            "1 validation error detected: Value '0' at 'provisionedThroughput.writeCapacityUnits' failed to satisfy "
            "constraint: Member must have value greater than or equal to 1",
        ),
        (
            create(AttributeDefinitions=[{"AttributeName": "b", "AttributeType": "S"}]),
            "One or more parameter values were invalid: Some index key attributes are not defined in "
            "AttributeDefinitions. Keys: [a], AttributeDefinitions: [b]",
        ),
        (
            create(
                AttributeDefinitions=[{"AttributeName": "b", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "RANGE"}],
            ),
            "Invalid KeySchema: Some index key attribute have no definition",
        ),
        (
            create(
                AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}, {"AttributeName": "b", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "a", "KeyType": "HASH"}],
            ),
            "Both the Hash Key and the Range Key element in the KeySchema have the same name",
        ),
        (
            create(
                AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}, {"AttributeName": "b", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "HASH"}],
            ),
            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
        ),
        (
            create(
                AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}, {"AttributeName": "b", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "a", "KeyType": "RANGE"}, {"AttributeName": "b", "KeyType": "HASH"}],
            ),
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ),
        (
            create(
                AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}, {"AttributeName": "b", "AttributeType": "S"}],
            ),
            "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match "
            "number of attributes defined in AttributeDefinitions",
        ),
        (
            create(AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "SS"}]),
            "1 validation error detected: Value 'SS' at 'attributeDefinitions.1.member.attributeType' failed to "
            "satisfy constraint: Member must satisfy enum value set: [B, N, S]",
        ),
        (
            create(BillingMode="FREE"),
            "1 validation error detected: Value 'FREE' at 'billingMode' failed to satisfy constraint: "
            "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]",
        ),
        (create(GlobalSecondaryIndexes=[{"IndexName": "g"}]), "GlobalSecondaryIndexes is not supported by KuraDB yet"),
        # a defined attribute's name is held to the 255-byte key-name limit before any
        # KeySchema/AttributeDefinitions consistency check
        (
            create(AttributeDefinitions=[{"AttributeName": "n" * 256, "AttributeType": "S"}]),
            "1 validation error detected: Value '" + "n" * 256 + "' at 'attributeDefinitions.1.member.attributeName' "
            "failed to satisfy constraint: Member must have length less than or equal to 255",
        ),
    ],
)
def test_create_table_messages(req: dict[str, Any], expected: str) -> None:
    assert message(req) == expected


def test_list_tables_limits() -> None:
    assert parse_list_tables({}).limit == 100
    r = parse_list_tables({"ExclusiveStartTableName": "abc", "Limit": 5})
    assert (r.exclusive_start, r.limit) == ("abc", 5)
    with pytest.raises(ValidationException) as ei:
        parse_list_tables({"Limit": 0})
    assert ei.value.message == (
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    )
    with pytest.raises(ValidationException) as ei:
        parse_list_tables({"Limit": 101})
    assert ei.value.message.endswith("Member must have value less than or equal to 100")


def test_update_table_needs_something() -> None:
    with pytest.raises(ValidationException) as ei:
        parse_update_table({"TableName": "abc"})
    assert ei.value.message.startswith("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled")
    u = parse_update_table({"TableName": "abc", "ProvisionedThroughput": {"ReadCapacityUnits": 3, "WriteCapacityUnits": 4}})
    assert (u.read_capacity, u.write_capacity, u.billing_mode) == (3, 4, None)


def test_arn_and_uuid_are_deterministic() -> None:
    assert table_arn("T1") == "arn:aws:dynamodb:local:000000000000:table/T1"
    assert table_uuid(7) == table_uuid(7) != table_uuid(8)
    assert len(table_uuid(7)) == 36
