"""Routing and retry decisions, as small pure policy objects (DataStax python-driver style).

The request path asks; the policies answer with values; the caller does the I/O. So every
decision is a table of (inputs) -> decision that unit tests check exhaustively.

Routing rules (design §2, §5):

* Writes and strong reads go to the partition's leader: the cached leader when it is a voter
  of the descriptor, else any voter (it answers NOT_LEADER with a hint if it is not the leader).
* Eventual reads go to a replica (voter or learner) in the router's own AZ when there is one,
  else to any replica — half the read cost, no cross-AZ hop.
* Nodes that already failed at the transport level during this request are avoided while
  another candidate exists.

Retry rules (design §5's table), all bounded by the retry budget (``max_attempts``) and the
caller's deadline; a retry whose delay would pass the deadline is not attempted:

=====================================  ==================================================
NOT_LEADER{leader}                     update cached leader, retry at once
NOT_LEADER{} (election running)        back off ~1 election timeout, reload the map
EPOCH_NOT_MATCH{current}               replace cache entries, re-route by key at once
PARTITION_NOT_FOUND / KEY_NOT_IN_...   invalidate, reload the map, retry
SERVER_BUSY{backoff}                   back off (node's hint, else exponential); past the
                                       budget -> ThrottlingException
UNDETERMINED                           retry (the caller reuses the SAME request id, so the
                                       node's dedup table applies a write at most once);
                                       past the budget -> InternalServerError
transport failure (node down)          try another replica / wait for a new leader;
                                       past the budget -> ServiceUnavailable
=====================================  ==================================================
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass, field

from kuradb.errors import InternalServerError, KuraError, ServiceUnavailable, ThrottlingException
from kuradb.node.descriptor import PartitionDescriptor, Role
from kuradb.proto import internal_pb2 as ipb

Code = ipb.PartitionError.Code

MSG_THROTTLED = "Rate of requests exceeds the allowed throughput."
MSG_UNAVAILABLE = "The service is currently unavailable or busy."
MSG_UNDETERMINED = "Internal server error: the write's outcome is unknown; retrying it is safe"


class Consistency(enum.Enum):
    STRONG = "STRONG"
    EVENTUAL = "EVENTUAL"


class Action(enum.Enum):
    RETRY = "retry"  # send again after ``delay_s`` (0 = at once), re-routing by key
    FAIL = "fail"  # give up with ``error``


class CacheAction(enum.Enum):
    NONE = "none"
    SET_LEADER = "set_leader"  # error.leader_node_id / leader_address
    FORGET_LEADER = "forget_leader"  # and reload the map
    APPLY_CURRENT = "apply_current"  # error.current
    INVALIDATE = "invalidate"  # drop the partition and reload the map
    AVOID_NODE = "avoid_node"  # the node failed at the transport level


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    delay_s: float = 0.0
    cache: CacheAction = CacheAction.NONE
    reload_map: bool = False
    reason: str = ""  # metrics label: the error that caused it
    error: KuraError | None = None


@dataclass(frozen=True)
class RoutingPolicy:
    """Chooses the node to send one attempt to (module rules)."""

    rng: random.Random = field(default_factory=random.Random, compare=False)

    def choose(
        self,
        partition: PartitionDescriptor,
        consistency: Consistency,
        router_az: str,
        leader: int | None = None,
        avoid: frozenset[int] = frozenset(),
    ) -> int | None:
        """Node id to try, or None if the descriptor has no replica at all."""
        if consistency is Consistency.STRONG:
            voters = [r.node_id for r in partition.replicas if r.role == Role.VOTER]
            if leader is not None and leader in voters and leader not in avoid:
                return leader
            candidates = [n for n in voters if n not in avoid] or voters
            return self.rng.choice(candidates) if candidates else None
        everyone = [r for r in partition.replicas if r.node_id not in avoid] or list(partition.replicas)
        local = [r.node_id for r in everyone if router_az and r.az == router_az]
        pool = local or [r.node_id for r in everyone]
        return self.rng.choice(pool) if pool else None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Turns one failed attempt into a :class:`Decision` (module rules). Pure."""

    max_attempts: int = 10
    election_timeout_s: float = 1.0
    base_backoff_s: float = 0.02
    max_backoff_s: float = 1.0

    def backoff(self, attempt: int) -> float:
        """Exponential back-off for the ``attempt``-th failure (1-based), capped."""
        return min(self.max_backoff_s, self.base_backoff_s * (2 ** max(attempt - 1, 0)))

    def _retry_or_fail(self, attempt: int, remaining_s: float | None, delay: float, fail: KuraError,
                       reason: str, cache: CacheAction = CacheAction.NONE, reload_map: bool = False) -> Decision:
        if attempt >= self.max_attempts or (remaining_s is not None and delay >= remaining_s):
            return Decision(Action.FAIL, cache=cache, reload_map=reload_map, reason=reason, error=fail)
        return Decision(Action.RETRY, delay_s=delay, cache=cache, reload_map=reload_map, reason=reason)

    def on_partition_error(self, error: ipb.PartitionError, attempt: int, remaining_s: float | None) -> Decision:
        """Decision after the ``attempt``-th attempt (1-based) was answered with ``error``."""
        code = error.code
        unavailable = ServiceUnavailable(MSG_UNAVAILABLE)
        if code == Code.NOT_LEADER:
            if error.leader_node_id:
                return self._retry_or_fail(attempt, remaining_s, 0.0, unavailable, "not_leader", CacheAction.SET_LEADER)
            return self._retry_or_fail(attempt, remaining_s, self.election_timeout_s, unavailable, "no_leader",
                                       CacheAction.FORGET_LEADER, reload_map=True)  # fmt: skip
        if code == Code.EPOCH_NOT_MATCH:
            if error.current:
                return self._retry_or_fail(attempt, remaining_s, 0.0, unavailable, "epoch_not_match", CacheAction.APPLY_CURRENT)
            return self._retry_or_fail(attempt, remaining_s, self.backoff(attempt), unavailable, "epoch_not_match",
                                       CacheAction.INVALIDATE, reload_map=True)  # fmt: skip
        if code in (Code.PARTITION_NOT_FOUND, Code.KEY_NOT_IN_PARTITION):
            reason = "partition_not_found" if code == Code.PARTITION_NOT_FOUND else "key_not_in_partition"
            delay = 0.0 if attempt == 1 else self.backoff(attempt - 1)
            return self._retry_or_fail(attempt, remaining_s, delay, unavailable, reason, CacheAction.INVALIDATE, reload_map=True)
        if code == Code.SERVER_BUSY:
            delay = max(error.backoff_ms / 1000.0, self.backoff(attempt))
            return self._retry_or_fail(attempt, remaining_s, delay, ThrottlingException(MSG_THROTTLED), "server_busy")
        if code == Code.UNDETERMINED:
            return self._retry_or_fail(attempt, remaining_s, self.backoff(attempt),
                                       InternalServerError(MSG_UNDETERMINED), "undetermined")  # fmt: skip
        return Decision(Action.FAIL, reason="bad_partition_error",
                        error=InternalServerError(f"Internal server error: unexpected partition error {code}"))  # fmt: skip

    def on_transport_error(self, attempt: int, remaining_s: float | None, maybe_sent: bool, is_write: bool) -> Decision:
        """Decision after the node could not be reached (or did not answer in time).

        The node is avoided for the rest of the request and the leader cache dropped (it may be
        the dead node). If a write may have been sent, its outcome is unknown: the retry reuses
        the request id, and giving up reports InternalServerError rather than "unavailable".
        """
        fail: KuraError = ServiceUnavailable(MSG_UNAVAILABLE)
        if maybe_sent and is_write:
            fail = InternalServerError(MSG_UNDETERMINED)
        delay = 0.0 if attempt == 1 else self.backoff(attempt - 1)
        return self._retry_or_fail(attempt, remaining_s, delay, fail, "node_unreachable", CacheAction.AVOID_NODE)

    def on_no_route(self, attempt: int, remaining_s: float | None) -> Decision:
        """No cached partition covers the key (a gap, or an unknown node address): reload and wait."""
        return self._retry_or_fail(attempt, remaining_s, self.backoff(attempt), ServiceUnavailable(MSG_UNAVAILABLE),
                                   "no_route", reload_map=True)  # fmt: skip
