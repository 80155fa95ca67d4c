"""Our own writes to a CRM, remembered for a while, so the webhooks they cause are recognised as
echoes and not taken in again as outside changes (no ping-pong, and no reads spent on them).

Kept in the cache (Redis in production, shared by every process): a missing entry only means an
echo is taken in like any change — never that a real change is lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.cache import cache

ECHO_SECONDS = 15 * 60


def _key(connection_id: object, object_type: str, object_id: str, property_name: str) -> str:
    return f"echo:{connection_id}:{object_type}:{object_id}:{property_name}"


def remember(connection_id: object, object_type: str, writes: Iterable[tuple[str, str, Any]]) -> None:
    """Note ``(record id, property, value)`` writes about to be sent to the CRM."""
    entries = {_key(connection_id, object_type, rid, name): str(value) for rid, name, value in writes}
    if entries:
        cache.set_many(entries, timeout=ECHO_SECONDS)


def is_echo(connection_id: object, object_type: str, object_id: str, property_name: str, value: str) -> bool:
    """Whether this property change is one we wrote (same record, property and value)."""
    if not property_name:
        return False
    return cache.get(_key(connection_id, object_type, object_id, property_name)) == value
