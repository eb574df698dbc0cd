"""The partition state machine: one replica's view of one partition, applied from its Raft log.

A partition is the hash range ``[start_h, end_h)`` of one table. Its items live in the node's
shared engine under the table's data keys (kuradb.keys); its bookkeeping lives under the
reserved table id 0 (see :func:`meta_prefix`), so a range scan of the table never sees it.

Invariants:

* ``apply(index, command)`` is deterministic: its effect and result depend only on the stored
  state and the command bytes — no clocks, no randomness, no iteration over unordered state.
  Replicas fed the same log hold byte-identical engines.
* The data change, the applied index and the dedup record of an entry are written in ONE engine
  batch. So after a crash the applied index says exactly which entries are in the store, and
  re-applying an entry with ``index <= applied_index`` is skipped (idempotent replay).
* Every entry advances the applied index, including a failed condition or an invalid request:
  the outcome is part of the replicated history.
* A write carrying a request id is applied at most once: its encoded result is kept in the
  dedup table and returned to any retry. Records are evicted once ``dedup_window`` indexes old
  (eviction is keyed by index, hence deterministic too).
* A key whose hash is outside ``[start_h, end_h)`` is never read or written here; the request
  gets :class:`~kuradb.node.codec.KeyNotInPartitionError` (a routing error for the router).

Reads (get/query/scan) see the applied state only; choosing a replica and a consistency level
is the caller's business (leases / ReadIndex live in the Raft driver).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import msgpack

from kuradb.errors import ConditionalCheckFailedException, KuraError, ValidationException
from kuradb.expressions.compile import Compiled, ExpressionCache
from kuradb.expressions.evaluate import project
from kuradb.keys import (
    HASH_SPACE,
    partition_hash,
    prefix_successor,
    sort_key_bounds,
    table_hash_range,
)
from kuradb.model.schema import TableInfo
from kuradb.model.values import MAX_ITEM_SIZE, item_size
from kuradb.node.codec import (
    KeyNotInPartitionError,
    WriteResult,
    decode_command,
    decode_item,
    decode_result,
    encode_item,
    encode_result,
)
from kuradb.node.engine import Engine, Snapshot, WriteBatch
from kuradb.operations import (
    PARSERS,
    WRITE_OPERATIONS,
    DeleteItem,
    GetItem,
    PutItem,
    Query,
    Scan,
    UpdateItem,
)

AV = dict[str, Any]
Item = dict[str, AV]

META_TABLE_ID = 0  # reserved: the coordinator never allocates table id 0
PAGE_BYTES = 1 << 20  # Query/Scan read at most 1 MB of item data per page (before filtering)
WCU_BYTES = 1024
RCU_BYTES = 4096
DEFAULT_DEDUP_WINDOW = 100_000

MSG_UPDATE_TOO_LARGE = "Item size to update has exceeded the maximum allowed size"

_TAG_APPLIED = b"a"
_TAG_DEDUP = b"r"
_TAG_DEDUP_BY_INDEX = b"i"



def meta_prefix(partition_id: int) -> bytes:
    """All bookkeeping keys of one partition: table 0 | partition id (8 bytes each, big-endian)."""
    return META_TABLE_ID.to_bytes(8, "big") + partition_id.to_bytes(8, "big")


def _u64(n: int) -> bytes:
    return n.to_bytes(8, "big")


def write_units(*sizes: int) -> float:
    """WCU of one write: the larger of old and new item size, per started KB, at least 1."""
    return float(max(1, math.ceil(max(sizes, default=0) / WCU_BYTES)))


def read_units(size: int, consistent: bool) -> float:
    """RCU of a read of ``size`` bytes: per started 4 KB, at least 1; eventual reads cost half."""
    units = float(max(1, math.ceil(size / RCU_BYTES)))
    return units if consistent else units / 2


@dataclass(frozen=True, slots=True)
class GetResult:
    item: Item | None
    consumed_rcu: float


@dataclass(frozen=True, slots=True)
class Page:
    """One Query/Scan page. ``items`` is empty for Select=COUNT."""

    items: list[Item]
    count: int
    scanned_count: int
    last_evaluated_key: Item | None
    consumed_rcu: float


@dataclass(frozen=True, slots=True)
class PartitionStats:
    keys: int
    bytes: int
    applied_index: int


class PartitionSnapshot:
    """A consistent view of one partition (data + bookkeeping) for streaming to a new replica."""

    def __init__(self, snap: Snapshot, data_range: tuple[bytes, bytes], meta: bytes, applied_index: int) -> None:
        self._snap = snap
        self._data_range = data_range
        self._meta = meta
        self.applied_index = applied_index

    def entries(self) -> Iterator[tuple[bytes, bytes]]:
        """Every key/value of the partition: its bookkeeping, then its items, in key order."""
        yield from self._snap.iterate(self._meta, prefix_successor(self._meta))
        yield from self._snap.iterate(*self._data_range)

    def close(self) -> None:
        self._snap.close()

    def __enter__(self) -> PartitionSnapshot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PartitionStateMachine:
    """One replica of partition ``partition_id``: table ``table``, hashes ``[start_h, end_h)``.

    Many instances share one engine (one per partition replica on the node). The applied index
    is loaded from the engine, so constructing a new instance after a restart resumes exactly
    where the stored state is. Single-threaded: the Raft driver calls ``apply`` and the reads
    from one thread (reads may also run on a snapshot-consistent engine iterator).
    """

    def __init__(
        self,
        engine: Engine,
        table: TableInfo,
        start_h: int,
        end_h: int,
        partition_id: int,
        *,
        dedup_window: int = DEFAULT_DEDUP_WINDOW,
    ) -> None:
        if not 0 <= start_h < end_h <= HASH_SPACE:
            raise ValueError(f"bad partition range [{start_h}, {end_h})")
        if table.table_id == META_TABLE_ID:
            raise ValueError("table id 0 is reserved for partition bookkeeping")
        self.engine = engine
        self.table = table
        self.start_h = start_h
        self.end_h = end_h
        self.partition_id = partition_id
        self.dedup_window = dedup_window
        self._meta = meta_prefix(partition_id)
        self._applied_key = self._meta + _TAG_APPLIED
        self._data_range = table_hash_range(table.table_id, start_h, end_h)
        # Per instance: a Raft log repeats the same few expressions, and compiling is pure.
        self._exprs = ExpressionCache()
        raw = engine.get(self._applied_key)
        self._applied = int.from_bytes(raw, "big") if raw is not None else 0

    # ------------------------------------------------------------------ apply

    @property
    def applied_index(self) -> int:
        return self._applied

    def apply(self, index: int, command: bytes, sync: bool = False) -> WriteResult | None:
        """Apply log entry ``index``; return its result, or None if it was applied before.

        ``sync`` is passed to the engine: the Raft driver group-commits and decides when an
        apply must be durable on its own. User-level failures (validation, failed condition,
        wrong partition) are results; any other exception is a bug or a storage fault and
        propagates without anything written, so the entry is applied again after a restart.
        """
        if index <= self._applied:
            return None
        cmd = decode_command(command)
        batch = WriteBatch()
        stored = self.engine.get(self._dedup_key(cmd.request_id)) if cmd.request_id is not None else None
        if stored is not None:
            # A retry of a write already applied: same answer, no second effect.
            result = decode_result(msgpack.unpackb(stored)[1])
        else:
            result = self._execute(cmd.op, cmd.request, batch)
            if cmd.request_id is not None:
                self._remember(index, cmd.request_id, result, batch)
        self._evict(index, batch)
        batch.put(self._applied_key, _u64(index))
        self.engine.write(batch, sync)
        self._applied = index
        return result

    def _dedup_key(self, request_id: bytes) -> bytes:
        return self._meta + _TAG_DEDUP + request_id

    def _remember(self, index: int, request_id: bytes, result: WriteResult, batch: WriteBatch) -> None:
        batch.put(self._dedup_key(request_id), msgpack.packb([index, encode_result(result)], use_bin_type=True))
        batch.put(self._meta + _TAG_DEDUP_BY_INDEX + _u64(index), request_id)

    def _evict(self, index: int, batch: WriteBatch) -> None:
        """Drop dedup records of entries at or below ``index - dedup_window``."""
        horizon = index - self.dedup_window
        if horizon < 1:
            return
        lo = self._meta + _TAG_DEDUP_BY_INDEX
        for k, request_id in self.engine.iterate(lo, lo + _u64(horizon + 1)):
            batch.delete(k)
            batch.delete(self._dedup_key(request_id))

    def _execute(self, op_name: str, request: dict[str, Any], batch: WriteBatch) -> WriteResult:
        if op_name not in WRITE_OPERATIONS:
            return WriteResult(error=ValidationException(f"Unknown write operation {op_name!r}"))
        try:
            op = PARSERS[op_name](request, self.table, self._exprs)
            key = self._data_key(op.key)
            old = self._load(key)
            if isinstance(op, PutItem):
                return self._put(op, key, old, batch)
            if isinstance(op, DeleteItem):
                return self._delete(op, key, old, batch)
            return self._update(op, key, old, batch)
        except (KuraError, KeyNotInPartitionError) as e:
            return WriteResult(error=e)

    def _condition_failed(self, op: PutItem | DeleteItem | UpdateItem, old: Item | None, units: float) -> WriteResult:
        item = old if op.return_values_on_ccf == "ALL_OLD" else None
        return WriteResult(error=ConditionalCheckFailedException(item=item), consumed_wcu=units)

    def _put(self, op: PutItem, key: bytes, old: Item | None, batch: WriteBatch) -> WriteResult:
        units = write_units(_size(old), item_size(op.item))
        if not op.expr.condition_holds(old):
            return self._condition_failed(op, old, units)
        batch.put(key, encode_item(op.item))
        return WriteResult(attributes=old if op.return_values == "ALL_OLD" else None, consumed_wcu=units)

    def _delete(self, op: DeleteItem, key: bytes, old: Item | None, batch: WriteBatch) -> WriteResult:
        units = write_units(_size(old))
        if not op.expr.condition_holds(old):
            return self._condition_failed(op, old, units)
        if old is not None:
            batch.delete(key)
        return WriteResult(attributes=old if op.return_values == "ALL_OLD" else None, consumed_wcu=units)

    def _update(self, op: UpdateItem, key: bytes, old: Item | None, batch: WriteBatch) -> WriteResult:
        if not op.expr.condition_holds(old):
            return self._condition_failed(op, old, write_units(_size(old)))
        if old is None and _only_removes(op.expr):
            # DynamoDB does not create an item that an update only takes attributes away from.
            return WriteResult(attributes=None, consumed_wcu=write_units(0))
        new, updated_paths = _updated_item(op.expr, old, op.key)
        new_size = item_size(new)
        if new_size > MAX_ITEM_SIZE:
            raise ValidationException(MSG_UPDATE_TOO_LARGE)
        batch.put(key, encode_item(new))
        attrs = _update_return_values(op.return_values, updated_paths, old, new)
        return WriteResult(attributes=attrs, consumed_wcu=write_units(_size(old), new_size))

    # ------------------------------------------------------------------ reads

    def _data_key(self, key: Item) -> bytes:
        h = self.table.partition_hash(key)
        if not self.start_h <= h < self.end_h:
            raise KeyNotInPartitionError(self.partition_id, h)
        return self.table.data_key(key)

    def _load(self, key: bytes) -> Item | None:
        raw = self.engine.get(key)
        return decode_item(raw) if raw is not None else None

    def get_item(self, op: GetItem) -> GetResult:
        """Read one item (the applied state), projected as the request asks."""
        item = self._load(self._data_key(op.key))
        units = read_units(_size(item), op.consistent_read)
        if item is None:
            return GetResult(item=None, consumed_rcu=units)
        return GetResult(item=op.expr.project(item), consumed_rcu=units)

    def query(self, op: Query) -> Page:
        """One page of a Query: the key condition's byte range, in the asked direction."""
        kc = op.expr.key_condition
        assert kc is not None, "parse_query guarantees a key condition"
        pk = kc.hash_value
        h = partition_hash(pk)
        if not self.start_h <= h < self.end_h:
            raise KeyNotInPartitionError(self.partition_id, h)
        if kc.sort is None:
            lo, hi = sort_key_bounds(self.table.table_id, pk, None)
        else:
            lo, hi = sort_key_bounds(self.table.table_id, pk, kc.sort.op, kc.sort.values)
        lo, hi = self._after_start_key(lo, hi, op.exclusive_start_key, op.scan_forward)
        return self._page(self.engine.iterate(lo, hi, reverse=not op.scan_forward), op)

    def scan(self, op: Scan, start_h: int | None = None, end_h: int | None = None) -> Page:
        """One page of a Scan of this partition, narrowed to ``[start_h, end_h)`` and the segment
        (:meth:`kuradb.operations.Scan.hash_range`)."""
        seg_lo, seg_hi = op.hash_range()
        lo_h = max(self.start_h, start_h if start_h is not None else 0, seg_lo)
        hi_h = min(self.end_h, end_h if end_h is not None else HASH_SPACE, seg_hi)
        if lo_h >= hi_h:
            return Page(items=[], count=0, scanned_count=0, last_evaluated_key=None,
                        consumed_rcu=read_units(0, op.consistent_read))  # fmt: skip
        lo, hi = table_hash_range(self.table.table_id, lo_h, hi_h)
        lo, hi = self._after_start_key(lo, hi, op.exclusive_start_key, True)
        return self._page(self.engine.iterate(lo, hi), op)

    def _after_start_key(self, lo: bytes, hi: bytes, esk: Item | None, forward: bool) -> tuple[bytes, bytes]:
        if esk is None:
            return lo, hi
        start = self.table.data_key(esk)
        if forward:
            return max(lo, start + b"\x00"), hi
        return lo, min(hi, start)

    def _page(self, it: Iterator[tuple[bytes, bytes]], op: Query | Scan) -> Page:
        """Evaluate items until Limit or 1 MB read; then filter, project, count.

        LastEvaluatedKey is the key of the last item *evaluated* whenever the page stopped on
        Limit or size — even if nothing follows, as DynamoDB does — and absent at the natural end.
        """
        key_names = self.table.key_schema.key_names
        items: list[Item] = []
        count = scanned = read_bytes = 0
        last: Item | None = None
        stopped = False
        for _, raw in it:
            item = decode_item(raw)
            scanned += 1
            read_bytes += item_size(item)
            last = item
            if op.expr.filter_matches(item):
                count += 1
                if op.select != "COUNT":
                    items.append(op.expr.project(item))
            if (op.limit is not None and scanned >= op.limit) or read_bytes >= PAGE_BYTES:
                stopped = True
                break
        lek = {n: last[n] for n in key_names} if stopped and last is not None else None
        return Page(
            items=items,
            count=count,
            scanned_count=scanned,
            last_evaluated_key=lek,
            consumed_rcu=read_units(read_bytes, op.consistent_read),
        )

    # ------------------------------------------------------------------ snapshots and stats

    def snapshot_range(self) -> PartitionSnapshot:
        """A consistent snapshot of this partition's items and bookkeeping (close it when done)."""
        snap = self.engine.snapshot()
        raw = snap.get(self._applied_key)
        applied = int.from_bytes(raw, "big") if raw is not None else 0
        return PartitionSnapshot(snap, self._data_range, self._meta, applied)

    def install_snapshot(self, entries: Iterable[tuple[bytes, bytes]], sync: bool = True) -> None:
        """Replace this replica's partition with a snapshot's entries (from :meth:`snapshot_range`).

        One engine batch clears the partition's items and bookkeeping and writes the snapshot, so
        a crash leaves either the old replica or the new one, never a mix. The whole snapshot is
        held in that batch: streaming very large partitions in chunks needs a "snapshot in
        progress" marker first, which this does not do yet.
        """
        meta_hi = prefix_successor(self._meta)
        lo, hi = self._data_range
        batch = WriteBatch()
        for k, _ in self.engine.iterate(self._meta, meta_hi):
            batch.delete(k)
        for k, _ in self.engine.iterate(lo, hi):
            batch.delete(k)
        applied = 0
        for k, v in entries:
            if not (lo <= k < hi or self._meta <= k < meta_hi):
                raise ValueError(f"snapshot entry {k!r} is outside partition {self.partition_id}")
            if k == self._applied_key:
                applied = int.from_bytes(v, "big")
            batch.put(k, v)
        self.engine.write(batch, sync)
        self._applied = applied

    def stats(self) -> PartitionStats:
        """Exact key count and stored bytes of the partition's items (a full range scan)."""
        keys = size = 0
        for k, v in self.engine.iterate(*self._data_range):
            keys += 1
            size += len(k) + len(v)
        return PartitionStats(keys=keys, bytes=size, applied_index=self._applied)

    def approximate_size(self) -> int:
        return self.engine.approximate_size(*self._data_range)


