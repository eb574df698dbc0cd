"""Table requests: validation of CreateTable / UpdateTable / ListTables, and TableDescription.

Rules (DynamoDB API reference and the messages DynamoDB returns, as reproduced by dynalite's
conformance tests and moto):

* Validation here is *stateless*: it depends on the request alone, so the coordinator leader
  runs it before proposing, and a bad request never reaches the Raft log. Checks that depend
  on the catalog (table exists, table status) run when the command is applied
  (coordinator/state.py), because only the log order decides them.
* Check order follows DynamoDB: table name, throughput/billing mode, key attribute
  definitions, key schema shape, then "number of attributes" consistency.
* A :class:`TableSpec` is the normalized, validated CreateTable; it is what the Raft command
  carries (a plain dict via :meth:`TableSpec.to_dict`), never the raw request.
* Secondary indexes, streams and other options KuraDB does not implement yet are refused with a
  ValidationException that says so — never silently ignored.

Pure: no I/O, no clock (times are arguments).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Final

from kuradb.errors import ValidationException
from kuradb.model.names import validate_key_attribute_name, validate_table_name
from kuradb.model.schema import KeySchema

__all__ = [
    "ARN_PREFIX",
    "PAY_PER_REQUEST",
    "PROVISIONED",
    "ListTablesRequest",
    "TableSpec",
    "ThroughputUpdate",
    "parse_create_table",
    "parse_list_tables",
    "parse_table_name",
    "parse_update_table",
    "table_arn",
    "table_uuid",
]

PROVISIONED: Final = "PROVISIONED"
PAY_PER_REQUEST: Final = "PAY_PER_REQUEST"
BILLING_MODES: Final = (PROVISIONED, PAY_PER_REQUEST)
ARN_PREFIX: Final = "arn:aws:dynamodb:local:000000000000:table/"
MAX_CAPACITY_UNITS: Final = 1_000_000_000_000
MAX_LIST_LIMIT: Final = 100
INVALID: Final = "One or more parameter values were invalid: "
_TABLE_ID_NAMESPACE: Final = uuid.UUID("6b757261-6462-4000-8000-7461626c6573")  # "kuradb" / "tables"
UNSUPPORTED_CREATE: Final = (
    "LocalSecondaryIndexes",
    "GlobalSecondaryIndexes",
    "StreamSpecification",
    "SSESpecification",
    "TableClass",
)
UNSUPPORTED_UPDATE: Final = (
    "GlobalSecondaryIndexUpdates",
    "StreamSpecification",
    "SSESpecification",
    "ReplicaUpdates",
    "TableClass",
)


def table_arn(name: str) -> str:
    return ARN_PREFIX + name


def table_uuid(table_id: int) -> str:
    """A uuid-shaped TableId derived from the table id alone, so every coordinator replica (and a
    restarted one) reports the same TableId without storing it."""
    return str(uuid.uuid5(_TABLE_ID_NAMESPACE, str(table_id)))


def _constraint(value: Any, location: str, constraint: str) -> ValidationException:
    shown = "null" if value is None else f"'{value}'"
    return ValidationException(f"1 validation error detected: Value {shown} at '{location}' failed to satisfy constraint: {constraint}")


def parse_table_name(req: dict[str, Any]) -> str:
    return validate_table_name(req.get("TableName"))


@dataclass(frozen=True, slots=True)
class TableSpec:
    """A validated CreateTable request."""

    name: str
    key_schema: KeySchema
    attribute_definitions: tuple[tuple[str, str], ...]  # (name, type) in request order
    billing_mode: str
    read_capacity: int  # 0 when PAY_PER_REQUEST
    write_capacity: int
    deletion_protection: bool = False

    def to_dict(self) -> dict[str, Any]:
        ks = self.key_schema
        return {
            "name": self.name,
            "key": [ks.hash_name, ks.hash_type, ks.range_name, ks.range_type],
            "attrs": [list(a) for a in self.attribute_definitions],
            "billing": self.billing_mode,
            "rcu": self.read_capacity,
            "wcu": self.write_capacity,
            "dp": self.deletion_protection,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TableSpec:
        h, ht, r, rt = d["key"]
        return cls(
            name=d["name"],
            key_schema=KeySchema(h, ht, r, rt),
            attribute_definitions=tuple((str(a), str(t)) for a, t in d["attrs"]),
            billing_mode=d["billing"],
            read_capacity=int(d["rcu"]),
            write_capacity=int(d["wcu"]),
            deletion_protection=bool(d["dp"]),
        )


def _billing_mode(value: Any) -> str:
    if value is None:
        return PROVISIONED
    if value not in BILLING_MODES:
        raise _constraint(value, "billingMode", "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]")
    return str(value)


def _throughput(pt: Any) -> tuple[int, int]:
    """(read, write) of a ProvisionedThroughput member; both required, each 1..10^12."""
    if not isinstance(pt, dict):
        raise ValidationException(INVALID + "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
    units: dict[str, int] = {}
    for member, loc in (("WriteCapacityUnits", "writeCapacityUnits"), ("ReadCapacityUnits", "readCapacityUnits")):
        v = pt.get(member)
        if v is None:
            raise _constraint(None, f"provisionedThroughput.{loc}", "Member must not be null")
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValidationException(f"{member} must be an integer")
        if v < 1:
            raise _constraint(v, f"provisionedThroughput.{loc}", "Member must have value greater than or equal to 1")
        units[member] = v
    for member in ("ReadCapacityUnits", "WriteCapacityUnits"):
        if units[member] > MAX_CAPACITY_UNITS:
            raise ValidationException(f"Given value {units[member]} for {member} is out of bounds")
    return units["ReadCapacityUnits"], units["WriteCapacityUnits"]


def _attribute_definitions(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list):
        raise _constraint(None, "attributeDefinitions", "Member must not be null")
    out: list[tuple[str, str]] = []
    for i, ad in enumerate(value, 1):
        name = ad.get("AttributeName") if isinstance(ad, dict) else None
        typ = ad.get("AttributeType") if isinstance(ad, dict) else None
        if name is None:
            raise _constraint(None, f"attributeDefinitions.{i}.member.attributeName", "Member must not be null")
        if typ is None:
            raise _constraint(None, f"attributeDefinitions.{i}.member.attributeType", "Member must not be null")
        if typ not in ("B", "N", "S"):
            raise _constraint(typ, f"attributeDefinitions.{i}.member.attributeType", "Member must satisfy enum value set: [B, N, S]")
        # Every defined attribute is a (table or index) key, so the 255-byte key-name limit applies,
        # and DynamoDB checks it before any KeySchema/AttributeDefinitions consistency.
        validate_key_attribute_name(name, location=f"attributeDefinitions.{i}.member.attributeName")
        out.append((str(name), str(typ)))
    names = [n for n, _ in out]
    if len(set(names)) != len(names):
        raise ValidationException(INVALID + "Cannot have two attributes with the same name")
    return tuple(out)


def _key_elements(value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, list):
        raise _constraint(None, "keySchema", "Member must not be null")
    if not 1 <= len(value) <= 2:
        bound = "greater than or equal to 1" if not value else "less than or equal to 2"
        raise _constraint(value, "keySchema", f"Member must have length {bound}")
    out: list[tuple[str, str]] = []
    for i, el in enumerate(value, 1):
        name = el.get("AttributeName") if isinstance(el, dict) else None
        kt = el.get("KeyType") if isinstance(el, dict) else None
        if name is None:
            raise _constraint(None, f"keySchema.{i}.member.attributeName", "Member must not be null")
        if kt is None:
            raise _constraint(None, f"keySchema.{i}.member.keyType", "Member must not be null")
        if kt not in ("HASH", "RANGE"):
            raise _constraint(kt, f"keySchema.{i}.member.keyType", "Member must satisfy enum value set: [HASH, RANGE]")
        validate_key_attribute_name(name, location=f"keySchema.{i}.member.attributeName")
        out.append((str(name), str(kt)))
    return out


def parse_create_table(req: dict[str, Any]) -> TableSpec:
    """Validate a CreateTable request dict (wire.request_to_dict shape) into a TableSpec."""
    name = parse_table_name(req)
    for member in UNSUPPORTED_CREATE:
        if req.get(member):
            raise ValidationException(f"{member} is not supported by KuraDB yet")
    billing = _billing_mode(req.get("BillingMode"))
    pt = req.get("ProvisionedThroughput")
    if billing == PAY_PER_REQUEST:
        if pt:
            raise ValidationException(
                INVALID + "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"
            )
        rcu = wcu = 0
    else:
        rcu, wcu = _throughput(pt)
    defs = _attribute_definitions(req.get("AttributeDefinitions"))
    elements = _key_elements(req.get("KeySchema"))
    defined = dict(defs)
    keys = [n for n, _ in elements]
    if len(elements) == 2 and (any(k not in defined for k in keys) or (keys[0] == keys[1] and len(defs) == 1)):
        raise ValidationException("Invalid KeySchema: Some index key attribute have no definition")
    if len(elements) == 1 and keys[0] not in defined:
        raise ValidationException(
            INVALID + "Some index key attributes are not defined in AttributeDefinitions. "
            f"Keys: [{', '.join(keys)}], AttributeDefinitions: [{', '.join(defined)}]"
        )
    if len(keys) == 2 and keys[0] == keys[1]:
        raise ValidationException("Both the Hash Key and the Range Key element in the KeySchema have the same name")
    if elements[0][1] != "HASH":
        raise ValidationException("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    if len(elements) == 2 and elements[1][1] != "RANGE":
        raise ValidationException("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
    if len(elements) != len(defs):
        raise ValidationException(
            INVALID + "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions"
        )
    hash_name = keys[0]
    range_name = keys[1] if len(keys) == 2 else None
    schema = KeySchema(hash_name, defined[hash_name], range_name, defined[range_name] if range_name else None)
    dp = req.get("DeletionProtectionEnabled")
    return TableSpec(name, schema, defs, billing, rcu, wcu, bool(dp))


@dataclass(frozen=True, slots=True)
class ThroughputUpdate:
    """A validated UpdateTable: the new billing mode and/or throughput (None = unchanged)."""

    name: str
    billing_mode: str | None
    read_capacity: int | None
    write_capacity: int | None
    deletion_protection: bool | None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "billing": self.billing_mode, "rcu": self.read_capacity,
                "wcu": self.write_capacity, "dp": self.deletion_protection}  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ThroughputUpdate:
        return cls(d["name"], d["billing"], d["rcu"], d["wcu"], d["dp"])


def parse_update_table(req: dict[str, Any]) -> ThroughputUpdate:
    name = parse_table_name(req)
    for member in UNSUPPORTED_UPDATE:
        if req.get(member):
            raise ValidationException(f"{member} is not supported by KuraDB yet")
    billing = _billing_mode(req["BillingMode"]) if req.get("BillingMode") is not None else None
    pt = req.get("ProvisionedThroughput")
    dp = req.get("DeletionProtectionEnabled")
    if billing is None and not pt and dp is None:
        raise ValidationException(
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates "
            "or SSESpecification or ReplicaUpdates is required"
        )
    if billing == PAY_PER_REQUEST and pt:
        raise ValidationException(
            INVALID + "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"
        )
    rcu = wcu = None
    if pt:
        rcu, wcu = _throughput(pt)
    return ThroughputUpdate(name, billing, rcu, wcu, None if dp is None else bool(dp))


@dataclass(frozen=True, slots=True)
class ListTablesRequest:
    exclusive_start: str | None
    limit: int


def parse_list_tables(req: dict[str, Any]) -> ListTablesRequest:
    start = req.get("ExclusiveStartTableName")
    if start is not None:
        validate_table_name(start, param="ExclusiveStartTableName")
    limit = req.get("Limit")
    if limit is None:
        limit = MAX_LIST_LIMIT
    elif limit < 1:
        raise _constraint(limit, "limit", "Member must have value greater than or equal to 1")
    elif limit > MAX_LIST_LIMIT:
        raise _constraint(limit, "limit", f"Member must have value less than or equal to {MAX_LIST_LIMIT}")
    return ListTablesRequest(start, int(limit))
