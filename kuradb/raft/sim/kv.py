"""The simulator's replicated state machine: a small KV register map with client dedup.

Rules:

* A write command is ``(client, seq, key)``; its value *is* its proposal id ``(client, seq)``,
  so every value read names the write that produced it and the checker can place it in the
  committed history.
* Apply is deterministic: a command whose ``seq`` is not above the client's last applied seq is
  a no-op (a duplicated or retried proposal applies once — the design's request-id dedup).
* A snapshot is ``msgpack([applied_index, {key: [client, seq]}, {client: last_seq}])`` with keys
  sorted, so equal states encode to equal bytes on every replica.
* Nothing here knows about Raft beyond the applied index; the driver feeds it NORMAL entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import msgpack

ProposalId = tuple[int, int]  # (client id, client sequence number): unique across restarts


@dataclass(frozen=True, slots=True)
class Write:
    client: int
    seq: int
    key: int

    @property
    def pid(self) -> ProposalId:
        return (self.client, self.seq)

    def encode(self) -> bytes:
        return msgpack.packb([self.client, self.seq, self.key])

    @staticmethod
    def decode(data: bytes) -> Write:
        client, seq, key = msgpack.unpackb(data)
        return Write(client, seq, key)


@dataclass(slots=True)
class KVStateMachine:
    """Register per key; ``applied`` is the last log index folded in (entry or snapshot)."""

    applied: int = 0
    values: dict[int, ProposalId] = field(default_factory=dict)
    last_seq: dict[int, int] = field(default_factory=dict)

    def apply(self, index: int, data: bytes) -> Write | None:
        """Fold in the NORMAL entry at ``index``; returns the write if it took effect."""
        if index != self.applied + 1:
            raise AssertionError(f"apply out of order: applied={self.applied}, entry={index}")
        self.applied = index
        if not data:
            return None  # a leader's empty entry
        w = Write.decode(data)
        if w.seq <= self.last_seq.get(w.client, 0):
            return None
        self.last_seq[w.client] = w.seq
        self.values[w.key] = w.pid
        return w

    def skip(self, index: int) -> None:
        """Advance over a non-NORMAL entry (conf change) at ``index``."""
        if index != self.applied + 1:
            raise AssertionError(f"apply out of order: applied={self.applied}, entry={index}")
        self.applied = index

    def get(self, key: int) -> ProposalId | None:
        return self.values.get(key)

    def encode(self) -> bytes:
        vals = {k: list(self.values[k]) for k in sorted(self.values)}
        seqs = {c: self.last_seq[c] for c in sorted(self.last_seq)}
        return msgpack.packb([self.applied, vals, seqs])

    @staticmethod
    def decode(data: bytes) -> KVStateMachine:
        applied, vals, seqs = msgpack.unpackb(data, strict_map_key=False)
        return KVStateMachine(
            applied=applied,
            values={int(k): (v[0], v[1]) for k, v in vals.items()},
            last_seq={int(c): s for c, s in seqs.items()},
        )
