"""Each transform on its own, with the edge cases CRMs really send."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from field_mapping.mapping import (
    Missing,
    TransformError,
    as_is,
    map_value,
    to_date,
    to_lower,
    to_number,
    with_default,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("1,500.50", Decimal("1500.50")),
        ("1500", Decimal("1500")),
        ("  1500.5 ", Decimal("1500.5")),
        ("-42", Decimal("-42")),
        ("1,234,567", Decimal("1234567")),
        ("1 500", Decimal("1500")),
        (".5", Decimal("0.5")),
        ("1.5E3", Decimal("1500")),
        (1500, Decimal("1500")),
        (12.25, Decimal("12.25")),
        (Decimal("3.10"), Decimal("3.10")),
        ("", None),
        ("   ", None),
    ],
)
def test_number_reads_crm_numbers(given, expected):
    assert to_number(given) == expected


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("abc", "is not a number"),
        ("1,5", "is not a number"),  # a European decimal comma is refused, not read as 15
        ("12,50,0", "is not a number"),
        ("€1500", "is not a number"),
        ("1500-", "is not a number"),
        (True, "is not a number (a boolean)"),
        ("NaN", "is not a number"),
        (float("inf"), "is not a finite number"),
    ],
)
def test_number_refuses_what_is_not_a_number(given, why):
    with pytest.raises(TransformError) as raised:
        to_number(given)
    assert str(raised.value) == why


def test_date_reads_iso_dates_datetimes_and_hubspot_epoch_milliseconds():
    assert to_date("2026-01-06") == date(2026, 1, 6)
    assert to_date("2026-01-06T09:12:33.120Z") == datetime(2026, 1, 6, 9, 12, 33, 120000, tzinfo=UTC)
    assert to_date("2026-01-06T10:12:33+01:00") == datetime(2026, 1, 6, 9, 12, 33, tzinfo=UTC)
    assert to_date("2026-01-06T09:12:33") == datetime(2026, 1, 6, 9, 12, 33, tzinfo=UTC)  # naive -> UTC
    assert to_date("1767690753120") == datetime(2026, 1, 6, 9, 12, 33, 120000, tzinfo=UTC)
    assert to_date(1767690753120) == datetime(2026, 1, 6, 9, 12, 33, 120000, tzinfo=UTC)
    assert to_date("") is None
    assert to_date(date(2026, 1, 6)) == date(2026, 1, 6)


def test_date_with_a_format_reads_that_format_first_and_still_iso():
    assert to_date("06/01/2026", {"format": "%d/%m/%Y"}) == date(2026, 1, 6)
    assert to_date("06/01/2026 14:30", {"format": "%d/%m/%Y %H:%M"}) == datetime(
        2026, 1, 6, 14, 30, tzinfo=UTC
    )
    assert to_date("2026-01-06", {"format": "%d/%m/%Y"}) == date(2026, 1, 6)


@pytest.mark.parametrize(
    ("given", "options", "why"),
    [
        ("next tuesday", None, "is not a date (ISO 8601 or epoch milliseconds)"),
        ("2026-13-45", None, "is not a date (ISO 8601 or epoch milliseconds)"),
        ("31.12.", {"format": "%d/%m/%Y"}, "is not a date (ISO 8601, epoch milliseconds or %d/%m/%Y)"),
        (False, None, "is not a date (a boolean)"),
        ("99999999999999999999", None, "is not a date (epoch milliseconds out of range)"),
    ],
)
def test_date_refuses_what_is_not_a_date(given, options, why):
    with pytest.raises(TransformError) as raised:
        to_date(given, options)
    assert str(raised.value) == why


def test_lower_and_as_is():
    assert to_lower("  Ada@Example.COM ") == "ada@example.com"
    assert to_lower("") is None
    assert as_is("WEBSITE") == "WEBSITE"
    assert as_is(12) == 12
    assert as_is("  ") is None
    assert as_is(None) is None


def test_value_map_exact_then_ignoring_case_then_fallback():
    options = {"map": {"Website": "WEBSITE", "Trade show": "EVENT"}}
    assert map_value("Website", options) == "WEBSITE"
    assert map_value(" trade SHOW ", options) == "EVENT"
    assert map_value("", options) is None  # empty stays empty
    assert map_value(None, options) is None
    assert map_value("Cold call", {**options, "fallback": "OUTBOUND"}) == "OUTBOUND"
    assert map_value("Cold call", {**options, "fallback": None}) is None
    with pytest.raises(TransformError, match="is not in the value map"):
        map_value("Cold call", options)


def test_value_map_can_map_the_empty_value_on_purpose():
    assert map_value("", {"map": {"": "UNKNOWN"}}) == "UNKNOWN"


def test_default_fills_empty_and_missing_values_only():
    options = {"default": "OTHER"}
    assert with_default("WEBSITE", options) == "WEBSITE"
    assert with_default("", options) == "OTHER"
    assert with_default(None, options) == "OTHER"
    assert with_default(Missing("leads 1 has no associated contacts"), options) == "OTHER"
    assert with_default(0, options) == 0  # a zero is a value
