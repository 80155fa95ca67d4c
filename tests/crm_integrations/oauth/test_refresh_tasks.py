"""The beat sweeps: refresh what is about to expire, keep idle grants alive, stop on dead ones."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm_integrations import tasks
from crm_integrations.models import Organization, OrganizationIntegration
from crm_integrations.services import upsert_organization_integration
from tests.conftest import connect_hubspot_sandbox


def make(slug, **fields):
    organization = Organization.objects.create(name=slug, slug=slug)
    defaults = {"status": "connected", "access_token": "a", "refresh_token": "r"}
    return upsert_organization_integration(organization, "hubspot", "sandbox", **{**defaults, **fields})


@pytest.fixture
def queued(monkeypatch):
    sent = []
    monkeypatch.setattr(
        tasks.refresh_connection_tokens, "delay", lambda *args, **kwargs: sent.append((args, kwargs))
    )
    return sent


def test_the_sweep_queues_only_connected_tokens_about_to_expire(catalogue, queued):
    now = timezone.now()
    soon = make("soon", expires_at=now + timedelta(minutes=3))
    make("later", expires_at=now + timedelta(hours=2))
    make("dead", expires_at=now + timedelta(minutes=1), status="needs_reauth")
    make("off", expires_at=now + timedelta(minutes=1), status="disconnected")
    make("no-refresh-token", expires_at=now + timedelta(minutes=1), refresh_token="")

    assert tasks.refresh_expiring_tokens() == 1
    assert queued == [((str(soon.pk),), {})]


def test_the_daily_keep_alive_forces_a_refresh_of_idle_connections(catalogue, queued):
    idle = make("idle", last_refreshed_at=timezone.now() - timedelta(days=2))
    never = make("never")
    make("busy", last_refreshed_at=timezone.now() - timedelta(hours=1))

    assert tasks.keep_idle_connections_alive() == 2
    assert sorted(queued) == sorted([((str(idle.pk),), {"force": True}), ((str(never.pk),), {"force": True})])


sandbox_connection = connect_hubspot_sandbox


def test_the_refresh_task_renews_tokens_at_hubspot(organization, hubspot_sandbox):
    connection = sandbox_connection(hubspot_sandbox, organization, expires_at=timezone.now())
    old = connection.access_token

    result = tasks.refresh_connection_tokens.apply(args=[str(connection.pk)]).get()

    connection.refresh_from_db()
    assert result.startswith("expires_at=")
    assert connection.access_token != old and connection.expires_at > timezone.now() + timedelta(minutes=25)


def test_a_revoked_grant_marks_needs_reauth_and_shows_reconnect(organization, hubspot_sandbox, admin_client):
    connection = sandbox_connection(hubspot_sandbox, organization, expires_at=timezone.now())
    hubspot_sandbox.control.revoke_refresh_token(connection.refresh_token)

    assert tasks.refresh_connection_tokens.apply(args=[str(connection.pk)]).get() == "needs_reauth"
    assert tasks.refresh_connection_tokens.apply(args=[str(connection.pk)]).get() == "needs_reauth"

    connection.refresh_from_db()
    assert connection.status == "needs_reauth"
    refresh_calls = [
        c for c in hubspot_sandbox.control.requests(path_prefix="/oauth/") if c["method"] == "POST"
    ]
    assert len(refresh_calls) == 1  # the second run did not try again
    page = admin_client.get(reverse("crm_integrations:integrations"), {"organization": organization.pk})
    html = page.content.decode()
    assert "Needs reconnection" in html and "rejected the refresh token" in html
    assert 'class="button reconnect"' in html
    assert OrganizationIntegration.objects.get().refresh_lease_until is None
