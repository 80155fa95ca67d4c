"""Against the Salesforce sandbox: its daily allocation is driven past ``SALESFORCE_NON_URGENT_SHARE``
(80 %). Polls of new leads go on (and read the allocation off every answer); the "Existing leads" count
(a backfill) waits without a single query, is queued again instead of failing, and carries on once the
org's usage falls; the health JSON shows the reading."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from crm_integrations.intake import polling
from crm_integrations.salesforce import limits
from field_mapping.models import Lead
from routing import existing_leads, tasks
from routing.models import RunStatus

pytestmark = pytest.mark.django_db
QUERY = "/services/data/v66.0/query"


@pytest.fixture
def metered(connection, sandbox):
    """A 15,000-call day; the reading is forgotten after the test (the cache outlives it)."""
    sandbox.control.configure(daily_api_limit=15_000)
    cache.delete(limits._key(sandbox.org_id))
    yield connection
    cache.delete(limits._key(sandbox.org_id))


@pytest.fixture
def requeued(monkeypatch):
    queued = []
    monkeypatch.setattr(
        tasks.count_existing_leads, "apply_async", lambda args, countdown: queued.append((*args, countdown))
    )
    return queued


def queries(sandbox) -> int:
    return len(sandbox.control.requests(path_prefix=QUERY, method="GET"))


def test_past_the_share_backfills_wait_while_new_leads_come_in(
    metered, sandbox, admin_client, requeued, django_capture_on_commit_callbacks
):
    sandbox.control.set_usage(12_740)
    taken = polling.poll(metered, "leads", since=timezone.now() - timedelta(days=30))  # urgent: not asked
    assert taken.records > 0 and Lead.objects.filter(connection=metered).count() == taken.records
    row = admin_client.get("/api/v1/health/").json()["connections"][0]
    allocation = row["allocation"]
    assert allocation["allocation"] == 15_000 and 12_740 < allocation["used"] < 12_760
    assert allocation["summary"].endswith("of 15,000 used (85%)") and allocation["non_urgent_paused"] is True
    assert allocation["pause_note"] == "Backfills paused at 80% of the allocation"

    run = existing_leads.start(connection=metered, days=30)
    before = queries(sandbox)
    with django_capture_on_commit_callbacks(execute=True):
        existing_leads.count(run.pk)
    run.refresh_from_db()
    assert queries(sandbox) == before  # no call spent
    assert run.status == RunStatus.COUNTING and run.error == "" and run.taken_in == 0
    assert run.paused_reason == "the CRM's daily API allocation is 85% used; backfills stop at 80%."
    assert requeued == [(run.pk, 15 * 60)]

    sandbox.control.set_usage(3_000)  # the rolling day freed calls; the next poll reads it
    polling.poll(metered, "leads")
    existing_leads.count(run.pk)  # the task queued again
    run.refresh_from_db()
    assert run.status == RunStatus.COUNTED and run.paused_reason == "" and run.taken_in >= taken.records
    assert queries(sandbox) > before
