"""Key schemas, key validation (Key parameters and PutItem items), names and TableInfo."""

from __future__ import annotations

from typing import Any

import pytest

from kuradb import keys
from kuradb.errors import ValidationException
from kuradb.model.names import validate_index_name, validate_key_attribute_name, validate_table_name
from kuradb.model.schema import KeySchema, TableInfo

P = "One or more parameter values were invalid: "
MISMATCH = "The provided key element does not match the schema"
HASH_ONLY = KeySchema("a", "S")
COMPOSITE = KeySchema("pk", "S", "sk", "N")
BINARY = KeySchema("h", "B", "r", "B")


def test_key_names() -> None:
    assert HASH_ONLY.key_names == ("a",)
    assert COMPOSITE.key_names == ("pk", "sk")


VALID_KEYS = [
    (HASH_ONLY, {"a": {"S": "x"}}, {"a": {"S": "x"}}),
    (COMPOSITE, {"sk": {"N": "01.0"}, "pk": {"S": "x"}}, {"pk": {"S": "x"}, "sk": {"N": "1"}}),
    (BINARY, {"h": {"B": b"\x00"}, "r": {"B": bytearray(b"z")}}, {"h": {"B": b"\x00"}, "r": {"B": b"z"}}),
    (HASH_ONLY, {"a": {"S": "é" * 1024}}, {"a": {"S": "é" * 1024}}),  # exactly 2048 bytes
    (COMPOSITE, {"pk": {"S": "x"}, "sk": {"N": "-" + "9" * 38}}, {"pk": {"S": "x"}, "sk": {"N": "-" + "9" * 38}}),
]


@pytest.mark.parametrize(("schema", "key", "expected"), VALID_KEYS)
def test_valid_keys(schema: KeySchema, key: Any, expected: Any) -> None:
    out = schema.validate_key(key)
    assert out == expected
    assert list(out) == list(schema.key_names)


