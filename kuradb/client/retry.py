"""Retry policies: pure objects that turn a failed attempt into a decision.

Rules and invariants:

* A policy is consulted after every failed attempt of one logical call:
  ``policy.on_error(error, attempt) -> RetryDecision(retry, delay_s)``, ``attempt`` being the
  number of attempts made so far (1 after the first failure). Policies hold no per-call state
  and do no I/O, so one policy object may serve many clients, threads and event loops; the
  only state is the random source for jitter, injectable for deterministic tests.
* The caller's overall deadline bounds everything: the client never sleeps past it and never
  starts an attempt after it (see :class:`Attempts`). A policy need not know the deadline.
* Writes are safe to retry. Every logical call carries one request id (gRPC metadata
  :data:`REQUEST_ID_METADATA`, the hex text of 16 random bytes), identical on every retry of
  that call; the server applies a request id at most once (design §4, request-id dedup), so a
  retried PutItem/UpdateItem/DeleteItem whose first attempt did land is not applied twice.
* :class:`DefaultRetryPolicy` retries what DynamoDB clients retry: throttling
  (ProvisionedThroughputExceededException, ThrottlingException), ServiceUnavailable (including
  gRPC UNAVAILABLE from the transport: nothing was served), InternalServerError, and an attempt
  that hit its own per-attempt timeout (:class:`AttemptTimeout`). It never retries a client
  mistake or a definite answer (ValidationException, ConditionalCheckFailedException,
  ResourceNotFoundException, ...), nor a transport failure with any other gRPC code.
  Backoff is "full jitter" (AWS architecture blog, "Exponential Backoff And Jitter"):
  ``delay = uniform(0, min(cap, base * 2**(attempt-1)))``, base 25 ms, cap 2 s, at most
  8 attempts in all.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Final, Protocol

from kuradb.errors import KuraError

#: gRPC metadata key carrying the per-logical-call request id (same value on every retry).
REQUEST_ID_METADATA: Final = "x-kuradb-request-id"

#: Key of ``KuraError.details`` where the client records the gRPC status code name of a
#: failure that did not come from a KuraDB handler (no x-kuradb-error metadata).
TRANSPORT_CODE: Final = "grpc_code"


class AttemptTimeout(TimeoutError):
    """One attempt hit its per-attempt timeout while the call's overall deadline had time left.

    The attempt may or may not have been applied; retrying with the same request id is safe.
    """


class DeadlineExceeded(TimeoutError):
    """The call's overall deadline passed before any attempt succeeded.

    ``last_error`` is the failure of the last attempt (None if the deadline expired during the
    first attempt). For a write the outcome is unknown: it may have been applied once.
    """

    def __init__(self, message: str, last_error: BaseException | None = None) -> None:
        super().__init__(message)
        self.last_error = last_error


@dataclass(frozen=True, slots=True)
class RetryDecision:
    retry: bool
    delay_s: float = 0.0


STOP: Final = RetryDecision(False)


class RetryPolicy(Protocol):
    def on_error(self, error: BaseException, attempt: int) -> RetryDecision:
        """Decide whether to retry after ``attempt`` failed attempts, the last with ``error``."""
        ...


def is_retryable(error: BaseException) -> bool:
    """Whether a failure is transient (the default policy's classification)."""
    if isinstance(error, AttemptTimeout):
        return True
    if not isinstance(error, KuraError):
        return False
    transport = error.details.get(TRANSPORT_CODE)
    if transport is not None:
        return transport == "UNAVAILABLE"  # never reached a KuraDB handler
    return type(error).retryable  # the flag lives with the error classes in kuradb.errors


@dataclass
class DefaultRetryPolicy:
    """Full-jitter exponential backoff on transient errors (see the module rules)."""

    base_s: float = 0.025
    cap_s: float = 2.0
    max_attempts: int = 8
    rng: random.Random = field(default_factory=random.Random)

    def backoff(self, attempt: int) -> float:
        return self.rng.uniform(0.0, min(self.cap_s, self.base_s * 2 ** (attempt - 1)))

    def on_error(self, error: BaseException, attempt: int) -> RetryDecision:
        if attempt >= self.max_attempts or not is_retryable(error):
            return STOP
        return RetryDecision(True, self.backoff(attempt))


@dataclass(frozen=True)
class NoRetryPolicy:
    """Never retry: every failure reaches the caller as is."""

    def on_error(self, error: BaseException, attempt: int) -> RetryDecision:
        return STOP


@dataclass
class Attempts:
    """The retry bookkeeping of one logical call, shared by the sync and asyncio clients.

    ``deadline`` is on the ``time.monotonic()`` clock. :meth:`attempt_timeout` gives the gRPC
    timeout for the next attempt; :meth:`after_failure` consults the policy and returns the
    delay before the next attempt, or re-raises when the call must end (policy said stop, or
    the delay would end past the deadline).
    """

    policy: RetryPolicy
    deadline: float
    per_attempt_s: float | None = None
    count: int = 0

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def attempt_timeout(self) -> float:
        """Timeout of the next attempt; raises DeadlineExceeded when no time is left."""
        left = self.remaining()
        if left <= 0:
            raise DeadlineExceeded("the call's deadline passed before an attempt could start")
        self.count += 1
        return left if self.per_attempt_s is None else min(left, self.per_attempt_s)

    def after_failure(self, error: BaseException) -> float:
        """Delay before the next attempt; raises ``error`` (or DeadlineExceeded) to stop."""
        decision = self.policy.on_error(error, self.count)
        if not decision.retry:
            if isinstance(error, AttemptTimeout) and self.remaining() <= 0:
                raise DeadlineExceeded("the call's deadline passed", last_error=error) from error
            raise error
        if self.remaining() - decision.delay_s <= 0:
            if isinstance(error, AttemptTimeout):
                raise DeadlineExceeded("the call's deadline passed", last_error=error) from error
            raise error  # a retry could not finish in time: the last real answer is more useful
        return decision.delay_s
