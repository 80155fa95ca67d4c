"""The "Existing leads" step (routing/existing_leads.py, routing/existing_leads_preview.py): the
leads counted without being routed, the published rules' distribution, routing in batches that
can be stopped and resumed, and the page that drives it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from crm_integrations.models import Membership
from field_mapping.models import Lead
from field_mapping.signals import LeadChange
from routing import existing_leads
from routing.existing_leads_preview import distribution
from routing.models import Decision, ExistingLeadsRun, RunStatus
from routing.receivers import on_leads_stored

from . import factories as make

pytestmark = pytest.mark.django_db


@pytest.fixture
def crm(organization):
    return make.hubspot_connection(organization)


def counted(crm, days: int = 30) -> ExistingLeadsRun:
    run = existing_leads.start(connection=crm, days=days)
    run.status = RunStatus.COUNTED
    run.to_route = existing_leads.candidates(run).count()
    run.save()
    return run


def test_leads_taken_in_while_routing_is_held_back_are_stored_but_not_routed(crm, duo):
    lead = make.lead(crm)
    with existing_leads.holding_routing():
        on_leads_stored(None, connection=crm, changes=[LeadChange(lead, "created")], source="backfill")
    assert not Decision.objects.filter(lead=lead).exists()
    on_leads_stored(None, connection=crm, changes=[LeadChange(lead, "created")], source="poll")
    assert Decision.objects.filter(lead=lead, outcome="assigned").exists()  # held back only inside


def test_candidates_are_open_unowned_undecided_leads_of_the_window(crm, duo):
    wanted = make.lead(crm, crm_updated_at=timezone.now() - timedelta(days=10))
    make.lead(crm, owner_external_id="71")  # owned in the CRM
    make.lead(crm, status="lost")
    make.lead(crm, crm_updated_at=timezone.now() - timedelta(days=40))  # older than the window
    decided = make.lead(crm)
    existing_leads.route_leads(crm, [decided])
    run = existing_leads.start(connection=crm, days=30)
    assert list(existing_leads.candidates(run)) == [wanted]


def test_count_takes_the_crm_in_with_routing_held_and_counts_what_is_left_to_route(crm, duo, monkeypatch):
    seen = {}

    def backfill(connection, object_type, *, since, source, max_pages, on_page):
        seen.update(since=since, source=source, held=existing_leads.routing_held_back())
        make.lead(crm)
        make.lead(crm)
        on_page(2)

    monkeypatch.setattr(existing_leads.polling, "poll", backfill)
    run = existing_leads.count(existing_leads.start(connection=crm, days=14).pk)

    assert (run.status, run.taken_in, run.to_route) == (RunStatus.COUNTED, 2, 2)
    assert seen["held"] and seen["source"] == "backfill"
    assert timezone.now() - seen["since"] > timedelta(days=13, hours=23)
    assert not Decision.objects.exists()


def test_a_crm_failure_while_counting_fails_the_run_with_the_reason(crm, monkeypatch):
    def broken(*args, **kwargs):
        raise existing_leads.polling.IntakeFailed("HubSpot is unavailable")

    monkeypatch.setattr(existing_leads.polling, "poll", broken)
    run = existing_leads.count(existing_leads.start(connection=crm).pk)
    assert run.status == RunStatus.FAILED and run.finished_at is not None


def test_the_preview_gives_the_leads_out_with_the_published_rules_and_saves_nothing(crm, duo):
    for _ in range(3):
        make.lead(crm)
    preview = distribution(counted(crm))
    assert preview.published and preview.looked_at == 3
    assert preview.per_rep == [("Ann", 2), ("Bob", 1)]  # round robin, rotation threaded
    assert not Decision.objects.exists()


def test_the_preview_says_when_nothing_is_published(crm):
    make.lead(crm)
    assert distribution(counted(crm)).published is False


def test_routing_goes_batch_by_batch_stops_when_asked_and_resumes(crm, duo, monkeypatch):
    monkeypatch.setattr(existing_leads, "BATCH_SIZE", 2)
    leads = [make.lead(crm) for _ in range(5)]
    run = existing_leads.begin_routing(counted(crm))

    assert existing_leads.route_batch(run.pk) is True
    run.refresh_from_db()
    assert (run.routed, run.percent) == (2, 40)
    existing_leads.cancel(run)
    assert existing_leads.route_batch(run.pk) is False
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED and run.routed == 2

    existing_leads.begin_routing(run)
    while existing_leads.route_batch(run.pk):
        pass
    run.refresh_from_db()
    assert (run.status, run.routed, run.to_route, run.percent) == (RunStatus.DONE, 5, 5, 100)
    assert Decision.objects.filter(lead__in=leads, is_current=True).count() == 5
    assert existing_leads.route_batch(run.pk) is False  # a repeated task routes nobody twice
    assert Decision.objects.count() == 5


def test_routing_without_published_rules_fails_instead_of_spinning(crm):
    make.lead(crm)
    run = existing_leads.begin_routing(counted(crm))
    assert existing_leads.route_batch(run.pk) is False
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "publish the rules" in run.error


def test_routing_needs_a_counted_run(crm):
    with pytest.raises(ValueError, match="count the leads first"):
        existing_leads.begin_routing(existing_leads.start(connection=crm))


@pytest.fixture
def org_admin(client, organization):
    user = get_user_model().objects.create_user("ada", "ada@example.com", "pw", is_staff=True)
    Membership.objects.create(organization=organization, user=user, role=Membership.Role.ADMIN)
    client.force_login(user)
    return client


def test_the_page_counts_in_the_background_then_offers_to_route(
    crm, duo, org_admin, organization, monkeypatch, django_capture_on_commit_callbacks
):
    from routing import tasks

    queued = []
    monkeypatch.setattr(tasks.count_existing_leads, "delay", queued.append)
    url = reverse("existing_leads")
    with django_capture_on_commit_callbacks(execute=True):
        response = org_admin.post(
            url, {"organization": organization.pk, "action": "count", "connection": crm.pk, "days": "7"}
        )
    assert response.status_code == 302
    run = ExistingLeadsRun.objects.get()
    assert queued == [run.pk] and run.days == 7 and run.status == RunStatus.COUNTING
    assert "Counting the CRM" in org_admin.get(url).content.decode()

    make.lead(crm)
    run.status, run.to_route = RunStatus.COUNTED, 1
    run.save()
    page = org_admin.get(url).content.decode()
    assert "Route 1 lead(s)" in page and "Ann" in page


def test_a_member_sees_the_page_but_cannot_start_a_run(crm, client, organization):
    user = get_user_model().objects.create_user("mo", "mo@example.com", "pw", is_staff=True)
    Membership.objects.create(organization=organization, user=user, role=Membership.Role.MEMBER)
    client.force_login(user)
    assert client.get(reverse("existing_leads")).status_code == 200
    post = {"organization": organization.pk, "action": "count", "connection": crm.pk}
    assert client.post(reverse("existing_leads"), post).status_code == 403
    assert not ExistingLeadsRun.objects.exists()
    assert Lead.objects.count() == 0
