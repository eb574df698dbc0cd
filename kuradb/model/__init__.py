"""KuraDB's data model: attribute values, numbers, names and key schemas.

Submodules (import them directly; this package re-exports only the most used names):

* :mod:`kuradb.model.numbers` — DynamoDB Number parsing, canonical text, exact arithmetic;
* :mod:`kuradb.model.values` — the attribute-value contract, validation, size, equality, order;
* :mod:`kuradb.model.names` — table / attribute name rules;
* :mod:`kuradb.model.schema` — key schemas and key validation, :class:`TableInfo`.

The key *codec* (bytes on disk) is :mod:`kuradb.keys`, not here.
"""

from kuradb.model.values import (
    AV,
    Item,
    compare,
    item_size,
    type_of,
    validate_item,
    validate_value,
    value_size,
    values_equal,
)

__all__ = [
    "AV",
    "Item",
    "compare",
    "item_size",
    "type_of",
    "validate_item",
    "validate_value",
    "value_size",
    "values_equal",
]
