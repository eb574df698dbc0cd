"""The Raft logs and hard states of ALL of a node's groups in ONE LevelDB, group-committed.

Design §2/§4: a node runs many Raft groups (one per partition replica) and keeps their logs in
one LevelDB, separate from the data LevelDB, written with ``sync=True``. The asyncio driver
collects every group's Ready of one loop iteration into one :class:`LogWriteBatch` and commits
it with ONE synced LevelDB write: one fsync per iteration, whatever the number of groups.

On-disk layout (a persistent format; ``pid`` and ``index`` are 8-byte big-endian unsigned, so
one group's entries are contiguous and ordered by index)::

    b"l" + pid + index  ->  encode_entry(entry)                   the log
    b"h" + pid          ->  encode_hard_state(hard_state)          term, vote, commit
    b"s" + pid          ->  encode_snapshot_metadata(metadata)     index, term, conf state

Invariants (what recovery relies on, and what every write below preserves):

* A group's log keys are exactly the contiguous range ``[snap.index + 1, last_index]``, where
  ``snap`` is its stored snapshot metadata (index 0 when absent). So ``first_index() ==
  snap.index + 1`` and ``term(snap.index) == snap.term`` (the Storage rules), and on reopen the
  last index is simply the last key under the group's prefix.
* Compaction and snapshot install move the snapshot metadata and delete the entries at or
  below it in the SAME LevelDB batch, so a crash never leaves a gap or a log without a base.
* Appending entries that start at or below the last index replaces the conflicting suffix:
  keys beyond the new last index are deleted in the same batch (otherwise a stale tail of an
  old term would reappear after a restart).
* In-memory views (first/last index, hard state, snapshot metadata, the tail cache) change only
  after the LevelDB write that makes them durable has returned, so nothing the core reads from
  storage is ever non-durable. (The core keeps not-yet-persisted entries itself, in its
  "unstable" log, until ``advance``.)
* One writer: batches, ``compact``, ``bootstrap`` and ``destroy`` must be issued by one thread
  (the driver), and at most one batch is open at a time. Reads (the core) may run concurrently
  with :meth:`LogWriteBatch.write`: it touches no in-memory state, every group it writes was
  loaded when the batch was staged, and the only keys it overwrites are entries the core still
  holds in its own unstable log (so never reads from storage) until ``advance``.

Blocking I/O, measured on the 2-core dev VM (ext4 on a virtio disk, shared with other jobs):
one commit of 1/16/64 groups x (one 1 KB entry + hard state) costs about 10/115/550 µs with
``sync=False`` (≈ 8 µs of Python per group: encoding, staging, publishing) and 0.2/0.4/1.0 ms
with ``sync=True`` on an idle disk, several ms when it is busy (the fsync dominates). So group
commit pays: 64 groups cost one fsync, not 64. A synced commit is still far
too long to block the event loop that runs every group: the asyncio driver stages the batch on
the loop thread, runs ``await loop.run_in_executor(pool, batch.write, True)``, then calls
``batch.publish()`` back on the loop thread (``commit`` does both, for synchronous callers and
tests). The batch must be synced if any Ready in it has ``must_sync``. Unsynced writes
(``compact(..., sync=False)``) are cheap enough for the loop thread.

Snapshots: the state machine's image is the partition's key range in the *data* LevelDB, so
:meth:`GroupStorage.snapshot` returns the stored metadata with EMPTY data. The driver fills the
data when it actually sends a SNAP message, streaming a LevelDB snapshot of the range taken at
some applied index ``A >= metadata.index``; the receiving state machine skips re-delivered
entries at or below its stored applied index (design §4 makes apply idempotent exactly this
way). On the receiving side the driver must make the snapshot *data* durable before it commits
the batch that records ``apply_snapshot``: the other order could, after a crash, leave a log
starting after an index the data never reached.
"""

from __future__ import annotations

import copy
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import plyvel

from kuradb.raft.codec import (
    decode_entry,
    decode_hard_state,
    decode_snapshot_metadata,
    encode_entry,
    encode_hard_state,
    encode_snapshot_metadata,
)
from kuradb.raft.errors import Compacted, SnapOutOfDate, Unavailable
from kuradb.raft.storage import entry_size, limit_size
from kuradb.raft.types import ConfState, Entry, HardState, Snapshot, SnapshotMetadata

