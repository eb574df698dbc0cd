"""Hostile input: only ValidationException may escape, quickly, for any expression text,
placeholder maps and item (hypothesis), plus hand-made pathological expressions."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuradb.errors import ValidationException
from kuradb.expressions import compile_expressions
from tests.expressions.helpers import SCHEMA_RANGE

settings.register_profile(
    "expressions", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
PROFILE = settings.get_profile("expressions")

TOKENS = [
    "a", "b", "pk", "sk", "key", "#a", "#b", "#zz", ":v", ":w", ":zz", "(", ")", "[", "]", "0", "3",
    ".", ",", "=", "<>", "<", "<=", ">", ">=", "+", "-", "AND", "OR", "NOT", "BETWEEN", "IN", "SET",
    "REMOVE", "ADD", "DELETE", "size", "contains", "begins_with", "attribute_exists",
    "attribute_not_exists", "attribute_type", "if_not_exists", "list_append", "foo", "!", "\"", " ",
    "é", "\x00",
]

scalars = st.one_of(
    st.builds(lambda s: {"S": s}, st.sampled_from(["", "a", "ab", "S", "N", "L"])),
    st.builds(lambda n: {"N": str(n)}, st.integers(-5, 5)),
    st.builds(lambda b: {"B": b}, st.sampled_from([b"", b"\x01", b"\x01\x02"])),
    st.just({"BOOL": True}),
    st.just({"NULL": True}),
    st.just({"SS": ["a", "b"]}),
    st.just({"NS": ["1", "2"]}),
    st.just({"BS": [b"\x01"]}),
)
values_st = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.builds(lambda xs: {"L": xs}, st.lists(inner, max_size=3)),
        st.builds(lambda d: {"M": d}, st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3)),
    ),
    max_leaves=8,
)
items_st = st.dictionaries(st.sampled_from(["a", "b", "c", "pk", "sk"]), values_st, max_size=5)
expr_st = st.lists(st.sampled_from(TOKENS), max_size=25).map(" ".join)
names_st = st.none() | st.dictionaries(st.sampled_from(["#a", "#b", "#c", "a"]), st.sampled_from(["a", "b", "c", "[1]"]), max_size=3)
vals_st = st.none() | st.dictionaries(st.sampled_from([":v", ":w", ":x"]), values_st, max_size=3)
KINDS = ["condition", "filter", "key_condition", "projection", "update"]


@PROFILE
@given(kind=st.sampled_from(KINDS), expr=expr_st, names=names_st, values=vals_st, item=items_st)
def test_garbage_only_raises_validation_exception(kind, expr, names, values, item) -> None:
    try:
        compiled = compile_expressions(**{kind: expr}, names=names, values=values, key_schema=SCHEMA_RANGE)
    except ValidationException:
        return
    try:
        compiled.condition_holds(item)
        compiled.filter_matches(item)
        compiled.project(item)
        if compiled.update is not None:
            compiled.apply_update(item)
    except ValidationException:
        pass


@PROFILE
@given(
    template=st.sampled_from([
        "a = :v", "a < :v", "a BETWEEN :v AND :w", "a IN (:v, :w)", "contains(a, :v)", "begins_with(a, :v)",
        "size(a) > :v", "attribute_type(a, :v)", "NOT a <> :v OR b = :w", "a.b[0] = :v", "#a = :v",
    ]),
    v=values_st, w=values_st, item=items_st,
)
def test_well_formed_conditions_never_crash(template, v, w, item) -> None:
    values = {k: x for k, x in ((":v", v), (":w", w)) if k in template}
    names = {"#a": "a"} if "#a" in template else None
    try:
        compiled = compile_expressions(condition=template, names=names, values=values)
        compiled.condition_holds(item)
    except ValidationException:
        pass


@PROFILE
@given(
    template=st.sampled_from([
        "SET a = :v", "SET a = a + :v", "SET a = b - :v", "SET a = list_append(a, :v)",
        "SET a = if_not_exists(a, :v)", "SET a.b = :v", "SET a[1] = :v", "REMOVE a[0], b.c",
        "ADD a :v", "DELETE a :v", "SET a = :v REMOVE b ADD c :w",
    ]),
    v=values_st, w=values_st, item=items_st,
)
def test_well_formed_updates_never_crash(template, v, w, item) -> None:
    values = {k: x for k, x in ((":v", v), (":w", w)) if k in template}
    try:
        compiled = compile_expressions(update=template, values=values or None)
        compiled.apply_update(item)
    except ValidationException:
        pass


N1 = {":v": {"N": "1"}}
PATHOLOGICAL = [
    ("condition", "(" * 100_000 + "a = :v" + ")" * 100_000, None),
    ("condition", "NOT " * 10_000 + "a = :v", None),
    ("condition", "(" * 2000 + "a = :v" + ")" * 2000, None),
    ("condition", "(" * 4000, None),
    ("condition", "(a = :v AND " * 150 + "a = :v" + ")" * 150, None),
    ("condition", "NOT (" * 300 + "a = :v" + ")" * 300, None),
    ("condition", "a" + ".b" * 2000 + " = :v", None),
    ("condition", "a" + "[0]" * 1300 + " = :v", None),
    ("condition", "a = :v AND " * 400 + "a = :v", None),
    ("condition", "a IN (" + ":v," * 1300 + ":v)", None),
    ("condition", "size(" * 800 + "a" + ")" * 800 + " = :v", None),
    ("condition", "size(" * 300 + "a" + ")" * 300 + " = :v", None),
    ("condition", "contains(" * 200 + "a" + ", :v)" * 200, None),
    ("condition", "(a = :v AND " * 100 + "a = :v" + ")" * 100, None),
    ("update", "REMOVE " + ", ".join(f"a{i}" for i in range(800)), None),
    ("update", "SET a = " + "(" * 1500 + ":v" + ")" * 1500, None),
    ("update", "SET a = " + "if_not_exists(a, " * 250 + ":v" + ")" * 250, None),
    ("update", "SET a = " + "if_not_exists(a, " * 150 + ":v" + ")" * 150, None),
    ("update", "SET a = " + "list_append(" * 200 + ":v" + ", :v)" * 200, None),
    ("projection", ", ".join(["a"] * 2000), None),
    ("projection", ", ".join(f"a{i}" for i in range(700)), None),
    ("condition", "é" * 3000, None),
]


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("kind", "expr", "names"), PATHOLOGICAL)
def test_pathological_input_fails_fast_with_validation_exception(kind, expr, names) -> None:
    values = N1 if (":v" in expr and kind != "projection") else None
    try:
        compile_expressions(**{kind: expr}, names=names, values=values)
    except ValidationException:
        return
    # a few are legal (e.g. 700 distinct projected attributes); those must simply compile
