"""Availability reasons, their order, time zones and working-hours boundaries."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from routing.engine import RepState, WorkingHours, availability
from routing.engine.eligibility import availability_window, local_moment

MONDAY_NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday
NINE_TO_FIVE = {day: ((9 * 60, 17 * 60),) for day in range(1, 6)}


def test_an_active_rep_without_limits_is_eligible():
    assert availability(RepState("1"), MONDAY_NOON) == (True, "eligible")


def test_reasons():
    assert availability(RepState("1", active=False), MONDAY_NOON) == (False, "inactive")
    assert availability(RepState("1", capacity=5, open_leads=5), MONDAY_NOON) == (False, "full (5/5)")
    assert availability(RepState("1", capacity=5, open_leads=7), MONDAY_NOON) == (False, "full (7/5)")
    assert availability(RepState("1", capacity=0), MONDAY_NOON) == (False, "full (0/0)")
    assert availability(RepState("1", capacity=5, open_leads=4), MONDAY_NOON) == (True, "eligible")
    assert availability(RepState("1", capacity=None, open_leads=10_000), MONDAY_NOON) == (True, "eligible")
    away = RepState("1", out_of_office=((date(2026, 3, 1), date(2026, 3, 3)),))
    assert availability(away, MONDAY_NOON) == (False, "out of office until 2026-03-03")
    night = RepState("1", working_hours=WorkingHours("UTC", NINE_TO_FIVE))
    assert availability(night, MONDAY_NOON.replace(hour=20)) == (False, "off hours")


def test_the_first_failing_check_gives_the_reason():
    """Inactive, then out of office, then full, then off hours."""
    never_on = WorkingHours("UTC", {})
    away = ((date(2026, 3, 2), date(2026, 3, 2)),)
    rep = RepState("1", active=False, capacity=1, open_leads=1, out_of_office=away, working_hours=never_on)
    assert availability(rep, MONDAY_NOON)[1] == "inactive"
    rep = replace(rep, active=True)
    assert availability(rep, MONDAY_NOON)[1] == "out of office until 2026-03-02"
    rep = replace(rep, out_of_office=())
    assert availability(rep, MONDAY_NOON)[1] == "full (1/1)"
    rep = replace(rep, capacity=None)
    assert availability(rep, MONDAY_NOON)[1] == "off hours"


def test_out_of_office_dates_are_inclusive_and_chained():
    ranges = (
        (date(2026, 3, 2), date(2026, 3, 4)),
        (date(2026, 3, 5), date(2026, 3, 9)),
        (date(2026, 3, 20), date(2026, 3, 21)),
    )
    rep = RepState("1", out_of_office=ranges)
    assert availability(rep, datetime(2026, 3, 1, 23, 59, tzinfo=UTC)) == (True, "eligible")
    assert availability(rep, datetime(2026, 3, 2, 0, 0, tzinfo=UTC)) == (
        False,
        "out of office until 2026-03-09",
    )
    assert availability(rep, datetime(2026, 3, 9, 23, 59, tzinfo=UTC)) == (
        False,
        "out of office until 2026-03-09",
    )
    assert availability(rep, datetime(2026, 3, 10, 0, 0, tzinfo=UTC)) == (True, "eligible")


def test_out_of_office_is_read_in_the_reps_time_zone():
    away_monday = ((date(2026, 3, 2), date(2026, 3, 2)),)
    sunday_utc = datetime(2026, 3, 1, 13, 0, tzinfo=UTC)  # already Monday 02:00 in Auckland (+13)
    always = {day: ((0, 1440),) for day in range(1, 8)}
    auckland = RepState(
        "1", out_of_office=away_monday, working_hours=WorkingHours("Pacific/Auckland", always)
    )
    in_utc = RepState("2", out_of_office=away_monday)
    assert availability(auckland, sunday_utc) == (False, "out of office until 2026-03-02")
    assert availability(in_utc, sunday_utc) == (True, "eligible")


def test_working_hours_start_inclusive_end_exclusive():
    rep = RepState("1", working_hours=WorkingHours("UTC", NINE_TO_FIVE))
    at = MONDAY_NOON.replace
    assert availability(rep, at(hour=8, minute=59, second=59))[1] == "off hours"
    assert availability(rep, at(hour=9, minute=0))[1] == "eligible"
    assert availability(rep, at(hour=16, minute=59, second=59))[1] == "eligible"
    assert availability(rep, at(hour=17, minute=0))[1] == "off hours"
    assert availability(rep, MONDAY_NOON + timedelta(days=5))[1] == "off hours"  # Saturday


def test_working_hours_are_read_in_their_time_zone():
    berlin = RepState("1", working_hours=WorkingHours("Europe/Berlin", NINE_TO_FIVE))
    assert availability(berlin, datetime(2026, 3, 2, 8, 0, tzinfo=UTC))[1] == "eligible"  # 09:00 CET
    assert availability(berlin, datetime(2026, 3, 2, 16, 0, tzinfo=UTC))[1] == "off hours"  # 17:00 CET
    assert availability(berlin, datetime(2026, 7, 6, 7, 0, tzinfo=UTC))[1] == "eligible"  # 09:00 CEST
    new_york = RepState("2", working_hours=WorkingHours("America/New_York", NINE_TO_FIVE))
    # Monday 02:00 UTC is still Sunday evening in New York.
    assert availability(new_york, datetime(2026, 3, 2, 2, 0, tzinfo=UTC))[1] == "off hours"
    # ``now`` may be given in any time zone: only the instant counts.
    plus_five = timezone(timedelta(hours=5))
    assert availability(berlin, datetime(2026, 3, 2, 13, 0, tzinfo=plus_five))[1] == "eligible"


def test_split_days_overnight_spans_and_text_weekdays():
    split = RepState("1", working_hours=WorkingHours("UTC", {1: ((540, 720), (780, 1020))}))
    assert availability(split, MONDAY_NOON.replace(hour=12, minute=30))[1] == "off hours"
    assert availability(split, MONDAY_NOON.replace(hour=13))[1] == "eligible"
    overnight = RepState("2", working_hours=WorkingHours("UTC", {1: ((1320, 360),)}))
    assert availability(overnight, MONDAY_NOON.replace(hour=23))[1] == "eligible"
    assert availability(overnight, MONDAY_NOON.replace(hour=3))[1] == "eligible"
    assert availability(overnight, MONDAY_NOON.replace(hour=6))[1] == "off hours"
    as_json = RepState("3", working_hours=WorkingHours("UTC", {"1": [[540, 1020]]}))
    assert availability(as_json, MONDAY_NOON)[1] == "eligible"


def test_an_unknown_time_zone_reads_as_utc():
    rep = RepState("1", working_hours=WorkingHours("Mars/Olympus", NINE_TO_FIVE))
    assert availability(rep, MONDAY_NOON)[1] == "eligible"
    assert availability(rep, MONDAY_NOON.replace(hour=18))[1] == "off hours"


def test_now_must_be_timezone_aware():
    with pytest.raises(ValueError, match="timezone-aware"):
        availability(RepState("1"), datetime(2026, 3, 2, 12, 0))


@pytest.mark.parametrize("minute", [0, 539, 540, 600, 719, 720, 779, 780, 1019, 1020, 1439])
def test_an_answer_holds_through_its_window(minute):
    """``availability_window``'s window: every minute in it gives the same answer, and the minutes
    just outside it (within the day) give another."""
    rep = RepState("1", working_hours=WorkingHours("UTC", {1: ((540, 720), (780, 1020))}))
    day = MONDAY_NOON.date()
    answer, low, high = availability_window(rep, (day, 1, minute))
    assert low <= minute < high
    for inside in range(low, high):
        assert availability_window(rep, (day, 1, inside))[0] == answer
    if low > 0:
        assert availability_window(rep, (day, 1, low - 1))[0] != answer
    if high < 1440:
        assert availability_window(rep, (day, 1, high))[0] != answer


def test_local_moment():
    assert local_moment(MONDAY_NOON, "Asia/Kolkata") == (date(2026, 3, 2), 1, 17 * 60 + 30)
