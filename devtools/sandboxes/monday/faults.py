"""Fault injection: a share of API requests answered with monday's rate-limit, complexity or 5xx errors.

Each request to ``/v2`` draws one number from a seeded generator, so a sequential client sees the same
faults on every run with the same seed. Bodies are those of errors.py; ``legacyComplexity`` answers the
pre-2025 ``ComplexityException`` shape that monday's own Python SDK still checks for.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..faults import SeededFaults, band

ERROR_STATUSES = (500, 502, 503, 504)


@dataclass
class FaultSettings:
    rate_limit_share: float = 0.0  # 429 "Minute limit rate exceeded" (calls per minute)
    complexity_share: float = 0.0  # 429 COMPLEXITY_BUDGET_EXHAUSTED
    error_share: float = 0.0  # 5xx
    error_statuses: tuple[int, ...] = (500, 502, 503)
    retry_in_seconds: int = 20  # what the faults tell the client to wait
    legacy_complexity: bool = False  # the complexity fault in the legacy ComplexityException shape
    seed: int | None = None

    def validate(self) -> None:
        shares = (self.rate_limit_share, self.complexity_share, self.error_share)
        if any(not 0 <= share <= 1 for share in shares) or sum(shares) > 1 + 1e-9:
            raise ValueError("shares must each be within 0..1 and add up to at most 1")
        if not self.error_statuses or any(status not in ERROR_STATUSES for status in self.error_statuses):
            raise ValueError(f"errorStatuses must be a non-empty subset of {list(ERROR_STATUSES)}")
        if self.retry_in_seconds < 0:
            raise ValueError("retryInSeconds must not be negative")


@dataclass(frozen=True)
class Fault:
    kind: str  # "rate_limit", "complexity", "error"
    status: int
    settings: FaultSettings


class FaultInjector(SeededFaults[FaultSettings]):
    settings_class = FaultSettings

    def decide(self) -> Fault | None:
        with self._lock:
            settings = self._settings
            kind = band(
                self._rng.random(),
                (
                    ("rate_limit", settings.rate_limit_share),
                    ("complexity", settings.complexity_share),
                    ("error", settings.error_share),
                ),
            )
            if kind is None:
                return None
            status = self._rng.choice(settings.error_statuses) if kind == "error" else 429
            return Fault(kind, status, settings)
