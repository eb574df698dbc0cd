"""Linearizable reads without a log entry (Raft thesis §6.4).

Rules:

* SAFE (ReadIndex): the leader records ``commit`` as the read index, then broadcasts a heartbeat
  carrying the request ``ctx``; once a quorum acknowledged a heartbeat carrying that ctx, the
  leader was still leader when the read arrived, so any read served after applying ``index`` is
  linearizable. Acknowledging a later request also acknowledges every earlier one (the queue is
  released in order up to the acknowledged ctx).
* LEASE_BASED: the leader answers immediately from ``commit`` if it is within its lease (it heard
  from a quorum less than ``lease_ticks`` ago, tracked by check-quorum). Relies on bounded clock
  drift; never used unless configured.
* Either way a leader serves no read before it committed an entry of its own term (its commit
  index might otherwise lag a previous leader's — thesis §6.4 step 1); raft.py enforces that.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from kuradb.raft.types import Message


class ReadOnlyOption(enum.IntEnum):
    SAFE = 0
    LEASE_BASED = 1


@dataclass(slots=True)
class ReadIndexStatus:
    req: Message  # the original READ_INDEX message (frm = requester, NONE/self = local)
    index: int
    acks: set[int] = field(default_factory=set)


@dataclass(slots=True)
class ReadOnly:
    """Pending SAFE read-index requests, in arrival order, keyed by their context."""

    option: ReadOnlyOption
    pending: dict[bytes, ReadIndexStatus] = field(default_factory=dict)
    queue: list[bytes] = field(default_factory=list)

    def add_request(self, index: int, m: Message) -> None:
        """Record a read at ``index``; a duplicate ctx is ignored (the first one will answer)."""
        ctx = m.entries[0].data
        if ctx in self.pending:
            return
        self.pending[ctx] = ReadIndexStatus(req=m, index=index)
        self.queue.append(ctx)

    def recv_ack(self, frm: int, ctx: bytes) -> set[int] | None:
        """Note that ``frm`` acknowledged the heartbeat carrying ``ctx``; return the ack set."""
        rs = self.pending.get(ctx)
        if rs is None:
            return None
        rs.acks.add(frm)
        return rs.acks

    def advance(self, ctx: bytes) -> list[ReadIndexStatus]:
        """Release every request up to and including ``ctx`` (quorum-acknowledged)."""
        for i, c in enumerate(self.queue):
            if c == ctx:
                released = [self.pending.pop(q) for q in self.queue[: i + 1]]
                del self.queue[: i + 1]
                return released
        return []

    def last_pending_request_ctx(self) -> bytes:
        return self.queue[-1] if self.queue else b""

    def reset(self) -> None:
        self.pending.clear()
        self.queue.clear()
