"""The access token's expiry learned from the Salesforce sandbox's introspection after connecting through
its consent page, and the token refreshed ahead of it (the beat's sweep, crm_integrations/tasks.py) rather
than on a 401; with introspection refused, the expiry stays unknown and a 401 refreshes once. And the
lead a poll reads keeps the CRM's creation time (``CreatedDate`` → ``Lead.crm_created_at``)."""

from __future__ import annotations

from datetime import timedelta

import requests
from django.urls import reverse
from django.utils import timezone

from crm_integrations.core import registry
from crm_integrations.core.datetimes import parse_moment
from crm_integrations.intake import polling
from crm_integrations.models import OrganizationIntegration
from crm_integrations.tasks import refresh_expiring_tokens
from field_mapping.models import Lead

from ..oauth.consent import decide_at_sandbox
from .conftest import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET

TOKEN_TTL = 900  # the sandbox's session timeout here: 15 minutes instead of 2 hours
TOKEN_PATH = "/services/oauth2/token"
REST_PREFIX = "/services/data/"


def connect_through_consent(admin_client, organization) -> OrganizationIntegration:
    start = admin_client.get(
        reverse("crm_integrations:oauth_authorize", args=["salesforce"]),
        {"organization": organization.pk, "environment": "sandbox"},
    )
    path, query = decide_at_sandbox(start["Location"])
    admin_client.get(path, query)
    return OrganizationIntegration.objects.get(organization=organization)


def last_seq(sandbox) -> int:
    """Where the sandbox's request log stands: ``requests(since=...)`` lists what came after."""
    return max((call["seq"] for call in sandbox.control.requests()), default=0)


def introspect(sandbox, token: str) -> dict:
    form = {"token": token, "token_type_hint": "access_token"}
    form.update(client_id=SANDBOX_CLIENT_ID, client_secret=SANDBOX_CLIENT_SECRET)
    return requests.post(f"{sandbox.base_url}/services/oauth2/introspect", data=form, timeout=10).json()


def test_a_connection_learns_its_expiry_and_is_refreshed_before_it(
    admin_client, organization, sandbox_settings, sandbox, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    sandbox.control.configure(access_token_ttl=TOKEN_TTL)

    connection = connect_through_consent(admin_client, organization)
    first_token, refresh_token = connection.access_token, connection.refresh_token
    learned = connection.expires_at

    assert connection.status == "connected" and learned is not None
    assert learned.timestamp() == introspect(sandbox, first_token)["exp"]
    assert abs((learned - timezone.now()) - timedelta(seconds=TOKEN_TTL)) < timedelta(seconds=30)
    assert refresh_expiring_tokens() == 0  # 15 minutes ahead: not due at the next sweep

    settings.CRM_TOKEN_REFRESH_MARGIN = TOKEN_TTL  # the sweep now finds it inside the margin
    since = last_seq(sandbox)
    assert refresh_expiring_tokens() == 1
    calls = sandbox.control.requests(since=since)

    refreshed = OrganizationIntegration.objects.get(pk=connection.pk)
    assert refreshed.access_token != first_token and refreshed.refresh_token == refresh_token
    assert introspect(sandbox, first_token)["active"] is True  # refreshed before the old one expired
    assert refreshed.expires_at is not None and refreshed.expires_at >= learned
    assert refreshed.expires_at.timestamp() == introspect(sandbox, refreshed.access_token)["exp"]
    assert [call["path"] for call in calls] == [TOKEN_PATH, "/services/oauth2/introspect"]
    assert not [call for call in sandbox.control.requests() if call["status"] == 401]


def test_with_introspection_refused_the_expiry_stays_unknown_and_a_401_refreshes_once(
    admin_client, organization, sandbox_settings, sandbox
):
    sandbox.control.configure(access_token_ttl=TOKEN_TTL, introspection="forbidden")
    connection = connect_through_consent(admin_client, organization)
    assert (connection.status, connection.expires_at) == ("connected", None)
    first_token = connection.access_token
    sandbox.control.advance_clock(TOKEN_TTL + 1)  # the session times out at the sandbox
    since = last_seq(sandbox)

    assert registry.get_client(connection).list_owners()

    stored = OrganizationIntegration.objects.get(pk=connection.pk)
    assert stored.access_token != first_token and stored.expires_at is None
    statuses = [(call["path"], call["status"]) for call in sandbox.control.requests(since=since)]
    assert [entry for entry in statuses if entry[0] == TOKEN_PATH] == [(TOKEN_PATH, 200)]  # once
    assert [status for path, status in statuses if path.startswith(REST_PREFIX)][:2] == [401, 200]


def test_a_polled_lead_keeps_its_salesforce_creation_time(connection, sandbox):
    created = sandbox.control.create_record(
        "Lead", {"LastName": "Hopper", "Company": "Compilers Inc", "Email": "grace@compilers.example"}
    )
    lead_id = created.get("id") or created.get("Id")
    sandbox.control.advance_clock(120)
    sandbox.control.update_record("Lead", lead_id, {"Company": "Compilers Incorporated"})
    stored = sandbox.control.record("Lead", lead_id)
    created_date = stored["CreatedDate"]
    assert parse_moment(stored["SystemModstamp"]) > parse_moment(created_date)  # changed since

    polling.poll(connection, "leads", since=timezone.now() - timedelta(minutes=5))

    lead = Lead.objects.get(connection=connection, external_id=lead_id)
    assert lead.crm_created_at is not None
    assert lead.crm_created_at == parse_moment(created_date, epoch_ms=False)
