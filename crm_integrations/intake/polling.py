"""Polling: ask the CRM what changed since the stored cursor; the cursor moves only once the
records are safely stored, so a crash or an intake error means the same page is read again.

Pages are as large as the client's feed returns in one call (``CrmClient.poll_page_size``). When the
feed returns whole records (``CrmClient.feed_returns_records``: Salesforce's SOQL), the poll first asks
the apps above which properties they read (``feed_properties_requested``), has the feed return those,
and hands the records over with their ids, so the intake does not read them again by id; records
whose only change is our own write (the owner write-back, read back by the next poll) are skipped
(``echoes.own_echoes``).

A backfill (``source="backfill"``: ``manage.py backfill_leads``, routing's "Existing leads" count) can
wait: before each page it asks the provider whether work that can wait must stop
(``registry.non_urgent_paused``, e.g. a daily API allocation nearly spent) and, if so, raises
``NonUrgentPaused`` without spending the call. Polls of new changes are urgent and never ask.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from crm_integrations.core import registry
from crm_integrations.core.client import CrmClient
from crm_integrations.core.types import CrmRecord
from crm_integrations.intake import echoes
from crm_integrations.intake.handover import hand_over
from crm_integrations.models import EventOutcome, OrganizationIntegration, SyncCursor
from crm_integrations.signals import feed_properties_requested

INITIAL_LOOKBACK = timedelta(hours=24)
#: Sources that can wait for the CRM's API allocation (new leads never do).
NON_URGENT_SOURCES = frozenset({"backfill"})


@dataclass(frozen=True)
class PollResult:
    records: int
    pages: int
    cursor: str


class IntakeFailed(Exception):
    """The intake could not store a page: the cursor was left where it was."""


class NonUrgentPaused(Exception):
    """A backfill stopped before a page because the provider said work that can wait must stop."""

    def __init__(self, reason: str, *, records: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.records = records


def poll(
    connection: OrganizationIntegration,
    object_type: str,
    *,
    since: datetime | None = None,
    source: str = "poll",
    max_pages: int = 50,
    on_page: Callable[[int], None] | None = None,
) -> PollResult:
    """Take in every record changed since the stored cursor, page by page, moving it after each
    stored page (``since``: from there instead). A backfill (over the last N days, from ``since``)
    never moves the stored cursor: one stopped half-way (paused, cancelled, failed) would otherwise
    leave the regular poll days behind, and its next poll would route those old leads as new."""
    row, _ = SyncCursor.objects.get_or_create(connection=connection, object_type=object_type)
    cursor = since.isoformat() if since else (row.cursor or (timezone.now() - INITIAL_LOOKBACK).isoformat())
    client = registry.get_client(connection)
    whole = client.feed_returns_records
    properties = feed_properties(connection, object_type) if whole else ()
    records = pages = echoed = 0
    while pages < max_pages:
        if source in NON_URGENT_SOURCES and (reason := registry.non_urgent_paused(connection)):
            raise NonUrgentPaused(reason, records=records)
        page = client.changed_since(object_type, cursor, properties=properties, limit=client.poll_page_size)
        pages += 1
        taken = _without_own_echoes(connection, client, page.records) if whole else list(page.records)
        echoed += len(page.records) - len(taken)
        if taken:
            ids = [record.id for record in taken]
            outcomes = hand_over(connection, object_type, ids, source, records=taken if whole else None)
            failed = [o for o in outcomes.values() if o.outcome == EventOutcome.ERROR]
            if failed:
                raise IntakeFailed(failed[0].detail)
            records += len(taken)
            if on_page:
                on_page(len(taken))
        cursor = page.next_cursor or cursor
        if source not in NON_URGENT_SOURCES:  # a backfill never moves the regular poll's cursor
            row.cursor, row.last_polled_at = cursor, timezone.now()
            row.last_result = f"{records} record(s) over {pages} page(s)" + (
                f", {echoed} echo(es) of our own writes skipped" if echoed else ""
            )
            row.save(update_fields=["cursor", "last_polled_at", "last_result"])
        if not page.has_more:
            break
    return PollResult(records=records, pages=pages, cursor=cursor)


def _without_own_echoes(
    connection: OrganizationIntegration, client: CrmClient, page: Sequence[CrmRecord]
) -> list[CrmRecord]:
    """The page less the records whose only change is our own write (our owner write-back read
    back by the next poll): the CRM says we changed them last and they hold what we wrote, close to
    when we wrote it (crm_integrations/intake/echoes.py)."""
    echoed = echoes.own_echoes(connection.pk, (record for record in page if client.changed_by_us(record)))
    return [record for record in page if record.id not in echoed]


def feed_properties(connection: OrganizationIntegration, object_type: str) -> tuple[str, ...]:
    """Every property the apps above read from ``object_type`` records (``feed_properties_requested``)."""
    wanted: dict[str, None] = {}
    for _receiver, answer in feed_properties_requested.send(
        sender=OrganizationIntegration, connection=connection, object_type=object_type
    ):
        wanted.update(dict.fromkeys(answer or ()))
    return tuple(wanted)
