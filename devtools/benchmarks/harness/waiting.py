"""Waiting for a burst to be done, for the latency benchmarks (devtools/benchmarks/routing/latency.py
for HubSpot, monday_latency.py for monday): until a count reaches its total (with a progress bar, giving
up on a timeout or a stall), then until the sandbox and the app have nothing left to do."""

from __future__ import annotations

import time
from collections.abc import Callable

from tqdm import tqdm


def wait_for_count(
    count: Callable[[], int],
    total: int,
    *,
    timeout: float,
    stall_seconds: float,
    progress: bool,
    desc: str = "owners written",
) -> list[str]:
    """Until ``count()`` reaches ``total``; a note when it gave up (the timeout, or no progress for
    ``stall_seconds``)."""
    started = last_change = time.monotonic()
    with tqdm(total=total, desc=desc, unit="lead", disable=not progress) as bar:
        while (done := count()) < total:
            now = time.monotonic()
            if done > bar.n:
                bar.update(done - bar.n)
                last_change = now
            if now - last_change > stall_seconds or now - started > timeout:
                waited = now - (last_change if now - last_change > stall_seconds else started)
                return [f"gave up waiting after {waited:.0f} s: {total - done:,} leads without an owner"]
            time.sleep(0.25)
        bar.update(done - bar.n)
    return []


def owned_then_unroutable(owned: Callable[[], int], unroutable: Callable[[], int]) -> Callable[[], int]:
    """``owned() + unroutable()`` for ``wait_for_count``, asking the database for ``unroutable`` (leads
    decided without a rep, a query) only when ``owned`` (the sandbox's own records, in memory) did not
    grow since the last look: the waiting loop shares the cores it measures, and its query every
    quarter of a second was a tenth of the benchmark process's CPU during a drain."""
    last = {"owned": -1, "unroutable": 0}

    def count() -> int:
        now = owned()
        if now <= last["owned"]:
            last["unroutable"] = unroutable()
        last["owned"] = now
        return now + last["unroutable"]

    return count


def settle(wait_idle: Callable[[float], bool], busy: Callable[[], bool], seconds: float) -> bool:
    """Until the sandbox has nothing to send (``wait_idle(timeout)``) and the app nothing to do
    (``busy()`` false), twice in a row: our owner writes come back as webhooks and are taken in too."""
    deadline = time.monotonic() + seconds
    quiet = 0
    while (left := deadline - time.monotonic()) > 0:
        idle = wait_idle(min(5.0, left))
        quiet = quiet + 1 if idle and not busy() else 0
        if quiet >= 2:
            return True
        time.sleep(0.25)
    return False
