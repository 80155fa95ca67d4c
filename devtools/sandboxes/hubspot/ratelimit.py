"""Rolling-window rate limits: HubSpot's per-portal ten-secondly budget and the search endpoints' 5/s."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass

from ..clock import Clock


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    interval_ms: int


class RateLimiter:
    """Counts accepted requests per key over a rolling window; rejected requests do not use up budget."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._hits: dict[Hashable, deque[float]] = {}

    def hit(self, key: Hashable, limit: int, interval_ms: int) -> Verdict:
        moment = self._clock.monotonic()
        window = interval_ms / 1000
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= moment - window:
                hits.popleft()
            if len(hits) >= limit:
                return Verdict(False, limit, 0, interval_ms)
            hits.append(moment)
            return Verdict(True, limit, limit - len(hits), interval_ms)

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()
