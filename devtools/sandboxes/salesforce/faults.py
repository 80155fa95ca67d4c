"""Fault injection: a share of REST and OAuth requests answered with a 5xx, held past a client timeout, or
slowed down (Salesforce has no 429: running out of calls is the daily allocation's 403, limits.py).

A "timeout" holds the request before it is carried out or, with ``timeout_after_work``, carries it out and
then holds the answer (a write that landed although the client gave up). Each request draws one number
from a seeded generator, as in the HubSpot and monday sandboxes (devtools/sandboxes/faults.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..faults import SeededFaults, band

ERROR_STATUSES = (500, 502, 503)
#: Salesforce's bodies for these (REST error arrays).
ERROR_TEXT = {
    500: (
        "UNKNOWN_EXCEPTION",
        "An unexpected error occurred. Please include this ErrorId if you contact support",
    ),
    502: ("SERVER_UNAVAILABLE", "Bad Gateway"),
    503: ("SERVER_UNAVAILABLE", "Server is unavailable or overloaded, please try again later"),
}


@dataclass
class FaultSettings:
    error_share: float = 0.0
    error_statuses: tuple[int, ...] = (500, 503)
    timeout_share: float = 0.0
    timeout_seconds: float = 30.0
    timeout_after_work: bool = False
    slow_share: float = 0.0
    slow_seconds: float = 1.0
    path_prefix: str | None = None  # only paths starting with this
    seed: int | None = None

    def validate(self) -> None:
        shares = (self.error_share, self.timeout_share, self.slow_share)
        if any(not 0 <= share <= 1 for share in shares) or sum(shares) > 1 + 1e-9:
            raise ValueError("shares must each be within 0..1 and add up to at most 1")
        if not self.error_statuses or any(status not in ERROR_STATUSES for status in self.error_statuses):
            raise ValueError(f"errorStatuses must be a non-empty subset of {list(ERROR_STATUSES)}")
        if self.timeout_seconds < 0 or self.slow_seconds < 0:
            raise ValueError("durations must not be negative")


@dataclass(frozen=True)
class Fault:
    kind: str  # "error", "timeout", "slow"
    status: int | None = None
    delay: float = 0.0
    after_work: bool = False


class FaultInjector(SeededFaults[FaultSettings]):
    settings_class = FaultSettings

    def decide(self, path: str) -> Fault | None:
        with self._lock:
            settings = self._settings
            if settings.path_prefix and not path.startswith(settings.path_prefix):
                return None
            shares = (
                ("error", settings.error_share),
                ("timeout", settings.timeout_share),
                ("slow", settings.slow_share),
            )
            kind = band(self._rng.random(), shares)
            if kind == "error":
                return Fault(kind, self._rng.choice(settings.error_statuses))
            if kind == "timeout":
                return Fault(kind, None, settings.timeout_seconds, bool(settings.timeout_after_work))
            if kind == "slow":
                return Fault(kind, None, settings.slow_seconds)
            return None
