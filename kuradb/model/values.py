"""Attribute values: the in-memory contract, validation, size, equality and ordering.

The contract every KuraDB module uses for an attribute value ("AV"): a dict with exactly one
key, DynamoDB-JSON shaped but with real bytes::

    {"S": str} {"N": canonical str} {"B": bytes} {"SS": [str]} {"NS": [canonical str]}
    {"BS": [bytes]} {"M": {name: AV}} {"L": [AV]} {"BOOL": bool} {"NULL": True}

An item is ``dict[str, AV]``. Invariants of a value returned by :func:`validate_value`:

* exactly one type key; the payload has the Python type above (bytes, never bytearray);
* numbers (N and NS elements) are canonical (see :mod:`kuradb.model.numbers`), so two equal
  numbers have equal text;
* sets are non-empty and their elements are unique (NS uniqueness is numeric); set order is the
  order given — sets are unordered in DynamoDB, so equality treats them as sets;
* documents (M/L) nest at most :data:`MAX_DEPTH` levels;
* strings are encodable as UTF-8 (no lone surrogates). Empty S/B are fine outside keys.

Sizes follow DynamoDB's item-size formula (the one dynalite reproduces against the real
service): S = UTF-8 bytes, B = bytes, N = 1 + ceil(digits/2) (+1 if the digit count and the
exponent are both even, +1 if negative; zero is 1), BOOL/NULL = 1, sets = sum of elements,
L = 3 + sum(1 + element), M = 3 + sum(1 + UTF-8 name + value). An item is the sum of its UTF-8
attribute names and value sizes, at most 409,600 bytes.

Ordering (:func:`compare`) exists only between two S (UTF-8 byte order — equal to code point
order, which is what Python's str comparison uses), two N (numeric) or two B (bytes); anything
else is "not comparable" and makes a comparison false, as in DynamoDB.

Everything here is pure and allocation-light; validation returns fresh containers so callers may
keep the result while the request object is mutated.
"""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any, Callable, Final

from kuradb.errors import ValidationException
from kuradb.model import numbers

AV = dict[str, Any]
Item = dict[str, AV]

S: Final = "S"
N: Final = "N"
B: Final = "B"
SS: Final = "SS"
NS: Final = "NS"
BS: Final = "BS"
M: Final = "M"
L: Final = "L"
BOOL: Final = "BOOL"
NULL: Final = "NULL"

ALL_TYPES: Final = frozenset({S, N, B, SS, NS, BS, M, L, BOOL, NULL})
SCALAR_TYPES: Final = frozenset({S, N, B})
KEY_TYPES: Final = SCALAR_TYPES
SET_TYPES: Final = frozenset({SS, NS, BS})
DOCUMENT_TYPES: Final = frozenset({M, L})

MAX_ITEM_SIZE: Final = 409_600
MAX_DEPTH: Final = 32
MAX_ATTRIBUTE_NAME_BYTES: Final = 65_535

PREFIX: Final = "One or more parameter values were invalid: "
MSG_EMPTY_AV: Final = "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
MSG_MULTI_AV: Final = (
    "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
)
MSG_NULL_FALSE: Final = PREFIX + "Null attribute value types must have the value of true"
MSG_EMPTY_SS: Final = PREFIX + "An string set  may not be empty"
MSG_EMPTY_NS: Final = PREFIX + "An number set  may not be empty"
MSG_EMPTY_BS: Final = PREFIX + "Binary sets should not be empty"
MSG_NS_DUPLICATES: Final = "Input collection contains duplicates"
MSG_DEPTH: Final = (
    "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit"
)
MSG_ITEM_SIZE: Final = "Item size has exceeded the maximum allowed size"
MSG_EMPTY_NAME: Final = PREFIX + "Empty attribute name is not allowed"  # no public DynamoDB text found
MSG_NAME_TOO_LONG: Final = (
    PREFIX + f"Attribute name exceeds the maximum allowed length of {MAX_ATTRIBUTE_NAME_BYTES} bytes"
)


# --------------------------------------------------------------------------- type inspection


def type_of(av: AV) -> str:
    """The type tag of a (valid) attribute value: "S", "N", ... ."""
    for t in av:
        return t
    raise ValidationException(MSG_EMPTY_AV)


# --------------------------------------------------------------------------- validation


def _shape_error(t: str, expected: str) -> ValidationException:
    # DynamoDB reports payload type errors as SerializationException at the wire layer; in memory
    # there is no wire, so they are validation errors of the value.
    return ValidationException(f"Supplied AttributeValue has an invalid {t} value: expected {expected}")


