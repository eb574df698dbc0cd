"""Attribute values: validation (DynamoDB messages), normalization, size, equality and order."""

from __future__ import annotations

from typing import Any

import pytest

from kuradb.errors import ValidationException
from kuradb.model import values as v
from kuradb.model.values import compare, item_size, validate_item, validate_value, value_size, values_equal

P = "One or more parameter values were invalid: "

VALID = [
    ({"S": "a"}, {"S": "a"}),
    ({"S": ""}, {"S": ""}),  # empty strings are fine outside keys
    ({"N": "01.50"}, {"N": "1.5"}),
    ({"B": b""}, {"B": b""}),
    ({"B": bytearray(b"\x00\xff")}, {"B": b"\x00\xff"}),
    ({"B": memoryview(b"xy")}, {"B": b"xy"}),
    ({"BOOL": False}, {"BOOL": False}),
    ({"NULL": True}, {"NULL": True}),
    ({"SS": ["b", "a", ""]}, {"SS": ["b", "a", ""]}),
    ({"NS": ["1E2", "-0.50"]}, {"NS": ["100", "-0.5"]}),
    ({"BS": [b"a", b""]}, {"BS": [b"a", b""]}),
    ({"L": []}, {"L": []}),
    ({"M": {}}, {"M": {}}),
    ({"L": [{"N": "1.0"}, {"M": {"": {"S": "x"}}}]}, {"L": [{"N": "1"}, {"M": {"": {"S": "x"}}}]}),
    ({"SS": ("a",)}, {"SS": ["a"]}),
]


@pytest.mark.parametrize(("value", "expected"), VALID)
def test_valid_values_normalize(value: Any, expected: Any) -> None:
    out = validate_value(value)
    assert out == expected
    assert type(out[v.type_of(out)]) is type(expected[v.type_of(expected)])


def test_validation_copies() -> None:
    inner = {"S": "a"}
    doc = {"M": {"x": inner}}
    out = validate_value(doc)
    inner["S"] = "changed"
    assert out == {"M": {"x": {"S": "a"}}}


