"""The alert the issue asks to see: the HubSpot sandbox revokes our refresh token, the token refresh
marks the connection, the next evaluation opens one incident and emails the administrators once;
the home shows it with a Reconnect link; reconnecting (OAuth at the sandbox) resolves it, with a
second email."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from crm_integrations import tasks
from crm_integrations.models import Incident, Membership, OrganizationIntegration
from tests.conftest import connect_hubspot_sandbox
from tests.crm_integrations.oauth.consent import decide_at_sandbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def org_admin(client, organization):
    user = get_user_model().objects.create_user("ann", "ann@example.com", "pw", is_staff=True)
    Membership.objects.create(organization=organization, user=user, role=Membership.Role.ADMIN)
    client.force_login(user)
    return client


def reconnect(client, organization) -> None:
    start = client.get(
        reverse("crm_integrations:oauth_authorize", args=["hubspot"]),
        {"organization": organization.pk, "environment": "sandbox"},
    )
    path, query = decide_at_sandbox(start["Location"])
    assert client.get(path, query).status_code == 302


def test_a_revoked_refresh_token_emails_once_shows_on_the_home_and_reconnecting_resolves_it(
    organization, hubspot_sandbox, org_admin
):
    connection = connect_hubspot_sandbox(hubspot_sandbox, organization, expires_at=timezone.now())
    hubspot_sandbox.control.revoke_refresh_token(connection.refresh_token)
    assert tasks.refresh_connection_tokens.apply(args=[str(connection.pk)]).get() == "needs_reauth"

    tasks.evaluate_alerts.apply().get()
    tasks.evaluate_alerts.apply().get()  # a minute later: still open, nobody told twice

    incident = Incident.objects.get()
    assert (incident.kind, incident.is_open) == ("needs_reconnection", True)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ann@example.com"]
    assert mail.outbox[0].subject.startswith("Needs attention: Connection needs reconnecting")
    home = org_admin.get(reverse("admin:index")).content.decode()
    assert 'id="open-incidents"' in home and "Connection needs reconnecting" in home
    reconnect_link = (
        f"/api/v1/integrations/hubspot/auth?organization={organization.pk}&amp;environment=sandbox"
    )
    assert reconnect_link in home

    reconnect(org_admin, organization)
    assert OrganizationIntegration.objects.get().status == "connected"
    tasks.evaluate_alerts.apply().get()
    tasks.evaluate_alerts.apply().get()

    incident.refresh_from_db()
    assert not incident.is_open and incident.resolution == "The connection was reconnected."
    assert len(mail.outbox) == 2 and mail.outbox[1].subject.startswith(
        "Resolved: Connection needs reconnecting"
    )
    assert 'id="open-incidents"' not in org_admin.get(reverse("admin:index")).content.decode()
