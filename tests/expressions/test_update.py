"""UpdateExpression application: every action, its edge cases and runtime errors."""

from __future__ import annotations

import copy

import pytest

from kuradb.expressions import Path
from tests.expressions.helpers import SCHEMA_RANGE, compile_one, error_of

BASE = {
    "pk": {"S": "k"},
    "sk": {"N": "1"},
    "n": {"N": "5"},
    "s": {"S": "abc"},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2"]},
    "bs": {"BS": [b"\x01", b"\x02"]},
    "l": {"L": [{"S": "x0"}, {"S": "x1"}, {"S": "x2"}, {"S": "x3"}]},
    "m": {"M": {"a": {"N": "1"}, "sb": {"M": {"z": {"S": "zz"}}}, "ls": {"L": [{"N": "0"}]}}},
}

MISSING = "The provided expression refers to an attribute that does not exist in the item"
BAD_TYPE = "An operand in the update expression has an incorrect data type"
BAD_PATH = "The document path provided in the update expression is invalid for update"


def changed(**attrs):
    item = copy.deepcopy(BASE)
    for k, v in attrs.items():
        if v is None:
            item.pop(k, None)
        else:
            item[k] = v
    return item


CASES = [
    # SET literals and paths
    ("SET n = :n1", changed(n={"N": "1"})),
    ("SET x = :s", changed(x={"S": "abc"})),
    ("SET x = s", changed(x={"S": "abc"})),
    ("SET x = m.sb", changed(x=BASE["m"]["M"]["sb"])),
    ("SET x = l[1]", changed(x={"S": "x1"})),
    ("SET n = s, s = n", changed(n={"S": "abc"}, s={"N": "5"})),  # values read from the old item
    ("SET #k = :n1", changed(key={"N": "1"})),
    ("SET #d = :n1", changed(**{"[3]": {"N": "1"}})),
    ("SET #dot = :n1", changed(**{"x.y": {"N": "1"}})),
    # arithmetic: exact decimal
    ("SET n = n + :n1", changed(n={"N": "6"})),
    ("SET n = n - :n10", changed(n={"N": "-5"})),
    ("SET n = :n1 - n", changed(n={"N": "-4"})),
    ("SET n = n + :neg", changed(n={"N": "1.5"})),
    ("SET x = :big + :n1", changed(x={"N": "100000000000000000000000000000000000000"})),
    ("SET x = m.a + n", changed(x={"N": "6"})),
    ("SET n = if_not_exists(n, :n0) + :n1", changed(n={"N": "6"})),
    ("SET x = if_not_exists(x, :n0) + :n1", changed(x={"N": "1"})),
    ("SET x = if_not_exists(n, :n0)", changed(x={"N": "5"})),
    ("SET x = if_not_exists(nope, if_not_exists(nope2, :s))", changed(x={"S": "abc"})),
    # list_append
    ("SET l = list_append(l, :l2)", changed(l={"L": [*BASE["l"]["L"], {"S": "y"}]})),
    ("SET l = list_append(:l2, l)", changed(l={"L": [{"S": "y"}, *BASE["l"]["L"]]})),
    ("SET x = list_append(if_not_exists(x, :empty), :l2)", changed(x={"L": [{"S": "y"}]})),
    ("SET x = list_append(:empty, :empty)", changed(x={"L": []})),
    # nested SET
    ("SET m.a = :n2", changed(m={"M": {**BASE["m"]["M"], "a": {"N": "2"}}})),
    ("SET m.nw = :n2", changed(m={"M": {**BASE["m"]["M"], "nw": {"N": "2"}}})),
    ("SET m.sb.z = :n2", changed(m={"M": {**BASE["m"]["M"], "sb": {"M": {"z": {"N": "2"}}}}})),
    ("SET m.ls[0] = :n2", changed(m={"M": {**BASE["m"]["M"], "ls": {"L": [{"N": "2"}]}}})),
    ("SET m.ls[5] = :n2", changed(m={"M": {**BASE["m"]["M"], "ls": {"L": [{"N": "0"}, {"N": "2"}]}}})),
    ("SET l[1] = :n1", changed(l={"L": [{"S": "x0"}, {"N": "1"}, {"S": "x2"}, {"S": "x3"}]})),
    ("SET l[10] = :n1", changed(l={"L": [*BASE["l"]["L"], {"N": "1"}]})),
    ("SET l[10] = :n1, l[11] = :n2", changed(l={"L": [*BASE["l"]["L"], {"N": "1"}, {"N": "2"}]})),
    # appends go in index order, not in the order written
    ("SET l[11] = :n2, l[10] = :n1", changed(l={"L": [*BASE["l"]["L"], {"N": "1"}, {"N": "2"}]})),
    ("SET l[84] = :n1, l[17] = :n2, n = :n2", changed(n={"N": "2"}, l={"L": [*BASE["l"]["L"], {"N": "2"}, {"N": "1"}]})),
    # REMOVE
    ("REMOVE n", changed(n=None)),
    ("REMOVE n, s, nope", changed(n=None, s=None)),
    ("REMOVE m.a", changed(m={"M": {"sb": BASE["m"]["M"]["sb"], "ls": BASE["m"]["M"]["ls"]}})),
    ("REMOVE m.nope", changed()),
    ("REMOVE l[1]", changed(l={"L": [{"S": "x0"}, {"S": "x2"}, {"S": "x3"}]})),
    ("REMOVE l[1], l[2]", changed(l={"L": [{"S": "x0"}, {"S": "x3"}]})),
    ("REMOVE l[2], l[0]", changed(l={"L": [{"S": "x1"}, {"S": "x3"}]})),
    ("REMOVE l[0], l[1], l[2], l[3]", changed(l={"L": []})),
    ("REMOVE l[9]", changed()),
    ("REMOVE m.ls[0]", changed(m={"M": {**BASE["m"]["M"], "ls": {"L": []}}})),
    # ADD
    ("ADD n :n1", changed(n={"N": "6"})),
    ("ADD n :neg", changed(n={"N": "1.5"})),
    ("ADD cnt0 :n1", changed(cnt0={"N": "1"})),
    ("ADD ss :ss2", changed(ss={"SS": ["a", "b", "c"]})),
    ("ADD ns :ns2", changed(ns={"NS": ["1", "2", "3"]})),
    ("ADD bs :bs", changed()),
    ("ADD newset :ss", changed(newset={"SS": ["a", "b"]})),
    ("ADD m.a :n1", changed(m={"M": {**BASE["m"]["M"], "a": {"N": "2"}}})),
    ("ADD m.cnt :n1", changed(m={"M": {**BASE["m"]["M"], "cnt": {"N": "1"}}})),
    # DELETE
    ("DELETE ss :ss2", changed(ss={"SS": ["a"]})),
    ("DELETE ss :ss", changed(ss=None)),
    ("DELETE ns :ns2", changed(ns={"NS": ["1"]})),
    ("DELETE bs :bs", changed(bs=None)),
    ("DELETE nope :ss", changed()),
    # combined
    ("SET n = n + :n1 REMOVE s ADD ss :ss2 DELETE ns :ns2",
     changed(n={"N": "6"}, s=None, ss={"SS": ["a", "b", "c"]}, ns={"NS": ["1"]})),
    ("REMOVE s SET x = s", changed(s=None, x={"S": "abc"})),
]

