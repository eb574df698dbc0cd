"""Retry policy decisions and the per-call attempt bookkeeping (pure, no network)."""

from __future__ import annotations

import random
import time

import pytest

from kuradb.client.retry import (
    AttemptTimeout,
    Attempts,
    DeadlineExceeded,
    DefaultRetryPolicy,
    NoRetryPolicy,
    RetryDecision,
    TRANSPORT_CODE,
    is_retryable,
)
from kuradb.errors import (
    ConditionalCheckFailedException,
    InternalServerError,
    ProvisionedThroughputExceededException,
    ResourceNotFoundException,
    ServiceUnavailable,
    ThrottlingException,
    ValidationException,
)


def transport(err: InternalServerError | ServiceUnavailable, code: str) -> InternalServerError | ServiceUnavailable:
    err.details[TRANSPORT_CODE] = code
    return err


@pytest.mark.parametrize(
    "error",
    [
        ProvisionedThroughputExceededException("x"),
        ThrottlingException("x"),
        ServiceUnavailable("x"),
        InternalServerError("x"),
        AttemptTimeout("x"),
        transport(ServiceUnavailable("connection refused"), "UNAVAILABLE"),
    ],
)
def test_transient_errors_are_retried(error: BaseException) -> None:
    policy = DefaultRetryPolicy(rng=random.Random(1))
    decision = policy.on_error(error, 1)
    assert decision.retry and 0 <= decision.delay_s <= 0.025


@pytest.mark.parametrize(
    "error",
    [
        ValidationException("x"),
        ConditionalCheckFailedException(),
        ResourceNotFoundException("x"),
        transport(InternalServerError("UNIMPLEMENTED: x"), "UNIMPLEMENTED"),
        transport(InternalServerError("CANCELLED: x"), "CANCELLED"),
        ValueError("not a KuraDB error"),
    ],
)
def test_definite_answers_are_not_retried(error: BaseException) -> None:
    assert DefaultRetryPolicy().on_error(error, 1) == RetryDecision(False)
    assert not is_retryable(error)


def test_full_jitter_exponential_backoff_is_capped() -> None:
    policy = DefaultRetryPolicy(base_s=0.025, cap_s=2.0, max_attempts=100, rng=random.Random(7))
    for attempt in range(1, 30):
        ceiling = min(2.0, 0.025 * 2 ** (attempt - 1))
        delays = [policy.on_error(ThrottlingException(), attempt).delay_s for _ in range(50)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling / 4  # jitter spans the range, not a fixed value


def test_max_attempts() -> None:
    policy = DefaultRetryPolicy(max_attempts=8)
    assert all(policy.on_error(ThrottlingException(), a).retry for a in range(1, 8))
    assert not policy.on_error(ThrottlingException(), 8).retry


def test_no_retry_policy() -> None:
    assert not NoRetryPolicy().on_error(ThrottlingException(), 1).retry


class Fixed:
    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.seen: list[int] = []

    def on_error(self, error: BaseException, attempt: int) -> RetryDecision:
        self.seen.append(attempt)
        return RetryDecision(True, self.delay)


def test_attempts_count_and_timeouts() -> None:
    policy = Fixed(0.0)
    a = Attempts(policy, time.monotonic() + 60, per_attempt_s=1.5)
    assert a.attempt_timeout() == 1.5
    assert a.after_failure(ThrottlingException()) == 0.0
    a.attempt_timeout()
    a.after_failure(ThrottlingException())
    assert policy.seen == [1, 2]
    b = Attempts(policy, time.monotonic() + 5)
    assert 4 < b.attempt_timeout() <= 5


def test_a_stop_reraises_the_error() -> None:
    a = Attempts(NoRetryPolicy(), time.monotonic() + 60)
    a.attempt_timeout()
    err = ValidationException("bad")
    with pytest.raises(ValidationException) as info:
        a.after_failure(err)
    assert info.value is err


def test_no_sleep_past_the_deadline() -> None:
    a = Attempts(Fixed(10.0), time.monotonic() + 1)
    a.attempt_timeout()
    with pytest.raises(ThrottlingException):  # the server's last answer, not a bare timeout
        a.after_failure(ThrottlingException())
    b = Attempts(Fixed(10.0), time.monotonic() + 1)
    b.attempt_timeout()
    with pytest.raises(DeadlineExceeded) as info:
        b.after_failure(AttemptTimeout("slow"))
    assert isinstance(info.value.last_error, AttemptTimeout)


def test_no_attempt_after_the_deadline() -> None:
    a = Attempts(Fixed(0.0), time.monotonic() - 1)
    with pytest.raises(DeadlineExceeded):
        a.attempt_timeout()