__all__ = ["GroupStorage", "LogWriteBatch", "RaftLogDB", "RaftLogCorrupted", "RaftLogDBClosed"]

_U64 = struct.Struct(">Q")
_LOG, _HARD, _SNAP = b"l", b"h", b"s"

DEFAULT_CACHE_ENTRIES = 4096
DEFAULT_CACHE_BYTES = 16 << 20


class RaftLogCorrupted(Exception):
    """The stored log breaks a layout invariant (a gap, or entries below the snapshot)."""


class RaftLogDBClosed(Exception):
    """The RaftLogDB was closed, or the group was destroyed, and cannot be used any more."""


def _log_prefix(pid: int) -> bytes:
    return _LOG + _U64.pack(pid)


def _log_key(pid: int, index: int) -> bytes:
    return _LOG + _U64.pack(pid) + _U64.pack(index)


def _hard_key(pid: int) -> bytes:
    return _HARD + _U64.pack(pid)


def _snap_key(pid: int) -> bytes:
    return _SNAP + _U64.pack(pid)


def _copy_hs(hs: HardState) -> HardState:
    """A private copy (the core's objects are not ours to keep); ``copy.copy`` costs 3x more."""
    return HardState(hs.term, hs.vote, hs.commit)


def _copy_meta(m: SnapshotMetadata) -> SnapshotMetadata:
    return SnapshotMetadata(m.index, m.term, copy.copy(m.conf_state))


def _index_of(key: bytes) -> int:
    return int(_U64.unpack_from(key, 9)[0])


@dataclass
class _GroupState:
    """A group's durable bounds; ``last_index == snap.index`` means an empty log."""

    snap: SnapshotMetadata = field(default_factory=SnapshotMetadata)
    last_index: int = 0


