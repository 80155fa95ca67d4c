"""The retry loop: tenacity with full-jitter backoff that gives way to the provider's own wait hint.

Only ``RetryableFailure`` is retried. A wait longer than ``policy.max_inline_wait`` is never
slept: the loop stops and the caller raises the failure's ``RetryLater`` error, whose
``retry_after`` a Celery task uses as its countdown.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.stop import stop_base
from tenacity.wait import wait_base, wait_random_exponential

from crm_integrations.core.errors import RetryLater

from .policy import HttpPolicy

Sleep = Callable[[float], None]


class RetryableFailure(Exception):
    """One attempt failed in a way another attempt may fix (429, 5xx, connection, timeout).

    ``hint`` is the provider's requested wait (Retry-After, rate-limit headers), if any.
    """

    def __init__(self, error: RetryLater, hint: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.hint = hint


class wait_hint_or_backoff(wait_base):
    """The provider's hint when it gave one, else full-jitter exponential backoff."""

    def __init__(self, base: float, maximum: float) -> None:
        self.backoff = wait_random_exponential(multiplier=base, max=maximum)

    def __call__(self, retry_state: RetryCallState) -> float:
        failure = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(failure, RetryableFailure) and failure.hint is not None:
            return failure.hint
        return self.backoff(retry_state)


class stop_if_wait_exceeds(stop_base):
    """Stop instead of sleeping longer than ``max_wait`` (tenacity computes the wait first)."""

    def __init__(self, max_wait: float) -> None:
        self.max_wait = max_wait

    def __call__(self, retry_state: RetryCallState) -> bool:
        return retry_state.upcoming_sleep > self.max_wait


def build_retrying(policy: HttpPolicy, *, sleep: Sleep = time.sleep) -> Retrying:
    """A fresh ``Retrying`` for one call; it re-raises the last ``RetryableFailure`` when it stops."""
    return Retrying(
        retry=retry_if_exception_type(RetryableFailure),
        stop=stop_after_attempt(policy.max_attempts) | stop_if_wait_exceeds(policy.max_inline_wait),
        wait=wait_hint_or_backoff(policy.backoff_base, policy.backoff_max),
        sleep=sleep,
        reraise=True,
    )
