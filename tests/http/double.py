"""TEST-ONLY: an in-process stand-in for ``Router.execute`` that validates exactly as the router
does (kuradb.operations for items, the coordinator's pure table parsers for tables) and keeps
items in a dict. It lets the HTTP tests and the fuzzer run without a cluster; the real router is
exercised by test_cluster.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kuradb.coordinator.tables import parse_create_table, parse_list_tables, parse_table_name
from kuradb.errors import ResourceInUseException, ResourceNotFoundException, UnknownOperationException
from kuradb.model.names import validate_table_name
from kuradb.model.schema import KeySchema, TableInfo
from kuradb.operations import (
    MSG_TABLE_NOT_FOUND,
    PARSERS,
    WRITE_OPERATIONS,
    parse_batch_get_item,
    parse_batch_write_item,
)

USERS = TableInfo(1, "users", KeySchema("id", "S"))
EVENTS = TableInfo(2, "events", KeySchema("pk", "S", "sk", "N"))


def describe(table: TableInfo) -> dict[str, Any]:
    ks = table.key_schema
    schema = [{"AttributeName": ks.hash_name, "KeyType": "HASH"}]
    attrs = [{"AttributeName": ks.hash_name, "AttributeType": ks.hash_type}]
    if ks.range_name is not None:
        schema.append({"AttributeName": ks.range_name, "KeyType": "RANGE"})
        attrs.append({"AttributeName": ks.range_name, "AttributeType": ks.range_type})
    return {"TableName": table.name, "TableStatus": "ACTIVE", "KeySchema": schema, "AttributeDefinitions": attrs,
            "ItemCount": 0, "TableSizeBytes": 0, "CreationDateTime": 1.7e9,
            "ProvisionedThroughput": {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0,
                                      "NumberOfDecreasesToday": 0}}  # fmt: skip


@dataclass
class ValidatingExecutor:
    tables: dict[str, TableInfo] = field(default_factory=lambda: {USERS.name: USERS, EVENTS.name: EVENTS})
    items: dict[tuple[str, bytes], dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any], bytes]] = field(default_factory=list)

    async def execute(self, operation: str, request: dict[str, Any], request_id: bytes, deadline: float) -> dict[str, Any]:
        self.calls.append((operation, request, request_id))
        if operation == "ListTables":
            parse_list_tables(request)
            return {"TableNames": sorted(self.tables)}
        if operation == "CreateTable":
            spec = parse_create_table(request)
            if spec.name in self.tables:
                raise ResourceInUseException(f"Table already exists: {spec.name}")
            self.tables[spec.name] = TableInfo(len(self.tables) + 1, spec.name, spec.key_schema)
            return {"TableDescription": describe(self.tables[spec.name])}
        if operation in ("DescribeTable", "DeleteTable", "UpdateTable"):
            table = self._table(parse_table_name(request))
            if operation == "DeleteTable":
                del self.tables[table.name]
            key = "Table" if operation == "DescribeTable" else "TableDescription"
            return {key: describe(table)}
        if operation == "BatchGetItem":
            parse_batch_get_item(request, self._known(request))
            return {"Responses": {}, "UnprocessedKeys": {}}
        if operation == "BatchWriteItem":
            batch = parse_batch_write_item(request, self._known(request))
            for w in batch.writes:
                self._write(w.table, type(w).__name__, w)
            return {"UnprocessedItems": {}}
        if operation in PARSERS:
            table = self._table(request.get("TableName"))
            op = PARSERS[operation](request, table)
            if operation in WRITE_OPERATIONS:
                self._write(table, operation, op)
                return {}
            if operation == "GetItem":
                item = self.items.get((table.name, table.data_key(op.key)))
                return {} if item is None else {"Item": item}
            rows = [v for (t, _), v in sorted(self.items.items()) if t == table.name]
            return {"Items": rows, "Count": len(rows), "ScannedCount": len(rows)}
        raise UnknownOperationException(f"Unknown operation: {operation}")

    def _write(self, table: TableInfo, operation: str, op: Any) -> None:
        if operation == "PutItem":
            self.items[(table.name, table.data_key(op.key))] = op.item
        elif operation == "DeleteItem":
            self.items.pop((table.name, table.data_key(op.key)), None)

    def _table(self, name: Any) -> TableInfo:
        """As Router._table: the name is validated first, then looked up."""
        table = self.tables.get(validate_table_name(name))
        if table is None:
            raise ResourceNotFoundException(MSG_TABLE_NOT_FOUND)
        return table

    def _known(self, request: dict[str, Any]) -> dict[str, TableInfo]:
        names = request.get("RequestItems")
        return {n: self.tables[n] for n in names if n in self.tables} if isinstance(names, dict) else {}
