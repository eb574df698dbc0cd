"""RetryPolicy and RoutingPolicy as decision tables (router/policy.py)."""

from __future__ import annotations

import random

import pytest

from kuradb.errors import InternalServerError, ServiceUnavailable, ThrottlingException
from kuradb.model.schema import KeySchema, TableInfo
from kuradb.node.descriptor import Epoch, PartitionDescriptor, ReplicaInfo, Role
from kuradb.proto import internal_pb2 as ipb
from kuradb.router.policy import Action, CacheAction, Consistency, RetryPolicy, RoutingPolicy

Code = ipb.PartitionError.Code
POLICY = RetryPolicy(max_attempts=5, election_timeout_s=1.0, base_backoff_s=0.02, max_backoff_s=1.0)
TABLE = TableInfo(1, "t", KeySchema("pk", "S"))
DESC = PartitionDescriptor(
    1, TABLE, 0, 2**64, Epoch(1, 1),
    (ReplicaInfo(11, 1, "az-a"), ReplicaInfo(12, 2, "az-b"), ReplicaInfo(13, 3, "az-c"),
     ReplicaInfo(14, 4, "az-d", Role.LEARNER)),
)  # fmt: skip

NOT_LEADER_HINT = ipb.PartitionError(code=Code.NOT_LEADER, leader_node_id=2, leader_address="h:2")
NOT_LEADER_NONE = ipb.PartitionError(code=Code.NOT_LEADER)
EPOCH = ipb.PartitionError(code=Code.EPOCH_NOT_MATCH, current=[DESC.to_pb()])
EPOCH_EMPTY = ipb.PartitionError(code=Code.EPOCH_NOT_MATCH)
NOT_FOUND = ipb.PartitionError(code=Code.PARTITION_NOT_FOUND)
KEY_OUT = ipb.PartitionError(code=Code.KEY_NOT_IN_PARTITION)
BUSY = ipb.PartitionError(code=Code.SERVER_BUSY, backoff_ms=300)
UNDETERMINED = ipb.PartitionError(code=Code.UNDETERMINED)


@pytest.mark.parametrize(
    ("error", "attempt", "remaining", "action", "delay", "cache", "reload", "reason"),
    [
        (NOT_LEADER_HINT, 1, 5.0, Action.RETRY, 0.0, CacheAction.SET_LEADER, False, "not_leader"),
        (NOT_LEADER_HINT, 4, 5.0, Action.RETRY, 0.0, CacheAction.SET_LEADER, False, "not_leader"),
        (NOT_LEADER_NONE, 1, 5.0, Action.RETRY, 1.0, CacheAction.FORGET_LEADER, True, "no_leader"),
        (EPOCH, 1, 5.0, Action.RETRY, 0.0, CacheAction.APPLY_CURRENT, False, "epoch_not_match"),
        (EPOCH_EMPTY, 1, 5.0, Action.RETRY, 0.02, CacheAction.INVALIDATE, True, "epoch_not_match"),
        (NOT_FOUND, 1, 5.0, Action.RETRY, 0.0, CacheAction.INVALIDATE, True, "partition_not_found"),
        (NOT_FOUND, 3, 5.0, Action.RETRY, 0.04, CacheAction.INVALIDATE, True, "partition_not_found"),
        (KEY_OUT, 1, 5.0, Action.RETRY, 0.0, CacheAction.INVALIDATE, True, "key_not_in_partition"),
        (BUSY, 1, 5.0, Action.RETRY, 0.3, CacheAction.NONE, False, "server_busy"),  # node's hint wins
        (BUSY, 6, None, Action.FAIL, 0.0, CacheAction.NONE, False, "server_busy"),
        (UNDETERMINED, 1, 5.0, Action.RETRY, 0.02, CacheAction.NONE, False, "undetermined"),
        (UNDETERMINED, 2, 5.0, Action.RETRY, 0.04, CacheAction.NONE, False, "undetermined"),
    ],
)
def test_partition_error_table(error, attempt, remaining, action, delay, cache, reload, reason) -> None:  # noqa: ANN001
    d = POLICY.on_partition_error(error, attempt, remaining)
    assert (d.action, d.cache, d.reload_map, d.reason) == (action, cache, reload, reason)
    if action is Action.RETRY:
        assert d.delay_s == pytest.approx(delay)
        assert d.error is None


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (NOT_LEADER_HINT, ServiceUnavailable),
        (NOT_LEADER_NONE, ServiceUnavailable),
        (EPOCH, ServiceUnavailable),
        (NOT_FOUND, ServiceUnavailable),
        (BUSY, ThrottlingException),
        (UNDETERMINED, InternalServerError),
    ],
)
def test_past_the_budget_fails_with_a_dynamodb_error(error: ipb.PartitionError, expected: type) -> None:
    d = POLICY.on_partition_error(error, POLICY.max_attempts, 100.0)
    assert d.action is Action.FAIL
    assert type(d.error) is expected
    assert d.error.message


