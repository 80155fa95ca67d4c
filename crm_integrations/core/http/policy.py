"""The knobs of the HTTP layer for one provider client, read from ``settings.CRM_HTTP``."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

# CRM_HTTP key -> HttpPolicy field
_SETTINGS_KEYS = {
    "CONNECT_TIMEOUT": "connect_timeout",
    "READ_TIMEOUT": "read_timeout",
    "WRITE_READ_TIMEOUT": "write_read_timeout",
    "MAX_ATTEMPTS": "max_attempts",
    "BACKOFF_BASE": "backoff_base",
    "BACKOFF_MAX": "backoff_max",
    "MAX_INLINE_WAIT": "max_inline_wait",
    "BREAKER_FAIL_MAX": "breaker_fail_max",
    "BREAKER_RESET_TIMEOUT": "breaker_reset_timeout",
    "CONCURRENT_READS": "concurrent_reads",
}
#: The most chunks of one batch read in flight at once (a CRM's rate budget counts calls, not their
#: overlap; more threads only queue at the budget).
MAX_CONCURRENT_READS = 16


@dataclass(frozen=True)
class HttpPolicy:
    """Timeouts, retries, waits and breaker thresholds (all durations in seconds)."""

    connect_timeout: float = 3.05
    read_timeout: float = 30.0
    #: The read timeout of batch writes (``request(..., write=True)``): HubSpot answers them well
    #: under a second, so a write stuck at the provider holds a worker seconds, not half a minute.
    write_read_timeout: float = 5.0
    #: Attempts per call, the first included.
    max_attempts: int = 4
    #: Full-jitter backoff: attempt n waits uniform(0, min(backoff_max, backoff_base * 2**(n-1))).
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    #: A wait longer than this is not slept: the call raises RateLimited / ProviderUnavailable instead.
    max_inline_wait: float = 10.0
    breaker_fail_max: int = 5
    breaker_reset_timeout: float = 30.0
    #: Chunks of one batch read sent at once (crm_integrations/core/http/concurrent.py); 1: in turn.
    concurrent_reads: int = 4
    #: Provider headers announcing a spent budget, e.g. HubSpot's ``X-HubSpot-RateLimit-Remaining``
    #: (``0`` = spent) with ``X-HubSpot-RateLimit-Interval-Milliseconds`` (how long the window is).
    rate_limit_remaining_header: str | None = None
    rate_limit_interval_ms_header: str | None = None

    @classmethod
    def from_settings(cls, **overrides: Any) -> HttpPolicy:
        """The policy in ``settings.CRM_HTTP``, with per-provider ``overrides`` on top."""
        from django.conf import settings

        configured = getattr(settings, "CRM_HTTP", {})
        values = {field: configured[key] for key, field in _SETTINGS_KEYS.items() if key in configured}
        return cls(**{**values, **overrides})

    @property
    def timeout(self) -> tuple[float, float]:
        """``(connect, read)``, as ``requests`` takes it."""
        return (self.connect_timeout, self.read_timeout)

    @property
    def write_timeout(self) -> tuple[float, float]:
        """``(connect, write read)`` for batch writes."""
        return (self.connect_timeout, self.write_read_timeout)

    @property
    def probe_lease(self) -> float:
        """How long a half-open probe may run before another process may claim a new one.

        At least the reset timeout, and never shorter than one request can legitimately take,
        so a slow but live probe is not joined by a second one.
        """
        return max(self.breaker_reset_timeout, self.connect_timeout + self.read_timeout)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not 1 <= self.concurrent_reads <= MAX_CONCURRENT_READS:
            raise ValueError(f"concurrent_reads must be within 1..{MAX_CONCURRENT_READS}")
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, int | float) and value < 0:
                raise ValueError(f"{field.name} must not be negative")
