"""What a monday query costs in complexity points, so the shared limiter is asked for the right weight.

monday prices a query before running it, from what it *could* return (lists count with their ``limit``),
and reports the price in ``complexity { query }`` (monday's "Rate limits" doc). The client cannot know
the price before the first call, so each operation starts from a static estimate with the same shape
(fields x list sizes), and every answer that reports ``complexity.query`` teaches the meter the real
price per unit of size (an item read, a mutation). The next call of the operation asks the limiter for
``size x learned price``: a 500-item page right after a 7-item one is priced like 500 items. The
prices learned are kept per connection in the process (``meter_for``), so the next task's client
starts from monday's price rather than the static guess (crm_integrations/monday/process_cache.py).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .process_cache import LAYOUT_TTL, ExpiringCache

#: Static prices per unit of size, before monday has told us better (our guesses at monday's formula:
#: one point per field, lists multiplied by their limit; a mutation costs like a small read).
ITEM_FIELDS = 8  # id, name, state, created_at, updated_at, board { id }, group { id }, column_values
COLUMN_VALUE_FIELDS = 8  # id type text value + the typed fragments
TYPICAL_COLUMNS = 15
MUTATION_BASE = 1000


def item_read_price(columns: int | None = None) -> int:
    """Points one item of an items page / items(ids:) read costs, with ``columns`` column values."""
    return ITEM_FIELDS + (columns or TYPICAL_COLUMNS) * COLUMN_VALUE_FIELDS


def mutation_price(columns: int | None = None) -> int:
    return MUTATION_BASE + item_read_price(columns)


@dataclass(frozen=True)
class Estimate:
    """``operation`` priced for ``size`` units (items asked for, mutations sent)."""

    operation: str
    size: int
    weight: int


class ComplexityMeter:
    """Per operation: the price per unit learned from ``complexity.query`` (thread-safe, per client)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._learned: dict[str, float] = {}

    def estimate(self, operation: str, size: int, static_price: int) -> Estimate:
        units = max(1, int(size))
        with self._lock:
            price = self._learned.get(operation, float(static_price))
        return Estimate(operation, units, max(1, math.ceil(units * price)))

    def observe(self, estimate: Estimate, complexity: Mapping[str, Any] | None) -> int | None:
        """Learn from an answer's ``complexity`` block; returns the query's real price when reported."""
        if not isinstance(complexity, Mapping):
            return None
        try:
            actual = int(complexity["query"])
        except (KeyError, TypeError, ValueError):
            return None
        with self._lock:
            self._learned[estimate.operation] = actual / estimate.size
        return actual

    def learned(self, operation: str) -> float | None:
        with self._lock:
            return self._learned.get(operation)


_METERS: ExpiringCache[ComplexityMeter] = ExpiringCache(LAYOUT_TTL)
_METERS_LOCK = threading.Lock()


def meter_for(connection_key: object) -> ComplexityMeter:
    """The meter of one connection in this process, shared by its clients (one client per task)."""
    with _METERS_LOCK:
        meter = _METERS.get(connection_key)
        if meter is None:
            meter = ComplexityMeter()
            _METERS.put(connection_key, meter)
        return meter