def _utf8_len(s: str) -> int:
    try:
        return len(s.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValidationException("Supplied AttributeValue contains a string that is not valid UTF-8") from None


def _as_bytes(t: str, v: Any) -> bytes:
    if isinstance(v, bytes):
        return v
    if isinstance(v, (bytearray, memoryview)):
        return bytes(v)
    raise _shape_error(t, "bytes")


def _list_of(t: str, v: Any) -> list[Any] | tuple[Any, ...]:
    if not isinstance(v, (list, tuple)):
        raise _shape_error(t, "a list")
    return v


def _number_size(text: str) -> int:
    """Size of a canonical number by DynamoDB's formula (see module docstring)."""
    if text == "0":
        return 1
    negative = text.startswith("-")
    body = text[1:] if negative else text
    intpart, _, frac = body.partition(".")
    if intpart != "0":
        adjusted = len(intpart) - 1
        digits = (intpart + frac).strip("0")
    else:
        stripped = frac.lstrip("0")
        adjusted = -(len(frac) - len(stripped)) - 1
        digits = stripped
    digits = digits.rstrip("0")
    nd = len(digits)
    return 1 + (nd + 1) // 2 + (0 if nd % 2 or adjusted % 2 else 1) + (1 if negative else 0)


def _render_set(items: list[str]) -> str:
    return "[" + ", ".join(items) + "]"


def _check(av: Any, depth: int) -> tuple[AV, int]:
    """Validate one value at document depth ``depth``; return (normalized copy, size)."""
    if not isinstance(av, dict):
        raise ValidationException(MSG_EMPTY_AV)
    if len(av) == 1:  # the common case: skip building the list of present types
        for t, payload in av.items():
            checker = _CHECKERS.get(t)
            if checker is None:
                # DynamoDB ignores members it does not know, so {"X": 1} reads as an empty value.
                raise ValidationException(MSG_EMPTY_AV)
            return checker(payload, depth)
    present = [t for t in av if t in _CHECKERS]
    if not present:
        raise ValidationException(MSG_EMPTY_AV)
    result: tuple[AV, int] | None = None
    # Per-type checks run before the "more than one type" check, as in DynamoDB.
    for t in present:
        result = _CHECKERS[t](av[t], depth)
    if len(present) > 1:
        raise ValidationException(MSG_MULTI_AV)
    assert result is not None
    return result


def _check_s(v: Any, depth: int) -> tuple[AV, int]:
    if not isinstance(v, str):
        raise _shape_error(S, "a string")
    return {S: v}, _utf8_len(v)


def _check_n(v: Any, depth: int) -> tuple[AV, int]:
    text = numbers.normalize(v)
    return {N: text}, _number_size(text)


def _check_b(v: Any, depth: int) -> tuple[AV, int]:
    b = _as_bytes(B, v)
    return {B: b}, len(b)


def _check_bool(v: Any, depth: int) -> tuple[AV, int]:
    if not isinstance(v, bool):
        raise _shape_error(BOOL, "a boolean")
    return {BOOL: v}, 1


def _check_null(v: Any, depth: int) -> tuple[AV, int]:
    if not isinstance(v, bool):
        raise _shape_error(NULL, "a boolean")
    if not v:
        raise ValidationException(MSG_NULL_FALSE)
    return {NULL: True}, 1


def _check_ss(v: Any, depth: int) -> tuple[AV, int]:
    elems = _list_of(SS, v)
    if not elems:
        raise ValidationException(MSG_EMPTY_SS)
    size = 0
    for e in elems:
        if not isinstance(e, str):
            raise _shape_error(SS, "a list of strings")
        size += _utf8_len(e)
    out = list(elems)
    if len(set(out)) != len(out):
        raise ValidationException(PREFIX + f"Input collection {_render_set(out)} contains duplicates.")
    return {SS: out}, size


def _check_ns(v: Any, depth: int) -> tuple[AV, int]:
    elems = _list_of(NS, v)
    if not elems:
        raise ValidationException(MSG_EMPTY_NS)
    out = [numbers.normalize(e) for e in elems]
    if len(set(out)) != len(out):  # canonical text: equal numbers have equal text
        raise ValidationException(MSG_NS_DUPLICATES)
    return {NS: out}, sum(_number_size(e) for e in out)


def _check_bs(v: Any, depth: int) -> tuple[AV, int]:
    elems = _list_of(BS, v)
    if not elems:
        raise ValidationException(MSG_EMPTY_BS)
    out = [_as_bytes(BS, e) for e in elems]
    if len(set(out)) != len(out):
        rendered = _render_set([base64.b64encode(e).decode("ascii") for e in out])
        raise ValidationException(PREFIX + f"Input collection {rendered}of type BS contains duplicates.")
    return {BS: out}, sum(len(e) for e in out)


def _check_l(v: Any, depth: int) -> tuple[AV, int]:
    if depth >= MAX_DEPTH:
        raise ValidationException(MSG_DEPTH)
    elems = _list_of(L, v)
    out: list[AV] = []
    size = 3
    for e in elems:
        ev, es = _check(e, depth + 1)
        out.append(ev)
        size += 1 + es
    return {L: out}, size


def _check_m(v: Any, depth: int) -> tuple[AV, int]:
    if depth >= MAX_DEPTH:
        raise ValidationException(MSG_DEPTH)
    if not isinstance(v, dict):
        raise _shape_error(M, "a map")
    out: dict[str, AV] = {}
    size = 3
    for name, e in v.items():
        if not isinstance(name, str):
            raise _shape_error(M, "a map with string keys")
        ev, es = _check(e, depth + 1)
        out[name] = ev
        size += 1 + _utf8_len(name) + es
    return {M: out}, size


_CHECKERS: Final[dict[str, Callable[[Any, int], tuple[AV, int]]]] = {
    S: _check_s,
    N: _check_n,
    B: _check_b,
    BOOL: _check_bool,
    NULL: _check_null,
    SS: _check_ss,
    NS: _check_ns,
    BS: _check_bs,
    L: _check_l,
    M: _check_m,
}


def validate_value(av: Any, *, key_context: bool = False) -> AV:
    """Validate an attribute value and return a normalized copy (canonical numbers, bytes).

    With ``key_context`` the value must also be of a key type (S, N or B); otherwise
    "The provided key element does not match the schema", as DynamoDB says for a Key of the
    wrong type. Name-specific key checks (emptiness, size) live in :mod:`kuradb.model.schema`.
    """
    value, _ = _check(av, 0)
    if key_context and type_of(value) not in KEY_TYPES:
        raise ValidationException("The provided key element does not match the schema")
    return value


def validate_attribute_name(name: Any) -> int:
    """Check a top-level attribute name; return its UTF-8 length."""
    if not isinstance(name, str):
        raise ValidationException(PREFIX + "Attribute names must be strings")
    if not name:
        raise ValidationException(MSG_EMPTY_NAME)
    n = _utf8_len(name)
    if n > MAX_ATTRIBUTE_NAME_BYTES:
        raise ValidationException(MSG_NAME_TOO_LONG)
    return n


def validate_item(item: Any) -> Item:
    """Validate a whole item (names, values, total size); return a normalized copy."""
    if not isinstance(item, dict):
        raise ValidationException(PREFIX + "Item must be a map of attribute names to values")
    out: Item = {}
    total = 0
    for name, av in item.items():
        total += validate_attribute_name(name)
        value, size = _check(av, 0)
        out[name] = value
        total += size
    if total > MAX_ITEM_SIZE:
        raise ValidationException(MSG_ITEM_SIZE)
    return out


# --------------------------------------------------------------------------- size


def value_size(av: AV) -> int:
    """DynamoDB size in bytes of a valid attribute value (formula in the module docstring)."""
    t, v = next(iter(av.items()))
    if t == S:
        return len(v.encode("utf-8"))
    if t == N:
        return _number_size(v)
    if t == B:
        return len(v)
    if t == BOOL or t == NULL:
        return 1
    if t == SS:
        return sum(len(e.encode("utf-8")) for e in v)
    if t == NS:
        return sum(_number_size(e) for e in v)
    if t == BS:
        return sum(len(e) for e in v)
    if t == L:
        return 3 + sum(1 + value_size(e) for e in v)
    if t == M:
        return 3 + sum(1 + len(k.encode("utf-8")) + value_size(e) for k, e in v.items())
    raise ValidationException(MSG_EMPTY_AV)


def item_size(item: Item) -> int:
    """DynamoDB size in bytes of a valid item: UTF-8 names plus value sizes."""
    return sum(len(k.encode("utf-8")) + value_size(v) for k, v in item.items())


# --------------------------------------------------------------------------- equality and order


def _num(text: str) -> Decimal:
    return Decimal(text)


def values_equal(a: AV, b: AV) -> bool:
    """DynamoDB equality: same type and same value; N numerically, sets as sets, M/L deep."""
    ta, tb = type_of(a), type_of(b)
    if ta != tb:
        return False
    va, vb = a[ta], b[tb]
    if ta == N:
        return va == vb or _num(va) == _num(vb)
    if ta == SS or ta == BS:
        return len(va) == len(vb) and set(va) == set(vb)
    if ta == NS:
        return len(va) == len(vb) and {_num(x) for x in va} == {_num(x) for x in vb}
    if ta == L:
        return len(va) == len(vb) and all(values_equal(x, y) for x, y in zip(va, vb))
    if ta == M:
        return va.keys() == vb.keys() and all(values_equal(va[k], vb[k]) for k in va)
    return bool(va == vb)


def compare(a: AV, b: AV) -> int | None:
    """Order of two values for <, <=, >, >= and BETWEEN: -1, 0 or 1; None if not comparable.

    Only S with S (UTF-8 byte order), N with N (numeric) and B with B (byte order) compare.
    """
    ta, tb = type_of(a), type_of(b)
    if ta != tb or ta not in SCALAR_TYPES:
        return None
    va, vb = a[ta], b[tb]
    if ta == N:
        if va == vb:
            return 0
        va, vb = _num(va), _num(vb)
    return (va > vb) - (va < vb)