class GroupStorage:
    """One group's :class:`~kuradb.raft.storage.Storage`, backed by the shared LevelDB.

    Same rules and errors as :class:`~kuradb.raft.storage.MemoryStorage`. The most recent
    entries (up to ``cache_entries`` entries and ``cache_bytes`` bytes) are kept in memory, so
    the hot path — a leader sending just-persisted entries to its followers, ``term`` checks
    on append — never reads LevelDB; older entries (a lagging follower catching up) are read
    from disk. Obtain instances from :meth:`RaftLogDB.group`; writes go through the RaftLogDB.
    """

    def __init__(
        self,
        owner: RaftLogDB,
        pid: int,
        hard_state: HardState,
        state: _GroupState,
        cache_entries: int,
        cache_bytes: int,
    ) -> None:
        self._owner: RaftLogDB | None = owner
        self.partition_id = pid
        self._hs = hard_state
        self._st = state
        self._cache_max_entries = cache_entries
        self._cache_max_bytes = cache_bytes
        self._cache: list[Entry] = []  # contiguous, always ending at last_index when non-empty
        self._cache_start = state.last_index + 1
        self._cache_size = 0

    # -- Storage ------------------------------------------------------------------------------
    def initial_state(self) -> tuple[HardState, ConfState]:
        self._live()
        return (_copy_hs(self._hs), copy.copy(self._st.snap.conf_state))

    def entries(self, lo: int, hi: int, max_size: int | None = None) -> list[Entry]:
        db = self._live()
        offset = self._st.snap.index
        if lo <= offset:
            raise Compacted()
        last = self._st.last_index
        if hi > last + 1:
            raise Unavailable(f"entries' hi({hi}) is out of bound lastindex({last})")
        if last == offset:
            raise Unavailable()
        if hi <= lo:
            return []
        if lo >= self._cache_start:
            return limit_size(self._cache[lo - self._cache_start : hi - self._cache_start], max_size)
        out: list[Entry] = []
        budget = _Budget(max_size)
        disk_hi = min(hi, self._cache_start)
        expected = lo
        for key, value in db.iterator(start=_log_key(self.partition_id, lo), stop=_log_key(self.partition_id, disk_hi)):
            e = decode_entry(value)
            if _index_of(key) != expected or e.index != expected:
                raise RaftLogCorrupted(f"raft log of partition {self.partition_id}: expected entry {expected}, found {e.index}")
            if not budget.take(e):
                return out
            out.append(e)
            expected += 1
        if expected != disk_hi:
            raise RaftLogCorrupted(f"raft log of partition {self.partition_id} is missing entry {expected}")
        for e in self._cache[: max(0, hi - self._cache_start)]:
            if not budget.take(e):
                break
            out.append(e)
        return out

    def term(self, i: int) -> int:
        db = self._live()
        snap = self._st.snap
        if i < snap.index:
            raise Compacted()
        if i == snap.index:
            return snap.term
        if i > self._st.last_index:
            raise Unavailable()
        if i >= self._cache_start:
            return self._cache[i - self._cache_start].term
        raw = db.get(_log_key(self.partition_id, i))
        if raw is None:
            raise RaftLogCorrupted(f"raft log of partition {self.partition_id} is missing entry {i}")
        return decode_entry(raw).term

    def first_index(self) -> int:
        return self._st.snap.index + 1

    def last_index(self) -> int:
        return self._st.last_index

    def snapshot(self) -> Snapshot:
        """The stored metadata with empty data: the driver streams the data (module docstring)."""
        self._live()
        return Snapshot(metadata=_copy_meta(self._st.snap))

    # -- extras for the driver ----------------------------------------------------------------
    @property
    def hard_state(self) -> HardState:
        return _copy_hs(self._hs)

    def cached_range(self) -> tuple[int, int]:
        """``[lo, hi)`` of the indexes served from memory (observability and tests)."""
        return (self._cache_start, self._cache_start + len(self._cache))

    # -- in-memory updates, called by RaftLogDB only after the write is durable ---------------
    def _live(self) -> plyvel.DB:
        if self._owner is None:
            raise RaftLogDBClosed(f"raft storage of partition {self.partition_id} was destroyed or closed")
        return self._owner._live()

    def _publish_hard_state(self, hs: HardState) -> None:
        self._hs = hs  # the batch's own copy

    def _publish_snapshot(self, meta: SnapshotMetadata) -> None:
        """Log replaced by a snapshot (install) — nothing of the old log survives."""
        self._st = _GroupState(snap=meta, last_index=meta.index)  # the batch's own copy
        self._cache, self._cache_start, self._cache_size = [], meta.index + 1, 0

    def _publish_compact(self, meta: SnapshotMetadata) -> None:
        self._st = _GroupState(snap=meta, last_index=self._st.last_index)
        drop = meta.index + 1 - self._cache_start
        if drop > 0:
            self._cache_size -= sum(entry_size(e) for e in self._cache[:drop])
            del self._cache[:drop]
            self._cache_start = meta.index + 1

    def _publish_append(self, ents: list[Entry]) -> None:
        """``ents`` were validated by the batch: contiguous, starting in ``[first, last + 1]``."""
        start = ents[0].index
        if start < self._cache_start:
            self._cache, self._cache_start, self._cache_size = [], start, 0
        else:
            cut = start - self._cache_start
            self._cache_size -= sum(entry_size(e) for e in self._cache[cut:])
            del self._cache[cut:]
        self._cache.extend(ents)
        self._cache_size += sum(entry_size(e) for e in ents)
        self._st.last_index = ents[-1].index
        drop = 0
        size = self._cache_size
        while len(self._cache) - drop > self._cache_max_entries or (size > self._cache_max_bytes and len(self._cache) - drop > 1):
            size -= entry_size(self._cache[drop])
            drop += 1
        if drop:
            del self._cache[:drop]
            self._cache_start += drop
            self._cache_size = size

    def _detach(self) -> None:
        self._owner = None


class _Budget:
    """:func:`~kuradb.raft.storage.limit_size` as a running check, so that a disk read stops
    as soon as the budget is spent instead of decoding the whole range first."""

    def __init__(self, max_size: int | None) -> None:
        self.max_size = max_size
        self.used = 0
        self.count = 0

    def take(self, e: Entry) -> bool:
        if self.max_size is None:
            return True
        self.used += entry_size(e)
        self.count += 1
        return self.count == 1 or self.used <= self.max_size