INVALID_KEYS = [
    # dynalite's "key does not match schema" table (hash table with S key "a")
    (HASH_ONLY, {}, MISMATCH),
    (HASH_ONLY, {"b": {"S": "a"}}, MISMATCH),
    (HASH_ONLY, {"a": {"B": b"abcd"}}, MISMATCH),
    (HASH_ONLY, {"a": {"N": "1"}}, MISMATCH),
    (HASH_ONLY, {"a": {"BOOL": True}}, MISMATCH),
    (HASH_ONLY, {"a": {"NULL": True}}, MISMATCH),
    (HASH_ONLY, {"a": {"SS": ["a"]}}, MISMATCH),
    (HASH_ONLY, {"a": {"NS": ["1"]}}, MISMATCH),
    (HASH_ONLY, {"a": {"BS": [b"aaaa"]}}, MISMATCH),
    (HASH_ONLY, {"a": {"M": {}}}, MISMATCH),
    (HASH_ONLY, {"a": {"L": []}}, MISMATCH),
    (HASH_ONLY, {"a": {"S": "x"}, "b": {"S": "y"}}, MISMATCH),
    (HASH_ONLY, "a", MISMATCH),
    (HASH_ONLY, {1: {"S": "x"}}, MISMATCH),
    (COMPOSITE, {"pk": {"S": "x"}}, MISMATCH),
    (COMPOSITE, {"sk": {"N": "1"}}, MISMATCH),
    (COMPOSITE, {"pk": {"S": "x"}, "sk": {"S": "1"}}, MISMATCH),
    # value errors come before schema errors
    (HASH_ONLY, {"a": {}}, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
    (HASH_ONLY, {"a": {"SS": []}}, P + "An string set  may not be empty"),
    (COMPOSITE, {"pk": {"S": "x"}, "sk": {"N": "1e126"}},
     "Number overflow. Attempting to store a number with magnitude larger than supported range"),
    # emptiness and size
    (HASH_ONLY, {"a": {"S": ""}},
     "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an "
     "empty string value. Key: a"),
    (BINARY, {"h": {"B": b"x"}, "r": {"B": b""}},
     "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an "
     "empty binary value. Key: r"),
    (HASH_ONLY, {"a": {"S": "a" * 2049}}, P + "Size of hashkey has exceeded the maximum size limit of2048 bytes"),
    (HASH_ONLY, {"a": {"S": "é" * 1024 + "a"}}, P + "Size of hashkey has exceeded the maximum size limit of2048 bytes"),
    (BINARY, {"h": {"B": b"x" * 2049}, "r": {"B": b"x"}},
     P + "Size of hashkey has exceeded the maximum size limit of2048 bytes"),
    (BINARY, {"h": {"B": b"x"}, "r": {"B": b"x" * 1025}},
     P + "Aggregated size of all range keys has exceeded the size limit of 1024 bytes"),
]  # fmt: skip


@pytest.mark.parametrize(("schema", "key", "message"), INVALID_KEYS)
def test_invalid_keys(schema: KeySchema, key: Any, message: str) -> None:
    with pytest.raises(ValidationException) as e:
        schema.validate_key(key)
    assert e.value.message == message


def test_sort_key_at_limit() -> None:
    BINARY.validate_key({"h": {"B": b"x" * 2048}, "r": {"B": b"x" * 1024}})


ITEM_KEY_ERRORS = [
    (COMPOSITE, {"pk": {"S": "x"}}, P + "Missing the key sk in the item"),
    (COMPOSITE, {"sk": {"N": "1"}, "other": {"S": "x"}}, P + "Missing the key pk in the item"),
    (HASH_ONLY, {"a": {"N": "1"}}, P + "Type mismatch for key a expected: S actual: N"),
    (COMPOSITE, {"pk": {"S": "x"}, "sk": {"SS": ["1"]}}, P + "Type mismatch for key sk expected: N actual: SS"),
    (HASH_ONLY, {"a": {"S": ""}},
     "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an "
     "empty string value. Key: a"),
    (BINARY, {"h": {"B": b"x"}, "r": {"B": b"x" * 1025}},
     P + "Aggregated size of all range keys has exceeded the size limit of 1024 bytes"),
]  # fmt: skip


@pytest.mark.parametrize(("schema", "item", "message"), ITEM_KEY_ERRORS)
def test_item_key_errors(schema: KeySchema, item: Any, message: str) -> None:
    with pytest.raises(ValidationException) as e:
        schema.validate_item_keys(item)
    assert e.value.message == message


def test_item_keys_ignore_other_attributes() -> None:
    item = {"pk": {"S": "x"}, "sk": {"N": "2"}, "data": {"L": []}}
    assert COMPOSITE.validate_item_keys(item) == {"pk": {"S": "x"}, "sk": {"N": "2"}}
    assert COMPOSITE.extract_key(item) == {"pk": {"S": "x"}, "sk": {"N": "2"}}


BAD_SCHEMAS = [
    dict(hash_name="a", hash_type="SS"),
    dict(hash_name="a", hash_type="S", range_name="b"),
    dict(hash_name="a", hash_type="S", range_name="b", range_type="BOOL"),
    dict(hash_name="a", hash_type="S", range_name="a", range_type="S"),
    dict(hash_name="", hash_type="S"),
    dict(hash_name="x" * 256, hash_type="S"),
]


@pytest.mark.parametrize("kwargs", BAD_SCHEMAS)
def test_bad_schemas(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValidationException):
        KeySchema(**kwargs)


def test_key_attribute_name_limit() -> None:
    assert validate_key_attribute_name("x" * 255) == "x" * 255
    with pytest.raises(ValidationException) as e:
        validate_key_attribute_name("é" * 128)  # 256 bytes
    assert e.value.message == (
        "1 validation error detected: Value '" + "é" * 128 + "' at 'keySchema.1.member.attributeName' failed to "
        "satisfy constraint: Member must have length less than or equal to 255"
    )


TABLE_NAMES_OK = ["abc", "A-b_c.9", "x" * 255, "..."]
TABLE_NAMES_BAD = [
    ("ab", "TableName must be at least 3 characters long and at most 255 characters long"),
    ("x" * 256, "TableName must be at least 3 characters long and at most 255 characters long"),
    ("", "TableName must be at least 3 characters long and at most 255 characters long"),
    ("a;b", "1 validation error detected: Value 'a;b' at 'tableName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"),
    ("abc\n", "1 validation error detected: Value 'abc\n' at 'tableName' failed to satisfy constraint: "
              "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"),
    ("tablé", "1 validation error detected: Value 'tablé' at 'tableName' failed to satisfy constraint: "
              "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"),
    (None, "The paramater 'tableName' is required but was not present in the request"),
]  # fmt: skip


@pytest.mark.parametrize("name", TABLE_NAMES_OK)
def test_table_names_ok(name: str) -> None:
    assert validate_table_name(name) == name
    assert validate_index_name(name) == name


@pytest.mark.parametrize(("name", "message"), TABLE_NAMES_BAD)
def test_table_names_bad(name: Any, message: str) -> None:
    with pytest.raises(ValidationException) as e:
        validate_table_name(name)
    assert e.value.message == message


def test_index_name_messages_name_the_index() -> None:
    with pytest.raises(ValidationException, match="^IndexName must be at least 3"):
        validate_index_name("ab")


def test_table_info() -> None:
    info = TableInfo(7, "tbl", COMPOSITE)
    item = {"pk": {"S": "x"}, "sk": {"N": "2"}, "data": {"S": "y"}}
    assert info.data_key(item) == keys.data_key(7, {"S": "x"}, {"N": "2"})
    assert info.partition_hash(item) == keys.partition_hash({"S": "x"})
    assert TableInfo(1, "t", HASH_ONLY).data_key({"a": {"S": "x"}}) == keys.data_key(1, {"S": "x"}, None)
    with pytest.raises(ValueError):
        TableInfo(-1, "t", HASH_ONLY)
