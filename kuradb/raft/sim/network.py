"""A simulated, hostile network for the deterministic Raft simulator.

Rules:

* Time is an integer count of simulated *units* (``TICK_UNITS`` units = one nominal Raft tick).
  Nothing here reads the wall clock; every random choice draws from the ``random.Random`` the
  simulation hands in, so one seed gives one exact sequence of deliveries.
* A message is, independently: dropped (probability ``drop``), duplicated (``duplicate``), and
  delayed by a latency drawn in ``[min_latency, max_latency]`` units (with an occasional long
  spike). Different latencies reorder messages; nothing is ever corrupted.
* A partition is a set of *directed* blocked links ``(frm, to)``: symmetric partitions block both
  directions, asymmetric ones only one. A blocked link drops a message when it is *sent* and
  again when it would be *delivered* (a partition that starts while a message is in flight eats
  it, like a cut cable).
* Every delivered message is a private copy (as if serialized): replicas in one process never
  share Entry objects, so one replica mutating what it received cannot corrupt another's log.
* The network never delivers to, or from, a node id it was not told is up; the cluster decides
  what a crashed node does with an arriving message (it is dropped).

The network is pure data plus a priority queue; the cluster pops deliverable messages from it.
"""

from __future__ import annotations

import copy
import heapq
import random
from dataclasses import dataclass, field

from kuradb.raft.types import Entry, Message, MessageType

TICK_UNITS = 100
"""Simulated time units per nominal tick: fine enough for sub-tick latencies and clock skew."""


@dataclass(slots=True)
class NetworkConfig:
    """Fault rates of one run; the cluster draws them per seed and may change them per phase."""

    drop: float = 0.0
    duplicate: float = 0.0
    min_latency: int = 1
    max_latency: int = TICK_UNITS // 2
    spike: float = 0.0  # probability that a message takes up to ``spike_latency`` instead
    spike_latency: int = 3 * TICK_UNITS


@dataclass(order=True, slots=True)
class _InFlight:
    deliver_at: int
    seq: int  # FIFO tie-break and determinism: heap order never compares messages
    msg: Message = field(compare=False)


@dataclass(slots=True)
class SimNetwork:
    """Messages in flight between node ids, with drops, duplicates, delays and partitions."""

    rng: random.Random
    config: NetworkConfig = field(default_factory=NetworkConfig)
    blocked: set[tuple[int, int]] = field(default_factory=set)
    _queue: list[_InFlight] = field(default_factory=list)
    _seq: int = 0
    sent: int = 0
    dropped: int = 0
    delivered: int = 0
    lost_snapshots: list[Message] = field(default_factory=list)
    """Dropped MsgSnaps, which the cluster drains to call ``report_snapshot(failure=True)``
    on the sender, as a real transport would after its stream breaks."""

    # -- partitions ---------------------------------------------------------------------------

    def partition(self, side_a: list[int], side_b: list[int], *, symmetric: bool = True) -> None:
        """Cut every link from ``side_a`` to ``side_b`` (and back, when ``symmetric``)."""
        for a in side_a:
            for b in side_b:
                if a != b:
                    self.blocked.add((a, b))
                    if symmetric:
                        self.blocked.add((b, a))

    def isolate(self, node: int, others: list[int]) -> None:
        self.partition([node], others, symmetric=True)

    def heal(self) -> None:
        self.blocked.clear()

    def is_blocked(self, frm: int, to: int) -> bool:
        return (frm, to) in self.blocked

    # -- traffic -------------------------------------------------------------------------------

    def send(self, now: int, msg: Message) -> bool:
        """Queue ``msg``; returns False when it was lost at once (dropped or link cut)."""
        self.sent += 1
        if self.is_blocked(msg.frm, msg.to) or self.rng.random() < self.config.drop:
            self._lose(msg)
            return False
        copies = 2 if self.rng.random() < self.config.duplicate else 1
        for _ in range(copies):
            self._push(now + self._latency(), msg)
        return True

    def _lose(self, msg: Message) -> None:
        self.dropped += 1
        if msg.type == MessageType.SNAP:
            self.lost_snapshots.append(msg)

    def drop_to(self, node: int) -> None:
        """Forget every message in flight to ``node`` (it crashed: its sockets are gone)."""
        kept = [m for m in self._queue if m.msg.to != node]
        for m in self._queue:
            if m.msg.to == node:
                self._lose(m.msg)
        self._queue = kept
        heapq.heapify(self._queue)

    def _latency(self) -> int:
        cfg = self.config
        if cfg.spike > 0 and self.rng.random() < cfg.spike:
            return self.rng.randint(cfg.min_latency, max(cfg.min_latency, cfg.spike_latency))
        return self.rng.randint(cfg.min_latency, max(cfg.min_latency, cfg.max_latency))

    def _push(self, at: int, msg: Message) -> None:
        self._seq += 1
        heapq.heappush(self._queue, _InFlight(at, self._seq, _wire_copy(msg)))

    def next_time(self) -> int | None:
        """When the earliest in-flight message arrives, or None if nothing is in flight."""
        return self._queue[0].deliver_at if self._queue else None

    def pop_due(self, now: int) -> Message | None:
        """The next message due at or before ``now`` that survives the partitions, if any.

        A message dropped here (link cut while in flight) is counted but not returned."""
        while self._queue and self._queue[0].deliver_at <= now:
            item = heapq.heappop(self._queue)
            if self.is_blocked(item.msg.frm, item.msg.to):
                self._lose(item.msg)
                continue
            self.delivered += 1
            return item.msg
        return None

    def in_flight(self) -> int:
        return len(self._queue)


def _wire_copy(m: Message) -> Message:
    """What the receiver would decode: fresh Message and Entry objects (snapshot data is bytes
    and its metadata is never mutated by the core, so it is shared)."""
    c = copy.copy(m)
    c.entries = [Entry(e.term, e.index, e.type, e.data) for e in m.entries]
    return c
