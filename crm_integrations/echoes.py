"""Our own writes to a CRM, remembered for a while, so the webhooks they cause are recognised as
echoes and not taken in again as outside changes (no ping-pong, and no reads spent on them).

Kept in the database (``OwnWrite``), shared by every process: remembering a batch is one insert,
checking a webhook delivery one query. Entries older than ``ECHO_WINDOW`` no longer count and are
deleted by the beat; an echo that arrives later is taken in like any change (harmless: nothing is
routed twice), and a real change is never mistaken for one unless it sets the very value we wrote.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.utils import timezone

from .models import OwnWrite

ECHO_WINDOW = timedelta(minutes=15)

#: (object type, object id, property name, value)
Change = tuple[str, str, str, str]


def remember(connection_id: object, object_type: str, writes: Iterable[tuple[str, str, Any]]) -> None:
    """Note ``(record id, property, value)`` writes about to be sent to the CRM."""
    OwnWrite.objects.bulk_create(
        OwnWrite(
            connection_id=connection_id,
            object_type=object_type,
            object_id=str(record_id),
            property_name=name,
            value=str(value),
        )
        for record_id, name, value in writes
    )


def echoes(connection_id: object, changes: Iterable[Change]) -> set[Change]:
    """Which of these property changes are ours (same record, property and value), in one query."""
    wanted = {change for change in changes if change[2]}
    if not wanted:
        return set()
    ours = OwnWrite.objects.filter(
        connection_id=connection_id,
        object_id__in={change[1] for change in wanted},
        written_at__gte=timezone.now() - ECHO_WINDOW,
    ).values_list("object_type", "object_id", "property_name", "value")
    return wanted & set(ours)


def forget_old() -> int:
    """Beat: drop writes too old to be echoed any more."""
    deleted, _ = OwnWrite.objects.filter(written_at__lt=timezone.now() - ECHO_WINDOW).delete()
    return deleted
