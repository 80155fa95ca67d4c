"""Slack notices (crm_integrations/alerts/slack.py): the URL check, the post, the URL encrypted at
rest and never shown back, the admin form that sets and clears it."""

from __future__ import annotations

import json

import pytest
import responses
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import connection as db
from django.urls import reverse

from crm_integrations.alerts import incidents, notices, slack
from crm_integrations.models import AlertSettings, IncidentNotice, Membership
from crm_integrations.services import upsert_organization_integration

pytestmark = pytest.mark.django_db
HOOK = "https://hooks.slack.com/services/T000/B000/abcdefghijklmnopXYZW"


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.slack.com/services/T/B/x",
        "https://hooks.slack.com.evil.example/services/T/B/x",
        "https://evil.example/services/T/B/x",
        "https://127.0.0.1/services/T/B/x",
        "https://user:pw@hooks.slack.com/services/T/B/x",
        "https://hooks.slack.com:8443/services/T/B/x",
        "https://hooks.slack.com/api/chat.postMessage",
        "https://hooks.slack.com/services/T/B/x?redirect=1",
        "not a url",
    ],
)
def test_only_slack_incoming_webhook_urls_are_accepted(url):
    with pytest.raises(ValidationError):
        slack.validate_webhook_url(url)


def test_a_slack_incoming_webhook_url_is_accepted():
    slack.validate_webhook_url(HOOK)


def test_the_url_is_encrypted_at_rest_and_shown_masked(organization):
    row = AlertSettings.objects.create(organization=organization, slack_webhook_url=HOOK)
    with db.cursor() as cursor:
        cursor.execute("SELECT slack_webhook_url FROM crm_integrations_alertsettings")
        (stored,) = cursor.fetchone()
    assert HOOK not in stored and "abcdefghijklmnop" not in stored
    assert AlertSettings.objects.get(pk=row.pk).slack_webhook_url == HOOK
    assert slack.masked(HOOK) == "https://hooks.slack.com/services/…XYZW"


@responses.activate
def test_an_incident_is_posted_to_the_organizations_slack_once_opened_and_once_resolved(organization):
    AlertSettings.objects.create(organization=organization, slack_webhook_url=HOOK)
    responses.post(HOOK, body="ok")
    upsert_organization_integration(organization, "hubspot", "sandbox", status="needs_reauth")

    incidents.evaluate()
    notices.send_due()
    incidents.evaluate()
    notices.send_due()

    assert len(responses.calls) == 1
    text = json.loads(responses.calls[0].request.body)["text"]
    assert text.startswith("*Needs attention: Connection needs reconnecting — Acme Corp · HubSpot (Sandbox)*")
    upsert_organization_integration(organization, "hubspot", "sandbox", status="connected")
    incidents.evaluate()
    notices.send_due()
    assert len(responses.calls) == 2
    assert json.loads(responses.calls[1].request.body)["text"].startswith("*Resolved: ")
    statuses = IncidentNotice.objects.filter(channel="slack").values_list("event", "status")
    assert sorted(statuses) == [("opened", "sent"), ("resolved", "sent")]


@responses.activate
def test_a_slack_refusal_is_kept_in_words_without_the_url_and_retried(organization):
    AlertSettings.objects.create(organization=organization, slack_webhook_url=HOOK)
    responses.post(HOOK, status=404, body="no_service")
    upsert_organization_integration(organization, "hubspot", "sandbox", status="needs_reauth")

    incidents.evaluate()
    notices.send_due()

    notice = IncidentNotice.objects.get(channel="slack")
    assert (notice.status, notice.error) == ("retry", "Slack answered 404: no_service")
    assert "hooks.slack.com" not in notice.error


@responses.activate
def test_a_slack_timeout_names_the_error_not_the_url(organization):
    import requests

    AlertSettings.objects.create(organization=organization, slack_webhook_url=HOOK)
    responses.post(
        HOOK, body=requests.ConnectionError(f"HTTPSConnectionPool: Max retries exceeded with url: {HOOK}")
    )
    with pytest.raises(slack.SlackPostFailed) as failure:
        slack.post(HOOK, "hello")
    assert str(failure.value) == "Slack did not answer (ConnectionError)"


@pytest.fixture
def org_admin(client, organization):
    user = get_user_model().objects.create_user("ann", "ann@example.com", "pw", is_staff=True)
    Membership.objects.create(organization=organization, user=user, role=Membership.Role.ADMIN)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="crm_integrations"))
    client.force_login(user)
    return client


def test_an_administrator_sets_then_clears_the_webhook_and_never_sees_it_again(org_admin, organization):
    add = reverse("admin:crm_integrations_alertsettings_add")
    refused = org_admin.post(
        add, {"organization": organization.pk, "slack_webhook": "https://evil.example/services/x"}
    )
    assert refused.status_code == 200 and "must be on hooks.slack.com" in refused.content.decode()

    response = org_admin.post(add, {"organization": organization.pk, "slack_webhook": HOOK})
    assert response.status_code == 302
    row = AlertSettings.objects.get()
    assert row.slack_webhook_url == HOOK

    change = reverse("admin:crm_integrations_alertsettings_change", args=[row.pk])
    page = org_admin.get(change).content.decode()
    assert "abcdefghijklmnop" not in page and "https://hooks.slack.com/services/…XYZW" in page
    assert "ann@example.com" in page  # who gets the emails
    listing = org_admin.get(reverse("admin:crm_integrations_alertsettings_changelist")).content.decode()
    assert "abcdefghijklmnop" not in listing

    org_admin.post(change, {"slack_webhook": ""})  # empty keeps it
    assert AlertSettings.objects.get().slack_webhook_url == HOOK
    org_admin.post(change, {"clear_slack": "on"})
    assert AlertSettings.objects.get().slack_webhook_url == ""
