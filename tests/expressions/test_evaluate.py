"""Condition/filter evaluation and projections against items (table-driven)."""

from __future__ import annotations

import pytest

from kuradb.expressions import project
from tests.expressions.helpers import compile_one

ITEM = {
    "pk": {"S": "k"},
    "n": {"N": "5"},
    "neg": {"N": "-3.5"},
    "s": {"S": "abc"},
    "e": {"S": ""},
    "u": {"S": "é"},
    "b": {"B": b"\x01\x02\x03"},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2"]},
    "bs": {"BS": [b"\x01", b"\x02"]},
    "l": {"L": [{"S": "x"}, {"N": "1"}, {"L": [{"S": "deep"}]}]},
    "m": {"M": {"k": {"S": "v"}, "n": {"N": "10"}, "inr": {"M": {"z": {"BOOL": True}}}}},
    "t": {"BOOL": True},
    "f": {"BOOL": False},
    "nl": {"NULL": True},
    "key": {"N": "7"},
    "[3]": {"S": "bracket"},
    "x.y": {"S": "dotted"},
    "big": {"N": "99999999999999999999999999999999999999"},
}

CASES = [
    # comparisons on N
    ("n = :n5", True), ("n = :n1", False), ("n <> :n1", True), ("n <> :n5", False),
    ("n < :n10", True), ("n < :n5", False), ("n <= :n5", True), ("n > :n1", True), ("n > :n5", False),
    ("n >= :n5", True), ("n >= :n10", False), (":n10 > n", True), ("neg < :n0", True), ("neg = :neg", True),
    ("big > :n10", True), ("big = :big", True),
    # S and B order is bytewise
    ("s = :s", True), ("s > :s2", True), ("s < :sz", True), ("s >= :s", True), ("e < :s", True), ("e = :se", True),
    ("u > :sz", True), ("b > :b2", True), ("b = :b", True),
    # cross-type: never equal, never ordered
    ("n = :s", False), ("n <> :s", True), ("n < :s", False), ("n > :s", False), ("s = :n5", False),
    ("t = :n1", False), ("t = :t", True), ("f = :t", False), ("f <> :t", True), ("nl = :null", True),
    ("ss = :ss", True), ("ss = :ss2", False), ("ns = :ns", True), ("l = :l", False), ("m = :m", False),
    # item attributes of types without an order compare false (request values of such types are
    # a validation error, see test_validation)
    ("ss < ns", False), ("l <= m", False), ("m > ss", False),
    # missing attributes
    ("nope = :n1", False), ("nope <> :n1", True), ("nope < :n1", False), ("nope >= :n1", False),
    ("nope = nope2", False), ("m.nope = :n1", False), ("l[9] = :n1", False), ("s.x = :n1", False),
    ("s[0] = :n1", False),
    # paths
    ("m.k = :s", False), ("m.n = :n10", True), ("m.inr.z = :t", True), ("l[1] = :n1", True),
    ("l[2][0] = :s", False), ("#k = :n1", False), ("#d = :s", False), ("#dot = :s", False),
    ("attribute_exists(#k)", True), ("attribute_exists(#d)", True), ("attribute_exists(#dot)", True),
    ("attribute_exists(x.y)", False),
    # BETWEEN
    ("n BETWEEN :n1 AND :n10", True), ("n BETWEEN :n5 AND :n5", True), ("n BETWEEN :n0 AND :n2", False),
    ("s BETWEEN :s2 AND :sz", True), ("n BETWEEN :s2 AND :sz", False), ("nope BETWEEN :n1 AND :n10", False),
    ("m.n BETWEEN n AND #k", False), ("n BETWEEN n AND m.n", True),
    # IN
    ("n IN (:n1, :n5)", True), ("n IN (:n1, :n2)", False), ("s IN (:n1, :s)", True), ("nope IN (:n1)", False),
    ("ss IN (:ss)", True), ("n IN (#k, m.n, :n5)", True),
    # functions
    ("attribute_exists(n)", True), ("attribute_exists(nope)", False), ("attribute_not_exists(nope)", True),
    ("attribute_not_exists(n)", False), ("attribute_exists(m.inr.z)", True), ("attribute_exists(l[2][0])", True),
    ("attribute_exists(l[3])", False), ("attribute_exists(nl)", True),
    ("attribute_type(n, :tN)", True), ("attribute_type(n, :tS)", False), ("attribute_type(s, :tS)", True),
    ("attribute_type(l, :tL)", True), ("attribute_type(m, :tM)", True), ("attribute_type(ss, :tSS)", True),
    ("attribute_type(nl, :tNULL)", True), ("attribute_type(t, :tBOOL)", True), ("attribute_type(nope, :tS)", False),
    ("begins_with(s, :s2)", True), ("begins_with(s, :s)", True), ("begins_with(s, :sz)", False),
    ("begins_with(s, :se)", True), ("begins_with(b, :b2)", True), ("begins_with(b, :s)", False),
    ("begins_with(n, :s)", False), ("begins_with(nope, :s)", False), ("begins_with(l, :s)", False),
    ("contains(s, :s2)", True), ("contains(s, :sz)", False), ("contains(ss, :sa)", True), ("contains(ss, :sz)", False),
    ("contains(ns, :n1)", True), ("contains(ns, :n5)", False), ("contains(ns, :s)", False), ("contains(bs, :b2)", True),
    ("contains(b, :b2)", True), ("contains(l, :sx)", True), ("contains(l, :n1)", True), ("contains(l, :n5)", False),
    ("contains(m, :s)", False), ("contains(n, :n5)", False), ("contains(nope, :s)", False), ("contains(s, e)", True),
    # size
    ("size(s) = :n3", True), ("size(u) = :n2", True), ("size(e) = :n0", True), ("size(b) = :n3", True),
    ("size(ss) = :n2", True), ("size(ns) = :n2", True), ("size(bs) = :n2", True), ("size(l) = :n3", True),
    ("size(m) = :n3", True), ("size(m.inr) = :n1", True), ("size(n) = :n1", False), ("size(t) > :n0", False),
    ("size(nope) = :n0", False), ("size(nope) <> :n0", True), ("size(s) > size(ss)", True),
    ("size(l[2]) = :n1", True), ("size(s) BETWEEN :n1 AND :n5", True), ("size(s) IN (:n2, :n3)", True),
    ("size(:s) = :n3", True), ("size(:l) = :n2", True),
    # logic and precedence
    ("NOT n = :n1", True), ("NOT n = :n5", False), ("NOT NOT n = :n5", True),
    ("n = :n1 OR n = :n5", True), ("n = :n1 AND n = :n5", False),
    ("n = :n5 OR n = :n1 AND s = :sz", True),  # AND binds tighter than OR
    ("(n = :n5 OR n = :n1) AND s = :sz", False),
    ("NOT n = :n1 AND s = :sz", False),  # NOT binds tighter than AND
    ("NOT (n = :n1 AND s = :sz)", True),
    ("n = :n1 OR NOT s = :sz", True),
    ("attribute_exists(n) AND n BETWEEN :n1 AND :n10 AND s IN (:s, :s2)", True),
    ("attribute_not_exists(nope) OR nope > :n1", True),
]

