"""A budget for refused webhook requests per client address, so refusing costs us almost nothing.

A correctly signed request is never counted here (crm_integrations/intake/webhooks.py verifies before it
asks). Past ``WEBHOOK_REFUSED_PER_MINUTE`` refusals in a minute from one address, a request is
answered 429 with ``Retry-After`` and nothing is stored; one log line a minute says how many were
dropped. The counters live in Django's cache (a file cache on one machine, Redis in production),
so every web process shares them; a fixed one-minute window is enough for a guard like this.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
_PREFIX = "webhook-refusals"


@dataclass(frozen=True)
class Admission:
    admitted: bool
    retry_after: int = 0  # seconds until the client's window ends, when not admitted


def admit_refusal(client: str) -> Admission:
    """Count one refusal for ``client``; not admitted once its window's budget is spent."""
    limit = settings.WEBHOOK_REFUSED_PER_MINUTE
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    key = f"{_PREFIX}:{window}:{client or 'unknown'}"
    cache.add(key, 0, WINDOW_SECONDS * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this request opens the window again
        cache.set(key, 1, WINDOW_SECONDS * 2)
        count = 1
    if count <= limit:
        return Admission(True)
    _count_drop(window)
    return Admission(False, retry_after=max(1, int((window + 1) * WINDOW_SECONDS - now) + 1))


def _count_drop(window: int) -> None:
    """Count the drop; the first drop of a minute logs how many the minute before dropped."""
    key = f"{_PREFIX}:dropped:{window}"
    cache.add(key, 0, WINDOW_SECONDS * 3)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, WINDOW_SECONDS * 3)
    if cache.add(f"{_PREFIX}:logged:{window}", 1, WINDOW_SECONDS * 2):
        before = cache.get(f"{_PREFIX}:dropped:{window - 1}") or 0
        logger.warning(
            "Dropping refused webhook requests past %s a minute per address (answered 429, not "
            "stored); %s dropped in the previous minute.",
            settings.WEBHOOK_REFUSED_PER_MINUTE,
            before,
        )


def dropped_in_window(at: float | None = None) -> int:
    """How many refused requests were dropped in the window containing ``at`` (default: now)."""
    window = int((time.time() if at is None else at) // WINDOW_SECONDS)
    return int(cache.get(f"{_PREFIX}:dropped:{window}") or 0)
