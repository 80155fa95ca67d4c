"""When each worker of a race test was inside its critical section, so the test can prove the race.

A race test that never raced passes for nothing: two workers that ran one after the other show no
double refresh and no older write after a newer one either. The race tests
(``tests/crm_integrations/oauth/test_refresh_race.py``, ``tests/contracts/test_status_out.py``)
record :class:`Window` s and assert that the workers' windows overlapped, as
``tests/crm_integrations/http/test_limiter.py`` does for the shared rate limiter, and that what the
lease protects never ran twice at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """One worker inside one section, from ``start`` to ``end`` (seconds on one clock)."""

    worker: str
    start: float
    end: float

    def overlaps(self, other: Window) -> bool:
        return self.start < other.end and other.start < self.end


@contextmanager
def recorded(
    windows: list[Window], worker: str, clock: Callable[[], float] = time.monotonic
) -> Iterator[None]:
    """Append the time spent in the ``with`` block to ``windows`` (also when it raises)."""
    start = clock()
    try:
        yield
    finally:
        windows.append(Window(worker, start, clock()))


def overlapping(these: Sequence[Window], those: Sequence[Window]) -> list[tuple[Window, Window]]:
    """Pairs of windows of different workers that overlapped in time."""
    return [(a, b) for a in these for b in those if a.worker != b.worker and a.overlaps(b)]
