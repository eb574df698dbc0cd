"""The log storage contract of the Raft core, and an in-memory implementation.

Rules (same as etcd-io/raft's Storage):

* The storage holds a snapshot (possibly empty, index 0) followed by the contiguous entries
  ``[first_index(), last_index()]``; ``first_index() == snapshot.index + 1``.
* ``term(snapshot.index)`` is answerable (the snapshot's term); anything lower raises
  :class:`Compacted`, anything above ``last_index()`` raises :class:`Unavailable`.
* ``entries(lo, hi, max_size)`` returns ``[lo, hi)``, truncated to ``max_size`` bytes (as
  measured by :func:`entry_size`) but always at least one entry.
* The core only *reads* storage. The driver writes it, following the Ready contract: entries,
  hard state and snapshot handed out in a Ready are persisted before ``advance``.

A new group is created with :meth:`MemoryStorage.bootstrap` on every initial member; a replica
added later starts from an empty ``MemoryStorage()`` and receives a snapshot.

MemoryStorage keeps a dummy entry at position 0 carrying the snapshot's index and term, so
``term(snapshot.index)`` needs no special case. It does no I/O and is fine to use in the
simulator and in unit tests; the node uses a LevelDB-backed storage with the same contract.
"""

from __future__ import annotations

import copy
from typing import Protocol

from kuradb.raft.errors import Compacted, SnapOutOfDate, Unavailable
from kuradb.raft.types import ConfState, Entry, HardState, Snapshot, SnapshotMetadata

ENTRY_OVERHEAD = 16  # term + index + type: what an entry costs on the wire besides its data


def entry_size(e: Entry) -> int:
    """Approximate encoded size, used for max_size_per_msg / uncommitted-size accounting."""
    return ENTRY_OVERHEAD + len(e.data)


def limit_size(ents: list[Entry], max_size: int | None) -> list[Entry]:
    """The longest prefix of ``ents`` within ``max_size`` bytes, but never fewer than one entry
    (so a single oversized entry still makes progress)."""
    if max_size is None or not ents:
        return ents
    size = entry_size(ents[0])
    for i in range(1, len(ents)):
        size += entry_size(ents[i])
        if size > max_size:
            return ents[:i]
    return ents


class Storage(Protocol):
    """Read-only view of the durable log the core depends on (see module rules)."""

    def initial_state(self) -> tuple[HardState, ConfState]: ...

    def entries(self, lo: int, hi: int, max_size: int | None = None) -> list[Entry]: ...

    def term(self, i: int) -> int: ...

    def first_index(self) -> int: ...

    def last_index(self) -> int: ...

    def snapshot(self) -> Snapshot: ...


class MemoryStorage:
    """In-memory :class:`Storage` (one instance per replica; no shared state)."""

    def __init__(self) -> None:
        self.hard_state = HardState()
        self._snapshot = Snapshot()
        self._ents: list[Entry] = [Entry(term=0, index=0)]  # dummy at snapshot index

    @classmethod
    def bootstrap(cls, conf_state: ConfState) -> MemoryStorage:
        """A storage for an initial member of a new group: the membership is a snapshot at
        index 1, term 1 (with empty data), identical on every initial member.

        Why index 1 and not 0: a replica added later must learn the initial membership, and
        entries cannot tell it that; with entry 1 compacted, the leader sends it a snapshot
        (carrying the ConfState) instead of replaying the log from the start.
        """
        st = cls()
        st.apply_snapshot(Snapshot(metadata=SnapshotMetadata(index=1, term=1, conf_state=copy.copy(conf_state))))
        st.hard_state = HardState(term=1, vote=0, commit=1)
        return st

    # -- Storage --------------------------------------------------------------------------
    def initial_state(self) -> tuple[HardState, ConfState]:
        return (copy.copy(self.hard_state), copy.copy(self._snapshot.metadata.conf_state))

    def entries(self, lo: int, hi: int, max_size: int | None = None) -> list[Entry]:
        offset = self._ents[0].index
        if lo <= offset:
            raise Compacted()
        if hi > self.last_index() + 1:
            raise Unavailable(f"entries' hi({hi}) is out of bound lastindex({self.last_index()})")
        if len(self._ents) == 1:  # only the dummy entry
            raise Unavailable()
        return limit_size(self._ents[lo - offset : hi - offset], max_size)

    def term(self, i: int) -> int:
        offset = self._ents[0].index
        if i < offset:
            raise Compacted()
        if i - offset >= len(self._ents):
            raise Unavailable()
        return self._ents[i - offset].term

    def first_index(self) -> int:
        return self._ents[0].index + 1

    def last_index(self) -> int:
        return self._ents[0].index + len(self._ents) - 1

    def snapshot(self) -> Snapshot:
        return self._snapshot

    # -- writes (driver side) ---------------------------------------------------------------
    def set_hard_state(self, hs: HardState) -> None:
        self.hard_state = copy.copy(hs)

    def apply_snapshot(self, snap: Snapshot) -> None:
        """Replace the whole log by ``snap`` (a follower installing the leader's snapshot)."""
        if snap.metadata.index < self._snapshot.metadata.index:
            raise SnapOutOfDate()
        self._snapshot = snap
        self._ents = [Entry(term=snap.metadata.term, index=snap.metadata.index)]

    def create_snapshot(self, index: int, conf_state: ConfState | None, data: bytes) -> Snapshot:
        """Record the state machine's image at applied ``index``; call :meth:`compact` after."""
        if index <= self._snapshot.metadata.index:
            raise SnapOutOfDate()
        offset = self._ents[0].index
        if index > self.last_index():
            raise ValueError(f"snapshot {index} is out of bound lastindex({self.last_index()})")
        meta = SnapshotMetadata(
            index=index,
            term=self._ents[index - offset].term,
            conf_state=copy.copy(conf_state) if conf_state is not None else copy.copy(self._snapshot.metadata.conf_state),
        )
        self._snapshot = Snapshot(metadata=meta, data=data)
        return self._snapshot

    def compact(self, compact_index: int) -> None:
        """Discard entries up to ``compact_index`` (which must be applied and snapshotted)."""
        offset = self._ents[0].index
        if compact_index <= offset:
            raise Compacted()
        if compact_index > self.last_index():
            raise ValueError(f"compact {compact_index} is out of bound lastindex({self.last_index()})")
        i = compact_index - offset
        self._ents = [Entry(term=self._ents[i].term, index=self._ents[i].index)] + self._ents[i + 1 :]

    def append(self, entries: list[Entry]) -> None:
        """Append, truncating any existing suffix that conflicts (entries must be contiguous)."""
        if not entries:
            return
        first = self.first_index()
        last = entries[0].index + len(entries) - 1
        if last < first:
            return  # all already compacted
        if first > entries[0].index:
            entries = entries[first - entries[0].index :]
        offset = entries[0].index - self._ents[0].index
        if offset > len(self._ents):
            raise ValueError(f"missing log entry [last: {self.last_index()}, append at: {entries[0].index}]")
        # In place: appending at the end (the common case) must not copy the whole log.
        del self._ents[offset:]
        self._ents.extend(entries)
