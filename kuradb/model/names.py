"""Name rules: tables, indexes, attributes (DynamoDB developer guide, "Naming rules").

* Table and index names: 3..255 characters of ``[a-zA-Z0-9_.-]``. The length rule is checked
  first and has its own message, the pattern second in the "N validation error(s) detected"
  form — the order and wording DynamoDB uses.
* Attribute names: 1 byte .. 64 KB of UTF-8 (checked with items, see
  :func:`kuradb.model.values.validate_attribute_name`); names of key (and index-projected)
  attributes at most 255 bytes.
"""

from __future__ import annotations

import re
from typing import Any, Final

from kuradb.errors import ValidationException
from kuradb.model.values import validate_attribute_name

__all__ = [
    "MAX_KEY_ATTRIBUTE_NAME_BYTES",
    "validate_attribute_name",
    "validate_index_name",
    "validate_key_attribute_name",
    "validate_table_name",
]

MIN_TABLE_NAME: Final = 3
MAX_TABLE_NAME: Final = 255
MAX_KEY_ATTRIBUTE_NAME_BYTES: Final = 255
TABLE_NAME_PATTERN: Final = "[a-zA-Z0-9_.-]+"
_TABLE_NAME_RE: Final = re.compile(r"[a-zA-Z0-9_.\-]+\Z")


def _constraint(value: str, location: str, constraint: str) -> str:
    return f"Value '{value}' at '{location}' failed to satisfy constraint: {constraint}"


def validate_table_name(name: Any, *, param: str = "TableName") -> str:
    """Check a table name; return it. ``param`` names the request member in messages."""
    if not isinstance(name, str):
        location = param[0].lower() + param[1:]
        # "paramater" is DynamoDB's own spelling (reproduced by dynalite's conformance tests).
        raise ValidationException(f"The paramater '{location}' is required but was not present in the request")
    if not MIN_TABLE_NAME <= len(name) <= MAX_TABLE_NAME:
        raise ValidationException(f"{param} must be at least 3 characters long and at most 255 characters long")
    if _TABLE_NAME_RE.match(name) is None:
        location = param[0].lower() + param[1:]
        raise ValidationException(
            "1 validation error detected: "
            + _constraint(name, location, f"Member must satisfy regular expression pattern: {TABLE_NAME_PATTERN}")
        )
    return name


def validate_index_name(name: Any) -> str:
    """Index names follow the table-name rules."""
    return validate_table_name(name, param="IndexName")


def validate_key_attribute_name(name: Any, *, location: str = "keySchema.1.member.attributeName") -> str:
    """A key attribute's name: 1..255 bytes of UTF-8 (``location`` is the request member path)."""
    if not isinstance(name, str):
        raise ValidationException(
            f"1 validation error detected: Value null at '{location}' failed to satisfy constraint: "
            "Member must not be null"
        )
    if not name:
        raise ValidationException(
            "1 validation error detected: "
            + _constraint(name, location, "Member must have length greater than or equal to 1")
        )
    n = validate_attribute_name(name)
    if n > MAX_KEY_ATTRIBUTE_NAME_BYTES:
        raise ValidationException(
            "1 validation error detected: "
            + _constraint(
                name, location, f"Member must have length less than or equal to {MAX_KEY_ATTRIBUTE_NAME_BYTES}"
            )
        )
    return name
