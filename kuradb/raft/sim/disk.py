"""A simulated disk under one replica's log: writes are lost on crash unless synced.

Rules:

* The replica's core reads a :class:`~kuradb.raft.storage.MemoryStorage` (the *page cache*:
  everything written, synced or not). Alongside it the disk keeps the *durable image*: hard
  state, snapshot and entries as of the last ``sync()``.
* Every write (snapshot, entries, hard state) goes to the page cache at once and is queued as
  unsynced; ``sync()`` makes every queued write durable, in order (an fsync flushes it all).
* ``crash()`` forgets the unsynced writes and rebuilds the page cache from the durable image,
  exactly what a restarted process would read back. A ``Ready`` with ``must_sync == False``
  (only the commit index moved) may legitimately stay unsynced and be lost.
* Creating a state-machine snapshot and compacting the log is a synced operation (the snapshot
  file is written and fsync'd before the log prefix is dropped), and it syncs what came before.

No randomness and no clock here: when to crash is the cluster's decision.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from kuradb.raft.storage import MemoryStorage
from kuradb.raft.types import ConfState, Entry, HardState, Snapshot


@dataclass(slots=True)
class _Durable:
    hard_state: HardState = field(default_factory=HardState)
    snapshot: Snapshot = field(default_factory=Snapshot)
    entries: list[Entry] = field(default_factory=list)  # contiguous, after snapshot.index

    def append(self, ents: list[Entry]) -> None:
        if not ents:
            return
        first = ents[0].index
        base = self.snapshot.metadata.index
        if first <= base:  # the prefix is already inside the snapshot
            ents = ents[base + 1 - first :]
            if not ents:
                return
            first = ents[0].index
        keep = first - base - 1
        if keep > len(self.entries):
            raise AssertionError(f"durable log gap: have up to {base + len(self.entries)}, append at {first}")
        del self.entries[keep:]
        self.entries.extend(ents)

    def install(self, snap: Snapshot) -> None:
        self.snapshot = snap
        self.entries = []

    def compact(self, snap: Snapshot) -> None:
        drop = snap.metadata.index - self.snapshot.metadata.index
        self.snapshot = snap
        del self.entries[:drop]


@dataclass
class SimDisk:
    """One replica's log disk: a MemoryStorage page cache over a durable image."""

    storage: MemoryStorage = field(default_factory=MemoryStorage)
    _durable: _Durable = field(default_factory=_Durable)
    _unsynced: list[tuple[str, object]] = field(default_factory=list)
    syncs: int = 0

    @classmethod
    def bootstrap(cls, snap: Snapshot, hard_state: HardState) -> SimDisk:
        """A disk that already holds (durably) an initial snapshot, as if provisioned."""
        disk = cls()
        disk.write_snapshot(snap)
        disk.write_hard_state(hard_state)
        disk.sync()
        return disk

    # -- writes ----------------------------------------------------------------------------

    def write_snapshot(self, snap: Snapshot) -> None:
        self.storage.apply_snapshot(snap)
        self._unsynced.append(("snap", snap))

    def write_entries(self, ents: list[Entry]) -> None:
        if ents:
            ents = [copy.copy(e) for e in ents]
            self.storage.append(ents)
            self._unsynced.append(("ents", ents))

    def write_hard_state(self, hs: HardState) -> None:
        hs = copy.copy(hs)
        self.storage.set_hard_state(hs)
        self._unsynced.append(("hs", hs))

    def sync(self) -> None:
        for kind, arg in self._unsynced:
            if kind == "snap":
                assert isinstance(arg, Snapshot)
                self._durable.install(arg)
            elif kind == "ents":
                assert isinstance(arg, list)
                self._durable.append(arg)
            else:
                assert isinstance(arg, HardState)
                self._durable.hard_state = arg
        self._unsynced.clear()
        self.syncs += 1

    def create_snapshot(self, index: int, conf_state: ConfState, data: bytes) -> Snapshot:
        """Snapshot the state machine at applied ``index`` and drop the log up to it.

        Everything queued before is synced first (the snapshot must not be newer than the log it
        replaces). The whole prefix is compacted, so a follower lagging past ``index`` needs a
        MsgSnap, which is exactly the path the simulator wants exercised."""
        self.sync()
        snap = self.storage.create_snapshot(index, conf_state, data)
        self.storage.compact(index)
        self._durable.compact(snap)
        self.syncs += 1
        return snap

    # -- crash -----------------------------------------------------------------------------

    def crash(self) -> None:
        """Lose unsynced writes; the page cache becomes what a restarted process reads."""
        self._unsynced.clear()
        d = self._durable
        ms = MemoryStorage()
        if not d.snapshot.is_empty():
            ms.apply_snapshot(d.snapshot)
        ms.append([copy.copy(e) for e in d.entries])
        ms.set_hard_state(copy.copy(d.hard_state))
        self.storage = ms

    # -- inspection (checker) -----------------------------------------------------------------

    def durable_hard_state(self) -> HardState:
        return self._durable.hard_state

    def unsynced_writes(self) -> int:
        return len(self._unsynced)
