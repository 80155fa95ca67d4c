"""Can a rep take a lead right now, and if not, why ("inactive", "out of office until ...", ...).

Checks run in this order and the first that fails is the reason: inactive, out of office, full,
off hours. Out-of-office ranges and working hours are read in the rep's working-hours time zone
(UTC when the rep has no working hours, or names a time zone this system does not know).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .types import RepState, WorkingHours

ELIGIBLE = "eligible"
INACTIVE = "inactive"
OFF_HOURS = "off hours"

#: A rep's local moment: (date, ISO weekday, minute of the day).
LocalMoment = tuple[date, int, int]


@lru_cache(maxsize=512)
def zone(name: str) -> tzinfo:
    """The time zone called ``name``; UTC when empty or unknown (a bad name must not stop routing)."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def zone_name(rep: RepState) -> str:
    return rep.working_hours.time_zone if rep.working_hours is not None else "UTC"


def local_moment(now: datetime, time_zone: str) -> LocalMoment:
    """``now`` (tz-aware) in ``time_zone``: its date, ISO weekday and minute of the day."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    local = now.astimezone(zone(time_zone))
    return local.date(), local.isoweekday(), local.hour * 60 + local.minute


def out_of_office_until(ranges: tuple[tuple[date, date], ...], today: date) -> date | None:
    """The last day of the absence covering ``today`` (following overlapping or adjacent ranges),
    or None when ``today`` is not in any range."""
    until: date | None = None
    for start, end in ranges:
        if start <= today <= end and (until is None or end > until):
            until = end
    if until is None:
        return None
    extended = True
    while extended:
        extended = False
        for start, end in ranges:
            if start <= until + timedelta(days=1) and end > until:
                until, extended = end, True
    return until


def _spans(hours: WorkingHours, weekday: int) -> tuple[tuple[int, int], ...]:
    """The day's spans (``days`` keyed by int, or by str as JSON gives them)."""
    spans = hours.days.get(weekday)
    if spans is None:
        spans = hours.days.get(str(weekday), ())  # type: ignore[call-overload]
    return spans


def within_hours(hours: WorkingHours, weekday: int, minute: int) -> bool:
    """Whether ``minute`` of ISO ``weekday`` falls in a span (end exclusive). A span whose start is
    after its end runs past midnight within that day's entry: ``(1320, 360)`` is 22:00-24:00 and
    00:00-06:00."""
    for start, end in _spans(hours, weekday):
        if start <= end:
            if start <= minute < end:
                return True
        elif minute >= start or minute < end:
            return True
    return False


def is_full(rep: RepState) -> bool:
    return rep.capacity is not None and rep.open_leads >= rep.capacity


def availability_at(rep: RepState, moment: LocalMoment) -> tuple[bool, str]:
    """:func:`availability` with the rep's local moment already known (``local_moment``)."""
    if not rep.active:
        return False, INACTIVE
    today, weekday, minute = moment
    if rep.out_of_office:
        until = out_of_office_until(rep.out_of_office, today)
        if until is not None:
            return False, f"out of office until {until.isoformat()}"
    if is_full(rep):
        return False, f"full ({rep.open_leads}/{rep.capacity})"
    if rep.working_hours is not None and not within_hours(rep.working_hours, weekday, minute):
        return False, OFF_HOURS
    return True, ELIGIBLE


MINUTES_PER_DAY = 24 * 60


def availability_window(rep: RepState, moment: LocalMoment) -> tuple[tuple[bool, str], int, int]:
    """:func:`availability_at`, and the minutes ``[low, high)`` of the same local day through which
    that answer holds: it can change only at a working-hours boundary or at midnight."""
    result = availability_at(rep, moment)
    hours = rep.working_hours
    if hours is None or (not result[0] and result[1] != OFF_HOURS):
        return result, 0, MINUTES_PER_DAY
    _, weekday, minute = moment
    low, high = 0, MINUTES_PER_DAY
    for span in _spans(hours, weekday):
        for point in span:
            if point <= minute:
                low = max(low, point)
            else:
                high = min(high, point)
    return result, low, high


def availability(rep: RepState, now: datetime) -> tuple[bool, str]:
    """Whether ``rep`` can take a lead at ``now`` (tz-aware), and why: ``(True, "eligible")``,
    ``(False, "inactive")``, ``(False, "out of office until 2026-12-03")``, ``(False, "full (5/5)")``,
    ``(False, "off hours")``. Capacity None is unlimited; ``working_hours`` None is always on."""
    return availability_at(rep, local_moment(now, zone_name(rep)))
