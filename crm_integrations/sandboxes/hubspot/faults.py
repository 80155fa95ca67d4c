"""Fault injection: a share of requests answered with 429 or 5xx, held past a client timeout, or slowed down.

Each request to a HubSpot path (not ``/_sandbox``) draws one number from a seeded generator, so a sequential
client sees the same faults on every run with the same seed.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, fields
from typing import Any

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

    def decide(self, path: str) -> Fault | None:
        with self._lock:
            settings = self._settings
            if settings.path_prefix and not path.startswith(settings.path_prefix):
                return None
            draw = self._rng.random()
            bands = (
                ("rate_limit", settings.rate_limit_share),
                ("error", settings.error_share),
                ("timeout", settings.timeout_share),
                ("slow", settings.slow_share),
            )
            edge = 0.0
            for kind, share in bands:
                edge += share
                if share > 0 and draw < edge:
                    return self._fault(kind, settings)
            return None

    def _fault(self, kind: str, settings: FaultSettings) -> Fault:
        if kind == "rate_limit":
            return Fault(kind, 429)
        if kind == "error":
            return Fault(kind, self._rng.choice(settings.error_statuses))
        return Fault(kind, None, settings.timeout_seconds if kind == "timeout" else settings.slow_seconds)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)
