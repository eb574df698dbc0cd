"""Membership configuration and the per-replica progress map (etcd-io/raft tracker).

Rules:

* ``TrackerConfig.voters`` is a joint config; it is joint (outgoing non-empty) only between
  entering and leaving C_old,new.
* ``learners`` and the voters are disjoint. ``learners_next`` holds voters being demoted to
  learners: they stay voters in ``outgoing`` until the joint config is left, then become
  learners (a node can never be a voter and a learner at once).
* Every member (voter, learner, or outgoing voter) has exactly one Progress; ``Progress.is_learner``
  mirrors membership in ``learners``.
* Votes are recorded once per node per election and tallied against the joint voter config; a
  learner's vote never counts (unless the test-only ``learner_votes_count`` bug is enabled).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from kuradb.raft.progress import Progress
from kuradb.raft.quorum import JointConfig, MajorityConfig, VoteResult
from kuradb.raft.types import ConfState


@dataclass(frozen=True, slots=True)
class TrackerConfig:
    voters: JointConfig = field(default_factory=JointConfig)
    learners: frozenset[int] = frozenset()
    learners_next: frozenset[int] = frozenset()
    auto_leave: bool = False

    def conf_state(self) -> ConfState:
        return ConfState(
            voters=tuple(sorted(self.voters.incoming.ids)),
            learners=tuple(sorted(self.learners)),
            voters_outgoing=tuple(sorted(self.voters.outgoing.ids)),
            learners_next=tuple(sorted(self.learners_next)),
            auto_leave=self.auto_leave,
        )


class ProgressTracker:
    """Config + progress of every member + the votes of the current election."""

    def __init__(self, max_inflight: int, learner_votes_count: bool = False) -> None:
        self.max_inflight = max_inflight
        self.config = TrackerConfig()
        self.progress: dict[int, Progress] = {}
        self.votes: dict[int, bool] = {}
        self._learner_votes_count = learner_votes_count

    def conf_state(self) -> ConfState:
        return self.config.conf_state()

    def is_singleton(self) -> bool:
        v = self.config.voters
        return len(v.incoming) == 1 and not v.is_joint()

    def committed(self) -> int:
        """Largest index acknowledged by a quorum of voters (learners excluded)."""

        def acked(i: int) -> int | None:
            pr = self.progress.get(i)
            return pr.match if pr is not None else None

        return self.config.voters.committed_index(acked)

    def quorum_committed(self, acked: Callable[[int], int | None]) -> int:
        """Same quorum rule over any per-voter value (used for lease ticks)."""
        return self.config.voters.committed_index(acked)

    def visit(self, f: Callable[[int, Progress], None]) -> None:
        """Call ``f`` on every member in id order (deterministic message order)."""
        for i in sorted(self.progress):
            f(i, self.progress[i])

    def quorum_active(self) -> bool:
        votes = {i: pr.recent_active for i, pr in self.progress.items() if not pr.is_learner}
        return self.config.voters.vote_result(votes) == VoteResult.WON

    def voter_nodes(self) -> list[int]:
        return sorted(self.config.voters.ids())

    def learner_nodes(self) -> list[int]:
        return sorted(self.config.learners)

    def reset_votes(self) -> None:
        self.votes = {}

    def record_vote(self, i: int, granted: bool) -> None:
        self.votes.setdefault(i, granted)

    def tally_votes(self) -> tuple[int, int, VoteResult]:
        granted = sum(1 for i, v in self.votes.items() if v and i in self.progress)
        rejected = sum(1 for i, v in self.votes.items() if not v and i in self.progress)
        voters = self.config.voters
        if self._learner_votes_count:
            # BUG (test-only, "learner_votes_count"): learners are counted as voters of the
            # incoming config, so an election can be won without a majority of real voters.
            voters = JointConfig(
                MajorityConfig(voters.incoming.ids | self.config.learners), voters.outgoing
            )
        return granted, rejected, voters.vote_result(self.votes)