EXTRA_VALUES = {":n3": {"N": "3"}, ":sa": {"S": "a"}, ":sx": {"S": "x"}}


@pytest.mark.parametrize(("expr", "expected"), CASES)
def test_condition(expr: str, expected: bool) -> None:
    assert compile_one("condition", expr, extra_values=EXTRA_VALUES).condition_holds(ITEM) is expected
    # a FilterExpression is the same grammar with the same semantics
    assert compile_one("filter", expr, extra_values=EXTRA_VALUES).filter_matches(ITEM) is expected


@pytest.mark.parametrize("expr", ["attribute_not_exists(pk)", "attribute_not_exists(a.b)", "nope <> :n1",
                                  "NOT attribute_exists(x)"])
def test_conditions_on_a_missing_item_hold(expr: str) -> None:
    assert compile_one("condition", expr).condition_holds(None) is True


@pytest.mark.parametrize("expr", ["attribute_exists(pk)", "pk = :s", "size(pk) > :n0", "contains(pk, :s)"])
def test_conditions_on_a_missing_item_fail(expr: str) -> None:
    assert compile_one("condition", expr).condition_holds(None) is False


def test_no_condition_holds() -> None:
    from kuradb.expressions import Compiled

    assert Compiled().condition_holds(None)


@pytest.mark.parametrize("expr", ["n BETWEEN m.n AND #k", "n BETWEEN m.n AND :n1"])
def test_between_with_item_bounds_reversed_is_false(expr: str) -> None:
    """Reversed bounds are an error only when both are request values (checked at parse time);
    with a bound read from the item the condition is just false (DynamoDB)."""
    compiled = compile_one("condition", expr)
    assert compiled.condition_holds(ITEM) is False
    assert compile_one("filter", expr).filter_matches(ITEM) is False


PROJECTIONS = [
    ("n", {"n": ITEM["n"]}),
    ("n, s", {"n": ITEM["n"], "s": ITEM["s"]}),
    ("nope", {}),
    ("n, nope", {"n": ITEM["n"]}),
    ("m.k", {"m": {"M": {"k": {"S": "v"}}}}),
    ("m.k, m.n", {"m": {"M": {"k": {"S": "v"}, "n": {"N": "10"}}}}),
    ("m.inr.z", {"m": {"M": {"inr": {"M": {"z": {"BOOL": True}}}}}}),
    ("m.nope", {}),
    ("m.k.deeper", {}),
    ("l[0]", {"l": {"L": [{"S": "x"}]}}),
    ("l[2], l[0]", {"l": {"L": [{"S": "x"}, {"L": [{"S": "deep"}]}]}}),
    ("l[2][0]", {"l": {"L": [{"L": [{"S": "deep"}]}]}}),
    ("l[7]", {}),
    ("l[0], l[7]", {"l": {"L": [{"S": "x"}]}}),
    ("l.x", {}),
    ("m[0]", {}),
    ("#k, #d, #dot", {"key": ITEM["key"], "[3]": ITEM["[3]"], "x.y": ITEM["x.y"]}),
    ("x.y", {}),
    ("pk, m.inr, l[1]", {"pk": ITEM["pk"], "m": {"M": {"inr": ITEM["m"]["M"]["inr"]}}, "l": {"L": [{"N": "1"}]}}),
]


@pytest.mark.parametrize(("expr", "expected"), PROJECTIONS)
def test_projection(expr: str, expected: dict) -> None:
    assert compile_one("projection", expr).project(ITEM) == expected


def test_projection_of_missing_item_and_no_projection() -> None:
    assert compile_one("projection", "a").project(None) == {}
    from kuradb.expressions import Compiled

    assert Compiled().project(ITEM) is ITEM


def test_project_accepts_path_lists() -> None:
    from kuradb.expressions import Path

    assert project(ITEM, [Path(("n",)), Path(("m", "k"))]) == {"n": ITEM["n"], "m": {"M": {"k": {"S": "v"}}}}
