"""Polling: ask the CRM what changed since the stored cursor; the cursor moves only once the
records are safely stored, so a crash or an intake error means the same page is read again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from crm_integrations.core import registry
from crm_integrations.intake.handover import hand_over
from crm_integrations.models import EventOutcome, OrganizationIntegration, SyncCursor

INITIAL_LOOKBACK = timedelta(hours=24)


@dataclass(frozen=True)
class PollResult:
    records: int
    pages: int
    cursor: str


class IntakeFailed(Exception):
    """The intake could not store a page: the cursor was left where it was."""


def poll(
    connection: OrganizationIntegration,
    object_type: str,
    *,
    since: datetime | None = None,
    source: str = "poll",
    max_pages: int = 50,
    on_page: Callable[[int], None] | None = None,
) -> PollResult:
    """Take in every record changed since the cursor (or ``since``), page by page."""
    row, _ = SyncCursor.objects.get_or_create(connection=connection, object_type=object_type)
    cursor = since.isoformat() if since else (row.cursor or (timezone.now() - INITIAL_LOOKBACK).isoformat())
    client = registry.get_client(connection)
    records = pages = 0
    while pages < max_pages:
        page = client.changed_since(object_type, cursor)
        pages += 1
        if page.records:
            outcomes = hand_over(connection, object_type, [record.id for record in page.records], source)
            failed = [o for o in outcomes.values() if o.outcome == EventOutcome.ERROR]
            if failed:
                raise IntakeFailed(failed[0].detail)
            records += len(page.records)
            if on_page:
                on_page(len(page.records))
        cursor = page.next_cursor or cursor
        row.cursor, row.last_polled_at = cursor, timezone.now()
        row.last_result = f"{records} record(s) over {pages} page(s)"
        row.save(update_fields=["cursor", "last_polled_at", "last_result"])
        if not page.has_more:
            break
    return PollResult(records=records, pages=pages, cursor=cursor)
