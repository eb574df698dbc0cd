"""Request-level validation and parsing of the item operations.

One parser per operation turns a request dict in DynamoDB's JSON API shape (attribute values in
KuraDB's AV representation) into an immutable op dataclass, or raises the exact
:class:`~kuradb.errors.ValidationException` DynamoDB would raise for the same request. The router
parses to reject bad requests before routing; the partition state machine parses the *same*
request again at apply time, so an op is a pure function of (request, table schema) and every
replica builds the identical op.

Rules kept here (messages as DynamoDB words them; dynalite's validations/*.js and DynamoDB Local
agree on them):

* Enum parameters (ReturnValues, ReturnValuesOnConditionCheckFailure, Select,
  ReturnConsumedCapacity) outside their enum fail with the "1 validation error detected: Value 'X'
  at 'member' failed to satisfy constraint: Member must satisfy enum value set: [...]" form.
  PutItem/DeleteItem accept only NONE/ALL_OLD from the valid ReturnValues enum.
* Expressions (and the rule that expression and legacy forms may not be mixed) are compiled and
  checked by kuradb.expressions; the parsed op carries the resulting ``Compiled``.
* Limit >= 1; TotalSegments in 1..1,000,000; Segment and TotalSegments both or neither, and
  Segment < TotalSegments.
* Select: COUNT / ALL_ATTRIBUTES exclude a projection; SPECIFIC_ATTRIBUTES requires one;
  ALL_PROJECTED_ATTRIBUTES needs an index (none exist yet, so always rejected). Query wraps these
  messages in "1 validation error detected: " and Scan does not, exactly as DynamoDB does.
* ExclusiveStartKey must be exactly the table's key; for Query its partition key must equal the
  queried one.
* BatchGetItem: 1..100 keys in all, no duplicate keys per table. BatchWriteItem: 1..25 requests in
  all, each exactly one of PutRequest/DeleteRequest, no duplicate keys per table.

Pure: no I/O, no clocks. Item/key shape and value checks are delegated to kuradb.model; expression
parsing to kuradb.expressions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kuradb.errors import ResourceNotFoundException, ValidationException
from kuradb.keys import HASH_SPACE
from kuradb.expressions.compile import Compiled, ExpressionCache, compile_expressions
from kuradb.model.schema import TableInfo
from kuradb.model.values import validate_item, values_equal

AV = dict[str, Any]
Item = dict[str, AV]

MAX_BATCH_GET_KEYS = 100
MAX_BATCH_WRITE_REQUESTS = 25
MAX_TOTAL_SEGMENTS = 1_000_000

RETURN_VALUES = ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW")
RETURN_VALUES_ON_CCF = ("ALL_OLD", "NONE")
RETURN_CONSUMED = ("INDEXES", "TOTAL", "NONE")
SELECT_VALUES = ("SPECIFIC_ATTRIBUTES", "COUNT", "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES")

MSG_RV_PUT_DELETE = "ReturnValues can only be ALL_OLD or NONE"
MSG_BAD_START_KEY = "The provided starting key is invalid: The provided key element does not match the schema"
MSG_START_KEY_OUTSIDE = "The provided starting key is outside query boundaries based on provided conditions"
MSG_START_KEY_SEGMENT = "The provided Exclusive start key does not map to the provided Segment and TotalSegments values."
MSG_NO_KEY_CONDITION = "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."
MSG_DUPLICATE_KEYS = "Provided list of item keys contains duplicates"
MSG_TABLE_NOT_FOUND = "Requested resource not found"


# --------------------------------------------------------------------------- ops


@dataclass(frozen=True, slots=True)
class PutItem:
    request: Mapping[str, Any]
    table: TableInfo
    item: Item
    key: Item
    expr: Compiled
    return_values: str
    return_values_on_ccf: str
    return_consumed: str


@dataclass(frozen=True, slots=True)
class DeleteItem:
    request: Mapping[str, Any]
    table: TableInfo
    key: Item
    expr: Compiled
    return_values: str
    return_values_on_ccf: str
    return_consumed: str


@dataclass(frozen=True, slots=True)
class UpdateItem:
    request: Mapping[str, Any]
    table: TableInfo
    key: Item
    expr: Compiled
    return_values: str
    return_values_on_ccf: str
    return_consumed: str


@dataclass(frozen=True, slots=True)
class GetItem:
    request: Mapping[str, Any]
    table: TableInfo
    key: Item
    expr: Compiled
    consistent_read: bool
    return_consumed: str


@dataclass(frozen=True, slots=True)
class Query:
    request: Mapping[str, Any]
    table: TableInfo
    expr: Compiled
    select: str  # ALL_ATTRIBUTES | SPECIFIC_ATTRIBUTES | COUNT
    limit: int | None
    scan_forward: bool
    exclusive_start_key: Item | None
    consistent_read: bool
    return_consumed: str


@dataclass(frozen=True, slots=True)
class Scan:
    request: Mapping[str, Any]
    table: TableInfo
    expr: Compiled
    select: str
    limit: int | None
    exclusive_start_key: Item | None
    segment: int | None
    total_segments: int | None
    consistent_read: bool
    return_consumed: str

    def hash_range(self) -> tuple[int, int]:
        """The partition-hash range ``[lo, hi)`` this Scan reads: all of it, or its segment.

        Segment i of T covers ``[i * 2**64 // T, (i + 1) * 2**64 // T)``, so the segments tile
        the hash space exactly and a parallel scan reads every item once.
        """
        return segment_hash_range(self.segment, self.total_segments)


def segment_hash_range(segment: int | None, total: int | None) -> tuple[int, int]:
    if segment is None or total is None:
        return 0, HASH_SPACE
    return segment * HASH_SPACE // total, (segment + 1) * HASH_SPACE // total


WriteOp = PutItem | DeleteItem | UpdateItem


@dataclass(frozen=True, slots=True)
class BatchGetTable:
    table: TableInfo
    gets: tuple[GetItem, ...]


@dataclass(frozen=True, slots=True)
class BatchGet:
    tables: tuple[BatchGetTable, ...]
    return_consumed: str


@dataclass(frozen=True, slots=True)
class BatchWrite:
    """Every write of the batch as a plain PutItem/DeleteItem op (no conditions), in request order."""

    writes: tuple[PutItem | DeleteItem, ...]
    return_consumed: str


# --------------------------------------------------------------------------- helpers


def _enum_error(value: object, member: str, allowed: tuple[str, ...]) -> ValidationException:
    return ValidationException(
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
        f"Member must satisfy enum value set: [{', '.join(allowed)}]"
    )


def _enum(req: Mapping[str, Any], field: str, member: str, allowed: tuple[str, ...], default: str) -> str:
    value = req.get(field)
    if value is None:
        return default
    if value not in allowed:
        raise _enum_error(value, member, allowed)
    return str(value)


def _bool(req: Mapping[str, Any], field: str, default: bool) -> bool:
    value = req.get(field)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ValidationException(f"{field} must be a boolean")
    return value


def _int(req: Mapping[str, Any], field: str) -> int | None:
    value = req.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationException(f"{field} must be an integer")
    return value


def _legacy(req: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {n: req[n] for n in names if req.get(n) is not None}


def _compile(
    req: Mapping[str, Any],
    table: TableInfo,
    cache: ExpressionCache | None,
    *,
    condition: bool = False,
    filter: bool = False,
    key_condition: bool = False,
    projection: bool = False,
    update: bool = False,
    legacy: tuple[str, ...] = (),
) -> Compiled:
    """Compile the request's expressions (and legacy equivalents), through ``cache`` if given.

    kuradb.expressions also enforces the cross-parameter rules (no mixing of expression and
    legacy forms, placeholder maps only with expressions and fully used).
    """
    compile_fn = cache.compile if cache is not None else compile_expressions
    return compile_fn(
        condition=req.get("ConditionExpression") if condition else None,
        filter=req.get("FilterExpression") if filter else None,
        key_condition=req.get("KeyConditionExpression") if key_condition else None,
        projection=req.get("ProjectionExpression") if projection else None,
        update=req.get("UpdateExpression") if update else None,
        names=req.get("ExpressionAttributeNames"),
        values=req.get("ExpressionAttributeValues"),
        key_schema=table.key_schema,
        legacy=_legacy(req, legacy),
    )


def _key(req: Mapping[str, Any], table: TableInfo, field: str = "Key") -> Item:
    key = req.get(field)
    if not isinstance(key, dict):
        raise ValidationException(
            f"1 validation error detected: Value null at '{field[0].lower() + field[1:]}' failed to satisfy "
            "constraint: Member must not be null"
        )
    return table.key_schema.validate_key(key)


def _start_key(req: Mapping[str, Any], table: TableInfo) -> Item | None:
    esk = req.get("ExclusiveStartKey")
    if esk is None:
        return None
    try:
        return table.key_schema.validate_key(esk)
    except ValidationException as e:
        raise ValidationException(MSG_BAD_START_KEY) from e


def _check_return_consumed(req: Mapping[str, Any]) -> str:
    return _enum(req, "ReturnConsumedCapacity", "returnConsumedCapacity", RETURN_CONSUMED, "NONE")


def _return_values_put_delete(req: Mapping[str, Any]) -> str:
    rv = _enum(req, "ReturnValues", "returnValues", RETURN_VALUES, "NONE")
    if rv not in ("NONE", "ALL_OLD"):
        raise ValidationException(MSG_RV_PUT_DELETE)
    return rv


def _select(req: Mapping[str, Any], *, query: bool) -> str:
    """Resolve Select against the projection parameters (DynamoDB's combination rules)."""
    sel = req.get("Select")
    if sel is not None and sel not in SELECT_VALUES:
        raise _enum_error(sel, "select", SELECT_VALUES)
    proj_param = (
        "ProjectionExpression"
        if req.get("ProjectionExpression") is not None
        else "AttributesToGet"
        if req.get("AttributesToGet") is not None
        else None
    )
    prefix = "1 validation error detected: " if query else ""
    if sel is None:
        return "SPECIFIC_ATTRIBUTES" if proj_param else "ALL_ATTRIBUTES"
    if sel == "COUNT" and proj_param:
        raise ValidationException(f"{prefix}Cannot specify the {proj_param} when choosing to get only the Count")
    if sel in ("ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES") and proj_param:
        raise ValidationException(f"{prefix}Cannot specify the {proj_param} when choosing to get {sel}")
    if sel == "SPECIFIC_ATTRIBUTES" and not proj_param:
        raise ValidationException(
            f"{prefix}Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES"
        )
    if sel == "ALL_PROJECTED_ATTRIBUTES":
        # KuraDB has no secondary indexes yet, so IndexName is never valid here.
        raise ValidationException("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
    return str(sel)


def _limit(req: Mapping[str, Any]) -> int | None:
    limit = _int(req, "Limit")
    if limit is not None and limit < 1:
        raise ValidationException(
            f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1"
        )
    return limit


def _attributes_to_get(req: Mapping[str, Any]) -> None:
    atg = req.get("AttributesToGet")
    if atg is None:
        return
    if not isinstance(atg, list) or not atg:
        raise ValidationException(
            "1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1"
        )
    seen: set[str] = set()
    for name in atg:
        if name in seen:
            raise ValidationException(
                f"One or more parameter values were invalid: Duplicate value in attribute name: {name}"
            )
        seen.add(name)


def _no_index(req: Mapping[str, Any]) -> None:
    # KuraDB has no secondary indexes yet, so every IndexName names a missing index.
    name = req.get("IndexName")
    if name is not None:
        raise ValidationException(f"The table does not have the specified index: {name}")


# --------------------------------------------------------------------------- parsers


def parse_put_item(
    req: Mapping[str, Any], table: TableInfo, cache: ExpressionCache | None = None
) -> PutItem:
    item = req.get("Item")
    if not isinstance(item, dict):
        raise ValidationException(
            "1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null"
        )
    rv = _return_values_put_delete(req)
    item = validate_item(item)  # also enforces the 400 KB item size
    key = table.key_schema.validate_item_keys(item)
    return PutItem(
        request=req,
        table=table,
        item=item,
        key=key,
        expr=_compile(req, table, cache, condition=True, legacy=("Expected", "ConditionalOperator")),
        return_values=rv,
        return_values_on_ccf=_enum(
            req, "ReturnValuesOnConditionCheckFailure", "returnValuesOnConditionCheckFailure", RETURN_VALUES_ON_CCF, "NONE"
        ),
        return_consumed=_check_return_consumed(req),
    )


def parse_delete_item(
    req: Mapping[str, Any], table: TableInfo, cache: ExpressionCache | None = None
) -> DeleteItem:
    key = _key(req, table)
    return DeleteItem(
        request=req,
        table=table,
        key=key,
        expr=_compile(req, table, cache, condition=True, legacy=("Expected", "ConditionalOperator")),
        return_values=_return_values_put_delete(req),
        return_values_on_ccf=_enum(
            req, "ReturnValuesOnConditionCheckFailure", "returnValuesOnConditionCheckFailure", RETURN_VALUES_ON_CCF, "NONE"
        ),
        return_consumed=_check_return_consumed(req),
    )


def parse_update_item(
    req: Mapping[str, Any], table: TableInfo, cache: ExpressionCache | None = None
) -> UpdateItem:
    key = _key(req, table)
    return UpdateItem(
        request=req,
        table=table,
        key=key,
        expr=_compile(
            req, table, cache, condition=True, update=True, legacy=("AttributeUpdates", "Expected", "ConditionalOperator")
        ),
        return_values=_enum(req, "ReturnValues", "returnValues", RETURN_VALUES, "NONE"),
        return_values_on_ccf=_enum(
            req, "ReturnValuesOnConditionCheckFailure", "returnValuesOnConditionCheckFailure", RETURN_VALUES_ON_CCF, "NONE"
        ),
        return_consumed=_check_return_consumed(req),
    )


def parse_get_item(
    req: Mapping[str, Any], table: TableInfo, cache: ExpressionCache | None = None
) -> GetItem:
    _attributes_to_get(req)
    key = _key(req, table)
    return GetItem(
        request=req,
        table=table,
        key=key,
        expr=_compile(req, table, cache, projection=True, legacy=("AttributesToGet",)),
        consistent_read=_bool(req, "ConsistentRead", False),
        return_consumed=_check_return_consumed(req),
    )


_QUERY_LEGACY = ("AttributesToGet", "KeyConditions", "QueryFilter", "ConditionalOperator")


def parse_query(
    req: Mapping[str, Any], table: TableInfo, cache: ExpressionCache | None = None
) -> Query:
    _no_index(req)
    _attributes_to_get(req)
    if req.get("KeyConditionExpression") is None and req.get("KeyConditions") is None:
        raise ValidationException(MSG_NO_KEY_CONDITION)
    select = _select(req, query=True)
    limit = _limit(req)
    esk = _start_key(req, table)
    expr = _compile(req, table, cache, filter=True, key_condition=True, projection=True, legacy=_QUERY_LEGACY)
    if esk is not None and not values_equal(esk[table.key_schema.hash_name], expr.key_condition.hash_value):
        raise ValidationException(MSG_START_KEY_OUTSIDE)
    return Query(
        request=req,
        table=table,
        expr=expr,
        select=select,
        limit=limit,
        scan_forward=_bool(req, "ScanIndexForward", True),
        exclusive_start_key=esk,
        consistent_read=_bool(req, "ConsistentRead", False),
        return_consumed=_check_return_consumed(req),
    )


_SCAN_LEGACY = ("AttributesToGet", "ScanFilter", "ConditionalOperator")


def parse_scan(
    req: Mapping[str, Any], table: TableInfo, cache: ExpressionCache | None = None
) -> Scan:
    _no_index(req)
    _attributes_to_get(req)
    select = _select(req, query=False)
    limit = _limit(req)
    segment = _int(req, "Segment")
    total = _int(req, "TotalSegments")
    if segment is not None and segment < 0:
        raise ValidationException(
            f"1 validation error detected: Value '{segment}' at 'segment' failed to satisfy constraint: "
            "Member must have value greater than or equal to 0"
        )
    if total is not None and not 1 <= total <= MAX_TOTAL_SEGMENTS:
        bound = "greater than or equal to 1" if total < 1 else f"less than or equal to {MAX_TOTAL_SEGMENTS}"
        raise ValidationException(
            f"1 validation error detected: Value '{total}' at 'totalSegments' failed to satisfy constraint: "
            f"Member must have value {bound}"
        )
    if segment is not None and total is None:
        raise ValidationException(
            "The TotalSegments parameter is required but was not present in the request when Segment parameter is present"
        )
    if total is not None:
        if segment is None:
            raise ValidationException(
                "The Segment parameter is required but was not present in the request when parameter TotalSegments is present"
            )
        if segment >= total:
            raise ValidationException(
                "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
                f"Segment: {segment} is not less than TotalSegments: {total}"
            )
    esk = _start_key(req, table)
    if esk is not None and total is not None:
        lo, hi = segment_hash_range(segment, total)
        if not lo <= table.partition_hash(esk) < hi:
            raise ValidationException(MSG_START_KEY_SEGMENT)
    return Scan(
        request=req,
        table=table,
        expr=_compile(req, table, cache, filter=True, projection=True, legacy=_SCAN_LEGACY),
        select=select,
        limit=limit,
        exclusive_start_key=esk,
        segment=segment,
        total_segments=total,
        consistent_read=_bool(req, "ConsistentRead", False),
        return_consumed=_check_return_consumed(req),
    )




def _lookup(tables: Mapping[str, TableInfo], name: str) -> TableInfo:
    table = tables.get(name)
    if table is None:
        raise ResourceNotFoundException(MSG_TABLE_NOT_FOUND)
    return table


def parse_batch_get_item(
    req: Mapping[str, Any], tables: Mapping[str, TableInfo], cache: ExpressionCache | None = None
) -> BatchGet:
    """Validate a BatchGetItem; every key becomes a GetItem op (per-table options applied)."""
    items = req.get("RequestItems")
    if not isinstance(items, dict) or not items:
        raise ValidationException(
            "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1"
        )
    return_consumed = _check_return_consumed(req)
    total = 0
    out: list[BatchGetTable] = []
    for name, treq in items.items():
        keys = treq.get("Keys") if isinstance(treq, dict) else None
        if not isinstance(keys, list) or not keys:
            raise ValidationException(
                f"1 validation error detected: Value '[]' at 'requestItems.{name}.member.keys' failed to satisfy "
                "constraint: Member must have length greater than or equal to 1"
            )
        total += len(keys)
        if total > MAX_BATCH_GET_KEYS:
            raise ValidationException("Too many items requested for the BatchGetItem call")
    for name, treq in items.items():
        table = _lookup(tables, name)
        gets: list[GetItem] = []
        seen: set[bytes] = set()
        for key in treq["Keys"]:
            sub = {k: v for k, v in treq.items() if k != "Keys"}
            get = parse_get_item({"TableName": name, "Key": key, **sub}, table, cache)
            ident = table.data_key(get.key)
            if ident in seen:
                raise ValidationException(MSG_DUPLICATE_KEYS)
            seen.add(ident)
            gets.append(get)
        out.append(BatchGetTable(table=table, gets=tuple(gets)))
    return BatchGet(tables=tuple(out), return_consumed=return_consumed)


def parse_batch_write_item(
    req: Mapping[str, Any], tables: Mapping[str, TableInfo], cache: ExpressionCache | None = None
) -> BatchWrite:
    """Validate a BatchWriteItem; every request becomes an unconditional PutItem / DeleteItem op.

    The ops carry synthetic single-item requests, so the router can propose each one to its
    partition with encode_command(op_name, op.request, request_id) like any other write.
    """
    items = req.get("RequestItems")
    if not isinstance(items, dict) or not items:
        raise ValidationException("BatchWriteItem cannot have a null or no requests set")
    return_consumed = _check_return_consumed(req)
    total = 0
    for name, writes in items.items():
        if not isinstance(writes, list) or not writes:
            raise ValidationException(
                f"1 validation error detected: Value '[]' at 'requestItems.{name}.member' failed to satisfy "
                "constraint: Member must have length greater than or equal to 1"
            )
        if len(writes) > MAX_BATCH_WRITE_REQUESTS:
            # DynamoDB checks each table's list against its length constraint before the total.
            # Its message renders the whole map with Java's toString; we abbreviate the value,
            # the constraint text is DynamoDB's.
            raise ValidationException(
                f"1 validation error detected: Value '{{{name}=[{len(writes)} write requests]}}' at 'requestItems' "
                "failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less "
                "than or equal to 25, Member must have length greater than or equal to 1]"
            )
        total += len(writes)
    if total > MAX_BATCH_WRITE_REQUESTS:
        raise ValidationException("Too many items requested for the BatchWriteItem call")
    out: list[PutItem | DeleteItem] = []
    for name, writes in items.items():
        table = _lookup(tables, name)
        seen: set[bytes] = set()
        for w in writes:
            put = w.get("PutRequest") if isinstance(w, dict) else None
            delete = w.get("DeleteRequest") if isinstance(w, dict) else None
            if (put is None) == (delete is None):
                raise ValidationException(
                    "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the "
                    "supported datatypes"
                )
            op: PutItem | DeleteItem
            if put is not None:
                op = parse_put_item({"TableName": name, "Item": put.get("Item")}, table, cache)
            else:
                op = parse_delete_item({"TableName": name, "Key": delete.get("Key")}, table, cache)
            ident = table.data_key(op.key)
            if ident in seen:
                raise ValidationException(MSG_DUPLICATE_KEYS)
            seen.add(ident)
            out.append(op)
    return BatchWrite(writes=tuple(out), return_consumed=return_consumed)


# Operation name -> parser, for code that dispatches on DynamoDB's operation names.
PARSERS: dict[str, Any] = {
    "PutItem": parse_put_item,
    "DeleteItem": parse_delete_item,
    "UpdateItem": parse_update_item,
    "GetItem": parse_get_item,
    "Query": parse_query,
    "Scan": parse_scan,
}

# The operations that go through a partition's Raft log.
WRITE_OPERATIONS = frozenset({"PutItem", "DeleteItem", "UpdateItem"})
