"""Key schemas: which attributes form an item's primary key, and how keys are validated.

Rules (DynamoDB API reference, PutItem / GetItem / UpdateItem / DeleteItem):

* A table has a partition (hash) key and optionally a sort (range) key, each of type S, N or B.
* A ``Key`` parameter names exactly the key attributes — nothing missing, nothing extra, each of
  the schema's type — else "The provided key element does not match the schema".
* An item (PutItem) must contain every key attribute ("Missing the key X in the item") with the
  schema's type ("Type mismatch for key X expected: S actual: N"); other attributes are free.
* Key values are never empty (S or B of length 0), the partition key is at most 2048 bytes and
  the sort key at most 1024 bytes (numbers always fit).

Checks run in that order: value shape first (kuradb.model.values), then schema match, then
emptiness, then size — the order DynamoDB reports them in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from kuradb import keys
from kuradb.errors import ValidationException
from kuradb.model.names import validate_key_attribute_name
from kuradb.model.values import AV, B, KEY_TYPES, PREFIX, S, Item, type_of, validate_value

MAX_PARTITION_KEY_BYTES: Final = 2048
MAX_SORT_KEY_BYTES: Final = 1024

MSG_KEY_SCHEMA: Final = "The provided key element does not match the schema"
MSG_HASH_TOO_BIG: Final = PREFIX + "Size of hashkey has exceeded the maximum size limit of2048 bytes"
MSG_RANGE_TOO_BIG: Final = PREFIX + "Aggregated size of all range keys has exceeded the size limit of 1024 bytes"


def _empty_key_message(name: str, kind: str) -> str:
    return (
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot "
        f"contain an empty {kind} value. Key: {name}"
    )


@dataclass(frozen=True, slots=True)
class KeySchema:
    """The primary key of a table: hash attribute and optional range attribute, with types."""

    hash_name: str
    hash_type: str
    range_name: str | None = None
    range_type: str | None = None

    def __post_init__(self) -> None:
        validate_key_attribute_name(self.hash_name, location="keySchema.1.member.attributeName")
        if self.hash_type not in KEY_TYPES:
            raise ValidationException(f"Invalid key type {self.hash_type!r}: key attributes are S, N or B")
        if (self.range_name is None) != (self.range_type is None):
            raise ValidationException("A range key needs both a name and a type")
        if self.range_name is not None:
            validate_key_attribute_name(self.range_name, location="keySchema.2.member.attributeName")
            if self.range_type not in KEY_TYPES:
                raise ValidationException(f"Invalid key type {self.range_type!r}: key attributes are S, N or B")
            if self.range_name == self.hash_name:
                raise ValidationException(
                    "Both the Hash Key and the Range Key element in the KeySchema have the same name"
                )

    @property
    def key_names(self) -> tuple[str, ...]:
        """The key attribute names, hash first."""
        return (self.hash_name,) if self.range_name is None else (self.hash_name, self.range_name)

    def _key_types(self) -> tuple[tuple[str, str, bool], ...]:
        parts = [(self.hash_name, self.hash_type, True)]
        if self.range_name is not None:
            assert self.range_type is not None
            parts.append((self.range_name, self.range_type, False))
        return tuple(parts)

    # ------------------------------------------------------------------ items

    def extract_key(self, item: Item) -> Item:
        """The key attributes of a (validated) item; "Missing the key X in the item" if absent."""
        out: Item = {}
        for name in self.key_names:
            av = item.get(name)
            if av is None:
                raise ValidationException(PREFIX + f"Missing the key {name} in the item")
            out[name] = av
        return out

    def validate_item_keys(self, item: Item) -> Item:
        """Check the key attributes of a (validated) PutItem item; return its key."""
        key = self.extract_key(item)
        for name, typ, is_hash in self._key_types():
            actual = type_of(key[name])
            if actual != typ:
                raise ValidationException(PREFIX + f"Type mismatch for key {name} expected: {typ} actual: {actual}")
            _check_key_value(name, key[name], is_hash)
        return key

    # ------------------------------------------------------------------ Key parameters

    def validate_key(self, key: Any) -> Item:
        """Validate a Get/Update/Delete ``Key`` parameter; return a normalized copy."""
        if not isinstance(key, dict):
            raise ValidationException(MSG_KEY_SCHEMA)
        normalized: Item = {}
        for name, av in key.items():
            if not isinstance(name, str):
                raise ValidationException(MSG_KEY_SCHEMA)
            normalized[name] = validate_value(av)
        parts = self._key_types()
        if len(normalized) != len(parts):
            raise ValidationException(MSG_KEY_SCHEMA)
        for name, typ, is_hash in parts:
            av = normalized.get(name)
            if av is None or type_of(av) != typ:
                raise ValidationException(MSG_KEY_SCHEMA)
            _check_key_value(name, av, is_hash)
        return {name: normalized[name] for name, _, _ in parts}

    def key_values(self, key: Item) -> tuple[AV, AV | None]:
        """(partition key value, sort key value or None) of a validated key or item."""
        sk = key[self.range_name] if self.range_name is not None else None
        return key[self.hash_name], sk


def _check_key_value(name: str, av: AV, is_hash: bool) -> None:
    if S in av:
        size = len(av[S].encode("utf-8"))
        kind = "string"
    elif B in av:
        size = len(av[B])
        kind = "binary"
    else:
        return  # numbers: never empty, at most 21 bytes
    if size == 0:
        raise ValidationException(_empty_key_message(name, kind))
    if is_hash and size > MAX_PARTITION_KEY_BYTES:
        raise ValidationException(MSG_HASH_TOO_BIG)
    if not is_hash and size > MAX_SORT_KEY_BYTES:
        raise ValidationException(MSG_RANGE_TOO_BIG)


@dataclass(frozen=True, slots=True)
class TableInfo:
    """What the partition store needs to know about a table: its id, name and key schema."""

    table_id: int
    name: str
    key_schema: KeySchema

    def __post_init__(self) -> None:
        if not 0 <= self.table_id <= keys.MAX_TABLE_ID:
            raise ValueError(f"table id {self.table_id} outside 0..{keys.MAX_TABLE_ID}")

    def data_key(self, key: Item) -> bytes:
        """The storage key of an item given its (validated) key or the item itself."""
        pk, sk = self.key_schema.key_values(key)
        return keys.data_key(self.table_id, pk, sk)

    def partition_hash(self, key: Item) -> int:
        """The partition hash of an item given its (validated) key or the item itself."""
        return keys.partition_hash(key[self.key_schema.hash_name])
