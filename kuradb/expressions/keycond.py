"""KeyConditionExpression / KeyConditions: from a parsed condition to a :class:`KeyCondition`.

Rules (DynamoDB, messages as reproduced by dynalite):

* only ``AND`` may combine conditions; OR, NOT, IN, ``<>`` and the functions other than
  ``begins_with`` are "Invalid operator used in KeyConditionExpression: X";
* each condition names exactly one top-level attribute (``size`` is a nested operation, a nested
  path is rejected) and at most one condition per attribute; ``:v = k`` is flipped to ``k = :v``;
* BETWEEN and begins_with must have the key attribute first;
* the partition key must appear, with ``=`` ("Query condition missed key schema element: pk");
  the sort key may use = < <= > >= BETWEEN begins_with; any other attribute, or a non-EQ
  partition-key condition, is "Query key condition not supported";
* operand types must match the key's schema type ("One or more parameter values were invalid:
  Condition parameter type does not match schema type").

The result is plain data; the store turns it into byte bounds (kuradb.keys.sort_key_bounds).
"""

from __future__ import annotations

from typing import Protocol

from kuradb.errors import ValidationException
from kuradb.expressions.ast import (
    AV,
    And,
    Between,
    Compare,
    Condition,
    Function,
    In,
    KeyCondition,
    Literal,
    Not,
    Or,
    Path,
    Size,
    SortKeyCondition,
    SortOp,
)
from kuradb.model.values import type_of

LABEL = "KeyConditionExpression"
MSG_TYPE_MISMATCH = "One or more parameter values were invalid: Condition parameter type does not match schema type"
MSG_NOT_SUPPORTED = "Query key condition not supported"

_OPS: dict[str, SortOp] = {"=": "EQ", "<": "LT", "<=": "LE", ">": "GT", ">=": "GE"}
_FLIP = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


class KeySchemaLike(Protocol):
    """What a key condition needs of a table's key schema (kuradb.model.schema.KeySchema)."""

    @property
    def hash_name(self) -> str: ...
    @property
    def hash_type(self) -> str: ...
    @property
    def range_name(self) -> str | None: ...
    @property
    def range_type(self) -> str | None: ...


def key_terms(cond: Condition) -> dict[str, SortKeyCondition]:
    """Split an AND-tree into ``{attribute: condition}``, enforcing the shape rules."""
    terms: dict[str, SortKeyCondition] = {}
    stack: list[Condition] = [cond]
    ordered: list[Condition] = []
    while stack:  # iterative: the parser bounds depth, but AND chains may be long
        node = stack.pop()
        if isinstance(node, And):
            stack.append(node.right)
            stack.append(node.left)
        else:
            ordered.append(node)
    for node in ordered:
        name, term = _term(node)
        if name in terms:
            raise ValidationException("KeyConditionExpressions must only contain one condition per key")
        terms[name] = term
    return terms


def _bad_operator(op: str) -> ValidationException:
    return ValidationException(f"Invalid operator used in KeyConditionExpression: {op}")


def _term(node: Condition) -> tuple[str, SortKeyCondition]:
    if isinstance(node, Or):
        raise _bad_operator("OR")
    if isinstance(node, Not):
        raise _bad_operator("NOT")
    if isinstance(node, In):
        raise _bad_operator("IN")
    if isinstance(node, Function) and node.name != "begins_with":
        raise _bad_operator(node.name)
    if isinstance(node, Compare):
        if node.op == "<>":
            raise _bad_operator("<>")
        args = [node.left, node.right]
    elif isinstance(node, Between):
        if not isinstance(node.operand, Path):
            raise ValidationException(
                "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand"
            )
        args = [node.operand, node.low, node.high]
    else:
        assert isinstance(node, Function)
        if not isinstance(node.args[0], Path):
            raise ValidationException(
                "Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand"
            )
        args = list(node.args)
    name: str | None = None
    index = 0
    values: list[AV] = []
    for i, a in enumerate(args):
        if isinstance(a, Size):
            raise ValidationException("KeyConditionExpressions cannot contain nested operations")
        if isinstance(a, Path):
            if name is not None:
                raise ValidationException(
                    "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"
                )
            if len(a.elements) > 1:
                raise ValidationException("KeyConditionExpressions cannot have conditions on nested attributes")
            name, index = str(a.elements[0]), i
        else:
            assert isinstance(a, Literal)
            values.append(a.value)
    if name is None:
        raise ValidationException("Invalid condition in KeyConditionExpression: No key attribute specified")
    if isinstance(node, Compare):
        op = node.op if index == 0 else _FLIP[node.op]
        return name, SortKeyCondition(_OPS[op], tuple(values))
    if isinstance(node, Between):
        return name, SortKeyCondition("BETWEEN", tuple(values))
    return name, SortKeyCondition("BEGINS_WITH", tuple(values))


def build_key_condition(terms: dict[str, SortKeyCondition], schema: KeySchemaLike) -> KeyCondition:
    """Check ``terms`` against the key schema and build the result."""
    hash_term = terms.get(schema.hash_name)
    if hash_term is None:
        raise ValidationException(f"Query condition missed key schema element: {schema.hash_name}")
    for name in terms:
        if name != schema.hash_name and name != schema.range_name:
            if schema.range_name is not None and schema.range_name not in terms:
                raise ValidationException(f"Query condition missed key schema element: {schema.range_name}")
            raise ValidationException(MSG_NOT_SUPPORTED)
    if hash_term.op != "EQ":
        raise ValidationException(MSG_NOT_SUPPORTED)
    _check_types(hash_term, schema.hash_type)
    sort = terms.get(schema.range_name) if schema.range_name is not None else None
    if sort is not None:
        assert schema.range_type is not None
        _check_types(sort, schema.range_type)
        if sort.op == "BEGINS_WITH" and schema.range_type == "N":
            raise ValidationException(
                f"Invalid {LABEL}: Incorrect operand type for operator or function; "
                "operator or function: begins_with, operand type: N"
            )
    return KeyCondition(
        hash_name=schema.hash_name,
        hash_value=hash_term.values[0],
        range_name=schema.range_name if sort is not None else None,
        sort=sort,
    )


def _check_types(term: SortKeyCondition, key_type: str) -> None:
    for v in term.values:
        if type_of(v) != key_type:
            raise ValidationException(MSG_TYPE_MISMATCH)
