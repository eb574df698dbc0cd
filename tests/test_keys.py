"""The key codec: round trips, order preservation (= DynamoDB order), data-key grouping, ranges.

Property tests compare the codec with a plain reference order: N by value, S by UTF-8 bytes,
B by bytes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuradb import keys
from kuradb.errors import ValidationException
from kuradb.model import numbers

PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

MAX = "9.9999999999999999999999999999999999999E+125"
EXTREME_NUMBERS = [
    "0", "1", "-1", "1E-130", "-1E-130", MAX, "-" + MAX, "1E+125", "-1E+125", "9" * 38, "-" + "9" * 38,
    "0." + "9" * 38, "1" * 38, "1.05", "1.5", "10", "100", "99", "-99.1", "0.1", "-0.1", "12345678901234567890",
]  # fmt: skip


@st.composite
def dynamo_numbers(draw: st.DrawFn) -> str:
    """Every valid DynamoDB number, biased towards extremes, as canonical text."""
    if draw(st.booleans()):
        return numbers.normalize(draw(st.sampled_from(EXTREME_NUMBERS)))
    ndigits = draw(st.integers(1, 38))
    digits = draw(st.lists(st.integers(0, 9), min_size=ndigits, max_size=ndigits))
    digits[0] = draw(st.integers(1, 9))
    adjusted = draw(st.integers(numbers.MIN_EXPONENT, numbers.MAX_EXPONENT))
    sign = draw(st.integers(0, 1))
    d = Decimal((sign, tuple(digits), adjusted - ndigits + 1))
    return numbers.canonical(numbers.check_range(d))


utf8_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)  # no lone surrogates
text_with_zeros = st.one_of(utf8_text, st.text(st.sampled_from(["\x00", "\x01", "a", "\xff", "😀"]), max_size=6))
binary = st.one_of(st.binary(max_size=12), st.lists(st.sampled_from([b"\x00", b"\x01", b"\xff", b"a"]), max_size=6).map(b"".join))

n_values = dynamo_numbers().map(lambda n: {"N": n})
s_values = text_with_zeros.map(lambda s: {"S": s})
b_values = binary.map(lambda b: {"B": b})
key_values = st.one_of(n_values, s_values, b_values)


def reference(av: dict[str, Any]) -> Any:
    """DynamoDB's order key of one scalar value."""
    if "N" in av:
        return Decimal(av["N"])
    if "S" in av:
        return av["S"].encode("utf-8")
    return av["B"]


def _cmp(a: Any, b: Any) -> int:
    return (a > b) - (a < b)


# ----------------------------------------------------------------------------- round trips


@PROPS
@given(key_values)
def test_sort_key_round_trip(av: dict[str, Any]) -> None:
    assert keys.decode_sort_key(keys.encode_sort_key(av)) == av


@PROPS
@given(key_values)
def test_partition_key_round_trip(av: dict[str, Any]) -> None:
    assert keys.decode_partition_key(keys.encode_partition_key(av)) == av


@PROPS
@given(st.integers(0, keys.MAX_TABLE_ID), key_values, st.one_of(st.none(), key_values))
def test_data_key_round_trip(table_id: int, pk: dict[str, Any], sk: dict[str, Any] | None) -> None:
    key = keys.data_key(table_id, pk, sk)
    assert keys.decode_data_key(key) == (table_id, keys.partition_hash(pk), pk, sk)
    assert key.startswith(keys.item_collection_prefix(table_id, pk))


@pytest.mark.parametrize("text", EXTREME_NUMBERS)
def test_extreme_numbers_round_trip(text: str) -> None:
    av = {"N": numbers.normalize(text)}
    assert keys.decode_sort_key(keys.encode_sort_key(av)) == av


# ----------------------------------------------------------------------------- order


