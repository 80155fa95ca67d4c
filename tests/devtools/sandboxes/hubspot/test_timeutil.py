"""The sandbox's time formats (devtools/sandboxes/hubspot/timeutil.py)."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from devtools.sandboxes.hubspot.timeutil import iso, parse_ms


def test_iso_is_hubspots_format_with_milliseconds_for_any_moment_before_or_after_1970():
    draws = random.Random(7)
    moments = [0, 999, 1000, -1, -1000, 1767261600000, 1767261600999, 253402300799999]
    moments += [draws.randint(-(10**12), 4 * 10**12) for _ in range(2_000)]
    for ms in moments:
        expected = (
            datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
        )
        assert iso(ms) == expected, ms
        assert parse_ms(iso(ms)) == ms
    assert iso(1767261600000) == "2026-01-01T10:00:00.000Z"
