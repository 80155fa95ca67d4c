"""``run_or_trail``: the first request runs at once; the others of a window get one trailing task.
``run_or_leave``: the first request runs at once; the others are left to it, and it queues a
follow-up when it is done and something waits (at once, or after a budget's wait, once per wait).

The cache is a local-memory one on a clock the test moves (``Clock``), so a window passes without
waiting for it.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.core.cache.backends import base, locmem

from crm_integrations.core import coalescing
from crm_integrations.core.coalescing import run_or_leave, run_or_trail

WINDOW = 30.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now


class Task:
    """Records what would be queued."""

    def __init__(self) -> None:
        self.queued: list[tuple[tuple[Any, ...], float]] = []

    def apply_async(self, args: tuple[Any, ...], countdown: float) -> None:
        self.queued.append((args, countdown))


@pytest.fixture
def clock(settings, monkeypatch) -> Clock:
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "coalescing"}
    }
    clock = Clock()
    monkeypatch.setattr(base, "time", clock)
    monkeypatch.setattr(locmem, "time", clock)
    monkeypatch.setattr(coalescing, "time", clock)
    cache.clear()
    return clock


@pytest.fixture
def task() -> Task:
    return Task()


def test_a_lone_request_runs_at_once_and_queues_nothing(clock, task):
    runs: list[str] = []

    assert run_or_trail("work:1", lambda: runs.append("now"), task, ("1",), window=WINDOW)
    assert (runs, task.queued) == (["now"], [])


def test_requests_within_the_window_queue_exactly_one_trailing_task_per_window(clock, task):
    runs: list[float] = []

    def request() -> bool:
        return run_or_trail("work:1", lambda: runs.append(clock.now), task, ("1",), window=WINDOW)

    assert request()
    clock.now += 1
    assert [request() for _ in range(5)] == [False] * 5
    assert task.queued == [(("1",), WINDOW)]

    clock.now += WINDOW  # the window is over: the next request runs at once again
    assert request()
    assert not request()
    assert len(runs) == 2 and task.queued == [(("1",), WINDOW)] * 2


def test_other_keys_have_their_own_window(clock, task):
    run_or_trail("work:1", lambda: None, task, ("1",), window=WINDOW)

    assert run_or_trail("work:2", lambda: None, task, ("2",), window=WINDOW)
    assert not run_or_trail("work:1", lambda: None, task, ("1",), window=WINDOW)
    assert task.queued == [(("1",), WINDOW)]


def test_until_done_the_key_holds_while_the_run_lasts(clock, task):
    inside: list[bool] = []

    def request(run) -> bool:
        return run_or_trail("work:1", run, task, ("1",), window=WINDOW, until_done=120)

    def run() -> None:  # requests arriving while the run is under way
        inside.extend(request(lambda: pytest.fail("ran twice at once")) for _ in range(3))

    assert request(run)
    assert inside == [False] * 3 and task.queued == [(("1",), WINDOW)]
    assert request(lambda: None)  # that run ended: the next one goes at once
    assert task.queued == [(("1",), WINDOW)]


def test_until_done_a_run_that_fails_frees_the_key(clock, task):
    def fail() -> None:
        raise RuntimeError("CRM down")

    with pytest.raises(RuntimeError):
        run_or_trail("work:1", fail, task, ("1",), window=WINDOW, until_done=120)
    assert run_or_trail("work:1", lambda: None, task, ("1",), window=WINDOW, until_done=120)


def test_until_done_a_run_whose_process_died_frees_the_key_after_that_long(clock, task):
    cache.add("work:1", 1, timeout=120)  # taken by a run whose process died

    assert not run_or_trail("work:1", lambda: None, task, ("1",), window=WINDOW, until_done=120)
    clock.now += 121
    assert run_or_trail("work:1", lambda: None, task, ("1",), window=WINDOW, until_done=120)


def test_no_window_runs_every_request_at_once(clock, task):
    runs: list[int] = []

    for n in range(3):
        assert run_or_trail("work:1", lambda n=n: runs.append(n), task, ("1",), window=0)
    assert (runs, task.queued) == ([0, 1, 2], [])


def leave(run, waiting: list[bool], follow_ups: list[float]) -> bool:
    return run_or_leave(
        "work:1", run, pending=lambda: bool(waiting), follow_up=follow_ups.append, until_done=120
    )


def test_run_or_leave_runs_a_lone_request_at_once_with_no_follow_up(clock):
    follow_ups: list[float] = []
    assert leave(lambda: None, [], follow_ups)
    assert follow_ups == []


def test_a_request_during_a_run_is_left_to_it_and_the_run_follows_up_at_once(clock):
    follow_ups: list[float] = []
    waiting: list[bool] = []
    nested: list[bool] = []

    def run() -> None:  # a second request arrives while this run is under way
        waiting.append(True)
        nested.append(leave(lambda: pytest.fail("ran twice at once"), waiting, follow_ups))

    assert leave(run, waiting, follow_ups)
    assert nested == [False] and follow_ups == [0.0]  # looked again after the run: one task, no timer


def test_a_run_that_meets_an_exhausted_budget_asks_for_one_follow_up_per_wait(clock):
    follow_ups: list[float] = []
    assert leave(lambda: 7.0, [True], follow_ups)
    assert leave(lambda: 7.0, [True], follow_ups)  # within the wait: no second delayed task
    clock.now += 7.5
    assert leave(lambda: 7.0, [True], follow_ups)
    assert follow_ups == [7.0, 7.0]


def test_a_failing_run_gives_up_the_key_and_queues_nothing(clock):
    follow_ups: list[float] = []

    def fail() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        leave(fail, [True], follow_ups)
    assert follow_ups == [] and leave(lambda: None, [], follow_ups)


def spaced(run, waiting: list[bool], follow_ups: list[float], gap: float = 0.75) -> bool:
    return run_or_leave(
        "work:1",
        run,
        pending=lambda: bool(waiting),
        follow_up=follow_ups.append,
        until_done=120,
        spacing=lambda started: gap,
    )


def test_spaced_runs_keep_their_distance_and_a_request_between_them_queues_one_follow_up(clock):
    follow_ups: list[float] = []
    runs: list[float] = []
    assert spaced(lambda: runs.append(clock.now), [], follow_ups)  # after a quiet spell: at once
    clock.now += 0.25
    assert not spaced(lambda: runs.append(clock.now), [True], follow_ups)  # too soon: put off
    assert not spaced(lambda: runs.append(clock.now), [True], follow_ups)  # one follow-up, not two
    assert follow_ups == [pytest.approx(0.5)] and len(runs) == 1
    clock.now += 0.5  # the follow-up's time: it runs
    assert spaced(lambda: runs.append(clock.now), [], follow_ups)
    assert runs == [pytest.approx(1_000_000.0), pytest.approx(1_000_000.75)]


def test_a_spaced_run_with_more_waiting_asks_for_its_follow_up_when_the_gap_ends(clock):
    follow_ups: list[float] = []

    def run() -> None:
        clock.now += 0.25  # the round itself takes a quarter of a second

    assert spaced(run, [True], follow_ups)
    assert follow_ups == [pytest.approx(0.5)]  # 0.75 s after the run's start, not after its end
    follow_ups.clear()
    clock.now += 10
    assert spaced(lambda: None, [True], follow_ups, gap=0.05)  # a gap within the slack: at once
    assert follow_ups == [0.0]


def slotted(run, follow_ups: list[float], *, backlog: bool) -> bool:
    return run_or_leave(
        "work:1",
        run,
        pending=lambda: backlog,
        follow_up=follow_ups.append,
        until_done=120,
        slots=2,
        overlap=lambda: backlog,
    )


def test_a_second_slot_runs_beside_the_first_only_for_a_backlog_and_never_a_third(clock):
    """With two slots, a request during a run takes the second slot when ``overlap()`` says a whole
    batch waits; with none waiting it is left to the run under way; a third never runs at once."""
    follow_ups: list[float] = []
    inside: list[bool] = []

    def second() -> None:  # runs in the second slot: a third request finds both taken
        assert coalescing.runs_beside()
        inside.append(slotted(lambda: pytest.fail("three at once"), follow_ups, backlog=True))

    def first() -> None:
        assert not coalescing.runs_beside()
        inside.append(slotted(lambda: pytest.fail("no backlog, yet ran"), follow_ups, backlog=False))
        inside.append(slotted(second, follow_ups, backlog=True))
        assert not coalescing.runs_beside()  # the run beside has ended; this one is the first

    assert slotted(first, follow_ups, backlog=True)
    assert inside == [False, False, True]  # no backlog: left; backlog: ran beside; third: left
    # Each run looked again when done and found the backlog; the first, ending with both slots
    # free, asked for a second follow-up to fill the other slot.
    assert follow_ups == [0.0, 0.0, 0.0]
    assert slotted(lambda: None, [], backlog=False)  # both slots were given back


def test_a_run_ending_on_a_backlog_asks_for_a_follow_up_per_free_slot(clock):
    """Runs chain by follow-ups, one each: without a second one for the free slot, a backlog that
    had all arrived before the first run ended was worked on by one process at a time."""
    follow_ups: list[float] = []
    assert slotted(lambda: None, follow_ups, backlog=True)
    assert follow_ups == [0.0, 0.0]  # one per slot: two processes take the backlog on

    follow_ups.clear()
    assert slotted(lambda: None, follow_ups, backlog=False)
    assert follow_ups == []  # nothing waits: nothing queued

    follow_ups.clear()
    assert run_or_leave(
        "work:1",
        lambda: None,
        pending=lambda: True,
        follow_up=follow_ups.append,
        until_done=120,
        slots=2,
        overlap=lambda: False,  # something waits, but not enough to run beside (or the budget binds)
    )
    assert follow_ups == [0.0]

    follow_ups.clear()
    cache.add("work:1:slot1", 1, timeout=120)  # a run beside is under way: it follows up itself
    assert slotted(lambda: None, follow_ups, backlog=True)
    assert follow_ups == [0.0]


def test_handed_off_work_is_queued_once_until_its_task_starts(clock):
    queued: list[str] = []
    assert not coalescing.hands_off()
    with coalescing.handing_off():
        assert coalescing.hands_off()
        coalescing.hand_off("k", lambda: queued.append("first"))
        coalescing.hand_off("k", lambda: queued.append("second"))  # the first task takes it when it starts
        coalescing.hand_off("other", lambda: queued.append("other"))
        coalescing.taken_up("k")
        coalescing.hand_off("k", lambda: queued.append("after it started"))
    assert not coalescing.hands_off()
    assert queued == ["first", "other", "after it started"]

    clock.now += coalescing.HANDED_OFF_FOR + 1  # a task that never started: the next request queues again
    coalescing.hand_off("k", lambda: queued.append("the first was lost"))
    assert queued[-1] == "the first was lost"


def test_under_way_while_the_first_slot_is_held(clock):
    seen: list[bool] = []
    run_or_leave(
        "k", lambda: seen.append(coalescing.under_way("k")), pending=lambda: False, follow_up=lambda _: None,
        until_done=WINDOW,
    )  # fmt: skip
    assert seen == [True] and not coalescing.under_way("k")
