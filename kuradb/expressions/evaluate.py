"""Evaluation of condition/filter ASTs and projections against an item.

Semantics (DynamoDB):

* an operand naming a missing attribute (or a path through a non-document, or an index past the
  end of a list) has no value; every comparison involving a missing value is false, except
  ``<>``, which is true (a missing value is not equal to anything);
* values of different types are never equal and never ordered (``compare`` returns None), so
  such comparisons are false and ``<>`` is true; ordering exists only for S, N and B;
* ``BETWEEN`` with ``low > high`` is false when a bound comes from the item (DynamoDB rejects
  reversed bounds only when both are request values, which the parser checks);
* ``contains(a, b)``: substring when both are S (or both B); membership when ``a`` is a set and
  ``b`` a scalar of the element type; element equality when ``a`` is a list;
* ``begins_with`` works on S and B only; ``size`` is defined for S (UTF-8 bytes), B, sets, L and
  M, otherwise the operand has no value.

Everything here is pure: no I/O, no mutation of the item.
"""

from __future__ import annotations

from typing import Any

from kuradb.expressions.ast import (
    AV,
    And,
    Between,
    Compare,
    Condition,
    Function,
    In,
    Item,
    Literal,
    Not,
    Operand,
    Or,
    Path,
    PathElem,
    Projection,
    Size,
)
from kuradb.model.values import compare, type_of, values_equal

_SCALAR_OF_SET = {"SS": "S", "NS": "N", "BS": "B"}


def resolve(item: Item | None, path: Path) -> AV | None:
    """The value at ``path`` in ``item``, or None when any step is missing or mistyped."""
    if item is None:
        return None
    elements = path.elements
    head = elements[0]
    if not isinstance(head, str):
        return None
    value: AV | None = item.get(head)
    for elem in elements[1:]:
        if value is None:
            return None
        value = _step(value, elem)
    return value


def _step(value: AV, elem: PathElem) -> AV | None:
    if isinstance(elem, int):
        lst = value.get("L")
        if lst is None or elem >= len(lst):
            return None
        return lst[elem]
    m = value.get("M")
    if m is None:
        return None
    return m.get(elem)


def size_of(value: AV | None) -> AV | None:
    """``size()``: an N value, or None when the type has no size."""
    if value is None:
        return None
    t = type_of(value)
    v = value[t]
    if t == "S":
        return {"N": str(len(v.encode("utf-8")))}
    if t in ("B", "SS", "NS", "BS", "L", "M"):
        return {"N": str(len(v))}
    return None


def operand_value(op: Operand, item: Item | None) -> AV | None:
    if isinstance(op, Path):
        return resolve(item, op)
    if isinstance(op, Literal):
        return op.value
    if isinstance(op, Size):
        return size_of(operand_value(op.operand, item))
    raise TypeError(f"not an operand: {op!r}")


def evaluate(cond: Condition, item: Item | None) -> bool:
    """True when ``item`` (None: no item) satisfies ``cond``; never raises for item data."""
    if isinstance(cond, (And, Or)):
        return _chain(cond, item)
    if isinstance(cond, Not):
        return not evaluate(cond.operand, item)
    if isinstance(cond, Compare):
        return _compare(cond.op, operand_value(cond.left, item), operand_value(cond.right, item))
    if isinstance(cond, Between):
        return _between(cond, item)
    if isinstance(cond, In):
        v = operand_value(cond.operand, item)
        if v is None:
            return False
        for choice in cond.choices:
            c = operand_value(choice, item)
            if c is not None and values_equal(v, c):
                return True
        return False
    if isinstance(cond, Function):
        return _function(cond, item)
    raise TypeError(f"not a condition: {cond!r}")


