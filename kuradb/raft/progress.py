"""The leader's view of one follower's log (etcd-io/raft tracker.Progress).

Rules:

* ``match`` is the highest index known replicated on the follower; ``next`` the next index to
  send. ``match < next`` always.
* PROBE: we do not know where the follower's log diverges; send at most one append per
  heartbeat interval (``probe_sent``) and walk ``next`` back on rejection (using the follower's
  hint, §5.3 fast repair).
* REPLICATE: the follower accepted our last append; stream optimistically (``next`` advances on
  send), bounded by ``inflights`` (max_inflight_msgs unacknowledged appends) so a slow follower
  cannot make the leader buffer without bound. A rejection falls back to PROBE.
* SNAPSHOT: the follower needs compacted entries; send nothing until the snapshot is reported
  applied (its ack reaches ``pending_snapshot``) or failed.
* Learners have a Progress too (they receive the log) but never count for quorum.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass, field


class ProgressState(enum.IntEnum):
    PROBE = 0
    REPLICATE = 1
    SNAPSHOT = 2


@dataclass(slots=True)
class Inflights:
    """Last indexes of appends sent but not yet acknowledged, oldest first, at most ``size``."""

    size: int
    buffer: deque[int] = field(default_factory=deque)

    def add(self, index: int) -> None:
        if self.full():
            raise RuntimeError("cannot add into a full inflights")
        self.buffer.append(index)

    def free_le(self, to: int) -> None:
        """Acknowledging ``to`` acknowledges every append ending at or before it."""
        while self.buffer and self.buffer[0] <= to:
            self.buffer.popleft()

    def free_first_one(self) -> None:
        if self.buffer:
            self.buffer.popleft()

    def full(self) -> bool:
        return len(self.buffer) >= self.size

    def count(self) -> int:
        return len(self.buffer)

    def reset(self) -> None:
        self.buffer.clear()


@dataclass(slots=True)
class Progress:
    match: int = 0
    next: int = 1
    state: ProgressState = ProgressState.PROBE
    pending_snapshot: int = 0
    recent_active: bool = False  # heard from since the last check-quorum round
    probe_sent: bool = False  # PROBE: an append is outstanding; wait for a reply or heartbeat
    inflights: Inflights = field(default_factory=lambda: Inflights(256))
    is_learner: bool = False

    def _reset_state(self, state: ProgressState) -> None:
        self.probe_sent = False
        self.pending_snapshot = 0
        self.state = state
        self.inflights.reset()

    def become_probe(self) -> None:
        # After a snapshot, the follower has at least the snapshot's index.
        if self.state == ProgressState.SNAPSHOT:
            pending = self.pending_snapshot
            self._reset_state(ProgressState.PROBE)
            self.next = max(self.match + 1, pending + 1)
        else:
            self._reset_state(ProgressState.PROBE)
            self.next = self.match + 1

    def become_replicate(self) -> None:
        self._reset_state(ProgressState.REPLICATE)
        self.next = self.match + 1

    def become_snapshot(self, snapshot_index: int) -> None:
        self._reset_state(ProgressState.SNAPSHOT)
        self.pending_snapshot = snapshot_index

    def maybe_update(self, n: int) -> bool:
        """The follower acknowledged ``n``; False if that is stale news."""
        updated = False
        if self.match < n:
            self.match = n
            updated = True
            self.probe_sent = False
        self.next = max(self.next, n + 1)
        return updated

    def optimistic_update(self, n: int) -> None:
        self.next = n + 1

    def maybe_decr_to(self, rejected: int, match_hint: int) -> bool:
        """The follower rejected an append at ``rejected``; False if the rejection is stale."""
        if self.state == ProgressState.REPLICATE:
            if rejected <= self.match:
                return False  # stale: we already know it matches there
            self.next = self.match + 1
            return True
        if self.next - 1 != rejected:
            return False  # stale: not the probe we are waiting for
        self.next = max(min(rejected, match_hint + 1), 1)
        self.probe_sent = False
        return True

    def is_paused(self) -> bool:
        if self.state == ProgressState.PROBE:
            return self.probe_sent
        if self.state == ProgressState.REPLICATE:
            return self.inflights.full()
        return True

    def sent_entries(self, last_index: int | None) -> None:
        """Bookkeeping after sending an append whose last entry is ``last_index`` (None = empty)."""
        if self.state == ProgressState.REPLICATE:
            if last_index is not None:
                self.optimistic_update(last_index)
                self.inflights.add(last_index)
        elif self.state == ProgressState.PROBE:
            self.probe_sent = True
