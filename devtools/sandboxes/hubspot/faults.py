"""Fault injection: a share of requests answered with 429 or 5xx, held past a client timeout, or slowed down.

A "timeout" holds the request before it is carried out (the client gives up; the write lands
later), or, with ``timeout_after_work``, carries it out and then holds the answer: the client
times out on a write that was applied, as when HubSpot's answer is lost.

Each request to a HubSpot path (not ``/_sandbox``) draws one number from a seeded generator, so a sequential
client sees the same faults on every run with the same seed.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..faults import SeededFaults, band

ERROR_STATUSES = (500, 502, 503, 504)
# HubSpot documents no bodies for these; ours are standard error bodies with these categories and messages.
ERROR_TEXT = {
    500: ("INTERNAL_ERROR", "internal error"),
    502: ("BAD_GATEWAY", "Bad Gateway: the upstream service did not answer in time."),
    503: ("SERVICE_UNAVAILABLE", "Service Unavailable: please retry later."),
    504: ("GATEWAY_TIMEOUT", "Gateway Timeout: the request took too long to process."),
}


@dataclass
class FaultSettings:
    rate_limit_share: float = 0.0
    error_share: float = 0.0
    error_statuses: tuple[int, ...] = (502, 503, 504)
    timeout_share: float = 0.0
    timeout_seconds: float = 30.0  # how long a "timeout" holds the response (then answers normally)
    timeout_after_work: bool = False  # hold the answer after carrying the request out, not before
    slow_share: float = 0.0
    slow_seconds: float = 1.0  # extra latency of a "slow" response
    path_prefix: str | None = None  # only paths starting with this
    seed: int | None = None

    def validate(self) -> None:
        shares = (self.rate_limit_share, self.error_share, self.timeout_share, self.slow_share)
        if any(not 0 <= share <= 1 for share in shares) or sum(shares) > 1 + 1e-9:
            raise ValueError("shares must each be within 0..1 and add up to at most 1")
        if not self.error_statuses or any(status not in ERROR_STATUSES for status in self.error_statuses):
            raise ValueError(f"error_statuses must be a non-empty subset of {list(ERROR_STATUSES)}")
        if self.timeout_seconds < 0 or self.slow_seconds < 0:
            raise ValueError("durations must not be negative")


@dataclass(frozen=True)
class Fault:
    kind: str  # "rate_limit", "error", "timeout", "slow"
    status: int | None = None
    delay: float = 0.0
    after_work: bool = False  # a "timeout" that holds the answer, the request already carried out


class FaultInjector(SeededFaults[FaultSettings]):
    settings_class = FaultSettings

    def decide(self, path: str) -> Fault | None:
        with self._lock:
            settings = self._settings
            if settings.path_prefix and not path.startswith(settings.path_prefix):
                return None
            kind = band(
                self._rng.random(),
                (
                    ("rate_limit", settings.rate_limit_share),
                    ("error", settings.error_share),
                    ("timeout", settings.timeout_share),
                    ("slow", settings.slow_share),
                ),
            )
            return None if kind is None else self._fault(kind, settings)

    def _fault(self, kind: str, settings: FaultSettings) -> Fault:
        if kind == "rate_limit":
            return Fault(kind, 429)
        if kind == "error":
            return Fault(kind, self._rng.choice(settings.error_statuses))
        if kind == "timeout":
            return Fault(kind, None, settings.timeout_seconds, bool(settings.timeout_after_work))
        return Fault(kind, None, settings.slow_seconds)