def _chain(cond: And | Or, item: Item | None) -> bool:
    """Evaluate a left-deep AND (or OR) chain with a loop, left to right, short-circuiting.

    Parsed chains are bounded by the operator limit, but legacy Expected/ScanFilter maps can
    hold thousands of conditions; a loop keeps evaluation depth independent of chain length.
    """
    kind = type(cond)
    rights: list[Condition] = []
    node: Condition = cond
    while type(node) is kind:
        assert isinstance(node, (And, Or))
        rights.append(node.right)
        node = node.left
    rights.append(node)
    want = kind is Or  # OR stops at the first true operand, AND at the first false one
    for operand in reversed(rights):
        if evaluate(operand, item) is want:
            return want
    return not want


def _compare(op: str, a: AV | None, b: AV | None) -> bool:
    if op == "<>":
        return a is None or b is None or not values_equal(a, b)
    if a is None or b is None:
        return False
    if op == "=":
        return values_equal(a, b)
    c = compare(a, b)
    if c is None:
        return False
    if op == "<":
        return c < 0
    if op == "<=":
        return c <= 0
    if op == ">":
        return c > 0
    return c >= 0  # ">="


def _between(cond: Between, item: Item | None) -> bool:
    v = operand_value(cond.operand, item)
    lo = operand_value(cond.low, item)
    hi = operand_value(cond.high, item)
    if v is None or lo is None or hi is None:
        return False
    c_lo = compare(v, lo)
    c_hi = compare(v, hi)
    return c_lo is not None and c_hi is not None and c_lo >= 0 and c_hi <= 0


def _function(cond: Function, item: Item | None) -> bool:
    name = cond.name
    if name == "attribute_exists":
        return operand_value(cond.args[0], item) is not None
    if name == "attribute_not_exists":
        return operand_value(cond.args[0], item) is None
    a = operand_value(cond.args[0], item)
    b = operand_value(cond.args[1], item)
    if a is None or b is None:
        return False
    if name == "attribute_type":
        return type_of(b) == "S" and type_of(a) == b["S"]
    ta, tb = type_of(a), type_of(b)
    if name == "begins_with":
        return ta == tb and ta in ("S", "B") and a[ta].startswith(b[tb])
    # contains
    if ta in ("S", "B"):
        return ta == tb and b[tb] in a[ta]
    if ta in _SCALAR_OF_SET:
        if tb != _SCALAR_OF_SET[ta]:
            return False
        return any(values_equal({tb: e}, b) for e in a[ta])
    if ta == "L":
        return any(values_equal(e, b) for e in a["L"])
    return False


# ---------------------------------------------------------------------------------------------
# Projection


def project(item: Item | None, projection: Projection | list[Path] | tuple[Path, ...]) -> Item:
    """The parts of ``item`` named by the paths, keeping their document structure.

    As in DynamoDB, ``a.b`` yields ``{"a": {"M": {"b": ...}}}`` and list elements keep their
    relative order but are compacted: ``l[1], l[3]`` yields ``{"l": {"L": [l1, l3]}}``. Paths
    that do not exist contribute nothing.
    """
    if item is None:
        return {}
    paths = projection.paths if isinstance(projection, Projection) else projection
    tree: dict[PathElem, Any] = {}
    for path in paths:
        node = tree
        elements = path.elements
        for elem in elements[:-1]:
            child = node.get(elem, ...)
            if child is None:  # an earlier path already takes the whole value
                break
            if child is ...:
                child = node[elem] = {}
            node = child
        else:
            node[elements[-1]] = None
    out: Item = {}
    for name, sub in tree.items():
        if not isinstance(name, str) or name not in item:
            continue
        value = _project_value(item[name], sub)
        if value is not None:
            out[name] = value
    return out


def _project_value(value: AV, sub: dict[PathElem, Any] | None) -> AV | None:
    if sub is None:
        return value
    if "M" in value:
        m = value["M"]
        picked = {}
        for key, child in sub.items():
            if isinstance(key, str) and key in m:
                v = _project_value(m[key], child)
                if v is not None:
                    picked[key] = v
        return {"M": picked} if picked else None
    if "L" in value:
        lst = value["L"]
        items = []
        for index in sorted(k for k in sub if isinstance(k, int)):
            if index < len(lst):
                v = _project_value(lst[index], sub[index])
                if v is not None:
                    items.append(v)
        return {"L": items} if items else None
    return None