@PROPS
@given(n_values, n_values)
def test_number_order(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert _cmp(keys.encode_sort_key(a), keys.encode_sort_key(b)) == _cmp(reference(a), reference(b))


@PROPS
@given(s_values, s_values)
def test_string_order(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert _cmp(keys.encode_sort_key(a), keys.encode_sort_key(b)) == _cmp(reference(a), reference(b))


@PROPS
@given(b_values, b_values)
def test_binary_order(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert _cmp(keys.encode_sort_key(a), keys.encode_sort_key(b)) == _cmp(reference(a), reference(b))


def test_extreme_numbers_sorted() -> None:
    values = [{"N": numbers.normalize(t)} for t in EXTREME_NUMBERS]
    by_codec = sorted(values, key=keys.encode_sort_key)
    by_value = sorted(values, key=reference)
    assert by_codec == by_value


def test_numbers_encode_by_value() -> None:
    assert keys.encode_sort_key({"N": "1.0"}) == keys.encode_sort_key({"N": "1"})
    assert keys.partition_hash({"N": "1.0"}) == keys.partition_hash({"N": "1"}) == keys.partition_hash({"N": "1E0"})
    assert keys.encode_sort_key({"N": "-0"}) == keys.encode_sort_key({"N": "0"})


def test_hash_is_stable() -> None:
    """Persistent format: these values must never change."""
    assert keys.partition_hash({"S": "a"}) == int.from_bytes(
        __import__("hashlib").blake2b(b"\x03a\x00\x01", digest_size=8).digest(), "big"
    )
    assert keys.encode_sort_key({"N": "-99.1"}) == bytes([0x02, 0x01, 255 - 131, 100 - 99, 100 - 10, 0xFF])
    assert keys.encode_sort_key({"B": b"\x00"}) == b"\x04\x00\xff\x00\x01"


def test_types_are_distinguished() -> None:
    encodings = {keys.encode_sort_key(av) for av in [{"S": "1"}, {"B": b"1"}, {"N": "1"}]}
    assert len(encodings) == 3
    assert keys.partition_hash({"S": "1"}) != keys.partition_hash({"B": b"1"})


@PROPS
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.sampled_from([{"S": "a"}, {"S": "b"}, {"N": "1"}, {"B": b""}]), n_values),
        min_size=2,
        max_size=30,
    )
)
def test_data_key_order(rows: list[tuple[int, dict[str, Any], dict[str, Any]]]) -> None:
    """Data keys group by table, then hash, then partition key, then sort key order."""

    def ref(row: tuple[int, dict[str, Any], dict[str, Any]]) -> tuple[Any, ...]:
        table_id, pk, sk = row
        return (table_id, keys.partition_hash(pk), keys.encode_partition_key(pk), reference(sk))

    by_key = sorted(rows, key=lambda r: keys.data_key(*r))
    assert [ref(r) for r in by_key] == sorted(ref(r) for r in rows)


# ----------------------------------------------------------------------------- ranges


@PROPS
@given(st.integers(0, keys.MAX_TABLE_ID), st.integers(0, 2**64), st.integers(0, 2**64), key_values)
def test_table_hash_range(table_id: int, a: int, b: int, pk: dict[str, Any]) -> None:
    start, end = min(a, b), max(a, b)
    lo, hi = keys.table_hash_range(table_id, start, end)
    key = keys.data_key(table_id, pk, None)
    inside = start <= keys.partition_hash(pk) < end
    assert (lo <= key < hi) == inside
    t_lo, t_hi = keys.table_range(table_id)
    assert t_lo <= key < t_hi


def test_table_range_excludes_neighbours() -> None:
    lo, hi = keys.table_range(5)
    for pk in [{"S": "x"}, {"N": "1"}, {"B": b"\xff" * 40}]:
        assert not lo <= keys.data_key(4, pk, None) < hi
        assert not lo <= keys.data_key(6, pk, None) < hi


OPS = ["=", "<", "<=", ">", ">=", "BETWEEN", "begins_with", "EQ", "LT", "LE", "GT", "GE", "BEGINS_WITH"]


def _matches(op: str, sk: dict[str, Any], operands: list[dict[str, Any]]) -> bool:
    value = reference(sk)
    first = reference(operands[0])
    op = {"EQ": "=", "LT": "<", "LE": "<=", "GT": ">", "GE": ">=", "BEGINS_WITH": "begins_with"}.get(op, op)
    if op == "=":
        return bool(value == first)
    if op == "<":
        return bool(value < first)
    if op == "<=":
        return bool(value <= first)
    if op == ">":
        return bool(value > first)
    if op == ">=":
        return bool(value >= first)
    if op == "BETWEEN":
        return bool(first <= value <= reference(operands[1]))
    assert op == "begins_with"
    return bool(value.startswith(first))


