"""Application of an UpdateExpression AST to an item.

Semantics (DynamoDB):

* every SET value is computed from the item *as it was before the update* — ``SET a = b, b = a``
  swaps — and then the actions are applied in clause order SET, REMOVE, ADD, DELETE (the parser
  guarantees the target paths are disjoint, so the order of writes cannot matter);
* a SET operand naming a missing attribute is "The provided expression refers to an attribute
  that does not exist in the item"; ``+``/``-`` need two N (exact decimal arithmetic from
  :mod:`kuradb.model.numbers`), ``list_append`` two L, otherwise "An operand in the update
  expression has an incorrect data type";
* SET through a missing or non-document parent is "The document path provided in the update
  expression is invalid for update"; SET of a list index past the end appends;
* REMOVE of a missing attribute, map key or list index is a no-op, but REMOVE through a missing
  or non-document parent (``REMOVE a.b`` without ``a``) is "The document path provided in the
  update expression is invalid for update", like SET; REMOVE of several elements of one list
  removes the elements at their *original* indexes (later elements shift down);
* several SETs of list indexes past the end append in ascending index order, whatever their
  order in the expression (DynamoDB: "the elements are sorted in order by element number");
* ADD to a missing attribute creates it (atomic counter / new set); ADD of N to N adds, of a set
  to a set of the same type unions; anything else is an incorrect data type;
* DELETE removes elements from a set of the same type and removes the attribute when the set
  becomes empty; DELETE on a missing attribute is a no-op;
* an update translated from legacy AttributeUpdates (``Update.legacy``) reports the same operand
  type errors as "Type mismatch for attribute to update", DynamoDB's wording for that API.

The input item is never mutated: containers on the written paths are copied. The caller must
re-check the resulting item's size (400 KB) and key attributes.
"""

from __future__ import annotations

from dataclasses import dataclass

from kuradb.errors import ValidationException
from kuradb.expressions.ast import (
    AV,
    AddAction,
    Arithmetic,
    DeleteAction,
    IfNotExists,
    Item,
    ListAppend,
    Literal,
    Path,
    PathElem,
    RemoveAction,
    SetValue,
    Update,
)
from kuradb.expressions.evaluate import resolve
from kuradb.model import numbers
from kuradb.model.values import type_of

MSG_MISSING = "The provided expression refers to an attribute that does not exist in the item"
MSG_BAD_TYPE = "An operand in the update expression has an incorrect data type"
MSG_BAD_PATH = "The document path provided in the update expression is invalid for update"
MSG_TYPE_MISMATCH = "Type mismatch for attribute to update"

_SET_TYPES = ("SS", "NS", "BS")


@dataclass(frozen=True, slots=True)
class UpdateResult:
    """The new item and the target paths of every action (for UPDATED_OLD / UPDATED_NEW:
    project the old or new item on ``updated_paths``)."""

    item: Item
    updated_paths: tuple[Path, ...]


def apply_update(update: Update, item: Item | None) -> UpdateResult:
    """Apply ``update`` to ``item`` (None: the item does not exist yet)."""
    try:
        return _apply(update, item)
    except ValidationException as err:
        if update.legacy and err.message == MSG_BAD_TYPE:
            raise ValidationException(MSG_TYPE_MISMATCH) from None
        raise


def _apply(update: Update, item: Item | None) -> UpdateResult:
    old: Item = item or {}
    values = [(a.path, _set_value(a.value, old)) for a in update.set]
    new: Item = dict(old)
    # The paths are disjoint, so only appends to one list can depend on the order: ascending.
    for path, value in sorted(values, key=lambda pv: _ascending_order(pv[0])):
        new = _assign(new, path, value)
    for remove in sorted(update.remove, key=_removal_order):
        new = _remove(new, remove.path)
    for add in update.add:
        new = _add(new, add)
    for delete in update.delete:
        new = _delete(new, delete)
    return UpdateResult(new, tuple(update.paths()))


def _ascending_order(path: Path) -> tuple[tuple[int, str | int], ...]:
    """Names before indexes at each level (so mixed paths compare), indexes ascending."""
    return tuple((0, e) if isinstance(e, str) else (1, e) for e in path.elements)


def _removal_order(action: RemoveAction) -> tuple[tuple[int, str | int], ...]:
    """Removing higher list indexes first makes every index refer to the original list."""
    return tuple((0, e) if isinstance(e, str) else (1, -e) for e in action.path.elements)


