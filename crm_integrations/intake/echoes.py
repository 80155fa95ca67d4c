"""Our own writes to a CRM, remembered for a while, so the webhooks they cause are recognised as
echoes and not taken in again as outside changes (no ping-pong, and no reads spent on them).

Kept in the database (``OwnWrite``), shared by every process: remembering a batch is one insert,
checking a webhook delivery one query. Entries older than ``ECHO_WINDOW`` no longer count and are
deleted by the beat; an echo that arrives later is taken in like any change (harmless: nothing is
routed twice, and a contract compares the change's time with its own).

A change is ours when it sets the very value we wrote on the same record and property and — when
the CRM says when it happened — happened close to our write (no earlier than ``CLOCK_SKEW``
before we noted it, no later than ``ECHO_LAG`` after): someone setting that value again later
is a change of theirs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from crm_integrations.core.row_inserts import insert_all
from crm_integrations.core.types import CrmRecord
from crm_integrations.models import OwnWrite

ECHO_WINDOW = timedelta(minutes=15)
#: Our write reaches the CRM at most this long after we noted it (the HTTP layer's retries included).
ECHO_LAG = timedelta(minutes=2)
#: How far the CRM's clock may run behind ours.
CLOCK_SKEW = timedelta(seconds=30)


@dataclass(frozen=True)
class Change:
    """A property change a CRM reports; ``occurred_at`` when it says when."""

    object_type: str
    object_id: str
    property_name: str
    value: str
    occurred_at: datetime | None = None


def remember(connection_id: object, object_type: str, writes: Iterable[tuple[str, str, Any]]) -> None:
    """Note ``(record id, property, value)`` writes about to be sent to the CRM."""
    insert_all(
        [
            OwnWrite(
                connection_id=connection_id,
                object_type=object_type,
                object_id=str(record_id),
                property_name=name,
                value=str(value),
            )
            for record_id, name, value in writes
        ]
    )


def echoes(connection_id: object, changes: Iterable[Change]) -> set[Change]:
    """Which of these property changes are ours, in one query."""
    wanted = {change for change in changes if change.value}
    if not wanted:
        return set()
    written: dict[tuple[str, str, str, str], list[datetime]] = defaultdict(list)
    for object_type, object_id, name, value, at in OwnWrite.objects.filter(
        connection_id=connection_id,
        object_id__in={change.object_id for change in wanted},
        written_at__gte=timezone.now() - ECHO_WINDOW,
    ).values_list("object_type", "object_id", "property_name", "value", "written_at"):
        written[(object_type, object_id, name, value)].append(at)
    return {
        change
        for change in wanted
        if any(
            _close(change.occurred_at, at)
            for at in written.get(
                (change.object_type, change.object_id, change.property_name, change.value), ()
            )
        )
    }


def own_echoes(connection_id: object, records: Iterable[CrmRecord]) -> set[str]:
    """Ids of polled records whose latest change is only our own write, in one query: the caller
    passes only records the CRM says we changed last (``CrmClient.changed_by_us``), and each must
    hold every value we wrote to it within the window, changed close to one of those writes. A
    person's later edit makes someone else the last modifier, so that record is taken in."""
    candidates = {record.id: record for record in records if record.id}
    if not candidates:
        return set()
    written: dict[str, list[tuple[str, str, datetime]]] = defaultdict(list)
    for object_type, object_id, name, value, at in OwnWrite.objects.filter(
        connection_id=connection_id,
        object_id__in=candidates,
        written_at__gte=timezone.now() - ECHO_WINDOW,
    ).values_list("object_type", "object_id", "property_name", "value", "written_at"):
        if object_type == candidates[object_id].object_type:
            written[object_id].append((name, value, at))
    return {
        object_id
        for object_id, writes in written.items()
        if all(str(candidates[object_id].properties.get(name) or "") == value for name, value, _ in writes)
        and any(_close(candidates[object_id].updated_at, at) for _, _, at in writes)
    }


def _close(occurred_at: datetime | None, written_at: datetime) -> bool:
    return occurred_at is None or written_at - CLOCK_SKEW <= occurred_at <= written_at + ECHO_LAG


def forget_old() -> int:
    """Beat: drop writes too old to be echoed any more."""
    deleted, _ = OwnWrite.objects.filter(written_at__lt=timezone.now() - ECHO_WINDOW).delete()
    return deleted