@dataclass
class _Op:
    """One in-memory change to make on publish, in staging order."""

    kind: Literal["hs", "snap", "compact", "append"]
    pid: int
    hard_state: HardState | None = None
    meta: SnapshotMetadata | None = None
    entries: list[Entry] = field(default_factory=list)


class LogWriteBatch:
    """Everything one driver iteration persists, for any number of groups, as ONE LevelDB write.

    Each call validates against the group's state *as staged so far in this batch* (so
    ``apply_snapshot`` then ``append`` for one group works) and raises before staging anything
    if invalid; it encodes the LevelDB puts/deletes and records the in-memory change to make
    once the write is durable. A batch is single-use: a failed :meth:`write` discards it, and
    the driver should treat a failed synced write as fatal (after an fsync error the file's
    state is unknown, so the groups' views can no longer be trusted), never retry it blindly.
    """

    def __init__(self, owner: RaftLogDB) -> None:
        self._owner = owner
        self._kv: dict[bytes, bytes | None] = {}  # insertion-ordered; the last op on a key wins
        self._ops: list[_Op] = []
        self._staged: dict[int, _GroupState] = {}
        self._written = False
        self._done = False

    def __len__(self) -> int:
        return len(self._kv)

    def _stage(self, pid: int) -> _GroupState:
        self._check_open()
        st = self._staged.get(pid)
        if st is None:
            g = self._owner.group(pid)
            st = self._staged[pid] = _GroupState(snap=g._st.snap, last_index=g._st.last_index)
        return st

    def _check_open(self) -> None:
        if self._written or self._done:
            raise RuntimeError("this LogWriteBatch was already written or discarded; begin a new one")

    def _delete_log(self, pid: int, lo: int, hi: int) -> None:
        for i in range(lo, hi + 1):
            self._kv[_log_key(pid, i)] = None

    # -- staging ------------------------------------------------------------------------------
    def append(self, pid: int, entries: list[Entry]) -> None:
        """Append a Ready's entries, replacing any conflicting suffix (MemoryStorage.append)."""
        if not entries:
            return
        st = self._stage(pid)
        first = st.snap.index + 1
        if entries[-1].index < first:
            return  # all already compacted
        if entries[0].index < first:
            entries = entries[first - entries[0].index :]
        if entries[0].index > st.last_index + 1:
            raise ValueError(f"missing log entry [last: {st.last_index}, append at: {entries[0].index}]")
        for k, e in enumerate(entries):  # validate before staging anything
            if e.index != entries[0].index + k:
                raise ValueError(f"entries to append are not contiguous at index {e.index}")
        for e in entries:
            self._kv[_log_key(pid, e.index)] = encode_entry(e)
        new_last = entries[-1].index
        self._delete_log(pid, new_last + 1, st.last_index)
        st.last_index = new_last
        self._ops.append(_Op("append", pid, entries=list(entries)))

    def set_hard_state(self, pid: int, hs: HardState) -> None:
        self._stage(pid)
        self._kv[_hard_key(pid)] = encode_hard_state(hs)
        self._ops.append(_Op("hs", pid, hard_state=_copy_hs(hs)))

    def apply_snapshot(self, pid: int, meta: SnapshotMetadata) -> None:
        """Replace the group's whole log by a received snapshot (MemoryStorage.apply_snapshot)."""
        st = self._stage(pid)
        if meta.index < st.snap.index:
            raise SnapOutOfDate()
        self._delete_log(pid, st.snap.index + 1, st.last_index)
        self._kv[_snap_key(pid)] = encode_snapshot_metadata(meta)
        st.snap, st.last_index = _copy_meta(meta), meta.index
        self._ops.append(_Op("snap", pid, meta=st.snap))

    def compact(self, pid: int, index: int, conf_state: ConfState) -> None:
        """Record a snapshot at ``index`` and drop the entries ``<= index``; see RaftLogDB.compact."""
        st = self._stage(pid)
        if index <= st.snap.index:
            raise Compacted()
        if index > st.last_index:
            raise ValueError(f"compact {index} is out of bound lastindex({st.last_index})")
        term = self._term_staged(pid, index)
        meta = SnapshotMetadata(index=index, term=term, conf_state=copy.copy(conf_state))
        self._delete_log(pid, st.snap.index + 1, index)
        self._kv[_snap_key(pid)] = encode_snapshot_metadata(meta)
        st.snap = meta
        self._ops.append(_Op("compact", pid, meta=meta))

    def _term_staged(self, pid: int, index: int) -> int:
        raw = self._kv.get(_log_key(pid, index))
        if raw is not None:
            return decode_entry(raw).term
        return self._owner.group(pid).term(index)

    # -- commit -------------------------------------------------------------------------------
    def write(self, sync: bool = True) -> None:
        """The blocking part: ONE LevelDB write batch (fsync'd if ``sync``). Touches no in-memory
        state, so it may run in an executor thread while the core reads its storages."""
        self._check_open()
        try:
            db = self._owner._live()
            with db.write_batch(transaction=True, sync=sync) as wb:
                for key, value in self._kv.items():
                    if value is None:
                        wb.delete(key)
                    else:
                        wb.put(key, value)
        except BaseException:
            self.discard()  # never retried: what reached the disk is unknown (class docstring)
            raise
        self._written = True

    def publish(self) -> None:
        """Make the written changes visible to the groups' readers (call on the core's thread)."""
        if not self._written or self._done:
            raise RuntimeError("publish() needs a batch that was written and not yet published")
        self._done = True
        self._owner._batch_finished(self)
        for op in self._ops:
            g = self._owner.group(op.pid)
            if op.kind == "append":
                g._publish_append(op.entries)
            elif op.kind == "hs":
                assert op.hard_state is not None
                g._publish_hard_state(op.hard_state)
            elif op.kind == "snap":
                assert op.meta is not None
                g._publish_snapshot(op.meta)
            else:
                assert op.meta is not None
                g._publish_compact(op.meta)

    def commit(self, sync: bool = True) -> None:
        """``write`` then ``publish``: for synchronous callers (the asyncio driver splits them)."""
        self.write(sync)
        self.publish()

    def discard(self) -> None:
        """Drop the batch unwritten (or after a failed write) and let a new one begin."""
        if not self._done:
            self._done = True
            self._owner._batch_finished(self)


