"""DynamoDB Number rules: accepted text, canonical form, range, precision, exact arithmetic."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kuradb.errors import ValidationException
from kuradb.model import numbers
from kuradb.model.numbers import MSG_NOT_NUMERIC, MSG_OVERFLOW, MSG_PRECISION, MSG_UNDERFLOW

MAX = "9.9999999999999999999999999999999999999E+125"

CANONICAL = [
    ("0", "0"),
    ("-0", "0"),
    ("0.00", "0"),
    ("+0", "0"),
    ("0E-500", "0"),
    ("01.50", "1.5"),
    ("1E2", "100"),
    ("1e2", "100"),
    ("1E+5", "100000"),
    ("1.5E1", "15"),
    ("-1.2300e-3", "-0.00123"),
    (".5", "0.5"),
    ("5.", "5"),
    ("+3", "3"),
    ("1000", "1000"),
    ("-000123.4500", "-123.45"),
    ("1E+125", "1" + "0" * 125),
    ("1E-130", "0." + "0" * 129 + "1"),
    (MAX, "9" * 38 + "0" * 88),
    ("-" + MAX, "-" + "9" * 38 + "0" * 88),
    ("1" * 38, "1" * 38),
    ("0.000" + "1" * 38, "0.000" + "1" * 38),
    ("1" * 38 + "000", "1" * 38 + "000"),
]


@pytest.mark.parametrize(("text", "expected"), CANONICAL)
def test_canonical_forms(text: str, expected: str) -> None:
    assert numbers.normalize(text) == expected
    # canonical text is a fixed point
    assert numbers.normalize(expected) == expected


ERRORS = [
    ("", MSG_NOT_NUMERIC),
    ("abc", MSG_NOT_NUMERIC + ": abc"),
    ("b", MSG_NOT_NUMERIC + ": b"),
    (" 1", MSG_NOT_NUMERIC + ":  1"),
    ("1 ", MSG_NOT_NUMERIC + ": 1 "),
    ("NaN", MSG_NOT_NUMERIC + ": NaN"),
    ("Infinity", MSG_NOT_NUMERIC + ": Infinity"),
    ("-inf", MSG_NOT_NUMERIC + ": -inf"),
    ("0x10", MSG_NOT_NUMERIC + ": 0x10"),
    ("1e", MSG_NOT_NUMERIC + ": 1e"),
    (".", MSG_NOT_NUMERIC + ": ."),
    ("--1", MSG_NOT_NUMERIC + ": --1"),
    ("1_000", MSG_NOT_NUMERIC + ": 1_000"),
    ("١", MSG_NOT_NUMERIC + ": ١"),  # non-ASCII digits are not numbers for DynamoDB
    ("1e126", MSG_OVERFLOW),
    ("-1e126", MSG_OVERFLOW),
    ("1" * 127, MSG_OVERFLOW),
    ("1e99999999999999999999", MSG_OVERFLOW),
    ("1e-131", MSG_UNDERFLOW),
    ("-1e-131", MSG_UNDERFLOW),
    ("0." + "0" * 130 + "1", MSG_UNDERFLOW),
    ("1e-99999999999999999999", MSG_UNDERFLOW),
    ("123456789012345678901234567890123456789", MSG_PRECISION),
    ("-1.23456789012345678901234567890123456789", MSG_PRECISION),
    ("1" * 39, MSG_PRECISION),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_invalid_numbers(text: str, message: str) -> None:
    with pytest.raises(ValidationException) as e:
        numbers.parse_number(text)
    assert e.value.message == message


@pytest.mark.parametrize("value", [None, 1, 1.5, b"1", ["1"]])
def test_non_string_is_not_numeric(value: object) -> None:
    with pytest.raises(ValidationException, match="^The parameter cannot be converted to a numeric value$"):
        numbers.parse_number(value)


def test_zero_with_huge_exponent_is_zero() -> None:
    assert numbers.normalize("0e99999999999999999999") == "0"


ARITHMETIC = [
    ("add", "1", "2", "3"),
    ("add", "0.1", "0.2", "0.3"),
    ("add", "1", "-1", "0"),
    ("sub", "0.1", "0.3", "-0.2"),
    ("sub", "5", "5.000", "0"),
    ("add", "1E+125", "1E+125", "2" + "0" * 125),
    ("add", "9" * 37, "1", "1" + "0" * 37),
    ("add", "9" * 38, "1", "1" + "0" * 38),  # 39 digits but only one significant
    ("sub", "1E-130", "1E-130", "0"),
]


@pytest.mark.parametrize(("op", "a", "b", "expected"), ARITHMETIC)
def test_exact_arithmetic(op: str, a: str, b: str, expected: str) -> None:
    assert getattr(numbers, op)(a, b) == expected


ARITHMETIC_ERRORS = [
    ("add", MAX, MAX, MSG_OVERFLOW),
    ("sub", "-" + MAX, MAX, MSG_OVERFLOW),
    # An exact result needing more than 38 digits is refused, not rounded; DynamoDB words it as an
    # overflow (seen against the real service: SET b = :a - :b with 1E+50 and 1).
    ("add", "1" * 38, "0.1", MSG_OVERFLOW),
    ("add", "1E+100", "1E-100", MSG_OVERFLOW),
    ("sub", "1E+50", "1", MSG_OVERFLOW),
    ("sub", "1.0000000000000000000000000000000000001E-94", "1E-94", MSG_UNDERFLOW),
    ("add", "x", "1", MSG_NOT_NUMERIC + ": x"),
]


@pytest.mark.parametrize(("op", "a", "b", "message"), ARITHMETIC_ERRORS)
def test_arithmetic_errors(op: str, a: str, b: str, message: str) -> None:
    with pytest.raises(ValidationException) as e:
        getattr(numbers, op)(a, b)
    assert e.value.message == message


def test_compare_numbers() -> None:
    assert numbers.compare_numbers("1.0", "1") == 0
    assert numbers.compare_numbers("-1", "1") == -1
    assert numbers.compare_numbers("1E-130", "0") == 1


def test_context_refuses_rounding() -> None:
    from decimal import Inexact

    with pytest.raises(Inexact):
        numbers.DYNAMO_CONTEXT.add(Decimal("1" * 38), Decimal("0.1"))


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"[+-]?[0-9]{0,40}(\.[0-9]{0,40})?([eE][+-]?[0-9]{1,3})?", fullmatch=True))
def test_fast_path_agrees_with_full_parse(text: str) -> None:
    try:
        slow = numbers.canonical(numbers.parse_number(text))
    except ValidationException as e:
        with pytest.raises(ValidationException) as fast_error:
            numbers.normalize(text)
        assert fast_error.value.message == e.message
        return
    assert numbers.normalize(text) == slow
    assert Decimal(slow) == Decimal(text)