def _set_value(value: SetValue, item: Item) -> AV:
    if isinstance(value, Literal):
        return value.value
    if isinstance(value, Path):
        found = resolve(item, value)
        if found is None:
            raise ValidationException(MSG_MISSING)
        return found
    if isinstance(value, IfNotExists):
        found = resolve(item, value.path)
        return found if found is not None else _set_value(value.default, item)
    if isinstance(value, ListAppend):
        first, second = _set_value(value.first, item), _set_value(value.second, item)
        if "L" not in first or "L" not in second:
            raise ValidationException(MSG_BAD_TYPE)
        return {"L": [*first["L"], *second["L"]]}
    if isinstance(value, Arithmetic):
        left, right = _set_value(value.left, item), _set_value(value.right, item)
        if "N" not in left or "N" not in right:
            raise ValidationException(MSG_BAD_TYPE)
        op = numbers.add if value.op == "+" else numbers.sub
        return {"N": op(left["N"], right["N"])}
    raise TypeError(f"not a SET value: {value!r}")


# ------------------------------------------------------------------------------ copy-on-write


def _assign(item: Item, path: Path, value: AV) -> Item:
    head, rest = path.elements[0], path.elements[1:]
    assert isinstance(head, str)
    out = dict(item)
    if not rest:
        out[head] = value
        return out
    child = out.get(head)
    if child is None:
        raise ValidationException(MSG_BAD_PATH)
    out[head] = _assign_in(child, rest, value)
    return out


def _assign_in(container: AV, rest: tuple[PathElem, ...], value: AV) -> AV:
    key, tail = rest[0], rest[1:]
    if isinstance(key, int):
        if "L" not in container:
            raise ValidationException(MSG_BAD_PATH)
        lst = list(container["L"])
        if not tail:
            if key < len(lst):
                lst[key] = value
            else:
                lst.append(value)
        else:
            if key >= len(lst):
                raise ValidationException(MSG_BAD_PATH)
            lst[key] = _assign_in(lst[key], tail, value)
        return {"L": lst}
    if "M" not in container:
        raise ValidationException(MSG_BAD_PATH)
    m = dict(container["M"])
    if not tail:
        m[key] = value
    else:
        child = m.get(key)
        if child is None:
            raise ValidationException(MSG_BAD_PATH)
        m[key] = _assign_in(child, tail, value)
    return {"M": m}


def _remove(item: Item, path: Path) -> Item:
    head, rest = path.elements[0], path.elements[1:]
    assert isinstance(head, str)
    if head not in item:
        if rest:
            raise ValidationException(MSG_BAD_PATH)  # the parent of the removed element is missing
        return item
    out = dict(item)
    if not rest:
        del out[head]
        return out
    replaced = _remove_in(out[head], rest)
    if replaced is not None:
        out[head] = replaced
    return out


def _remove_in(container: AV, rest: tuple[PathElem, ...]) -> AV | None:
    """The container without the element at ``rest``; None when there is nothing to remove."""
    key, tail = rest[0], rest[1:]
    if isinstance(key, int):
        if "L" not in container:
            raise ValidationException(MSG_BAD_PATH)
        if key >= len(container["L"]):
            if tail:
                raise ValidationException(MSG_BAD_PATH)
            return None
        lst = list(container["L"])
        if not tail:
            del lst[key]
        else:
            child = _remove_in(lst[key], tail)
            if child is None:
                return None
            lst[key] = child
        return {"L": lst}
    if "M" not in container:
        raise ValidationException(MSG_BAD_PATH)
    if key not in container["M"]:
        if tail:
            raise ValidationException(MSG_BAD_PATH)
        return None
    m = dict(container["M"])
    if not tail:
        del m[key]
    else:
        child = _remove_in(m[key], tail)
        if child is None:
            return None
        m[key] = child
    return {"M": m}


def _set_union(existing: list, extra: list) -> list:
    """Union keeping the existing order; NS elements are canonical, so text equality is
    numeric equality (kuradb.model.values invariant)."""
    seen = set(existing)
    return [*existing, *(e for e in extra if e not in seen)]


def _add(item: Item, action: AddAction) -> Item:
    current = resolve(item, action.path)
    value = action.value.value
    tv = type_of(value)
    if current is None:
        return _assign(item, action.path, value)
    tc = type_of(current)
    if tc != tv:
        raise ValidationException(MSG_BAD_TYPE)
    if tv == "N":
        return _assign(item, action.path, {"N": numbers.add(current["N"], value["N"])})
    if tv in _SET_TYPES:
        return _assign(item, action.path, {tv: _set_union(current[tv], value[tv])})
    raise ValidationException(MSG_BAD_TYPE)


def _delete(item: Item, action: DeleteAction) -> Item:
    current = resolve(item, action.path)
    if current is None:
        return item
    value = action.value.value
    tv = type_of(value)
    if type_of(current) != tv or tv not in _SET_TYPES:
        raise ValidationException(MSG_BAD_TYPE)
    drop = set(value[tv])  # canonical NS text, see _set_union
    remaining = [x for x in current[tv] if x not in drop]
    if not remaining:
        return _remove(item, action.path)
    return _assign(item, action.path, {tv: remaining})