def test_throttling_message_is_dynamodbs() -> None:
    d = POLICY.on_partition_error(BUSY, POLICY.max_attempts, None)
    assert d.error is not None and d.error.message == "Rate of requests exceeds the allowed throughput."


@pytest.mark.parametrize(
    ("error", "remaining", "action"),
    [
        (NOT_LEADER_NONE, 0.5, Action.FAIL),  # the election back-off would pass the deadline
        (NOT_LEADER_NONE, 1.5, Action.RETRY),
        (BUSY, 0.2, Action.FAIL),
        (NOT_LEADER_HINT, 0.001, Action.RETRY),  # an immediate retry fits any deadline left
        (NOT_LEADER_HINT, 0.0, Action.FAIL),
    ],
)
def test_deadline_bounds_retries(error: ipb.PartitionError, remaining: float, action: Action) -> None:
    assert POLICY.on_partition_error(error, 1, remaining).action is action


def test_unspecified_code_is_a_bug_not_a_retry() -> None:
    d = POLICY.on_partition_error(ipb.PartitionError(), 1, 5.0)
    assert d.action is Action.FAIL and isinstance(d.error, InternalServerError)


@pytest.mark.parametrize(
    ("attempt", "maybe_sent", "is_write", "action", "error"),
    [
        (1, False, True, Action.RETRY, None),
        (1, True, True, Action.RETRY, None),
        (5, False, True, Action.FAIL, ServiceUnavailable),
        (5, True, False, Action.FAIL, ServiceUnavailable),
        (5, True, True, Action.FAIL, InternalServerError),  # outcome unknown: not "unavailable"
    ],
)
def test_transport_errors(attempt: int, maybe_sent: bool, is_write: bool, action: Action, error: type | None) -> None:
    d = POLICY.on_transport_error(attempt, 5.0, maybe_sent, is_write)
    assert d.action is action and d.cache is CacheAction.AVOID_NODE
    assert (type(d.error) if d.error else None) is error


def test_no_route_reloads_and_backs_off() -> None:
    d = POLICY.on_no_route(1, 5.0)
    assert d.action is Action.RETRY and d.reload_map and d.delay_s > 0
    assert POLICY.on_no_route(5, 5.0).action is Action.FAIL


def test_backoff_is_capped() -> None:
    assert [POLICY.backoff(i) for i in (1, 2, 3)] == pytest.approx([0.02, 0.04, 0.08])
    assert POLICY.backoff(50) == POLICY.max_backoff_s


# ---------------------------------------------------------------------------- routing

ROUTING = RoutingPolicy(rng=random.Random(7))


@pytest.mark.parametrize(
    ("consistency", "az", "leader", "avoid", "allowed"),
    [
        (Consistency.STRONG, "az-a", 2, frozenset(), {2}),
        (Consistency.STRONG, "az-a", None, frozenset(), {1, 2, 3}),  # any voter, never the learner
        (Consistency.STRONG, "az-a", 4, frozenset(), {1, 2, 3}),  # a learner is never the leader
        (Consistency.STRONG, "az-a", 2, frozenset({2}), {1, 3}),  # the cached leader failed
        (Consistency.STRONG, "", None, frozenset({1, 2, 3}), {1, 2, 3}),  # all failed: keep trying voters
        (Consistency.EVENTUAL, "az-b", 1, frozenset(), {2}),  # own AZ first, even if not leader
        (Consistency.EVENTUAL, "az-d", None, frozenset(), {4}),  # learners serve eventual reads
        (Consistency.EVENTUAL, "az-z", None, frozenset(), {1, 2, 3, 4}),
        (Consistency.EVENTUAL, "az-b", None, frozenset({2}), {1, 3, 4}),
    ],
)
def test_routing_table(consistency: Consistency, az: str, leader: int | None, avoid: frozenset[int], allowed: set[int]) -> None:
    seen = {ROUTING.choose(DESC, consistency, az, leader, avoid) for _ in range(50)}
    assert seen <= allowed
    if len(allowed) > 1:
        assert len(seen) > 1  # spreads load among equivalent candidates


def test_routing_without_replicas() -> None:
    empty = PartitionDescriptor(2, TABLE, 0, 2**64)
    assert ROUTING.choose(empty, Consistency.STRONG, "az-a") is None
    assert ROUTING.choose(empty, Consistency.EVENTUAL, "az-a") is None
