"""Clients of the simulated cluster: who writes or reads what, and when they give up.

Rules:

* A writer client has at most one write outstanding; its proposal id ``(client, seq)`` never
  repeats, also across node crashes (the client lives outside the cluster), so an ack can only
  answer the proposal it was made for.
* An outstanding operation ends with an ack/completion, a synchronous rejection (e.g.
  ProposalDropped) or a timeout; after a timeout the outcome is *unknown* (the write may still
  commit later) and the client moves on with a fresh sequence number.
* Keys come from a small key space so reads and writes of one key overlap often.

Pure bookkeeping: the cluster draws random choices from its seeded rng and does the I/O.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from kuradb.raft.sim.kv import ProposalId, Write


@dataclass(slots=True)
class _Outstanding:
    node: int
    deadline: int


@dataclass(slots=True)
class WriteClient:
    client_id: int
    seq: int = 0
    outstanding: ProposalId | None = None


@dataclass(slots=True)
class PendingRead:
    read_id: int
    key: int
    node: int
    deadline: int


@dataclass
class Workload:
    """Writer clients, in-flight reads, and counters of what happened to them."""

    clients: list[WriteClient]
    keys: int
    timeout: int  # simulated units after which a client gives up on an operation
    _writes: dict[ProposalId, _Outstanding] = field(default_factory=dict)
    reads: dict[int, PendingRead] = field(default_factory=dict)
    _next_read: int = 1
    acked: int = 0
    rejected: int = 0
    timed_out: int = 0
    reads_done: int = 0

    @classmethod
    def create(cls, n_clients: int, keys: int, timeout: int, first_client_id: int = 1) -> Workload:
        return cls([WriteClient(first_client_id + i) for i in range(n_clients)], keys, timeout)

    def idle_client(self, rng: random.Random) -> WriteClient | None:
        idle = [c for c in self.clients if c.outstanding is None]
        return rng.choice(idle) if idle else None

    def new_write(self, client: WriteClient, rng: random.Random) -> Write:
        client.seq += 1
        return Write(client.client_id, client.seq, rng.randrange(self.keys))

    def started(self, client: WriteClient, w: Write, node: int, now: int) -> None:
        client.outstanding = w.pid
        self._writes[w.pid] = _Outstanding(node, now + self.timeout)

    def finished(self, pid: ProposalId, *, acked: bool) -> None:
        """The write ``pid`` was acknowledged, or rejected synchronously (``acked=False``)."""
        self._writes.pop(pid, None)
        for c in self.clients:
            if c.outstanding == pid:
                c.outstanding = None
        if acked:
            self.acked += 1
        else:
            self.rejected += 1

    def new_read(self, key: int, node: int, now: int) -> PendingRead:
        r = PendingRead(self._next_read, key, node, now + self.timeout)
        self._next_read += 1
        self.reads[r.read_id] = r
        return r

    def expired(self, now: int) -> tuple[list[tuple[ProposalId, int]], list[PendingRead]]:
        """Operations past their deadline: the clients give up on them (outcome unknown)."""
        writes = [(pid, o.node) for pid, o in self._writes.items() if o.deadline <= now]
        for pid, _node in writes:
            self._writes.pop(pid)
            for c in self.clients:
                if c.outstanding == pid:
                    c.outstanding = None
            self.timed_out += 1
        reads = [r for r in self.reads.values() if r.deadline <= now]
        for r in reads:
            del self.reads[r.read_id]
        return writes, reads

    def owner_waiting(self, pid: ProposalId) -> bool:
        return pid in self._writes
