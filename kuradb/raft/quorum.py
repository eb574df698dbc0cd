"""Quorum arithmetic: majority and joint (C_old,new) configurations.

Rules (Raft paper §5.2/§5.3, §6):

* A majority configuration's committed index is the largest index acknowledged by a majority
  (the ``n - (n//2 + 1)``-th smallest of the voters' acknowledged indexes; unknown voters count
  as 0). An empty majority config commits everything (so it is neutral inside a joint config).
* A vote is WON once a majority granted, LOST once a majority can no longer grant, PENDING
  otherwise. An empty config wins (neutral in joint).
* A joint configuration needs *both* halves: its committed index is the minimum of the two,
  and a vote is won only if won in both and lost if lost in either.

The same committed-index rule is reused for leader leases (acknowledged heartbeat send ticks
instead of log indexes), so there is exactly one definition of "what a quorum has seen".
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

INFINITY = 1 << 63  # committed index of an empty majority (neutral element of min)


class VoteResult(enum.IntEnum):
    PENDING = 1
    LOST = 2
    WON = 3


@dataclass(frozen=True, slots=True)
class MajorityConfig:
    ids: frozenset[int] = frozenset()

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, i: object) -> bool:
        return i in self.ids

    def committed_index(self, acked: Callable[[int], int | None]) -> int:
        n = len(self.ids)
        if n == 0:
            return INFINITY
        srt = sorted(acked(i) or 0 for i in self.ids)
        return srt[n - (n // 2 + 1)]

    def vote_result(self, votes: Mapping[int, bool]) -> VoteResult:
        if not self.ids:
            return VoteResult.WON
        granted = missing = 0
        for i in self.ids:
            v = votes.get(i)
            if v is None:
                missing += 1
            elif v:
                granted += 1
        q = len(self.ids) // 2 + 1
        if granted >= q:
            return VoteResult.WON
        if granted + missing >= q:
            return VoteResult.PENDING
        return VoteResult.LOST


@dataclass(frozen=True, slots=True)
class JointConfig:
    """``incoming`` is the active config; ``outgoing`` is non-empty only while joint."""

    incoming: MajorityConfig = field(default_factory=MajorityConfig)
    outgoing: MajorityConfig = field(default_factory=MajorityConfig)

    def ids(self) -> frozenset[int]:
        return self.incoming.ids | self.outgoing.ids

    def is_joint(self) -> bool:
        return bool(self.outgoing.ids)

    def committed_index(self, acked: Callable[[int], int | None]) -> int:
        return min(self.incoming.committed_index(acked), self.outgoing.committed_index(acked))

    def vote_result(self, votes: Mapping[int, bool]) -> VoteResult:
        r1 = self.incoming.vote_result(votes)
        r2 = self.outgoing.vote_result(votes)
        if r1 == r2:
            return r1
        if VoteResult.LOST in (r1, r2):
            return VoteResult.LOST
        return VoteResult.PENDING


def majority(ids: Iterable[int]) -> MajorityConfig:
    return MajorityConfig(frozenset(ids))
