"""The key codec: the ONLY place where KuraDB turns key values into bytes (design §3).

Everything produced here is a **persistent format**: it is written to every node's LevelDB, fed
to the partition hash that places items in partitions, and compared byte-wise by LevelDB. Never
change an encoding or the hash; add a new tag instead.

Layout of one item in the data LevelDB::

    data_key = table_id (8 bytes, big-endian) | h (8 bytes, big-endian) | enc(pk) | enc(sk)?

    h = int.from_bytes(blake2b(enc(pk), digest_size=8).digest(), "big")

``enc`` is one typed, self-delimiting, order-preserving encoding used for partition and sort
keys alike:

* a type tag byte: N = 0x02, S = 0x03, B = 0x04;
* S (UTF-8) and B (raw): the bytes with 0x00 escaped as 0x00 0xFF, then the terminator
  0x00 0x01. A string orders before every string it is a proper prefix of, and "a" < "a\\x00"
  < "a\\x01", i.e. exactly DynamoDB's byte order. The escaped body of a prefix is a prefix of
  the escaped body of any extension, which is what ``begins_with`` ranges rely on.
* N: a class byte (0x01 negative, 0x02 zero, 0x03 positive), then for non-zero numbers the
  adjusted exponent e (-130..125) as one byte (e + 130, inverted for negatives), the significant
  digits in pairs, one byte per pair (10*d1 + d2 + 1, i.e. 1..100; an odd count is padded with 0;
  for negatives 100 - (10*d1 + d2)), and a terminator (0x00 positive, 0xFF negative) that sorts
  a shorter digit string on the correct side of its extensions. Numbers are encoded by value, so
  "1.0", "1" and "1E0" encode (and hash) identically.

Invariants, all property-tested in tests/test_keys.py:

* ``decode(enc(x)) == x`` (with canonical numbers);
* for two values of the same type, ``enc(a) < enc(b)`` iff DynamoDB orders a before b;
* ``enc`` is prefix-free, so data keys order by table, then h, then pk, then sk, and the keys of
  one item collection are exactly the keys starting with :func:`item_collection_prefix`.

This module is pure (no I/O, no global state) and assumes *validated* key values (see
:mod:`kuradb.model.schema`): it checks number ranges again only because a wrong byte here would
be persistent.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Final, Sequence

from kuradb.errors import ValidationException
from kuradb.model import numbers
from kuradb.model.values import AV, B, N, S

TAG_N: Final = 0x02
TAG_S: Final = 0x03
TAG_B: Final = 0x04

_NEG: Final = 0x01
_ZERO: Final = 0x02
_POS: Final = 0x03

_EXP_OFFSET: Final = -numbers.MIN_EXPONENT  # 130: maps -130..125 onto 0..255

HASH_SPACE: Final = 2**64
MAX_TABLE_ID: Final = 2**63 - 1  # so that table_id + 1 always fits: the end of a table's range

_TERMINATOR: Final = b"\x00\x01"
_ESCAPED_ZERO: Final = b"\x00\xff"

# Operators accepted by sort_key_bounds: KeyConditionExpression spelling and the legacy
# ComparisonOperator names.
_OPS: Final = {
    "=": "EQ", "EQ": "EQ",
    "<": "LT", "LT": "LT",
    "<=": "LE", "LE": "LE",
    ">": "GT", "GT": "GT",
    ">=": "GE", "GE": "GE",
    "BETWEEN": "BETWEEN", "between": "BETWEEN",
    "begins_with": "BEGINS_WITH", "BEGINS_WITH": "BEGINS_WITH",
}  # fmt: skip


class CorruptKeyError(ValueError):
    """Bytes that this codec did not produce (a storage fault, never a user error)."""


# --------------------------------------------------------------------------- numbers


def _encode_number(d: Decimal) -> bytes:
    """Encode a Decimal already normalized by numbers.check_range (no trailing zeros)."""
    if d.is_zero():
        return bytes((TAG_N, _ZERO))
    sign, digit_tuple, exponent = d.as_tuple()
    assert isinstance(exponent, int)
    digits = list(digit_tuple)
    adjusted = exponent + len(digits) - 1
    if len(digits) % 2:
        digits.append(0)
    pairs = [10 * digits[i] + digits[i + 1] for i in range(0, len(digits), 2)]
    if sign:
        return bytes((TAG_N, _NEG, 255 - (adjusted + _EXP_OFFSET), *(100 - p for p in pairs), 0xFF))
    return bytes((TAG_N, _POS, adjusted + _EXP_OFFSET, *(p + 1 for p in pairs), 0x00))


def _decode_number(data: bytes, pos: int) -> tuple[AV, int]:
    if pos >= len(data):
        raise CorruptKeyError("truncated number")
    cls = data[pos]
    if cls == _ZERO:
        return {N: "0"}, pos + 1
    if cls not in (_NEG, _POS) or pos + 1 >= len(data):
        raise CorruptKeyError("bad number class")
    negative = cls == _NEG
    exp_byte = data[pos + 1]
    adjusted = (255 - exp_byte if negative else exp_byte) - _EXP_OFFSET
    end = data.find(b"\xff" if negative else b"\x00", pos + 2)
    if end < 0:
        raise CorruptKeyError("unterminated number")
    digits: list[str] = []
    for byte in data[pos + 2 : end]:
        pair = 100 - byte if negative else byte - 1
        if not 0 <= pair <= 99:
            raise CorruptKeyError("bad number digits")
        digits.append(f"{pair:02d}")
    text = "".join(digits).rstrip("0")
    if not text or text[0] == "0":
        raise CorruptKeyError("number without a leading significant digit")
    d = Decimal((int(negative), tuple(map(int, text)), adjusted - len(text) + 1))
    return {N: numbers.canonical(d)}, end + 1


# --------------------------------------------------------------------------- typed values


def _raw_bytes(av: AV) -> tuple[int, bytes]:
    if S in av:
        return TAG_S, av[S].encode("utf-8")
    if B in av:
        return TAG_B, bytes(av[B])
    raise ValidationException("The provided key element does not match the schema")


def _escape(raw: bytes) -> bytes:
    return raw.replace(b"\x00", _ESCAPED_ZERO)


def encode_key_value(av: AV) -> bytes:
    """Typed, self-delimiting, order-preserving encoding of one S, N or B key value."""
    if N in av:
        return _encode_number(numbers.parse_number(av[N]))
    tag, raw = _raw_bytes(av)
    return bytes((tag,)) + _escape(raw) + _TERMINATOR


def decode_key_value(data: bytes, pos: int = 0) -> tuple[AV, int]:
    """Decode one value encoded by :func:`encode_key_value` at ``pos``; return (value, end)."""
    if pos >= len(data):
        raise CorruptKeyError("missing key value")
    tag = data[pos]
    if tag == TAG_N:
        return _decode_number(data, pos + 1)
    if tag not in (TAG_S, TAG_B):
        raise CorruptKeyError(f"unknown key type tag {tag:#x}")
    end = data.find(_TERMINATOR, pos + 1)
    if end < 0:
        raise CorruptKeyError("unterminated key value")
    body = data[pos + 1 : end]
    if body.replace(_ESCAPED_ZERO, b"").find(b"\x00") >= 0:
        raise CorruptKeyError("bad escape in key value")
    raw = body.replace(_ESCAPED_ZERO, b"\x00")
    if tag == TAG_B:
        return {B: raw}, end + 2
    try:
        return {S: raw.decode("utf-8")}, end + 2
    except UnicodeDecodeError as e:
        raise CorruptKeyError("key string is not UTF-8") from e


def _decode_exactly(data: bytes) -> AV:
    av, end = decode_key_value(data, 0)
    if end != len(data):
        raise CorruptKeyError("trailing bytes after key value")
    return av


def encode_sort_key(av: AV) -> bytes:
    """Order-preserving encoding of a sort key value (S, N or B)."""
    return encode_key_value(av)


def decode_sort_key(data: bytes) -> AV:
    """Inverse of :func:`encode_sort_key`; the whole of ``data`` must be one value."""
    return _decode_exactly(data)


def encode_partition_key(av: AV) -> bytes:
    """Escaped, self-delimiting encoding of a partition key value (the input of the hash)."""
    return encode_key_value(av)


def decode_partition_key(data: bytes) -> AV:
    """Inverse of :func:`encode_partition_key`; the whole of ``data`` must be one value."""
    return _decode_exactly(data)


# --------------------------------------------------------------------------- hash and data keys


def _hash_encoded(encoded_pk: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(encoded_pk, digest_size=8).digest(), "big")


def partition_hash(pk: AV) -> int:
    """Stable unsigned 64-bit hash of a partition key value: places the item in a partition.

    Persistent format: ``blake2b(encode_partition_key(pk), digest_size=8)`` read big-endian.
    Numbers hash by value ("1.0" and "1" are the same key).
    """
    return _hash_encoded(encode_partition_key(pk))


def _table_bytes(table_id: int) -> bytes:
    if not 0 <= table_id <= MAX_TABLE_ID:
        raise ValueError(f"table id {table_id} outside 0..{MAX_TABLE_ID}")
    return table_id.to_bytes(8, "big")


def item_collection_prefix(table_id: int, pk: AV) -> bytes:
    """Prefix shared by exactly the data keys of one partition key value (its item collection)."""
    encoded = encode_partition_key(pk)
    return _table_bytes(table_id) + _hash_encoded(encoded).to_bytes(8, "big") + encoded


def data_key(table_id: int, pk: AV, sk: AV | None) -> bytes:
    """The LevelDB key of one item: table | h | enc(pk) | enc(sk) (sk absent for hash-only tables)."""
    prefix = item_collection_prefix(table_id, pk)
    return prefix if sk is None else prefix + encode_sort_key(sk)


def decode_data_key(key: bytes) -> tuple[int, int, AV, AV | None]:
    """Inverse of :func:`data_key`: (table_id, h, pk, sk or None)."""
    if len(key) < 17:
        raise CorruptKeyError("data key too short")
    table_id = int.from_bytes(key[:8], "big")
    h = int.from_bytes(key[8:16], "big")
    pk, end = decode_key_value(key, 16)
    if end == len(key):
        return table_id, h, pk, None
    return table_id, h, pk, decode_sort_key(key[end:])


# --------------------------------------------------------------------------- ranges


def prefix_successor(prefix: bytes) -> bytes:
    """The smallest byte string greater than every string that starts with ``prefix``."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        raise ValueError("a prefix of only 0xFF bytes has no successor")
    return stripped[:-1] + bytes((stripped[-1] + 1,))


