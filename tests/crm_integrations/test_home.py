"""The admin home and the integrations page (crm_integrations/admin_site.py, admin_nav.py,
connection_state.py) and the first poll queued when a CRM is connected (services.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from crm_integrations.connection_state import connection_states
from crm_integrations.core.oauth import TokenSet
from crm_integrations.intake import tasks as intake_tasks
from crm_integrations.models import (
    EventOutcome,
    Membership,
    SyncCursor,
    WebhookDelivery,
    WebhookEvent,
)
from crm_integrations.selectors import lead_object_type
from crm_integrations.services import connect_organization, upsert_organization_integration

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client, organization):
    user = get_user_model().objects.create_user("mo", "mo@example.com", "pw", is_staff=True)
    Membership.objects.create(organization=organization, user=user, role=Membership.Role.ADMIN)
    user.user_permissions.set(Permission.objects.all())  # what the models allow; the admin scopes it
    client.force_login(user)
    return client


def group_titles(client) -> list[str]:
    return [app["name"] for app in client.get(reverse("admin:index")).context["available_apps"]]


def test_the_home_groups_screens_by_task_and_hides_the_system_tables_from_staff(member):
    assert group_titles(member) == ["Setup", "Routing", "Leads", "Contracts", "Monitoring"]


def test_a_superuser_finds_the_system_tables_in_one_system_group(admin_client):
    apps = admin_client.get(reverse("admin:index")).context["available_apps"]
    titles = [app["name"] for app in apps]
    assert titles == ["Setup", "Routing", "Leads", "Contracts", "Monitoring", "System"]
    system = {entry["object_name"] for entry in apps[-1]["models"]}
    assert {"AuthToken", "PeriodicTask", "ProviderCircuitBreaker", "SyncCursor", "ProviderApiCall"} <= system
    assert {"AccessAttempt", "Integration", "User"} <= system
    assert "CRM catalogue" in {entry["name"] for entry in apps[-1]["models"]}  # not a 2nd "Integrations"
    setup = [entry["name"] for entry in apps[0]["models"]]
    assert setup[0] == "Integrations" and "Field mapping wizard" in setup


def test_the_home_shows_the_checklist_figures_and_connections_of_the_organization(member, organization):
    upsert_organization_integration(
        organization, "hubspot", "sandbox", status="connected", external_account_id="1"
    )
    page = member.get(reverse("admin:index")).content.decode()
    assert 'id="setup-checklist"' in page and "1 of 5 done" in page
    assert 'id="figure-leads-in"' in page and 'id="home-connections"' in page
    assert "View site" not in page


def test_the_home_says_what_to_do_before_any_organization_exists(admin_client):
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert 'id="no-organization"' in page and "HubSpot, Monday.com, Salesforce" in page


def test_connecting_a_crm_queues_its_first_poll_once_committed(
    organization, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(intake_tasks.poll_connection, "delay", lambda *args: queued.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        connection = connect_organization(
            organization=organization,
            provider="hubspot",
            environment="sandbox",
            tokens=TokenSet(access_token="a", refresh_token="r", expires_at=None),
            account_id="24000001",
            scopes=(),
        )
    assert queued == [(str(connection.pk), lead_object_type(connection))]


def test_each_connection_shows_its_last_webhook_last_poll_and_errors_today(organization):
    connection = upsert_organization_integration(
        organization, "hubspot", "sandbox", status="connected", external_account_id="1"
    )
    delivery = WebhookDelivery.objects.create(
        provider="hubspot", method="POST", url="/", organization=organization, environment="sandbox"
    )
    WebhookEvent.objects.create(
        delivery=delivery,
        connection=connection,
        dedupe_key="k",
        outcome=EventOutcome.ERROR,
        outcome_detail="boom",
    )
    polled = timezone.now()
    SyncCursor.objects.create(
        connection=connection, object_type="contacts", last_polled_at=polled, last_result="2 record(s)"
    )

    [state] = connection_states(organization)

    assert state.last_webhook_at == delivery.received_at and state.last_poll_at == polled
    assert (state.errors_today, state.last_error, state.last_poll_result) == (1, "boom", "2 record(s)")
    assert state.leads_today == 0 and state.next_step.key == "mapping"  # figures from routing/dashboard.py


def test_the_integrations_page_shows_each_connections_activity(member, organization):
    upsert_organization_integration(
        organization, "hubspot", "sandbox", status="connected", external_account_id="1"
    )
    page = member.get(reverse("crm_integrations:integrations")).content.decode()
    assert "Last webhook: none yet" in page and "Last poll: not yet" in page
    assert 'class="leads-today">0<' in page and "Open the mapping wizard" in page
