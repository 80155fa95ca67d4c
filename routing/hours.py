"""Working hours as staff type them: ``"Mon-Fri 09:00-17:30; Sat 10:00-14:00"``."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PART = re.compile(
    r"^(?P<first>[a-z]{3})(?:\s*-\s*(?P<last>[a-z]{3}))?\s+"
    r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$"
)

Spans = dict[int, tuple[tuple[int, int], ...]]


def _minutes(text: str) -> int:
    hours, minutes = (int(part) for part in text.split(":"))
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        raise ValueError(f"'{text}' is not a time of day")
    return hours * 60 + minutes


def parse_working_hours(text: str) -> Spans:
    """ISO weekday (1 = Monday) -> (start, end) minute spans, end exclusive; empty text: ``{}``."""
    spans: dict[int, list[tuple[int, int]]] = {}
    for raw in filter(None, (part.strip().lower() for part in text.split(";"))):
        found = _PART.match(raw)
        if not found or found["first"] not in DAYS or (found["last"] or found["first"]) not in DAYS:
            raise ValueError(f"'{raw}' is not like 'Mon-Fri 09:00-17:30'")
        start, end = _minutes(found["start"]), _minutes(found["end"])
        if end <= start:
            raise ValueError(f"'{raw}': the end must be after the start")
        first, last = DAYS.index(found["first"]), DAYS.index(found["last"] or found["first"])
        if last < first:
            raise ValueError(f"'{raw}': days run Monday to Sunday")
        for day in range(first, last + 1):
            spans.setdefault(day + 1, []).append((start, end))
    return {day: tuple(sorted(day_spans)) for day, day_spans in spans.items()}


def validate_working_hours(text: str) -> None:
    try:
        parse_working_hours(text)
    except ValueError as error:
        raise ValidationError(str(error), code="invalid_hours") from None


def validate_time_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"'{name}' is not a time zone name such as Europe/Berlin.") from None
