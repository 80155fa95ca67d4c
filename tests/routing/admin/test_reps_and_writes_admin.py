"""Reps (loads, scores, identities, sync), teams, the routing policy and owner write-backs (Retry now)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm_integrations.models import Organization
from routing.models import OwnerWrite, Team
from routing.reps_sync import SyncResult


@pytest.mark.django_db
def test_the_reps_list_shows_load_score_with_its_parts_and_identities(setup, staff_client):
    setup.ann.capacity = 5
    setup.ann.score = 0.72
    setup.ann.score_parts = {"win_rate": 0.8, "load": 0.6, "speed": 0.7, "won": 12, "lost": 3}
    setup.ann.save()

    page = staff_client.get(reverse("admin:routing_rep_changelist")).content.decode()

    assert "2 / 5" in page  # Ann: two open leads of five
    assert '<span title="0.72 = win rate 0.80 · load 0.60 · speed 0.70 (12 won, 3 lost)">0.72</span>' in page
    assert "0.50 (no outcomes yet)" in page  # the parts on hover; the full text on the rep's page
    assert "HubSpot (owner 71)" in page
    assert "not-a-real-token" not in page


@pytest.mark.django_db
def test_the_rep_page_edits_hours_and_time_off_and_shows_identities_read_only(setup, staff_client):
    url = reverse("admin:routing_rep_change", args=[setup.bob.pk])
    page = staff_client.get(url).content.decode()
    assert "CRM identities (from the sync)" in page and "72" in page
    assert 'name="identities-0-external_id"' not in page  # read-only

    from .conftest import form_data

    data = form_data(staff_client.get(url))
    data.update(
        {
            "working_hours": "Mon-Fri 09:00-17:30",
            "time_zone": "Europe/Berlin",
            "time_off-TOTAL_FORMS": "1",
            "time_off-0-starts_on": "2030-01-01",
            "time_off-0-ends_on": "2030-01-10",
        }
    )
    assert staff_client.post(url, data).status_code == 302
    setup.bob.refresh_from_db()
    assert setup.bob.working_hours == "Mon-Fri 09:00-17:30" and setup.bob.time_off.count() == 1

    data["working_hours"] = "weekdays"
    refused = staff_client.post(url, data)
    assert refused.status_code == 200 and "is not like" in refused.content.decode()


@pytest.mark.django_db
def test_sync_reps_from_the_crm_reports_what_changed(setup, organization, staff_client, monkeypatch):
    synced = []

    def fake_sync(connection):
        synced.append(connection.pk)
        return SyncResult(created=2, updated=3, left=1)

    monkeypatch.setattr("routing.admin.reps.sync_reps", fake_sync)
    page = staff_client.post(
        reverse("admin:routing_rep_changelist"),
        {"action": "sync_from_crm", "_selected_action": [setup.ann.pk]},
        follow=True,
    ).content.decode()
    assert "2 new, 3 updated, 1 left the CRM" in page and synced == [setup.crm.pk]

    sync_page = staff_client.get(reverse("admin:routing_rep_sync")).content.decode()
    assert "24000001" in sync_page and "not-a-real-token" not in sync_page
    staff_client.post(reverse("admin:routing_rep_sync"), {"connection": str(setup.crm.pk)})
    assert synced == [setup.crm.pk, setup.crm.pk]


@pytest.mark.django_db
def test_rep_teams_are_limited_to_its_organization(setup, staff_client):
    other = Organization.objects.create(name="Other Co", slug="other")
    Team.objects.create(organization=other, name="Elsewhere")
    mine = Team.objects.create(organization=setup.ann.organization, name="Sales")
    form = (
        staff_client.get(reverse("admin:routing_rep_change", args=[setup.ann.pk])).context["adminform"].form
    )
    assert list(form.fields["teams"].queryset) == [mine]


@pytest.mark.django_db
def test_the_policy_page_has_one_policy_per_organization(setup, organization, staff_client):
    page = staff_client.get(
        reverse("admin:routing_routingpolicy_change", args=[organization.routing_policy.pk])
    )
    text = page.content.decode()
    assert "Route-if filters" in text and "KPI score weights" in text and "SLA" in text


@pytest.mark.django_db
def test_retry_now_makes_failed_and_retrying_write_backs_due_and_flushes(setup, staff_client, monkeypatch):
    flushed = []
    monkeypatch.setattr("routing.writeback.request_flush", flushed.append)
    later = timezone.now() + timedelta(hours=1)
    failed, retrying, written, *_ = OwnerWrite.objects.order_by("created_at", "pk")
    OwnerWrite.objects.filter(pk=failed.pk).update(
        status="failed", attempts=6, next_attempt_at=later, last_error="HTTP 500"
    )
    OwnerWrite.objects.filter(pk=retrying.pk).update(status="retrying", attempts=2, next_attempt_at=later)
    OwnerWrite.objects.filter(pk=written.pk).update(status="written", written_at=timezone.now())

    page = staff_client.get(
        reverse("admin:routing_ownerwrite_changelist"), {"status": "failed"}
    ).content.decode()
    assert "HTTP 500" in page and page.count('class="action-select"') == 1

    response = staff_client.post(
        reverse("admin:routing_ownerwrite_changelist"),
        {"action": "retry", "_selected_action": [failed.pk, retrying.pk, written.pk]},
        follow=True,
    )

    assert "2 owner write-back(s) will be sent now; 1 skipped" in response.content.decode()
    rows = {row.pk: row for row in OwnerWrite.objects.all()}
    assert rows[failed.pk].status == "pending" and rows[retrying.pk].status == "retrying"
    assert (
        rows[failed.pk].next_attempt_at <= timezone.now()
        and rows[retrying.pk].next_attempt_at <= timezone.now()
    )
    assert rows[written.pk].status == "written"
    assert flushed == [str(setup.crm.pk)]