def table_hash_range(table_id: int, start_h: int, end_h: int) -> tuple[bytes, bytes]:
    """[lo, hi) byte bounds of the keys of hash range [start_h, end_h) of a table.

    ``end_h`` may be ``2**64`` (the end of the hash space); the bound is then the start of the
    next table id, which is why table ids stop at :data:`MAX_TABLE_ID`.
    """
    if not 0 <= start_h <= end_h <= HASH_SPACE:
        raise ValueError(f"bad hash range [{start_h}, {end_h})")
    table = _table_bytes(table_id)
    lo = table + start_h.to_bytes(8, "big") if start_h < HASH_SPACE else (table_id + 1).to_bytes(8, "big")
    hi = table + end_h.to_bytes(8, "big") if end_h < HASH_SPACE else (table_id + 1).to_bytes(8, "big")
    return lo, hi


def table_range(table_id: int) -> tuple[bytes, bytes]:
    """[lo, hi) byte bounds of every key of one table."""
    return table_hash_range(table_id, 0, HASH_SPACE)


def sort_key_bounds(table_id: int, pk: AV, op: str | None, operands: Sequence[AV] = ()) -> tuple[bytes, bytes]:
    """[lo, hi) byte bounds of the items of one partition key whose sort key satisfies ``op``.

    ``op`` is a KeyConditionExpression operator ("=", "<", "<=", ">", ">=", "BETWEEN",
    "begins_with"), a legacy ComparisonOperator name (EQ, LT, LE, GT, GE, BETWEEN, BEGINS_WITH),
    or None for the whole item collection. Operand types must already match the table's sort
    key type (the expression layer checks it against the schema). An inverted BETWEEN yields an
    empty range (lo == hi); begins_with is defined for S and B only.
    """
    prefix = item_collection_prefix(table_id, pk)
    end = prefix_successor(prefix)
    if op is None:
        _expect_operands("None", operands, 0)
        return prefix, end
    kind = _OPS.get(op)
    if kind is None:
        raise ValidationException(f"Unsupported operator on sort key: {op}")
    if kind == "BETWEEN":
        _expect_operands(op, operands, 2)
        lo = prefix + encode_sort_key(operands[0])
        hi = prefix + encode_sort_key(operands[1]) + b"\x00"
        return (lo, hi) if lo <= hi else (lo, lo)
    _expect_operands(op, operands, 1)
    operand = operands[0]
    if kind == "BEGINS_WITH":
        if N in operand:
            raise ValidationException(
                "Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
                "operator or function: begins_with, operand type: N"
            )
        tag, raw = _raw_bytes(operand)
        lo = prefix + bytes((tag,)) + _escape(raw)
        return lo, prefix_successor(lo)
    at = prefix + encode_sort_key(operand)
    after = at + b"\x00"  # the immediate successor of `at`: encodings are prefix-free
    if kind == "EQ":
        return at, after
    if kind == "LT":
        return prefix, at
    if kind == "LE":
        return prefix, after
    if kind == "GT":
        return after, end
    assert kind == "GE"
    return at, end


def _expect_operands(op: str, operands: Sequence[AV], count: int) -> None:
    if len(operands) != count:
        raise ValidationException(f"Operator {op} on a sort key takes {count} operand(s), got {len(operands)}")
