"""TypeSerializer / TypeDeserializer: boto3's behaviour, DynamoDB's number limits."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuradb import wire
from kuradb.client.serializer import Binary, TypeDeserializer, TypeSerializer
from kuradb.errors import ValidationException
from kuradb.model.values import validate_value

settings.register_profile(
    "client", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
PROFILE = settings.get_profile("client")

ser = TypeSerializer()
de = TypeDeserializer()


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, {"NULL": True}),
        (True, {"BOOL": True}),
        (False, {"BOOL": False}),
        (0, {"N": "0"}),
        (-12, {"N": "-12"}),
        (Decimal("1.50"), {"N": "1.5"}),
        (Decimal("1E+5"), {"N": "100000"}),
        (Decimal("-0.00"), {"N": "0"}),
        ("", {"S": ""}),
        ("héllo", {"S": "héllo"}),
        (b"\x00\x01", {"B": b"\x00\x01"}),
        (bytearray(b"ab"), {"B": b"ab"}),
        (Binary(b"ab"), {"B": b"ab"}),
        ({"a"}, {"SS": ["a"]}),
        (frozenset({b"x"}), {"BS": [b"x"]}),
        ({Binary(b"x")}, {"BS": [b"x"]}),
        ({1}, {"NS": ["1"]}),
        (set(), {"NS": []}),  # boto3: an empty set passes the number-set test first
        ({}, {"M": {}}),
        ([], {"L": []}),
        ((1, "a"), {"L": [{"N": "1"}, {"S": "a"}]}),
        ({"m": {"l": [None, True]}}, {"M": {"m": {"M": {"l": {"L": [{"NULL": True}, {"BOOL": True}]}}}}}),
    ],
)
def test_serialize(value: Any, expected: dict[str, Any]) -> None:
    assert ser.serialize(value) == expected


def test_number_set_mixed_int_and_decimal() -> None:
    out = ser.serialize({1, Decimal("2.5")})
    assert sorted(out["NS"]) == ["1", "2.5"]


@pytest.mark.parametrize("value", [1.5, [1.0], {"a": 0.1}, {1.0}])
def test_float_is_refused_anywhere(value: Any) -> None:
    with pytest.raises(TypeError, match="Float types are not supported. Use Decimal types instead."):
        ser.serialize(value)


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity"), Decimal("sNaN")])
def test_nan_and_infinity_are_refused(value: Decimal) -> None:
    with pytest.raises(TypeError, match="Infinity and NaN not supported"):
        ser.serialize(value)


@pytest.mark.parametrize(
    "value, message",
    [
        (Decimal("1E+126"), "Number overflow"),
        (Decimal("1E-131"), "Number underflow"),
        (int("1" * 39), "Attempting to store more than 38 significant digits"),
    ],
)
def test_numbers_out_of_dynamodb_range(value: Any, message: str) -> None:
    with pytest.raises(ValidationException, match=message):
        ser.serialize(value)


@pytest.mark.parametrize("value", [object(), {"a", 1}, {("t",)}, 1j])
def test_unsupported_types(value: Any) -> None:
    with pytest.raises(TypeError, match="Unsupported type"):
        ser.serialize(value)


def test_deserialize_types() -> None:
    assert de.deserialize({"N": "1.5"}) == Decimal("1.5")
    assert isinstance(de.deserialize({"N": "7"}), Decimal)
    b = de.deserialize({"B": b"ab"})
    assert isinstance(b, Binary) and b == b"ab" and bytes(b) == b"ab" and hash(b) == hash(b"ab")
    assert de.deserialize({"SS": ["a", "b"]}) == {"a", "b"}
    assert de.deserialize({"NS": ["1", "2"]}) == {Decimal(1), Decimal(2)}
    assert de.deserialize({"BS": [b"a"]}) == {Binary(b"a")}
    assert de.deserialize({"NULL": True}) is None
    assert de.deserialize({"BOOL": False}) is False
    assert de.deserialize({"L": [{"S": "x"}], "M": None}) == ["x"]
    assert de.deserialize_item({"a": {"M": {"b": {"S": ""}}}}) == {"a": {"b": ""}}


def test_deserialize_errors() -> None:
    with pytest.raises(TypeError, match="Value must be a nonempty dictionary"):
        de.deserialize({})
    with pytest.raises(TypeError, match="Dynamodb type X is not supported"):
        de.deserialize({"X": 1})


def test_binary_wrapper_rejects_non_bytes() -> None:
    with pytest.raises(TypeError, match="Value must be of the following types"):
        Binary("text")  # type: ignore[arg-type]


# ---------------------------------------------------------------- round trips (hypothesis)

numbers = st.one_of(
    st.integers(min_value=-(10**38) + 1, max_value=10**38 - 1),
    st.decimals(allow_nan=False, allow_infinity=False, places=6, min_value=-(10**20), max_value=10**20),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=8), st.binary(max_size=8))
sets = st.one_of(
    st.frozensets(st.text(max_size=4), min_size=1, max_size=4),
    st.frozensets(st.binary(max_size=4), min_size=1, max_size=4),
    st.frozensets(st.integers(-1000, 1000), min_size=1, max_size=4),
)
values = st.recursive(
    st.one_of(scalars, sets),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(min_size=1, max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)


def _plain(v: Any) -> Any:
    """What deserialization must give back for ``v``: sets stay sets, numbers Decimal."""
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, (int, Decimal)):
        return Decimal(v)
    if isinstance(v, (bytes, bytearray)):
        return bytes(v)
    if isinstance(v, (set, frozenset)):
        return {_plain(x) for x in v}
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


@given(values)
@settings(PROFILE)
def test_round_trip(value: Any) -> None:
    av = ser.serialize(value)
    assert validate_value(av) == av  # the server-side model accepts it, already canonical
    assert de.deserialize(av) == _plain(value)


@given(values)
@settings(PROFILE)
def test_round_trip_through_the_proto(value: Any) -> None:
    av = ser.serialize(value)
    assert wire.proto_to_av(wire.av_to_proto(av)) == av
