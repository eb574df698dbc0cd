"""Configuration of one Raft replica (one instance per group replica; nothing global)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from kuradb.raft.read_only import ReadOnlyOption
from kuradb.raft.types import NONE

#: The deliberately broken variants ``Config.bugs`` may enable (test-only; see raft.py).
KNOWN_BUGS = frozenset({"learner_votes_count", "commit_previous_term"})


@dataclass
class Config:
    """Parameters of a replica. Times are in ticks of the driver's clock.

    ``rng`` drives the randomized election timeout in ``[election_tick, 2*election_tick)``; the
    simulator passes a seeded one so runs replay exactly. ``bugs`` enables deliberately broken
    variants so the simulator can prove its safety checker catches them; never use in production.
    """

    id: int
    election_tick: int = 10
    heartbeat_tick: int = 1
    applied: int = 0
    max_size_per_msg: int = 1 << 20
    max_inflight_msgs: int = 256
    max_uncommitted_entries_size: int = 0  # 0 = no limit
    check_quorum: bool = True
    pre_vote: bool = True
    read_only: ReadOnlyOption = ReadOnlyOption.SAFE
    lease_ticks: int | None = None  # default election_tick - 2; must be < election_tick
    rng: random.Random | None = None
    disable_campaign_until_contacted: bool = False
    disable_proposal_forwarding: bool = False
    #: False (etcd's behaviour): when an APP_RESP advances the commit index, the leader at once
    #: queues an APP (empty if it has nothing new) for every follower to carry it. True: it
    #: only notes that the new index is owed, and ``flush_commit_broadcast`` (RawNode.ready)
    #: sends an empty APP to the followers that have not been sent it by then. The driver sends
    #: messages only at ready() anyway, so followers learn the commit index in the same Ready
    #: either way; but under load the APP carrying the writes proposed in the same step phase
    #: already holds it, so the empty APPs (and their APP_RESPs: half the messages) go away.
    defer_commit_broadcast: bool = False
    bugs: frozenset[str] = field(default_factory=frozenset)

    def validate(self) -> None:
        """Reject configurations that would make the protocol unsafe or livelock."""
        if self.id == NONE:
            raise ValueError("cannot use none as id")
        if self.heartbeat_tick <= 0:
            raise ValueError("heartbeat tick must be greater than 0")
        if self.election_tick <= self.heartbeat_tick:
            raise ValueError("election tick must be greater than heartbeat tick")
        if self.max_inflight_msgs <= 0:
            raise ValueError("max inflight messages must be greater than 0")
        if self.lease_ticks is not None and not 0 < self.lease_ticks < self.election_tick:
            raise ValueError("lease_ticks must be in (0, election_tick)")
        if self.read_only == ReadOnlyOption.LEASE_BASED and not self.check_quorum:
            # The lease is the check-quorum activity window; without it there is no lease.
            raise ValueError("CheckQuorum must be enabled when ReadOnlyOption is ReadOnlyLeaseBased")
        unknown = set(self.bugs) - KNOWN_BUGS
        if unknown:
            raise ValueError(f"unknown raft bugs: {sorted(unknown)}")

    def effective_lease_ticks(self) -> int:
        return self.lease_ticks if self.lease_ticks is not None else max(1, self.election_tick - 2)
