"""The storage engine seam: the narrow interface every partition store talks to.

Modelled on TiKV's engine traits: a node keeps *all* its partitions in one ordered byte-keyed
store, and everything above this module (partition state machines, snapshot streaming, splits)
is written against these few operations only, so LevelDB can be swapped for the in-memory engine
in tests and the deterministic simulator.

Rules every implementation must keep (the conformance tests in tests/node check them):

* Keys and values are ``bytes``; keys are ordered bytewise (unsigned lexicographic).
* ``write(batch, sync)`` is atomic: after a crash either every op of the batch is visible or none
  is. Ops apply in batch order, so a later op on the same key wins. ``sync=True`` returns only
  once the batch is durable (fsync'd); ``sync=False`` may lose the batch (never part of it) on a
  machine crash.
* ``iterate(lo, hi, reverse)`` yields ``(key, value)`` pairs with ``lo <= key < hi``
  (``hi=None``: no upper bound) in ascending order, or descending when ``reverse``. The view is
  taken when ``iterate`` is *called*: writes made while the iterator is alive are not seen by it
  (LevelDB's implicit snapshot), so a paused iterator is safe under concurrent applies.
* ``snapshot()`` returns a read-only, point-in-time view (``get``/``iterate``) that stays
  consistent until ``close()``; it must be closed to release resources.
* ``approximate_size(lo, hi)`` is an estimate in bytes for balancing decisions, never used for
  correctness (LevelDB ignores data still in its memtable).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(slots=True)
class WriteBatch:
    """An ordered list of puts (value is bytes) and deletes (value is None), written atomically."""

    ops: list[tuple[bytes, bytes | None]] = field(default_factory=list)

    def put(self, key: bytes, value: bytes) -> None:
        self.ops.append((key, value))

    def delete(self, key: bytes) -> None:
        self.ops.append((key, None))

    def extend(self, other: WriteBatch) -> None:
        """Append another batch's ops (used to group-commit many small batches into one)."""
        self.ops.extend(other.ops)

    def __len__(self) -> int:
        return len(self.ops)

    def __bool__(self) -> bool:
        return bool(self.ops)


@runtime_checkable
class ReadView(Protocol):
    """Read operations shared by an engine and its snapshots."""

    def get(self, key: bytes) -> bytes | None: ...

    def iterate(self, lo: bytes, hi: bytes | None, reverse: bool = False) -> Iterator[tuple[bytes, bytes]]: ...


@runtime_checkable
class Snapshot(ReadView, Protocol):
    """A point-in-time read-only view; ``close`` releases it (also usable as a context manager)."""

    def close(self) -> None: ...

    def __enter__(self) -> Snapshot: ...

    def __exit__(self, *exc: object) -> None: ...


@runtime_checkable
class Engine(ReadView, Protocol):
    """An ordered, durable key-value store holding every partition of one node."""

    def write(self, batch: WriteBatch, sync: bool) -> None: ...

    def snapshot(self) -> Snapshot: ...

    def approximate_size(self, lo: bytes, hi: bytes) -> int: ...

    def close(self) -> None: ...


class EngineClosedError(RuntimeError):
    """An operation was attempted on a closed engine or released snapshot (a programming error)."""
