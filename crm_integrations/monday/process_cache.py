"""What a monday client keeps beyond the task that made it: per process, with an expiry.

The registry hands out a new ``MondayClient`` per task (crm_integrations/core/registry.py), and an
intake round of a burst is one task: before this cache every round read the board's columns again
(one ``boards { columns }`` call of three per round, only to encode the person column's value) and
priced its first mutation from the static guess instead of monday's reported price
(docs/benchmarks.md, "Monday routing latency"). Layouts are kept ``LAYOUT_TTL`` seconds per
connection and board (``ColumnsApi`` reads them afresh when the kept layout refuses a write: a
column or dropdown label added since; the mapping wizard always does); learned prices per connection
and operation.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")

#: Seconds a board's columns are trusted: a column added meanwhile is read at once (unknown column),
#: a label or type changed in monday is seen by the next task after this.
LAYOUT_TTL = 300.0


class ExpiringCache(Generic[V]):
    """A thread-safe dict whose entries expire ``ttl`` seconds after they were put."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[float, V]] = {}

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if self._clock() - entry[0] >= self.ttl:
                del self._entries[key]
                return None
            return entry[1]

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._entries[key] = (self._clock(), value)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
