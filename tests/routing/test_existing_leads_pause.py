""" "Existing leads" runs wait while the CRM's provider says work that can wait must stop (its daily API
allocation nearly spent, ``CrmProvider.non_urgent_paused``): no call is spent, the run is not failed,
its task is queued again 15 minutes later, the page says why, and the run goes on once usage falls.
New leads are routed meanwhile."""

from __future__ import annotations

import html

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from crm_integrations.core import registry
from crm_integrations.core.allocation import AllocationReading
from crm_integrations.models import Membership
from field_mapping.signals import LeadChange
from routing import existing_leads, tasks
from routing.models import Decision, RunStatus
from routing.receivers import on_leads_stored

from . import factories as make
from .test_existing_leads import counted

pytestmark = pytest.mark.django_db
SPENT = "the CRM's daily API allocation is 85% used; backfills stop at 80%."


@pytest.fixture
def allocation(monkeypatch):
    """HubSpot's provider reports ``used`` of 1,000 calls a day and pauses backfills at 80 %."""
    state = {"used": 850}
    monkeypatch.setattr(
        type(registry.get_provider("hubspot")),
        "daily_allocation",
        lambda self, connection: AllocationReading(state["used"], 1_000, timezone.now(), pause_share=0.8),
    )
    return state


@pytest.fixture
def crm(organization, allocation):
    return make.hubspot_connection(organization)


@pytest.fixture
def requeued(monkeypatch):
    """The tasks queued again, as (task name, run id, countdown)."""
    queued = []
    for task in (tasks.count_existing_leads, tasks.route_existing_leads):
        monkeypatch.setattr(
            task,
            "apply_async",
            lambda args, countdown, name=task.name: queued.append(
                (name.rsplit(".", 1)[-1], *args, countdown)
            ),
        )
    monkeypatch.setattr(
        tasks.route_existing_leads, "delay", lambda run_id: queued.append(("next batch", run_id))
    )
    return queued


class NoCalls:
    """A client that must not be asked anything: a paused run spends no call."""

    feed_returns_records = False
    poll_page_size = 100

    def changed_since(self, *args, **kwargs):
        raise AssertionError("a paused run must not reach the CRM")


def no_calls(monkeypatch):
    monkeypatch.setattr(registry, "get_client", lambda connection: NoCalls())


def test_a_paused_count_waits_and_is_queued_again_not_failed(
    crm, requeued, monkeypatch, django_capture_on_commit_callbacks
):
    no_calls(monkeypatch)
    run = existing_leads.start(connection=crm)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.count_existing_leads(run.pk) == RunStatus.COUNTING
    run.refresh_from_db()
    assert run.status == RunStatus.COUNTING and run.error == "" and run.active
    assert run.paused_reason == SPENT
    assert 14 * 60 < (run.paused_until - timezone.now()).total_seconds() <= 15 * 60
    assert requeued == [("count_existing_leads", run.pk, 15 * 60)]


def test_a_paused_routing_run_routes_nobody_then_goes_on_when_usage_falls(
    crm, duo, allocation, requeued, django_capture_on_commit_callbacks
):
    leads = [make.lead(crm) for _ in range(3)]
    run = existing_leads.begin_routing(counted(crm))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.route_existing_leads(run.pk) is False
    run.refresh_from_db()
    assert not Decision.objects.exists()
    assert (run.status, run.paused_reason, run.error) == (RunStatus.ROUTING, SPENT, "")
    assert requeued == [("route_existing_leads", run.pk, 15 * 60)]

    allocation["used"] = 500  # the rolling day freed calls: the queued task carries on
    assert tasks.route_existing_leads(run.pk) is True
    run.refresh_from_db()
    assert run.paused_reason == "" and run.paused_until is None and run.routed == 3
    assert Decision.objects.filter(lead__in=leads, is_current=True).count() == 3
    assert requeued[-1] == ("next batch", run.pk)


def test_new_leads_are_routed_while_backfills_wait(crm, duo):
    lead = make.lead(crm)
    on_leads_stored(None, connection=crm, changes=[LeadChange(lead, "created")], source="webhook")
    assert Decision.objects.filter(lead=lead, outcome="assigned").exists()


def test_stopping_a_waiting_run_stops_it_at_once(crm, duo, requeued, django_capture_on_commit_callbacks):
    make.lead(crm)
    run = existing_leads.begin_routing(counted(crm))
    with django_capture_on_commit_callbacks(execute=True):
        existing_leads.route_batch(run.pk)
    run.refresh_from_db()
    existing_leads.cancel(run)
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED and run.paused_reason == ""
    assert existing_leads.route_batch(run.pk) is False  # the queued task finds it stopped
    assert not Decision.objects.exists()


def test_the_page_says_why_the_run_waits(
    crm, duo, client, organization, requeued, django_capture_on_commit_callbacks
):
    user = get_user_model().objects.create_user("ada", "ada@example.com", "pw", is_staff=True)
    Membership.objects.create(organization=organization, user=user, role=Membership.Role.ADMIN)
    client.force_login(user)
    make.lead(crm)
    run = existing_leads.begin_routing(counted(crm))
    with django_capture_on_commit_callbacks(execute=True):
        existing_leads.route_batch(run.pk)
    page = html.unescape(client.get(reverse("existing_leads")).content.decode())
    assert f"Paused: {SPENT} It resumes by itself when usage falls." in page
    assert "Next look at" in page
    assert '<meta http-equiv="refresh" content="60">' in page  # no reload every 2 s while it waits
