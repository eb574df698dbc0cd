"""Garbage in, ValidationException out: validators never raise anything else and never hang.

Also checks the properties a valid value must have after validation (fixed point, size agrees).
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuradb.errors import ValidationException
from kuradb.model.schema import KeySchema
from kuradb.model.values import ALL_TYPES, item_size, validate_item, validate_value, value_size

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TYPE_KEYS = st.sampled_from(sorted(ALL_TYPES) + ["X", "s", ""])
NUMBERISH = st.one_of(
    st.sampled_from(["1", "-0", "1e126", "1e-131", "1" * 39, "NaN", "", " 1", "0x1", "1.5e3", ".5", "1e99999999999"]),
    st.from_regex(r"[+-]?[0-9]{0,40}(\.[0-9]{0,5})?([eE][+-]?[0-9]{1,4})?", fullmatch=True),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=8),  # includes lone surrogates
    st.binary(max_size=8),
    NUMBERISH,
)


def _garbage(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(TYPE_KEYS, st.text(max_size=3), st.integers()), children, max_size=3),
        st.builds(lambda t, v: {t: v}, TYPE_KEYS, children),  # AV-shaped garbage
        st.builds(lambda t, v: {t: v}, st.sampled_from(["SS", "NS", "BS"]), st.lists(SCALARS, max_size=4)),
    )


GARBAGE = st.recursive(SCALARS, _garbage, max_leaves=25)
SCHEMAS = [KeySchema("a", "S"), KeySchema("pk", "N", "sk", "B")]


def _only_validation_errors(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except ValidationException:
        return None


@FUZZ
@given(GARBAGE)
def test_validate_value_garbage(value: Any) -> None:
    out = _only_validation_errors(validate_value, value)
    if out is not None:
        assert validate_value(out) == out  # normalized values are a fixed point
        assert value_size(out) >= 0


@FUZZ
@given(st.one_of(GARBAGE, st.dictionaries(st.text(max_size=4), GARBAGE, max_size=4)))
def test_validate_item_garbage(item: Any) -> None:
    out = _only_validation_errors(validate_item, item)
    if out is not None:
        assert validate_item(out) == out
        assert item_size(out) <= 409_600


@FUZZ
@given(st.sampled_from(SCHEMAS), st.one_of(GARBAGE, st.dictionaries(st.sampled_from(["a", "pk", "sk", "x"]), GARBAGE)))
def test_validate_key_garbage(schema: KeySchema, key: Any) -> None:
    out = _only_validation_errors(schema.validate_key, key)
    if out is not None:
        assert tuple(out) == schema.key_names
        assert schema.validate_key(out) == out
