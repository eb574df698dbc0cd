"""LevelDB (plyvel) implementation of :class:`~kuradb.node.engine.Engine`.

One LevelDB per node holds every partition (design §3), so a split is metadata only and a
replica snapshot is one range scan of one ``db.snapshot()``.

* Atomicity: a :class:`WriteBatch` becomes one ``write_batch(transaction=True)``; LevelDB's
  WriteBatch is applied atomically (one log record), and ``sync`` maps to LevelDB's
  ``WriteOptions.sync`` (fsync of the log before returning).
* Iterators are created eagerly by ``iterate`` and use LevelDB's implicit snapshot, so they are
  point-in-time as engine.py requires.
* ``approximate_size`` is LevelDB's ``GetApproximateSizes``: on-disk (compressed) bytes of the
  SSTables overlapping the range; data still in the memtable counts as zero.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import plyvel

from kuradb.node.engine import EngineClosedError, WriteBatch


def _iter(source: Any, lo: bytes, hi: bytes | None, reverse: bool) -> Iterator[tuple[bytes, bytes]]:
    """Point-in-time iterator over [lo, hi); the LevelDB iterator is created *now*."""
    if not reverse:
        # plyvel's iterator takes start (inclusive) / stop (exclusive).
        return source.iterator(start=lo, stop=hi, include_key=True, include_value=True)
    # plyvel 1.5's reverse iterator drops the only key of a one-key range, so reverse scans
    # drive a raw iterator: position before `hi`, then step back while key >= lo.
    raw = source.raw_iterator()
    if hi is None:
        raw.seek_to_last()
    else:
        raw.seek(hi)
        if raw.valid():
            raw.prev()
        else:
            raw.seek_to_last()
    return _reverse(raw, lo)


def _reverse(raw: Any, lo: bytes) -> Iterator[tuple[bytes, bytes]]:
    while raw.valid():
        key = raw.key()
        if key < lo:
            return
        yield key, raw.value()
        raw.prev()


class LevelDBSnapshot:
    """A LevelDB snapshot (point-in-time view) released by ``close``."""

    def __init__(self, snap: plyvel._plyvel.Snapshot) -> None:
        self._snap: plyvel._plyvel.Snapshot | None = snap

    def _view(self) -> plyvel._plyvel.Snapshot:
        if self._snap is None:
            raise EngineClosedError("snapshot is closed")
        return self._snap

    def get(self, key: bytes) -> bytes | None:
        return self._view().get(key)

    def iterate(self, lo: bytes, hi: bytes | None, reverse: bool = False) -> Iterator[tuple[bytes, bytes]]:
        return _iter(self._view(), lo, hi, reverse)

    def close(self) -> None:
        if self._snap is not None:
            self._snap.release()
            self._snap = None

    def __enter__(self) -> LevelDBSnapshot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LevelDBEngine:
    """A node's data store in one LevelDB directory."""

    def __init__(
        self,
        path: str | Path,
        *,
        create_if_missing: bool = True,
        write_buffer_size: int = 16 << 20,
        lru_cache_size: int = 64 << 20,
        bloom_filter_bits: int = 10,
    ) -> None:
        self.path = Path(path)
        self._db: plyvel.DB | None = plyvel.DB(
            str(self.path),
            create_if_missing=create_if_missing,
            write_buffer_size=write_buffer_size,
            lru_cache_size=lru_cache_size,
            bloom_filter_bits=bloom_filter_bits,
        )

    def _live(self) -> plyvel.DB:
        if self._db is None:
            raise EngineClosedError(f"LevelDB engine at {self.path} is closed")
        return self._db

    def get(self, key: bytes) -> bytes | None:
        return self._live().get(key)

    def write(self, batch: WriteBatch, sync: bool) -> None:
        if not batch:
            return
        with self._live().write_batch(transaction=True, sync=sync) as wb:
            for key, value in batch.ops:
                if value is None:
                    wb.delete(key)
                else:
                    wb.put(key, value)

    def iterate(self, lo: bytes, hi: bytes | None, reverse: bool = False) -> Iterator[tuple[bytes, bytes]]:
        return _iter(self._live(), lo, hi, reverse)

    def snapshot(self) -> LevelDBSnapshot:
        return LevelDBSnapshot(self._live().snapshot())

    def approximate_size(self, lo: bytes, hi: bytes) -> int:
        return int(self._live().approximate_size(lo, hi))

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
