"""The org's daily API allocation, read from ``Sforce-Limit-Info`` on every response.

Salesforce meters API calls per org over a rolling 24 hours and sends no 429: each answer carries
``Sforce-Limit-Info: api-usage=18/5000`` (optionally ``;per-app-api-usage=...``), and past the quota
calls fail with ``403 REQUEST_LIMIT_EXCEEDED``. ``response_hook`` records the latest figures per org in
the cache (``usage`` reads them, for the health views) and turns that 403 into ``RateLimited``, so it
is retried later and never taken for an auth error. ``non_urgent_paused`` tells backfills to stop at
``SALESFORCE_NON_URGENT_SHARE`` of the allocation (crm_integrations/salesforce/config.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import requests
from django.core.cache import cache
from django.utils import timezone

from crm_integrations.core.allocation import AllocationReading
from crm_integrations.core.errors import CrmError, RateLimited
from crm_integrations.core.http import ResponseHook

from .config import non_urgent_allocation_share
from .errors import RATE_LIMIT_CODES, error_code

LIMIT_HEADER = "Sforce-Limit-Info"
#: How long a reading is kept: a day, the allocation's own window.
USAGE_TTL_SECONDS = 24 * 3600
#: When a spent allocation is tried again (the rolling window frees calls as they age out).
EXHAUSTED_RETRY_SECONDS = 600
_API_USAGE = re.compile(r"(?:^|[;\s])api-usage=(\d+)/(\d+)")


@dataclass(frozen=True)
class ApiUsage:
    """Calls used of the org's daily allocation, as the last answer said."""

    used: int
    allocation: int
    seen_at: datetime

    @property
    def share(self) -> float:
        return self.used / self.allocation if self.allocation else 0.0


def parse_limit_info(value: str | None) -> tuple[int, int] | None:
    """``(used, allocation)`` from a ``Sforce-Limit-Info`` value, None when it has no ``api-usage``."""
    match = _API_USAGE.search(value or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def _key(account: str) -> str:
    return f"salesforce:api-usage:{account}"


def record(account: str, response: requests.Response) -> ApiUsage | None:
    parsed = parse_limit_info(response.headers.get(LIMIT_HEADER))
    if parsed is None:
        return None
    usage = ApiUsage(used=parsed[0], allocation=parsed[1], seen_at=timezone.now())
    cache.set(_key(account), usage, USAGE_TTL_SECONDS)
    return usage


def usage(account: str) -> ApiUsage | None:
    """The org's last reading (None before the first call of the day)."""
    return cache.get(_key(account))


def reading(account: str) -> AllocationReading | None:
    """The last reading with the share at which backfills stop, as every provider describes it
    (``CrmProvider.daily_allocation``, crm_integrations/core/allocation.py)."""
    last = usage(account)
    if last is None:
        return None
    return AllocationReading(
        used=last.used,
        allocation=last.allocation,
        seen_at=last.seen_at,
        pause_share=non_urgent_allocation_share(),
    )


def non_urgent_paused(account: str) -> bool:
    """Whether backfills and other work that can wait should stop for now."""
    last = reading(account)
    return last is not None and last.pauses_non_urgent


def hook_for(account: str) -> ResponseHook:
    """The HTTP layer's ``response_hook`` for one org: record the usage, map the spent allocation."""

    def response_hook(response: requests.Response) -> CrmError | None:
        record(account, response)
        if response.status_code == 403 and error_code(response) in RATE_LIMIT_CODES:
            return RateLimited(
                "Salesforce: the org's daily API allocation is used up (REQUEST_LIMIT_EXCEEDED).",
                retry_after=EXHAUSTED_RETRY_SECONDS,
                status=403,
                code="REQUEST_LIMIT_EXCEEDED",
            )
        return None

    return response_hook
