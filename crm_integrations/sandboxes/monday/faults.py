"""Fault injection: a share of API requests answered with monday's rate-limit, complexity or 5xx errors.

Each request to ``/v2`` draws one number from a seeded generator, so a sequential client sees the same
faults on every run with the same seed. Bodies follow reference §6/§8; ``legacyComplexity`` answers the
pre-2025 ``ComplexityException`` shape that monday's own Python SDK still checks for.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, fields
from typing import Any

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


class FaultInjector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings = FaultSettings()
        self._rng = random.Random()

    def configure(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Replace the settings with ``changes`` over the defaults (camelCase or snake_case keys)."""
        names = {f.name: f.name for f in fields(FaultSettings)}
        names.update({_camel(name): name for name in list(names)})
        unknown = set(changes) - set(names)
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(sorted(unknown))}")
        values = {names[key]: value for key, value in changes.items()}
        if "error_statuses" in values:
            values["error_statuses"] = tuple(int(status) for status in values["error_statuses"])
        settings = FaultSettings(**values)
        settings.validate()
        with self._lock:
            self._settings = settings
            self._rng = random.Random(settings.seed)
        return self.view()

    def clear(self) -> None:
        self.configure({})

    def view(self) -> dict[str, Any]:
        with self._lock:
            return {_camel(key): value for key, value in asdict(self._settings).items()}

    def decide(self) -> Fault | None:
        with self._lock:
            settings = self._settings
            draw = self._rng.random()
            edge = 0.0
            for kind, share in (
                ("rate_limit", settings.rate_limit_share),
                ("complexity", settings.complexity_share),
                ("error", settings.error_share),
            ):
                edge += share
                if share > 0 and draw < edge:
                    status = self._rng.choice(settings.error_statuses) if kind == "error" else 429
                    return Fault(kind, status, settings)
            return None


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)
