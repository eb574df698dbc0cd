"""Shared fixtures for the expression tests: a pool of placeholders, filtered per expression so
that the "unused in expressions" rule does not fire by accident."""

from __future__ import annotations

import re
from typing import Any

from kuradb.errors import ValidationException
from kuradb.expressions import compile_expressions
from kuradb.model.schema import KeySchema

NAMES: dict[str, str] = {
    "#a": "a", "#b": "b", "#c": "c", "#k": "key", "#n": "name", "#d": "[3]", "#dot": "x.y",
    "#pk": "pk", "#sk": "sk", "#size": "size",
}
VALUES: dict[str, dict[str, Any]] = {
    ":n0": {"N": "0"}, ":n1": {"N": "1"}, ":n2": {"N": "2"}, ":n5": {"N": "5"}, ":n10": {"N": "10"},
    ":neg": {"N": "-3.5"}, ":big": {"N": "99999999999999999999999999999999999999"},
    ":huge": {"N": "9.9999999999999999999999999999999999999E+125"},
    ":s": {"S": "abc"}, ":s2": {"S": "ab"}, ":sz": {"S": "z"}, ":se": {"S": ""},
    ":b": {"B": b"\x01\x02\x03"}, ":b2": {"B": b"\x01"},
    ":ss": {"SS": ["a", "b"]}, ":ss2": {"SS": ["b", "c"]}, ":ns": {"NS": ["1", "2"]},
    ":ns2": {"NS": ["2", "3"]}, ":bs": {"BS": [b"\x01", b"\x02"]},
    ":l": {"L": [{"S": "x"}, {"N": "1"}]}, ":l2": {"L": [{"S": "y"}]}, ":empty": {"L": []},
    ":m": {"M": {"k": {"S": "v"}}}, ":t": {"BOOL": True}, ":f": {"BOOL": False}, ":null": {"NULL": True},
    ":tS": {"S": "S"}, ":tN": {"S": "N"}, ":tL": {"S": "L"}, ":tM": {"S": "M"}, ":tSS": {"S": "SS"},
    ":tX": {"S": "X"}, ":tNULL": {"S": "NULL"}, ":tBOOL": {"S": "BOOL"},
}

SCHEMA_HASH = KeySchema("pk", "S")
SCHEMA_RANGE = KeySchema("pk", "S", "sk", "N")
SCHEMA_RANGE_S = KeySchema("pk", "S", "sk", "S")

_NAME_RE = re.compile(r"#[A-Za-z0-9_]+")
_VALUE_RE = re.compile(r":[A-Za-z0-9_]+")


def pick(text: str, extra_values: dict[str, dict[str, Any]] | None = None
         ) -> tuple[dict[str, str] | None, dict[str, dict[str, Any]] | None]:
    """The names and values of the pools that ``text`` mentions (undefined ones stay undefined)."""
    pool = {**VALUES, **(extra_values or {})}
    names = {k: NAMES[k] for k in _NAME_RE.findall(text) if k in NAMES}
    values = {k: pool[k] for k in _VALUE_RE.findall(text) if k in pool}
    return names or None, values or None


def compile_one(kind: str, expr: str, schema: KeySchema | None = None,
                extra_values: dict[str, dict[str, Any]] | None = None, **extra: Any):
    names, values = pick(expr, extra_values)
    return compile_expressions(**{kind: expr}, names=names, values=values, key_schema=schema, **extra)


def error_of(fn, *args: Any, **kwargs: Any) -> str:
    try:
        fn(*args, **kwargs)
    except ValidationException as e:
        return e.message
    raise AssertionError("no ValidationException")