INVALID = [
    ({}, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
    ({"a": ""}, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
    ({"s": "lower-case type"}, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
    ({"M": {"a": {}}}, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
    ({"L": [{}]}, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
    ({"L": [{"a": {}}]}, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
    ("S", "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
    (None, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
    (
        {"S": "a", "N": "1"},
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
    ),
    ({"S": "", "N": ""}, "The parameter cannot be converted to a numeric value"),
    ({"S": "a", "N": "b"}, "The parameter cannot be converted to a numeric value: b"),
    ({"NULL": False}, P + "Null attribute value types must have the value of true"),
    ({"SS": []}, P + "An string set  may not be empty"),
    ({"NS": []}, P + "An number set  may not be empty"),
    ({"BS": []}, P + "Binary sets should not be empty"),
    ({"SS": ["a", "a"]}, P + "Input collection [a, a] contains duplicates."),
    ({"BS": [b"b", b"b"]}, P + "Input collection [Yg==, Yg==]of type BS contains duplicates."),
    ({"NS": ["1", "1"]}, "Input collection contains duplicates"),
    ({"NS": ["1", "1.0"]}, "Input collection contains duplicates"),  # numerically equal
    ({"NS": ["1", ""]}, "The parameter cannot be converted to a numeric value"),
    ({"NS": ["1", "b"]}, "The parameter cannot be converted to a numeric value: b"),
    ({"N": "123456789012345678901234567890123456789"}, "Attempting to store more than 38 significant digits in a Number"),
    ({"N": "1e126"}, "Number overflow. Attempting to store a number with magnitude larger than supported range"),
    ({"N": "-1e-131"}, "Number underflow. Attempting to store a number with magnitude smaller than supported range"),
    ({"M": {"x": {"NS": ["1e126"]}}}, "Number overflow. Attempting to store a number with magnitude larger than supported range"),
]


@pytest.mark.parametrize(("value", "message"), INVALID)
def test_invalid_values(value: Any, message: str) -> None:
    with pytest.raises(ValidationException) as e:
        validate_value(value)
    assert e.value.message == message


SHAPE_ERRORS = [
    {"S": 1},
    {"S": b"a"},
    {"N": 1},
    {"B": "YQ=="},
    {"BOOL": 1},
    {"BOOL": "true"},
    {"NULL": 1},
    {"SS": "a"},
    {"SS": [1]},
    {"NS": [1]},
    {"BS": ["a"]},
    {"L": {"a": {"S": "x"}}},
    {"M": [{"S": "x"}]},
    {"M": {1: {"S": "x"}}},
    {"S": "\ud800"},  # lone surrogate: not encodable as UTF-8
    {"SS": ["\udfff"]},
    {"M": {"\ud800": {"S": "x"}}},
]


@pytest.mark.parametrize("value", SHAPE_ERRORS)
def test_wrong_python_types_are_validation_errors(value: Any) -> None:
    with pytest.raises(ValidationException):
        validate_value(value)


def _nest(levels: int) -> dict[str, Any]:
    av: dict[str, Any] = {"S": "leaf"}
    for i in range(levels):
        av = {"M": {"a": av}} if i % 2 else {"L": [av]}
    return av


def test_depth_limit() -> None:
    validate_value(_nest(32))
    with pytest.raises(ValidationException, match="^Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit$"):
        validate_value(_nest(33))


def test_deep_garbage_does_not_recurse_forever() -> None:
    with pytest.raises(ValidationException):
        validate_value(_nest(5000))


def test_key_context_restricts_types() -> None:
    assert validate_value({"N": "1.0"}, key_context=True) == {"N": "1"}
    with pytest.raises(ValidationException, match="^The provided key element does not match the schema$"):
        validate_value({"SS": ["a"]}, key_context=True)


# ----------------------------------------------------------------------------- sizes

SIZES = [
    ({"S": "abc"}, 3),
    ({"S": "é"}, 2),
    ({"S": "😀"}, 4),
    ({"B": b"\x00\x01"}, 2),
    ({"BOOL": True}, 1),
    ({"NULL": True}, 1),
    ({"N": "0"}, 1),
    ({"N": "1"}, 2),
    ({"N": "-1"}, 3),
    ({"N": "12"}, 2),
    ({"N": "123"}, 3),
    ({"N": "10"}, 2),
    ({"N": "0.01"}, 2),
    ({"N": "1" * 38 + "0" * 88}, 20),  # dynalite's "big number attribute" case
    ({"N": "1" + "0" * 125}, 2),  # "smallest number attribute"
    ({"N": "11" + "0" * 124}, 2),
    ({"N": "11111" + "0" * 121}, 4),
    ({"N": "111111" + "0" * 120}, 4),
    ({"N": "1111111" + "0" * 119}, 5),
    ({"SS": ["a", "bc"]}, 3),
    ({"NS": ["1", "-1"]}, 5),
    ({"BS": [b"a", b"bc"]}, 3),
    ({"L": []}, 3),
    ({"M": {}}, 3),
    ({"L": [{"S": "ab"}, {"NULL": True}]}, 3 + (1 + 2) + (1 + 1)),
    ({"M": {"ab": {"S": "cde"}}}, 3 + 1 + 2 + 3),
]


@pytest.mark.parametrize(("value", "size"), SIZES)
def test_value_size(value: Any, size: int) -> None:
    assert value_size(validate_value(value)) == size


def test_item_size_counts_names() -> None:
    item = {"a": {"S": "xyz"}, "bé": {"N": "12"}}
    assert item_size(item) == 1 + 3 + 3 + 2


# dynalite's boundary cases, reproduced against DynamoDB: 409,600 bytes is the limit.
def test_item_size_limit_small_attribute() -> None:
    key = "k" * 10
    assert validate_item({"a": {"S": key}, "b": {"S": "a" * (409_600 - len(key) - 2)}})
    with pytest.raises(ValidationException, match="^Item size has exceeded the maximum allowed size$"):
        validate_item({"a": {"S": key}, "b": {"S": "a" * (409_600 - len(key) - 1)}})


def test_item_size_limit_with_big_number() -> None:
    key = "k" * 10
    c = "1" * 38 + "0" * 88  # 20 bytes
    filler = "a" * (409_600 - len(key) - 1 - 1 - 1 - 20)
    assert item_size(validate_item({"a": {"S": key}, "b": {"S": filler}, "c": {"N": c}})) == 409_600
    with pytest.raises(ValidationException, match="^Item size has exceeded the maximum allowed size$"):
        validate_item({"a": {"S": key}, "b": {"S": filler + "a"}, "c": {"N": c}})


def test_validate_item_size_equals_item_size() -> None:
    item = {"a": {"M": {"x": {"L": [{"N": "-1.5"}, {"BS": [b"q"]}]}}}, "é": {"SS": ["a", "b"]}}
    out = validate_item(item)
    assert item_size(out) == 1 + (3 + 1 + 1 + (3 + (1 + 4) + (1 + 1))) + 2 + 2  # -1.5: 1 + 1 + 1 (even digits, even exponent) + 1 (sign)


ITEM_ERRORS = [
    ([], P + "Item must be a map of attribute names to values"),
    ({"": {"S": "a"}}, P + "Empty attribute name is not allowed"),
    ({"x" * 65_536: {"S": "a"}}, P + "Attribute name exceeds the maximum allowed length of 65535 bytes"),
    ({1: {"S": "a"}}, P + "Attribute names must be strings"),
    ({"a": {"SS": []}}, P + "An string set  may not be empty"),
]


@pytest.mark.parametrize(("item", "message"), ITEM_ERRORS)
def test_invalid_items(item: Any, message: str) -> None:
    with pytest.raises(ValidationException) as e:
        validate_item(item)
    assert e.value.message == message


def test_long_attribute_name_within_limit() -> None:
    name = "x" * 65_535
    assert validate_item({name: {"S": "a"}}) == {name: {"S": "a"}}


# ----------------------------------------------------------------------------- equality / order

EQUAL = [
    ({"N": "1"}, {"N": "1.0"}),
    ({"SS": ["a", "b"]}, {"SS": ["b", "a"]}),
    ({"NS": ["1", "2"]}, {"NS": ["2.0", "1"]}),
    ({"BS": [b"a", b"b"]}, {"BS": [b"b", b"a"]}),
    ({"L": [{"N": "1"}, {"S": "x"}]}, {"L": [{"N": "1.00"}, {"S": "x"}]}),
    ({"M": {"a": {"NS": ["1"]}, "b": {"NULL": True}}}, {"M": {"b": {"NULL": True}, "a": {"NS": ["1.0"]}}}),
    ({"BOOL": True}, {"BOOL": True}),
    ({"B": b""}, {"B": b""}),
]

NOT_EQUAL = [
    ({"N": "1"}, {"S": "1"}),
    ({"S": "a"}, {"SS": ["a"]}),
    ({"SS": ["a", "b"]}, {"SS": ["a"]}),
    ({"L": [{"N": "1"}, {"N": "2"}]}, {"L": [{"N": "2"}, {"N": "1"}]}),  # lists are ordered
    ({"M": {"a": {"N": "1"}}}, {"M": {"a": {"N": "1"}, "b": {"N": "1"}}}),
    ({"BOOL": True}, {"BOOL": False}),
    ({"BOOL": True}, {"N": "1"}),
    ({"NULL": True}, {"BOOL": True}),
]


@pytest.mark.parametrize(("a", "b"), EQUAL)
def test_values_equal(a: Any, b: Any) -> None:
    assert values_equal(a, b) and values_equal(b, a)


@pytest.mark.parametrize(("a", "b"), NOT_EQUAL)
def test_values_not_equal(a: Any, b: Any) -> None:
    assert not values_equal(a, b) and not values_equal(b, a)


COMPARE = [
    ({"N": "2"}, {"N": "10"}, -1),
    ({"N": "-1"}, {"N": "-1.0"}, 0),
    ({"N": "1E-130"}, {"N": "0"}, 1),
    ({"S": "Z"}, {"S": "a"}, -1),
    ({"S": "a"}, {"S": "ab"}, -1),
    ({"S": "\uffff"}, {"S": "😀"}, -1),  # UTF-8 byte order, not UTF-16 code unit order
    ({"S": "a\x00"}, {"S": "a"}, 1),
    ({"B": b"\x00"}, {"B": b""}, 1),
    ({"B": b"\x7f"}, {"B": b"\x80"}, -1),
    ({"N": "1"}, {"S": "1"}, None),
    ({"SS": ["a"]}, {"SS": ["a"]}, None),
    ({"BOOL": False}, {"BOOL": True}, None),
    ({"L": []}, {"L": []}, None),
]


@pytest.mark.parametrize(("a", "b", "expected"), COMPARE)
def test_compare(a: Any, b: Any, expected: int | None) -> None:
    assert compare(a, b) == expected
    assert compare(b, a) == (None if expected is None else -expected)
