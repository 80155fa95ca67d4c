"""Moments as CRMs write them: ISO 8601 (``2026-01-06T09:12:33.120Z``, an offset, or naive UTC) and,
where a CRM uses them, epoch milliseconds. One parser for the providers' normalizers
(crm_integrations/hubspot/normalize.py, crm_integrations/monday/normalize.py) and the change
cursors' starting points (crm_integrations/core/cursors.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def parse_moment(value: Any, *, epoch_ms: bool = True) -> datetime | None:
    """An aware datetime, or None for an empty or unreadable value (never an exception: the value
    comes from outside). Digits are epoch milliseconds when ``epoch_ms``."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        if epoch_ms and text.isdigit():
            return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
