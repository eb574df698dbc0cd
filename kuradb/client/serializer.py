"""Python values <-> DynamoDB attribute values, as boto3's ``boto3.dynamodb.types`` does it.

Rules (boto3's, kept so code moves between boto3 and KuraDB unchanged):

* Serialization checks types in this order: ``None`` -> NULL, ``bool`` -> BOOL (before numbers:
  ``bool`` is an ``int``), ``int``/``Decimal`` -> N, ``str`` -> S, ``bytes``/``bytearray``/
  :class:`Binary` -> B, a ``collections.abc.Set`` whose elements are all numbers -> NS, all
  strings -> SS, all binary -> BS, a ``Mapping`` -> M, a ``list``/``tuple`` -> L. Anything else
  raises ``TypeError('Unsupported type "<type>" for value "<value>"')``.
* ``float`` raises ``TypeError('Float types are not supported. Use Decimal types instead.')``
  wherever it occurs (also inside sets, lists and maps): a binary float cannot say which decimal
  the caller meant, and DynamoDB numbers are exact decimals. NaN and infinities raise
  ``TypeError('Infinity and NaN not supported')``.
* An empty set serializes as ``{"NS": []}`` (boto3 tests number-ness first and ``all()`` of
  nothing is true); the server then rejects it as DynamoDB does.
* Deliberate difference from boto3: numbers are checked against DynamoDB's real limits with
  :mod:`kuradb.model.numbers` (38 significant digits, magnitude 1E-130 .. <1E+126) and sent in
  canonical text. Out-of-range numbers raise the ValidationException the server would raise,
  instead of boto3's ``decimal.Inexact``/``Rounded`` from its approximate client-side context.
* Deserialization: N -> ``Decimal``, S -> ``str``, B -> :class:`Binary` (compares and hashes
  equal to the bytes it wraps), SS/NS/BS -> ``set``, M -> ``dict``, L -> ``list``, BOOL ->
  ``bool``, NULL -> ``None``. An empty dict raises ``TypeError('Value must be a nonempty
  dictionary whose key is a valid dynamodb type.')``, an unknown type ``TypeError('Dynamodb type
  X is not supported')``.

Both classes are stateless and pure; share them freely.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from decimal import Decimal
from typing import Any, Final

from kuradb.model.numbers import canonical, check_range

AttributeValue = dict[str, Any]

BINARY_TYPES: Final = (bytearray, bytes)


class Binary:
    """A B value. boto3 returns B as this wrapper (not ``bytes``) so that Python 2's ``str`` and
    bytes could not be confused; kept for compatibility. It compares and hashes like its bytes."""

    __slots__ = ("value",)

    def __init__(self, value: bytes | bytearray) -> None:
        if not isinstance(value, BINARY_TYPES):
            types = ", ".join(str(t) for t in BINARY_TYPES)
            raise TypeError(f"Value must be of the following types: {types}")
        self.value = value

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Binary):
            return self.value == other.value
        return self.value == other

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __repr__(self) -> str:
        return f"Binary({self.value!r})"

    def __bytes__(self) -> bytes:
        return bytes(self.value)

    def __hash__(self) -> int:
        return hash(bytes(self.value))


def _is_number(value: object) -> bool:
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return True
    if isinstance(value, float):
        raise TypeError("Float types are not supported. Use Decimal types instead.")
    return False


def _is_string(value: object) -> bool:
    return isinstance(value, str)


def _is_binary(value: object) -> bool:
    return isinstance(value, (Binary, bytearray, bytes))


def _serialize_n(value: int | Decimal) -> str:
    d = Decimal(value)
    if not d.is_finite():
        raise TypeError("Infinity and NaN not supported")
    return canonical(check_range(d))


def _serialize_b(value: Binary | bytes | bytearray) -> bytes:
    if isinstance(value, Binary):
        value = value.value
    return bytes(value)


class TypeSerializer:
    """Python value -> DynamoDB attribute value dict (``{"S": "x"}``, ``{"N": "1"}``, ...)."""

    def serialize(self, value: Any) -> AttributeValue:
        if value is None:
            return {"NULL": True}
        if isinstance(value, bool):
            return {"BOOL": value}
        if _is_number(value):
            return {"N": _serialize_n(value)}
        if isinstance(value, str):
            return {"S": value}
        if _is_binary(value):
            return {"B": _serialize_b(value)}
        if isinstance(value, Set):
            if all(map(_is_number, value)):
                return {"NS": [_serialize_n(v) for v in value]}
            if all(map(_is_string, value)):
                return {"SS": list(value)}
            if all(map(_is_binary, value)):
                return {"BS": [_serialize_b(v) for v in value]}
        if isinstance(value, Mapping):
            return {"M": {k: self.serialize(v) for k, v in value.items()}}
        if isinstance(value, (list, tuple)):
            return {"L": [self.serialize(v) for v in value]}
        raise TypeError(f'Unsupported type "{type(value)}" for value "{value}"')

    def serialize_item(self, item: Mapping[str, Any]) -> dict[str, AttributeValue]:
        """A whole item / key / ExpressionAttributeValues map."""
        return {k: self.serialize(v) for k, v in item.items()}


class TypeDeserializer:
    """DynamoDB attribute value dict -> Python value."""

    def deserialize(self, value: Mapping[str, Any]) -> Any:
        if not value:
            raise TypeError("Value must be a nonempty dictionary whose key is a valid dynamodb type.")
        tag, x = next(iter(value.items()))
        if tag == "S" or tag == "BOOL":
            return x
        if tag == "N":
            return Decimal(x)
        if tag == "M":
            return {k: self.deserialize(v) for k, v in x.items()}
        if tag == "L":
            return [self.deserialize(v) for v in x]
        if tag == "NULL":
            return None
        if tag == "B":
            return Binary(x)
        if tag == "SS":
            return set(x)
        if tag == "NS":
            return {Decimal(n) for n in x}
        if tag == "BS":
            return {Binary(b) for b in x}
        raise TypeError(f"Dynamodb type {tag} is not supported")

    def deserialize_item(self, item: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        """A whole item / key map."""
        return {k: self.deserialize(v) for k, v in item.items()}