class RaftLogDB:
    """The node's Raft log LevelDB: one per node process, holding every group (module rules)."""

    def __init__(
        self,
        path: str | Path,
        *,
        cache_entries: int = DEFAULT_CACHE_ENTRIES,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        write_buffer_size: int = 16 << 20,
    ) -> None:
        self.path = Path(path)
        self._db: plyvel.DB | None = plyvel.DB(str(self.path), create_if_missing=True, write_buffer_size=write_buffer_size)
        self._cache_entries = cache_entries
        self._cache_bytes = cache_bytes
        self._groups: dict[int, GroupStorage] = {}
        self._open_batch: LogWriteBatch | None = None

    def _live(self) -> plyvel.DB:
        if self._db is None:
            raise RaftLogDBClosed(f"raft log db at {self.path} is closed")
        return self._db

    # -- groups -------------------------------------------------------------------------------
    def group(self, pid: int) -> GroupStorage:
        """The storage of group ``pid``: loaded from disk on first use, empty if unknown (a
        replica that will receive a snapshot)."""
        g = self._groups.get(pid)
        if g is None:
            hs, st = self._load(pid)
            g = self._groups[pid] = GroupStorage(self, pid, hs, st, self._cache_entries, self._cache_bytes)
        return g

    def group_ids(self) -> list[int]:
        """Every group with a durable hard state or snapshot (what the node recovers on start).
        A group whose storage was created but never written is not listed."""
        db = self._live()
        ids: set[int] = set()
        for prefix in (_HARD, _SNAP):
            for key in db.iterator(prefix=prefix, include_value=False):
                ids.add(int(_U64.unpack_from(key, 1)[0]))
        return sorted(ids)

    def _load(self, pid: int) -> tuple[HardState, _GroupState]:
        db = self._live()
        raw_hs = db.get(_hard_key(pid))
        raw_snap = db.get(_snap_key(pid))
        hs = decode_hard_state(raw_hs) if raw_hs is not None else HardState()
        snap = decode_snapshot_metadata(raw_snap) if raw_snap is not None else SnapshotMetadata()
        prefix = _log_prefix(pid)
        with db.iterator(prefix=prefix, include_value=False) as it:
            first = next(it, None)
        if first is None:
            return hs, _GroupState(snap=snap, last_index=snap.index)
        if _index_of(first) != snap.index + 1:
            raise RaftLogCorrupted(f"raft log of partition {pid} starts at {_index_of(first)}, snapshot is at {snap.index}")
        raw = db.raw_iterator()
        try:
            # Seek past every key of the prefix (all are 17 bytes), then step back to the last.
            raw.seek(prefix + b"\xff" * 9)
            if raw.valid():
                raw.prev()
            else:
                raw.seek_to_last()
            last_key = raw.key()
        finally:
            raw.close()
        return hs, _GroupState(snap=snap, last_index=_index_of(last_key))

    # -- writes -------------------------------------------------------------------------------
    def begin(self) -> LogWriteBatch:
        """Open the batch of one driver iteration (one at a time: see the module rules)."""
        self._live()
        if self._open_batch is not None:
            raise RuntimeError("a LogWriteBatch is already open: publish() or discard() it first")
        self._open_batch = LogWriteBatch(self)
        return self._open_batch

    def _batch_finished(self, batch: LogWriteBatch) -> None:
        if self._open_batch is batch:
            self._open_batch = None

    def bootstrap(self, pid: int, conf_state: ConfState) -> GroupStorage:
        """Create an initial member of a new group, as MemoryStorage.bootstrap does: the
        membership is a snapshot at index 1, term 1, hard state term 1 / commit 1 (durable)."""
        g = self.group(pid)
        if not g._hs.is_empty() or g._st.snap.index != 0 or g._st.last_index != 0:
            raise ValueError(f"raft group of partition {pid} already exists; cannot bootstrap it")
        b = self.begin()
        try:
            b.apply_snapshot(pid, SnapshotMetadata(index=1, term=1, conf_state=copy.copy(conf_state)))
            b.set_hard_state(pid, HardState(term=1, vote=0, commit=1))
            b.commit(sync=True)
        finally:
            b.discard()
        return g

    def compact(self, pid: int, index: int, conf_state: ConfState, sync: bool = True) -> None:
        """Log compaction after the state machine reached ``index``: the snapshot metadata
        becomes ``(index, term(index), conf_state)`` and entries ``<= index`` are deleted.

        ``conf_state`` is the membership as of ``index`` (what ``apply_conf_change`` returned
        last); it must travel with the snapshot so a replica installing it learns the group.
        ``index`` must be durably applied in the data LevelDB: once compacted, those entries
        cannot be replayed. Why not separate "create snapshot" and "compact" calls like
        MemoryStorage: with the data living in LevelDB the metadata is all a snapshot stores,
        and moving it together with the log's base keeps ``first_index == snapshot.index + 1``.
        """
        b = self.begin()
        try:
            b.compact(pid, index, conf_state)
            b.commit(sync=sync)
        finally:
            b.discard()

    def destroy(self, pid: int, sync: bool = True) -> None:
        """Delete every key of group ``pid`` (replica removed). Its GroupStorage becomes unusable."""
        db = self._live()
        if self._open_batch is not None:
            raise RuntimeError("cannot destroy a group while a LogWriteBatch is open")
        with db.write_batch(transaction=True, sync=sync) as wb:
            for key in _keys_of(db, pid):
                wb.delete(key)
        g = self._groups.pop(pid, None)
        if g is not None:
            g._detach()

    # -- lifecycle ----------------------------------------------------------------------------
    def close(self) -> None:
        if self._db is not None:
            for g in self._groups.values():
                g._detach()
            self._groups.clear()
            self._db.close()
            self._db = None

    def __enter__(self) -> RaftLogDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _keys_of(db: plyvel.DB, pid: int) -> Iterator[bytes]:
    yield from (k for k in (_hard_key(pid), _snap_key(pid)) if db.get(k) is not None)
    yield from db.iterator(prefix=_log_prefix(pid), include_value=False)