@pytest.mark.parametrize(("expr", "expected"), CASES)
def test_update(expr: str, expected: dict) -> None:
    compiled = compile_one("update", expr)
    before = copy.deepcopy(BASE)
    result = compiled.apply_update(BASE)
    assert result.item == expected
    assert BASE == before, "the input item must not be mutated"


ERRORS = [
    ("SET x = nope", MISSING),
    ("SET x = m.nope", MISSING),
    ("SET x = nope + :n1", MISSING),
    ("SET x = :n1 + nope", MISSING),
    ("SET x = list_append(nope, :l)", MISSING),
    ("SET x = if_not_exists(x, nope)", MISSING),
    ("SET x = s + :n1", BAD_TYPE),
    ("SET x = n - s", BAD_TYPE),
    ("SET x = ss + :n1", BAD_TYPE),
    ("SET x = list_append(s, :l)", BAD_TYPE),
    ("SET x = list_append(:l, m)", BAD_TYPE),
    ("SET x = :big + :big", "Number overflow. Attempting to store a number with magnitude larger than supported range"),
    ("SET x = :huge + :huge", "Number overflow. Attempting to store a number with magnitude larger than supported range"),
    ("ADD s :n1", BAD_TYPE),
    ("ADD n :ss", BAD_TYPE),
    ("ADD ss :ns", BAD_TYPE),
    ("ADD l :ns", BAD_TYPE),
    ("DELETE ss :ns", BAD_TYPE),
    ("DELETE s :ss", BAD_TYPE),
    ("SET nope.a = :n1", BAD_PATH),
    ("SET s.a = :n1", BAD_PATH),
    ("SET s[0] = :n1", BAD_PATH),
    ("SET l.a = :n1", BAD_PATH),
    ("SET m[0] = :n1", BAD_PATH),
    ("SET m.nope.deeper = :n1", BAD_PATH),
    ("SET l[9].a = :n1", BAD_PATH),
    ("ADD nope.a :n1", BAD_PATH),
    ("REMOVE s.a", BAD_PATH),
    # REMOVE through a missing parent is an error (a missing leaf is not)
    ("REMOVE nope.deeper", BAD_PATH),
    ("REMOVE nope[0]", BAD_PATH),
    ("REMOVE m.nope.deeper", BAD_PATH),
    ("REMOVE l[9].a", BAD_PATH),
    ("REMOVE m[0]", BAD_PATH),
]


@pytest.mark.parametrize(("expr", "message"), ERRORS)
def test_update_runtime_errors(expr: str, message: str) -> None:
    compiled = compile_one("update", expr)
    assert error_of(compiled.apply_update, BASE) == message


def test_update_of_missing_item_creates_it() -> None:
    result = compile_one("update", "SET a = :s ADD c :n1").apply_update(None)
    assert result.item == {"a": {"S": "abc"}, "c": {"N": "1"}}


def test_updated_paths_are_reported_in_clause_order() -> None:
    result = compile_one("update", "REMOVE s SET m.a = :n1 ADD n :n1").apply_update(BASE)
    assert result.updated_paths == (Path(("m", "a")), Path(("s",)), Path(("n",)))


@pytest.mark.parametrize("expr", ["SET pk = :s", "REMOVE sk", "ADD sk :n1", "SET pk.x = :s", "DELETE pk :ss"])
def test_key_attributes_cannot_be_updated(expr: str) -> None:
    attr = "pk" if "pk" in expr else "sk"
    assert error_of(compile_one, "update", expr, SCHEMA_RANGE) == (
        f"Cannot update attribute {attr}. This attribute is part of the key"
    )
