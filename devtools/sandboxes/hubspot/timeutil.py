"""Time helpers: HubSpot speaks epoch milliseconds and ISO 8601 with milliseconds and a ``Z``."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now_ms() -> int:
    """Real time in epoch milliseconds, for what happens on the wire (webhook signature timestamps, the
    delivery log), which the receiving app checks against its own clock. What the sandbox stores and
    expires reads its own clock instead (``SandboxState.clock``, devtools/sandboxes/clock.py)."""
    return time.time_ns() // 1_000_000


def iso(ms: int) -> str:
    """``1767261600000`` -> ``"2026-01-01T10:00:00.000Z"`` (the format of ``createdAt``/``createdate``)."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_ms(value: str) -> int | None:
    """Epoch-ms digits, an ISO 8601 datetime or a ``YYYY-MM-DD`` date -> epoch ms; None when unparseable."""
    text = value.strip()
    if not text:
        return None
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)