def _bounds_agree(kind: st.SearchStrategy[dict[str, Any]], data: st.DataObject, op: str) -> None:
    pk = data.draw(key_values)
    other_pk = data.draw(key_values)
    sks = data.draw(st.lists(kind, max_size=15))
    operands = data.draw(st.lists(st.one_of(kind, st.sampled_from(sks) if sks else kind), min_size=2, max_size=2))
    operands = operands[: 2 if op == "BETWEEN" else 1]
    lo, hi = keys.sort_key_bounds(3, pk, op, operands)
    for sk in sks:
        key = keys.data_key(3, pk, sk)
        assert (lo <= key < hi) == _matches(op, sk, operands), (op, sk, operands)
        if other_pk != pk:
            assert not lo <= keys.data_key(3, other_pk, sk) < hi
        assert not lo <= keys.data_key(2, pk, sk) < hi
        assert not lo <= keys.data_key(4, pk, sk) < hi


@PROPS
@given(st.sampled_from(OPS), st.data())
def test_sort_key_bounds_strings(op: str, data: st.DataObject) -> None:
    _bounds_agree(s_values, data, op)


@PROPS
@given(st.sampled_from(OPS), st.data())
def test_sort_key_bounds_binary(op: str, data: st.DataObject) -> None:
    _bounds_agree(b_values, data, op)


@PROPS
@given(st.sampled_from([op for op in OPS if op.lower() != "begins_with"]), st.data())
def test_sort_key_bounds_numbers(op: str, data: st.DataObject) -> None:
    _bounds_agree(n_values, data, op)


@PROPS
@given(key_values, st.lists(key_values, max_size=10))
def test_whole_collection_bounds(pk: dict[str, Any], sks: list[dict[str, Any]]) -> None:
    lo, hi = keys.sort_key_bounds(1, pk, None)
    assert (lo, hi) == (keys.item_collection_prefix(1, pk), keys.prefix_successor(keys.item_collection_prefix(1, pk)))
    for sk in sks:
        assert lo <= keys.data_key(1, pk, sk) < hi


def test_begins_with_number_is_rejected() -> None:
    with pytest.raises(ValidationException, match="operand type: N"):
        keys.sort_key_bounds(1, {"S": "a"}, "begins_with", [{"N": "1"}])


def test_inverted_between_is_empty() -> None:
    lo, hi = keys.sort_key_bounds(1, {"S": "a"}, "BETWEEN", [{"N": "5"}, {"N": "1"}])
    assert lo == hi


@pytest.mark.parametrize(("op", "operands"), [("=", []), ("BETWEEN", [{"N": "1"}]), ("<>", [{"N": "1"}]), (None, [{"N": "1"}])])
def test_bad_operators(op: str | None, operands: list[dict[str, Any]]) -> None:
    with pytest.raises(ValidationException):
        keys.sort_key_bounds(1, {"S": "a"}, op, operands)


# ----------------------------------------------------------------------------- corrupt input


@pytest.mark.parametrize(
    "data",
    [b"", b"\x09", b"\x03abc", b"\x03a\x00\x02\x00\x01", b"\x02\x07", b"\x02\x03\x82", b"\x02\x03\x82\x00",
     b"\x02\x03\x82\xc8\x00", b"\x03\xff\x00\x01", b"\x03a\x00\x01extra", b"\x02\x02\x00",
     b"\x02\x03\x82\x01\x00"],
)  # fmt: skip
def test_corrupt_keys(data: bytes) -> None:
    with pytest.raises(keys.CorruptKeyError):
        keys.decode_sort_key(data)


def test_corrupt_data_key() -> None:
    with pytest.raises(keys.CorruptKeyError):
        keys.decode_data_key(b"\x00" * 16)


def test_prefix_successor() -> None:
    assert keys.prefix_successor(b"a\xff\xff") == b"b"
    assert keys.prefix_successor(b"\x00") == b"\x01"
    with pytest.raises(ValueError):
        keys.prefix_successor(b"\xff")


def test_table_id_range() -> None:
    with pytest.raises(ValueError):
        keys.data_key(2**63, {"S": "a"}, None)
    with pytest.raises(ValueError):
        keys.table_hash_range(1, 5, 2**64 + 1)
