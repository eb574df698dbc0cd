"""The one entry point a request handler uses: :func:`compile_expressions`.

Rules enforced here, across *all* expressions of one request (DynamoDB):

* a request may not mix an expression parameter with a legacy parameter ("Can not use both
  expression and non-expression parameters in the same request: ..."), except that KeyConditions
  may accompany a FilterExpression/ProjectionExpression when there is no KeyConditionExpression;
* ExpressionAttributeNames / ExpressionAttributeValues, when given, must be non-empty, have
  well-formed keys (``#[A-Za-z0-9_]+`` / ``:[A-Za-z0-9_]+``, at most 255 bytes), only be given
  when an expression uses them, and every entry must be used by some expression of the request;
* every ExpressionAttributeNames value is a valid attribute name (1 byte .. 64 KB - 1, as in an
  item); every ExpressionAttributeValues entry is a valid attribute value by the same rules as an item's
  (:func:`kuradb.model.values.validate_value`: number syntax/range/precision, non-empty sets,
  ...), reported as "ExpressionAttributeValues contains invalid value: <why> for key <key>";
  the expressions see the normalized values (canonical numbers), so what they store is canonical;
* expressions are checked in DynamoDB's order (Update, Condition, KeyCondition, Filter,
  Projection), so the first failing one is the one reported;
* an UpdateExpression / AttributeUpdates may not touch a key attribute;
* a Query's FilterExpression / QueryFilter may not read a key attribute (those belong in the key
  condition): "Filter Expression can only contain non-primary key attributes: Primary key
  attribute: <name>" (or "QueryFilter ..."), the hash key reported before the range key.

The result is a pure function of the arguments, so it can be cached:
:class:`ExpressionCache` is a small per-instance LRU keyed by the request's expression strings,
names, values, key schema and legacy parameters.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kuradb.errors import ValidationException
from kuradb.expressions import keycond, legacy as legacy_mod
from kuradb.expressions.ast import AV, Condition, Item, KeyCondition, Projection, Update, condition_paths
from kuradb.expressions.evaluate import evaluate, project
from kuradb.expressions.parser import parse_condition, parse_projection, parse_update
from kuradb.expressions.update import UpdateResult, apply_update
from kuradb.model.values import validate_attribute_name, validate_value

EXPRESSION_PARAMS = ("UpdateExpression", "ConditionExpression", "KeyConditionExpression",
                     "FilterExpression", "ProjectionExpression")
LEGACY_PARAMS = ("AttributesToGet", "AttributeUpdates", "Expected", "KeyConditions", "QueryFilter",
                 "ScanFilter", "ConditionalOperator")
MAX_PLACEHOLDER_BYTES = 255

_NAME_KEY = re.compile(r"#[0-9A-Za-z_]+\Z")
_VALUE_KEY = re.compile(r":[0-9A-Za-z_]+\Z")


@dataclass(frozen=True, slots=True, eq=False)
class Compiled:
    """Parsed, validated expressions of one request (legacy parameters already translated)."""

    condition: Condition | None = None
    filter: Condition | None = None
    key_condition: KeyCondition | None = None
    projection: Projection | None = None
    update: Update | None = None

    def condition_holds(self, item: Item | None) -> bool:
        """True when there is no condition or ``item`` (None: absent) satisfies it."""
        return self.condition is None or evaluate(self.condition, item)

    def filter_matches(self, item: Item) -> bool:
        return self.filter is None or evaluate(self.filter, item)

    def apply_update(self, item: Item | None) -> UpdateResult:
        if self.update is None:
            raise ValueError("this request has no UpdateExpression or AttributeUpdates")
        return apply_update(self.update, item)

    def project(self, item: Item | None) -> Item | None:
        """The projected item, or the item itself when no projection was requested."""
        if self.projection is None:
            return item
        return project(item, self.projection)


def _check_placeholder_map(label: str, mapping: Mapping[str, Any] | None, pattern: re.Pattern[str]) -> None:
    if mapping is None:
        return
    if not mapping:
        raise ValidationException(f"{label} must not be empty")
    for key in mapping:
        if not isinstance(key, str) or not pattern.match(key):
            raise ValidationException(f'{label} contains invalid key: Syntax error; key: "{key}"')
        if len(key.encode("utf-8")) > MAX_PLACEHOLDER_BYTES:
            raise ValidationException(
                f'{label} contains invalid key: The expression attribute map contains a key that is too long; key: "{key}"'
            )


def _check_filter_keys(cond: Condition, key_schema: keycond.KeySchemaLike, label: str) -> None:
    heads = {p.elements[0] for p in condition_paths(cond)}
    for key in (key_schema.hash_name, key_schema.range_name):
        if key is not None and key in heads:
            raise ValidationException(
                f"{label} can only contain non-primary key attributes: Primary key attribute: {key}"
            )


def _validate_values(values: Mapping[str, Any]) -> dict[str, AV]:
    """Validate and normalize every ExpressionAttributeValues entry.

    Why here: a value only reaches an item through an expression, so this is the one place that
    stops a NaN, an out-of-range number or an empty set from being stored or compared.
    """
    out: dict[str, AV] = {}
    for key, av in values.items():
        try:
            out[key] = validate_value(av)
        except ValidationException as err:
            raise ValidationException(
                f"ExpressionAttributeValues contains invalid value: {err.message} for key {key}"
            ) from None
    return out


def compile_expressions(
    *,
    condition: str | None = None,
    filter: str | None = None,
    key_condition: str | None = None,
    projection: str | None = None,
    update: str | None = None,
    names: Mapping[str, str] | None = None,
    values: Mapping[str, AV] | None = None,
    key_schema: keycond.KeySchemaLike | None = None,
    legacy: Mapping[str, Any] | None = None,
) -> Compiled:
    """Parse and validate every expression of one request (see the module rules).

    ``legacy`` holds any of the legacy parameters by their DynamoDB names (Expected,
    ConditionalOperator, AttributesToGet, KeyConditions, QueryFilter, ScanFilter,
    AttributeUpdates). ``key_schema`` is needed for a key condition and to reject updates of
    key attributes.
    """
    given = {
        "UpdateExpression": update, "ConditionExpression": condition,
        "KeyConditionExpression": key_condition, "FilterExpression": filter,
        "ProjectionExpression": projection,
    }
    expr_params = [p for p in EXPRESSION_PARAMS if given[p] is not None]
    legacy = {k: v for k, v in (legacy or {}).items() if v is not None}
    unknown = set(legacy) - set(LEGACY_PARAMS)
    if unknown:
        raise ValueError(f"not legacy parameters: {sorted(unknown)}")
    if expr_params:
        non_expr = [p for p in LEGACY_PARAMS if p in legacy]
        if key_condition is None and "KeyConditions" in non_expr:
            non_expr.remove("KeyConditions")
        if non_expr:
            raise ValidationException(
                "Can not use both expression and non-expression parameters in the same request: "
                f"Non-expression parameters: {{{', '.join(non_expr)}}} "
                f"Expression parameters: {{{', '.join(expr_params)}}}"
            )
    if names is not None and not expr_params:
        raise ValidationException("ExpressionAttributeNames can only be specified when using expressions")
    if values is not None and not [p for p in expr_params if p != "ProjectionExpression"]:
        raise ValidationException("ExpressionAttributeValues can only be specified when using expressions")
    _check_placeholder_map("ExpressionAttributeNames", names, _NAME_KEY)
    for name in (names or {}).values():
        validate_attribute_name(name)  # a name reached through #n obeys the attribute-name rules
    _check_placeholder_map("ExpressionAttributeValues", values, _VALUE_KEY)
    if values is not None:
        values = _validate_values(values)

    used_names: set[str] = set()
    used_values: set[str] = set()
    out: dict[str, Any] = {}
    if update is not None:
        out["update"], n, v = parse_update(update, names, values)
        used_names |= n
        used_values |= v
    if condition is not None:
        out["condition"], n, v = parse_condition(condition, names, values, "ConditionExpression")
        used_names |= n
        used_values |= v
    if key_condition is not None:
        kc_ast, n, v = parse_condition(key_condition, names, values, "KeyConditionExpression")
        used_names |= n
        used_values |= v
        terms = keycond.key_terms(kc_ast)
    if filter is not None:
        out["filter"], n, v = parse_condition(filter, names, values, "FilterExpression")
        used_names |= n
        used_values |= v
    if projection is not None:
        out["projection"], n = parse_projection(projection, names)
        used_names |= n
    unused = [k for k in (names or {}) if k not in used_names]
    if unused:
        raise ValidationException(
            f"Value provided in ExpressionAttributeNames unused in expressions: keys: {{{', '.join(unused)}}}"
        )
    unused = [k for k in (values or {}) if k not in used_values]
    if unused:
        raise ValidationException(
            f"Value provided in ExpressionAttributeValues unused in expressions: keys: {{{', '.join(unused)}}}"
        )

    if "Expected" in legacy:
        out["condition"] = legacy_mod.expected_condition(legacy["Expected"], legacy.get("ConditionalOperator"))
    if "AttributeUpdates" in legacy:
        out["update"] = legacy_mod.attribute_updates(legacy["AttributeUpdates"])
    if "AttributesToGet" in legacy:
        out["projection"] = legacy_mod.attributes_to_get(list(legacy["AttributesToGet"]))
    for param in ("QueryFilter", "ScanFilter"):
        if param in legacy:
            out["filter"] = legacy_mod.filter_condition(legacy[param], legacy.get("ConditionalOperator"))
    if "KeyConditions" in legacy:
        terms = legacy_mod.key_conditions_terms(legacy["KeyConditions"])
        key_condition = ""  # mark that a key condition must be built
    if key_condition is not None:
        if key_schema is None:
            raise ValueError("a key condition needs the table's key_schema")
        out["key_condition"] = keycond.build_key_condition(terms, key_schema)

    if key_condition is not None and out.get("filter") is not None:
        assert key_schema is not None  # checked with the key condition above
        label = "QueryFilter" if "QueryFilter" in legacy else "Filter Expression"
        _check_filter_keys(out["filter"], key_schema, label)
    if key_schema is not None and out.get("update") is not None:
        keys = {key_schema.hash_name, key_schema.range_name} - {None}
        for path in out["update"].paths():
            if path.elements[0] in keys:
                raise ValidationException(
                    f"Cannot update attribute {path.elements[0]}. This attribute is part of the key"
                )
    return Compiled(**out)


# ---------------------------------------------------------------------------------------------


def _freeze(obj: Any) -> Any:
    """A hashable image of nested dict/list request data (type tags keep AVs distinct)."""
    if isinstance(obj, Mapping):
        return tuple((k, _freeze(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return ("[", *(_freeze(v) for v in obj))
    return obj


class ExpressionCache:
    """LRU of successful :func:`compile_expressions` results, one per store or router.

    Only successes are cached; the key covers every argument, so a hit is exactly what a fresh
    compile would return.
    """

    def __init__(self, maxsize: int = 1024) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[Any, Compiled] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def compile(self, **kwargs: Any) -> Compiled:
        schema = kwargs.get("key_schema")
        schema_key = None if schema is None else (schema.hash_name, schema.hash_type, schema.range_name, schema.range_type)
        key = tuple((k, schema_key if k == "key_schema" else _freeze(v)) for k, v in sorted(kwargs.items()))
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return found
        compiled = compile_expressions(**kwargs)
        with self._lock:
            self.misses += 1
            self._entries[key] = compiled
            if len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        return compiled
