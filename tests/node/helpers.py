"""Helpers for the partition store tests: example tables, value shorthands and a log driver."""

from __future__ import annotations

from typing import Any

from kuradb.model.schema import KeySchema, TableInfo
from kuradb.node.codec import encode_command
from kuradb.node.partition import PartitionStateMachine

RANGE_TABLE = TableInfo(table_id=7, name="orders", key_schema=KeySchema("pk", "S", "sk", "N"))
HASH_TABLE = TableInfo(table_id=8, name="users", key_schema=KeySchema("id", "S"))

class Driver:
    """Feeds commands to a state machine with consecutive log indexes, like a Raft driver would."""

    def __init__(self, sm: PartitionStateMachine) -> None:
        self.sm = sm
        self.index = sm.applied_index

    def write(self, op: str, request: dict[str, Any], request_id: bytes | None = None) -> Any:
        self.index += 1
        return self.sm.apply(self.index, encode_command(op, request, request_id), sync=False)

    def put(self, item: dict[str, Any], **extra: Any) -> Any:
        return self.write("PutItem", {"TableName": self.sm.table.name, "Item": item, **extra})


def s(v: str) -> dict[str, str]:
    return {"S": v}


def n(v: int | str) -> dict[str, str]:
    return {"N": str(v)}
