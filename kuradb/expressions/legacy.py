"""Legacy (pre-expression) request parameters translated to the same AST as expressions.

Covered: Expected (+ ConditionalOperator), QueryFilter / ScanFilter (+ ConditionalOperator),
KeyConditions, AttributesToGet, AttributeUpdates. Rules and messages follow DynamoDB (as
reproduced by dynalite and DynamoDB Local):

* ComparisonOperator arity: EQ NE LE LT GE GT CONTAINS NOT_CONTAINS BEGINS_WITH take one value,
  NULL / NOT_NULL none, BETWEEN two, IN at least one — "Invalid number of argument(s) for the X
  ComparisonOperator";
* value types: EQ/NE accept S N B SS NS BS; LE LT GE GT CONTAINS NOT_CONTAINS IN BETWEEN accept
  S N B; BEGINS_WITH accepts S B — "ComparisonOperator X is not valid for T AttributeValue type";
* Expected without ComparisonOperator uses Exists/Value: Exists true (or absent) needs a Value
  (``a = v``), Exists false forbids one (``attribute_not_exists(a)``);
* NOT_CONTAINS and NOT_NULL/NULL keep their legacy meaning: NOT_CONTAINS is false for a missing
  attribute;
* AttributeUpdates: PUT → SET, DELETE without value → REMOVE, DELETE with a set → DELETE,
  ADD of N or a set → ADD, ADD of a list → ``SET a = list_append(if_not_exists(a, []), v)``;
  an ADD/DELETE whose value does not match the existing attribute's type is "Type mismatch for
  attribute to update" (the update is marked ``legacy``, see :mod:`kuradb.expressions.update`).

Every attribute name obeys the item's name rules (AttributesToGet, AttributeUpdates) and every
value (Value, AttributeValueList) is validated and normalized like an item's value first
(:func:`kuradb.model.values.validate_value`): an empty set or a NaN is refused with DynamoDB's
plain message, as for an item, and numbers reach the AST canonical.

Legacy names are plain top-level attribute names (never parsed as paths) and are not checked
against the reserved words. Literals carry a synthetic placeholder naming their origin, used only
in messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kuradb.errors import ValidationException
from kuradb.expressions import ast
from kuradb.expressions.ast import AV, Condition, Literal, Path
from kuradb.model.values import compare, type_of, validate_attribute_name, validate_value

INVALID = "One or more parameter values were invalid: "

_ARITY: dict[str, int] = {
    "EQ": 1, "NE": 1, "LE": 1, "LT": 1, "GE": 1, "GT": 1, "CONTAINS": 1, "NOT_CONTAINS": 1,
    "BEGINS_WITH": 1, "NULL": 0, "NOT_NULL": 0, "BETWEEN": 2, "IN": -1,
}
_SCALARS = ("S", "N", "B")
_TYPES: dict[str, tuple[str, ...]] = {
    "EQ": ("S", "N", "B", "SS", "NS", "BS"),
    "NE": ("S", "N", "B", "SS", "NS", "BS"),
    "LE": _SCALARS, "LT": _SCALARS, "GE": _SCALARS, "GT": _SCALARS,
    "CONTAINS": _SCALARS, "NOT_CONTAINS": _SCALARS, "IN": _SCALARS, "BETWEEN": _SCALARS,
    "BEGINS_WITH": ("S", "B"),
}
_COMPARATORS = {"EQ": "=", "NE": "<>", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}
_ENUM = "[IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]"


def _invalid(message: str) -> ValidationException:
    return ValidationException(INVALID + message)


def _values(avl: Any) -> list[AV]:
    return [validate_value(v) for v in avl]


def _lit(origin: str, av: AV) -> Literal:
    return Literal(origin, av)


def check_comparison(op: str, values: list[AV]) -> None:
    """Arity, type and BETWEEN-range checks of one legacy condition."""
    if op not in _ARITY:
        raise ValidationException(
            f"1 validation error detected: Value '{op}' at 'comparisonOperator' failed to satisfy "
            f"constraint: Member must satisfy enum value set: {_ENUM}"
        )
    want = _ARITY[op]
    if (want >= 0 and len(values) != want) or (want < 0 and not values):
        raise _invalid(f"Invalid number of argument(s) for the {op} ComparisonOperator")
    allowed = _TYPES.get(op)
    if allowed is not None:
        for v in values:
            if type_of(v) not in allowed:
                raise _invalid(f"ComparisonOperator {op} is not valid for {type_of(v)} AttributeValue type")
    if len(values) > 1 and len({type_of(v) for v in values}) > 1:
        raise _invalid("AttributeValues inside AttributeValueList must be of same type")
    if op == "BETWEEN" and (compare(values[0], values[1]) or 0) > 0:
        raise ValidationException(
            "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"
        )


def comparison_condition(name: str, op: str, values: list[AV]) -> Condition:
    """One validated legacy comparison as a condition AST."""
    check_comparison(op, values)
    path = Path((name,))
    lits = [_lit(f"{name}[{i}]", v) for i, v in enumerate(values)]
    if op in _COMPARATORS:
        return ast.Compare(_COMPARATORS[op], path, lits[0])  # type: ignore[arg-type]
    if op == "NULL":
        return ast.Function("attribute_not_exists", (path,))
    if op == "NOT_NULL":
        return ast.Function("attribute_exists", (path,))
    if op == "CONTAINS":
        return ast.Function("contains", (path, lits[0]))
    if op == "NOT_CONTAINS":
        return ast.And(ast.Function("attribute_exists", (path,)),
                       ast.Not(ast.Function("contains", (path, lits[0]))))
    if op == "BEGINS_WITH":
        return ast.Function("begins_with", (path, lits[0]))
    if op == "IN":
        return ast.In(path, tuple(lits))
    return ast.Between(path, lits[0], lits[1])


def _combine(conditions: list[Condition], conditional_operator: str | None) -> Condition | None:
    if not conditions:
        return None
    op = conditional_operator or "AND"
    if op not in ("AND", "OR"):
        raise ValidationException(
            f"1 validation error detected: Value '{op}' at 'conditionalOperator' failed to satisfy "
            "constraint: Member must satisfy enum value set: [OR, AND]"
        )
    result = conditions[0]
    for c in conditions[1:]:
        result = ast.And(result, c) if op == "AND" else ast.Or(result, c)
    return result


def expected_condition(expected: Mapping[str, Mapping[str, Any]], conditional_operator: str | None = None) -> Condition | None:
    """``Expected`` (+ ``ConditionalOperator``) as a condition AST."""
    out: list[Condition] = []
    for name, spec in expected.items():
        op = spec.get("ComparisonOperator")
        value = spec.get("Value")
        avl = spec.get("AttributeValueList")
        value = validate_value(value) if value is not None else None
        avl = _values(avl) if avl is not None else None
        if value is not None and avl is not None:
            raise _invalid(f"Value and AttributeValueList cannot be used together for Attribute: {name}")
        if op is not None:
            if "Exists" in spec:
                raise _invalid(f"Exists and ComparisonOperator cannot be used together for Attribute: {name}")
            if value is None and avl is None and op not in ("NULL", "NOT_NULL"):
                raise _invalid(
                    f"Value or AttributeValueList must be used with ComparisonOperator: {op} for Attribute: {name}"
                )
            values = list(avl) if avl is not None else ([value] if value is not None else [])
            out.append(comparison_condition(name, op, values))
            continue
        if avl is not None:
            raise _invalid(f"AttributeValueList can only be used with a ComparisonOperator for Attribute: {name}")
        exists = spec.get("Exists")
        if exists is None or exists:
            if value is None:
                shown = "null" if exists is None else "true"
                raise _invalid(f"Value must be provided when Exists is {shown} for Attribute: {name}")
            out.append(ast.Compare("=", Path((name,)), _lit(f"{name}.Value", value)))
        else:
            if value is not None:
                raise _invalid(f"Value cannot be used when Exists is false for Attribute: {name}")
            out.append(ast.Function("attribute_not_exists", (Path((name,)),)))
    return _combine(out, conditional_operator)


def filter_condition(filters: Mapping[str, Mapping[str, Any]], conditional_operator: str | None = None) -> Condition | None:
    """``QueryFilter`` / ``ScanFilter`` (+ ``ConditionalOperator``) as a condition AST."""
    out = [
        comparison_condition(name, spec.get("ComparisonOperator", ""), _values(spec.get("AttributeValueList") or []))
        for name, spec in filters.items()
    ]
    return _combine(out, conditional_operator)


def key_conditions_terms(key_conditions: Mapping[str, Mapping[str, Any]]) -> dict[str, ast.SortKeyCondition]:
    """``KeyConditions`` as the per-attribute terms :mod:`keycond` checks against the schema."""
    terms: dict[str, ast.SortKeyCondition] = {}
    for name, spec in key_conditions.items():
        op = spec.get("ComparisonOperator", "")
        values = _values(spec.get("AttributeValueList") or [])
        check_comparison(op, values)
        if op not in ("EQ", "LE", "LT", "GE", "GT", "BEGINS_WITH", "BETWEEN"):
            raise ValidationException("Query key condition not supported")
        terms[name] = ast.SortKeyCondition(op, tuple(values))  # type: ignore[arg-type]
    return terms


def attributes_to_get(names: list[str]) -> ast.Projection:
    seen: set[str] = set()
    for n in names:
        validate_attribute_name(n)
        if n in seen:
            raise _invalid(f"Duplicate value in attribute name: {n}")
        seen.add(n)
    return ast.Projection(tuple(Path((n,)) for n in names))


def attribute_updates(updates: Mapping[str, Mapping[str, Any]]) -> ast.Update:
    """``AttributeUpdates`` as an Update AST (see module rules)."""
    sets: list[ast.SetAction] = []
    removes: list[ast.RemoveAction] = []
    adds: list[ast.AddAction] = []
    deletes: list[ast.DeleteAction] = []
    for name, spec in updates.items():
        validate_attribute_name(name)
        action = spec.get("Action") or "PUT"
        value = spec.get("Value")
        value = validate_value(value) if value is not None else None
        path = Path((name,))
        if value is None and action != "DELETE":
            raise _invalid("Only DELETE action is allowed when no attribute value is specified")
        if action == "PUT":
            sets.append(ast.SetAction(path, _lit(f"{name}.Value", value)))
        elif action == "DELETE":
            if value is None:
                removes.append(ast.RemoveAction(path))
            else:
                t = type_of(value)
                if t not in ("SS", "NS", "BS"):
                    raise _invalid(f"DELETE action with value is not supported for the type {t}")
                deletes.append(ast.DeleteAction(path, _lit(f"{name}.Value", value)))
        elif action == "ADD":
            t = type_of(value)
            if t == "L":
                appended = ast.ListAppend(ast.IfNotExists(path, _lit(f"{name}.empty", {"L": []})),
                                          _lit(f"{name}.Value", value))
                sets.append(ast.SetAction(path, appended))
            elif t in ("N", "SS", "NS", "BS"):
                adds.append(ast.AddAction(path, _lit(f"{name}.Value", value)))
            else:
                raise _invalid(f"ADD action is not supported for the type {t}")
        else:
            raise ValidationException(
                f"1 validation error detected: Value '{action}' at 'attributeUpdates.{name}.member.action' "
                "failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]"
            )
    return ast.Update(tuple(sets), tuple(removes), tuple(adds), tuple(deletes), legacy=True)