def _size(item: Item | None) -> int:
    return item_size(item) if item is not None else 0


def _updated_item(expr: Compiled, old: Item | None, key: Item) -> tuple[Item, tuple[Any, ...]]:
    """The item after UpdateItem and the update's target paths.

    A missing item starts as just its key (DynamoDB's upsert); an UpdateItem without an update
    expression still creates that key-only item. Runtime update errors raise ValidationException.
    """
    base: Item = old if old is not None else dict(key)
    if expr.update is None:
        return dict(base), ()
    result = expr.apply_update(base)
    return result.item, result.updated_paths


def _only_removes(expr: Compiled) -> bool:
    """True when the update has REMOVE/DELETE actions and nothing that adds (SET/ADD).

    Such an update of a missing item is a no-op: nothing is written, not even the key-only item
    an empty update (no UpdateExpression, or ``AttributeUpdates={}``) creates.
    """
    u = expr.update
    return u is not None and bool(u.remove or u.delete) and not (u.set or u.add)


def _update_return_values(return_values: str, paths: tuple[Any, ...], old: Item | None, new: Item) -> Item | None:
    """UpdateItem's Attributes for ReturnValues; None when there is nothing to return.

    UPDATED_OLD / UPDATED_NEW hold only what the update touched, before / after: the item
    projected on the update's target paths, as DynamoDB does.
    """
    if return_values == "ALL_OLD":
        return old
    if return_values == "ALL_NEW":
        return new
    if return_values in ("UPDATED_OLD", "UPDATED_NEW") and paths:
        source = old if return_values == "UPDATED_OLD" else new
        if source is not None:
            return project(source, paths) or None
    return None
