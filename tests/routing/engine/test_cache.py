"""What the engine keeps between decisions (``routing/engine/cache.py``): reused only for the very
objects it was built from, and an availability answer only through the window in which it holds."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from routing.engine import Pool, RepState, Rule, WorkingHours
from routing.engine.cache import AvailabilityWindows, CandidateTraces, IdentityCache, PoolOrders

BERLIN_NINE_TO_FIVE = WorkingHours("Europe/Berlin", {1: ((9 * 60, 17 * 60),)})
MONDAY = datetime(2026, 3, 2, tzinfo=UTC)  # Berlin is UTC+1 in March


def at_berlin(hour: int, minute: int = 0, day: datetime = MONDAY) -> datetime:
    return day.replace(hour=hour - 1, minute=minute)


def test_identity_cache_reuses_only_for_the_same_objects_and_keeps_the_last_few():
    cache: IdentityCache[list[str]] = IdentityCache(2)
    one, equal_one, two, three = ["x"], ["x"], ["y"], ["z"]
    built = cache.get((one,), lambda: ["built for one"])
    assert cache.get((one,), lambda: ["again"]) is built
    assert cache.get((equal_one,), lambda: ["for the equal list"]) == ["for the equal list"]
    cache.get((two,), list)
    cache.get((three,), list)  # three entries for a size of 2: the oldest (one) goes
    assert cache.get((one,), lambda: ["rebuilt"]) == ["rebuilt"]


def test_an_availability_answer_is_reused_only_inside_its_window():
    windows = AvailabilityWindows()
    rep = RepState("a", working_hours=BERLIN_NINE_TO_FIVE)
    assert windows.at(at_berlin(9))(rep) == (True, "eligible")
    assert windows.at(at_berlin(16, 59))(rep) == (True, "eligible")
    assert windows.at(at_berlin(17))(rep) == (False, "off hours")  # the shift's end closes the window
    assert windows.at(at_berlin(8, 59))(rep) == (False, "off hours")
    tuesday = MONDAY.replace(day=3)
    assert windows.at(at_berlin(10, day=tuesday))(rep) == (False, "off hours")  # a new day: asked again


def test_a_replaced_rep_is_looked_at_afresh():
    windows, traces = AvailabilityWindows(), CandidateTraces()
    rep = RepState("a", capacity=2, open_leads=1, working_hours=BERLIN_NINE_TO_FIVE)
    now = windows.at(at_berlin(10))
    assert now(rep) == (True, "eligible")
    first = traces.get(rep, True, "eligible")
    assert traces.get(rep, True, "eligible") is first
    full = replace(rep, open_leads=2)
    assert now(full) == (False, "full (2/2)")
    assert traces.get(full, False, "full (2/2)").open_leads == 2


def test_a_naive_now_is_refused_before_any_rep():
    with pytest.raises(ValueError, match="timezone-aware"):
        AvailabilityWindows().at(datetime(2026, 3, 2, 10, 0))


def test_pool_orders_follow_the_team_mapping_object():
    orders = PoolOrders()
    rule = Rule("r", "Rule", pool=Pool(reps=("b",), teams=("t",)), fallback=Pool(reps=("z",)))
    before = orders.get(0, rule, {"t": ("c", "a")})
    assert (before.pool, before.fallback, before.keep) == (("a", "b", "c"), ("z",), {"a", "b", "c", "z"})
    after = orders.get(0, rule, {"t": ("d",)})
    assert after.pool == ("b", "d")
