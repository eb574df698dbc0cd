"""In-memory :class:`~kuradb.node.engine.Engine` for tests and the deterministic simulator.

Same semantics as the LevelDB engine (see engine.py), including point-in-time iterators and
snapshots. Those are implemented copy-on-write: an iterator or snapshot pins the current
``SortedDict``; the first write while anything is pinned copies the dict and writes the copy, so
pinned readers keep their frozen view. The pin count drops when an iterator finishes or is
garbage-collected, or a snapshot is closed, so a quiet engine writes in place.

``sync`` is accepted and ignored: nothing here survives the process anyway.
"""

from __future__ import annotations

from collections.abc import Iterator

from sortedcontainers import SortedDict

from kuradb.node.engine import EngineClosedError, WriteBatch


def _range_items(
    data: SortedDict, lo: bytes, hi: bytes | None, reverse: bool
) -> Iterator[tuple[bytes, bytes]]:
    keys = data.irange(lo, hi, inclusive=(True, False), reverse=reverse)
    for k in keys:
        yield k, data[k]


class _Pins:
    """Counts the readers pinning one version of the data."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


class MemorySnapshot:
    """A frozen view of a :class:`MemoryEngine` (released by ``close``)."""

    def __init__(self, data: SortedDict, pins: _Pins) -> None:
        self._data: SortedDict | None = data
        self._pins = pins
        pins.count += 1

    def _view(self) -> SortedDict:
        if self._data is None:
            raise EngineClosedError("snapshot is closed")
        return self._data

    def get(self, key: bytes) -> bytes | None:
        return self._view().get(key)

    def iterate(self, lo: bytes, hi: bytes | None, reverse: bool = False) -> Iterator[tuple[bytes, bytes]]:
        return _range_items(self._view(), lo, hi, reverse)

    def close(self) -> None:
        if self._data is not None:
            self._data = None
            self._pins.count -= 1

    def __enter__(self) -> MemorySnapshot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _PinnedIterator:
    """Iterates a pinned version and unpins it when exhausted or collected.

    A class rather than a generator because a generator that is never started does not run its
    ``finally`` when collected, which would leave the version pinned forever.
    """

    def __init__(self, snap: MemorySnapshot, lo: bytes, hi: bytes | None, reverse: bool) -> None:
        self._snap = snap
        self._it = snap.iterate(lo, hi, reverse)

    def __iter__(self) -> _PinnedIterator:
        return self

    def __next__(self) -> tuple[bytes, bytes]:
        try:
            return next(self._it)
        except StopIteration:
            self._snap.close()
            raise

    def close(self) -> None:
        self._snap.close()

    def __del__(self) -> None:
        self._snap.close()


class MemoryEngine:
    """A SortedDict-backed engine; many independent instances may live in one process."""

    def __init__(self) -> None:
        self._data: SortedDict = SortedDict()
        self._pins = _Pins()
        self._closed = False

    def _check(self) -> None:
        if self._closed:
            raise EngineClosedError("engine is closed")

    def get(self, key: bytes) -> bytes | None:
        self._check()
        return self._data.get(key)

    def write(self, batch: WriteBatch, sync: bool) -> None:
        self._check()
        if not batch:
            return
        if self._pins.count:
            # Readers hold the current version: write to a private copy (copy-on-write).
            self._data = self._data.copy()
            self._pins = _Pins()
        data = self._data
        for key, value in batch.ops:
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value

    def iterate(self, lo: bytes, hi: bytes | None, reverse: bool = False) -> Iterator[tuple[bytes, bytes]]:
        self._check()
        # Pin now (not at the first next()) so the view is the one at call time.
        return _PinnedIterator(MemorySnapshot(self._data, self._pins), lo, hi, reverse)

    def snapshot(self) -> MemorySnapshot:
        self._check()
        return MemorySnapshot(self._data, self._pins)

    def approximate_size(self, lo: bytes, hi: bytes) -> int:
        """Exact here: the bytes of keys and values in [lo, hi)."""
        self._check()
        return sum(len(k) + len(v) for k, v in _range_items(self._data, lo, hi, False))

    def close(self) -> None:
        self._closed = True

    def __len__(self) -> int:
        return len(self._data)
