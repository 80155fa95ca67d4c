"""A backfill waits when the CRM's provider says work that can wait must stop (its daily API allocation
nearly spent, ``CrmProvider.non_urgent_paused``): no page is read past that point, nothing fails, and
``manage.py backfill_leads`` says why. Polls of new changes are urgent and never ask."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from crm_integrations.core import registry
from crm_integrations.core.allocation import AllocationReading
from crm_integrations.core.types import ChangedRecords
from crm_integrations.intake import polling
from crm_integrations.models import SyncCursor
from tests.crm_integrations.health.factories import connection as make_connection

pytestmark = pytest.mark.django_db
SINCE = timezone.now() - timedelta(days=30)


class PagedFeed:
    """A client whose feed has ``pages`` empty pages; it spends the allocation as it is read."""

    feed_returns_records = False
    poll_page_size = 100

    def __init__(self, pages: int, allocation: dict) -> None:
        self.pages, self.read, self.allocation = pages, 0, allocation

    def changed_since(self, object_type, cursor, *, properties=(), limit=100) -> ChangedRecords:
        self.read += 1
        self.allocation["used"] += 500
        return ChangedRecords(records=(), next_cursor=f"page-{self.read}", has_more=self.read < self.pages)


@pytest.fixture
def allocation(monkeypatch):
    """HubSpot's provider reports ``used`` of 1,000 calls a day, pausing backfills at 80 %."""
    state = {"used": 0}
    provider = type(registry.get_provider("hubspot"))
    monkeypatch.setattr(
        provider,
        "daily_allocation",
        lambda self, connection: AllocationReading(state["used"], 1_000, timezone.now(), pause_share=0.8),
    )
    return state


@pytest.fixture
def crm(organization, allocation, monkeypatch):
    feed = PagedFeed(pages=5, allocation=allocation)
    monkeypatch.setattr(registry, "get_client", lambda connection: feed)
    connection = make_connection(organization)
    connection.feed = feed
    return connection


def test_a_backfill_stops_before_the_page_that_would_spend_past_the_share(crm, allocation):
    allocation["used"] = 0
    with pytest.raises(polling.NonUrgentPaused) as paused:
        polling.poll(crm, "leads", since=SINCE, source="backfill")
    assert crm.feed.read == 2  # 0 → 500 → 1,000: the third page is not asked for
    assert paused.value.reason == "the CRM's daily API allocation is 100% used; backfills stop at 80%."
    assert SyncCursor.objects.get(connection=crm).cursor == ""  # the regular poll's is not a backfill's


def test_a_backfill_spends_nothing_once_paused(crm, allocation):
    allocation["used"] = 850
    with pytest.raises(polling.NonUrgentPaused):
        polling.poll(crm, "leads", since=SINCE, source="backfill")
    assert crm.feed.read == 0


def test_polls_of_new_changes_are_never_paused(crm, allocation):
    allocation["used"] = 990
    result = polling.poll(crm, "leads", since=SINCE)
    assert result.pages == crm.feed.pages == crm.feed.read


def test_the_command_says_why_it_stopped(crm, allocation):
    allocation["used"] = 900
    with pytest.raises(
        CommandError, match=r"Stopped after 0 record\(s\): the CRM's daily API allocation is 90%"
    ):
        call_command("backfill_leads", str(crm.pk), "--days", "3", "--object-type", "leads", verbosity=0)
    assert crm.feed.read == 0


@pytest.mark.django_db
def test_a_backfill_never_moves_the_regular_polls_cursor(hubspot_connection, hubspot_sandbox):
    """A backfill reads from its own start (``since``): the stored cursor stays where the regular
    poll left it, so a backfill stopped half-way cannot send the next poll days back."""
    hubspot_sandbox.control.seed_leads(3)
    polling.poll(hubspot_connection, "leads")
    stored = SyncCursor.objects.get(connection=hubspot_connection, object_type="leads").cursor
    assert stored
    result = polling.poll(
        hubspot_connection, "leads", since=timezone.now() - timedelta(days=30), source="backfill"
    )
    assert result.records >= 3
    assert SyncCursor.objects.get(connection=hubspot_connection, object_type="leads").cursor == stored
