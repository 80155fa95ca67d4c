"""Work requested often and done in batches: now when nothing is under way, else one trailing task.

The first request runs the work at once, in the caller's process (a lone request waits for
nothing). A request while that run is under way does not run it again: it makes sure that one
trailing task runs ``window`` seconds later and takes everything that piled up meanwhile. Both
marks are cache keys taken with ``cache.add`` (atomic on Redis, and on the embedded file cache:
config/file_cache.py; Django's own file cache is not), so across all
processes one run is under way and one trailing task is queued per window.

``run_or_leave`` is the adaptive form (no window: a run under way hands over to a follow-up task).
``handing_off`` marks a stretch in which this process has more of a batch to do (a round storing its
leads a part at a time): work requested meanwhile goes to one task (``hand_off``) for another
process instead of running here between the parts.

Used by ``crm_integrations/intake/batches.py`` (webhook events taken in by batch) and
``routing/writeback.py`` (owner writes flushed by batch); each keeps its own setting for the
window and its own task.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from contextvars import ContextVar
from typing import Any, Protocol

from django.core.cache import cache

from .context_flags import ContextFlag


class TrailingTask(Protocol):
    """A Celery task, as far as this module uses it."""

    def apply_async(self, args: tuple[Any, ...], countdown: float) -> Any: ...


def run_or_trail(
    key: str,
    run: Callable[[], object],
    trailing: TrailingTask,
    args: tuple[Any, ...],
    *,
    window: float,
    until_done: float | None = None,
) -> bool:
    """Run ``run`` now unless ``key`` says a run is under way; else queue ``trailing(*args)``
    ``window`` seconds later, once per window (key ``<key>:trailing``). True when it ran here.

    ``until_done``: the key marks a run under way, from its start until it ends (and at most that
    many seconds, should its process die); None: the key holds ``window`` seconds from a run's
    start, so at most one run here per window. A window of 0 or less: every request runs at once.
    Exceptions of ``run`` propagate (the key is given up first when ``until_done`` is set).
    """
    if window <= 0:
        run()
        return True
    if cache.add(key, 1, timeout=window if until_done is None else until_done):
        try:
            run()
        finally:
            if until_done is not None:
                cache.delete(key)
        return True
    if cache.add(f"{key}:trailing", 1, timeout=window):
        trailing.apply_async(args, countdown=window)
    return False


#: A follow-up due this soon runs now rather than being put off again (tasks are never early by more).
SPACING_SLACK = 0.1


def run_or_leave(
    key: str,
    run: Callable[[], float | None],
    *,
    pending: Callable[[], bool],
    follow_up: Callable[[float], object],
    until_done: float,
    spacing: Callable[[float], float] | None = None,
    slots: int = 1,
    overlap: Callable[[], bool] | None = None,
) -> bool:
    """Run ``run`` now unless a run of ``key`` is under way, then leave the rest to a task: no timer
    in between, so a lone request waits for nothing and a burst batches only what piled up.

    A request that finds a run under way returns False at once: that run looks again once it has
    released the key (``pending()``, after the release, so work recorded before the request looked
    is seen) and asks for ``follow_up(0)`` when something waits. ``run`` is bounded by its caller
    (one round, not a loop until nothing is left) and returns None, or the seconds after which the
    next run should come (0: it stopped at its bound; more: a budget is exhausted, so no worker waits
    for it and ``follow_up`` is asked for once per such wait, key ``<key>:later``). ``until_done``
    bounds the key should the process die. Exceptions of ``run`` propagate, with no follow-up (the
    caller's retries and the beat take over).

    ``spacing(started)``, asked after a run, says how long after that run's start the next may start
    (the intake: what the round took from the CRM's rate budget, at the pace the budget refills).
    Until then a request runs nothing and one follow-up is queued for that moment: a steady trickle
    is taken in by rounds that keep within the budget, never by one-lead rounds that spend it and then
    wait for it, while a lone request after a quiet spell still runs at once.

    ``slots`` > 1 lets that many runs of ``key`` go at once (keys ``key``, ``<key>:slot1``, …), but a
    further one only when ``overlap()`` says so (the intake: a full batch waits), and ``runs_beside()``
    tells the run which it is. A deep backlog is then worked on by several processes while a trickle
    still runs one at a time, in batches as large.
    """
    not_before = cache.get(f"{key}:next")
    if not_before is not None and not_before - time.time() > SPACING_SLACK:
        _follow_up_once(key, follow_up, not_before - time.time())
        return False
    held = _take_slot(key, until_done, slots, overlap)
    if held is None:
        return False
    started = time.time()
    token = _beside.set(held != key)
    try:
        later = run()
    finally:
        _beside.reset(token)
        cache.delete(held)
    gap = spacing(started) if spacing is not None else 0.0
    if gap > 0:
        cache.set(f"{key}:next", started + gap, timeout=gap)
    due = max(0.0, started + gap - time.time())
    if later is not None and later > 0:
        _follow_up_once(key, follow_up, max(later, due))
    elif later is not None or pending():
        if due > SPACING_SLACK:
            _follow_up_once(key, follow_up, due)
        else:
            follow_up(0.0)
            for _ in range(_further_runs(key, slots, overlap)):
                follow_up(0.0)
    return True


def _further_runs(key: str, slots: int, overlap: Callable[[], bool] | None) -> int:
    """Follow-ups beyond the one a finished run queues: one per further free slot when ``overlap()``
    says runs may go beside each other. Each run queues one follow-up, so runs chained one at a time
    and a second slot was taken only by a request arriving mid-run: a burst whose webhooks had all
    come in before its first round ended was taken in by one process while the other waited
    (docs/benchmarks.md, worker scaling, the seventeenth pass). A follow-up that then finds every
    slot taken does nothing (``_take_slot``)."""
    if slots <= 1 or overlap is None:
        return 0
    free = sum(cache.get(name) is None for name in (key, *(f"{key}:slot{n}" for n in range(1, slots))))
    return free - 1 if free > 1 and overlap() else 0


def under_way(key: str) -> bool:
    """A run of ``key`` is under way (its first slot): it looks again once done (``run_or_leave``),
    so work recorded before this was asked is taken by it or by the follow-up it queues."""
    return cache.get(key) is not None


#: Whether the run under way in this context took a further slot (``runs_beside``).
_beside: ContextVar[bool] = ContextVar("coalescing_beside", default=False)


def runs_beside() -> bool:
    """Inside ``run``: this run took a further slot, beside a run of the same key (the intake keeps
    such rounds short, so one connection's backlog never holds every worker process for long)."""
    return _beside.get()


def _take_slot(key: str, until_done: float, slots: int, overlap: Callable[[], bool] | None) -> str | None:
    """The run key taken (``key`` first; a further slot only when ``overlap()``), None when none is."""
    if cache.add(key, 1, timeout=until_done):
        return key
    if slots <= 1 or overlap is None or not overlap():
        return None
    for n in range(1, slots):
        if cache.add(f"{key}:slot{n}", 1, timeout=until_done):
            return f"{key}:slot{n}"
    return None


def _follow_up_once(key: str, follow_up: Callable[[float], object], wait: float) -> None:
    """One delayed follow-up per wait (key ``<key>:later``): later requests within it queue nothing."""
    if cache.add(f"{key}:later", 1, timeout=wait):
        follow_up(wait)


#: Raised while this process has more of a batch to do (``handing_off``).
_HANDING_OFF = ContextFlag("coalescing_handing_off")
#: How long a handed-off task may wait for a worker before a new request queues another (should
#: the first be lost; the beat's sweeps take what is left either way).
HANDED_OFF_FOR = 30.0


def handing_off() -> AbstractContextManager[None]:
    """Inside: this process has more of a batch to do after the part under way, so work requested
    meanwhile is better done by another process (``hands_off``, ``hand_off``)."""
    return _HANDING_OFF.raised()


def hands_off() -> bool:
    return _HANDING_OFF.is_raised()


def hand_off(key: str, queue: Callable[[], object]) -> None:
    """Queue the work as a task (``queue()``) once until that task starts and calls ``taken_up(key)``:
    the requests of a round's later parts, made while the task waits for a worker, add nothing to it
    (it takes what they committed when it starts), and one made after it started queues the next."""
    if cache.add(f"{key}:handed", 1, timeout=HANDED_OFF_FOR):
        queue()


def taken_up(key: str) -> None:
    """A task queued by ``hand_off`` starts: later requests queue their own."""
    cache.delete(f"{key}:handed")
