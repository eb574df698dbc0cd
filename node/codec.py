"""Byte encodings of what a partition stores and replicates: items, Raft commands, apply results.

Rules:

* Everything is msgpack with ``use_bin_type=True``, so ``bytes`` (B/BS values, request ids) and
  ``str`` stay distinct through a round trip, and maps keep their insertion order. Encoding is
  therefore a pure function of the value: two replicas that build the same item write the same
  bytes (the determinism the replica-divergence checks rely on).
* A command is ``{"op": <operation name>, "req": <request dict>, "rid": <request id or None>}``.
  The *request* is replicated, not its effect: conditions and updates are evaluated at apply
  time on every replica (design §4).
* An apply result round-trips exactly (it is stored in the request-id dedup table and returned to
  a retried request), including the error name, message and, for a failed condition, the old
  item.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kuradb.payload import pack, unpack

from kuradb.errors import ConditionalCheckFailedException, KuraError, error_from_name

AV = dict[str, Any]
Item = dict[str, AV]

KEY_NOT_IN_PARTITION = "KEY_NOT_IN_PARTITION"


class KeyNotInPartitionError(Exception):
    """The key's hash lies outside this partition's [start_h, end_h) — a routing error.

    Not a :class:`KuraError`: it travels to the router as a PartitionError (design §5) and makes
    it reload the partition map; users never see it.
    """

    def __init__(self, partition_id: int, key_hash: int) -> None:
        super().__init__(f"key hash {key_hash:#018x} is not in partition {partition_id}")
        self.partition_id = partition_id
        self.key_hash = key_hash




def encode_item(item: Item) -> bytes:
    return pack(item)


def decode_item(data: bytes) -> Item:
    item: Item = unpack(data)
    return item


@dataclass(frozen=True, slots=True)
class Command:
    op: str
    request: dict[str, Any]
    request_id: bytes | None


def encode_command(op: str, request: dict[str, Any], request_id: bytes | None = None) -> bytes:
    """Encode a write (PutItem / UpdateItem / DeleteItem) for the partition's Raft log."""
    return pack({"op": op, "req": request, "rid": request_id})


def decode_command(data: bytes) -> Command:
    raw = unpack(data)
    return Command(op=raw["op"], request=raw["req"], request_id=raw["rid"])


@dataclass(frozen=True, slots=True)
class WriteResult:
    """Outcome of applying one write.

    ``error`` is set instead of raising because the result is a value: it is stored for dedup
    and handed to whoever waits on the Raft proposal. ``consumed_wcu`` is charged whether or not
    the condition held (DynamoDB charges failed conditional writes too).
    """

    attributes: Item | None = None
    error: Exception | None = None
    consumed_wcu: float = 0.0

    def unwrap(self) -> Item | None:
        """Raise the error, if any; otherwise return the attributes."""
        if self.error is not None:
            raise self.error
        return self.attributes


def encode_result(result: WriteResult) -> bytes:
    err: list[Any] | None = None
    e = result.error
    if isinstance(e, KeyNotInPartitionError):
        err = [KEY_NOT_IN_PARTITION, e.partition_id, e.key_hash]
    elif isinstance(e, ConditionalCheckFailedException):
        err = [e.name, e.message, e.item]
    elif isinstance(e, KuraError):
        err = [e.name, e.message, None]
    elif e is not None:
        raise TypeError(f"cannot encode apply error {e!r}")
    return pack({"a": result.attributes, "e": err, "w": result.consumed_wcu})


def decode_result(data: bytes) -> WriteResult:
    raw = unpack(data)
    error: Exception | None = None
    if raw["e"] is not None:
        name, a, b = raw["e"]
        if name == KEY_NOT_IN_PARTITION:
            error = KeyNotInPartitionError(a, b)
        elif name == ConditionalCheckFailedException.name:
            error = ConditionalCheckFailedException(a, item=b)
        else:
            error = error_from_name(name, a)
    return WriteResult(attributes=raw["a"], error=error, consumed_wcu=raw["w"])
