"""Connecting HubSpot: /auth → the sandbox's consent page → /callback, and every way it can fail."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from crm_integrations.core import oauth
from crm_integrations.hubspot.config import hubspot_apps, hubspot_settings
from crm_integrations.hubspot.provider import SCOPES as HUBSPOT_REQUIRED_SCOPES
from crm_integrations.models import Organization, OrganizationIntegration
from crm_integrations.services import upsert_organization_integration

from .consent import decide_at_sandbox

PORTAL = "24000001"


@pytest.fixture
def staff_client(client, django_user_model, organization):
    user = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    organization.memberships.create(user=user, role="admin")
    client.force_login(user)
    return client


def start(client, organization, environment="sandbox"):
    response = client.get(
        reverse("crm_integrations:oauth_authorize", args=["hubspot"]),
        {"organization": organization.pk, "environment": environment},
    )
    assert response.status_code == 302
    return response["Location"]


def finish(client, path, query):
    assert path == reverse("crm_integrations:oauth_callback", args=["hubspot"])
    response = client.get(path, query, follow=True)
    assert response.redirect_chain == [(reverse("crm_integrations:integrations"), 302)]
    return [str(message) for message in response.context["messages"]]


def refresh_at_sandbox(sandbox, refresh_token):
    """Ask the sandbox for new tokens with ``refresh_token``, as the app would."""
    return requests.post(
        f"{sandbox.base_url}/oauth/v3/token",
        data={
            "grant_type": "refresh_token",
            "client_id": "sandbox-client-id",
            "client_secret": hubspot_settings("sandbox")["CLIENT_SECRET"],
            "refresh_token": refresh_token,
        },
        timeout=10,
    )


def assert_revoked_at_sandbox(sandbox, refresh_token):
    refused = refresh_at_sandbox(sandbox, refresh_token)
    assert refused.status_code == 400 and refused.json()["status"] == "BAD_REFRESH_TOKEN"


def the_only_grant(sandbox):
    """The refresh token the sandbox issued in this test (it is reset before each one)."""
    _, refresh_tokens = sandbox.state.tokens.tokens()
    assert len(refresh_tokens) == 1
    return refresh_tokens[0].token


def test_the_authorize_redirect_carries_client_scopes_state_and_pkce(
    staff_client, organization, hubspot_sandbox
):
    url = urlsplit(start(staff_client, organization))
    query = {key: values[0] for key, values in parse_qs(url.query).items()}

    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{hubspot_sandbox.base_url}/oauth/authorize"
    assert query["client_id"] == "sandbox-client-id"
    assert query["redirect_uri"] == "http://127.0.0.1:8000/api/v1/integrations/hubspot/callback"
    assert set(HUBSPOT_REQUIRED_SCOPES) == set(query["scope"].split())
    assert {
        "crm.objects.deals.read",
        "crm.objects.deals.write",
        "files.read",
        "crm.schemas.deals.read",
    } <= set(query["scope"].split())
    assert query["optional_scope"]
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 32


def test_approving_connects_the_organization_with_encrypted_tokens(
    staff_client, organization, hubspot_sandbox
):
    path, query = decide_at_sandbox(start(staff_client, organization))
    messages = finish(staff_client, path, query)

    assert messages == [f"HubSpot connected (account {PORTAL}, sandbox)."]
    connection = OrganizationIntegration.objects.get(organization=organization)
    assert (connection.status, connection.environment, connection.external_account_id) == (
        "connected",
        "sandbox",
        PORTAL,
    )
    assert "crm.objects.leads.read" in connection.scopes
    assert connection.expires_at is not None and connection.refresh_token
    # The stored token really works at "HubSpot".
    owners = requests.get(
        f"{hubspot_sandbox.base_url}/crm/v3/owners",
        headers={"Authorization": f"Bearer {connection.access_token}"},
        timeout=10,
    )
    assert owners.status_code == 200


def test_a_reused_state_is_refused_and_changes_nothing(staff_client, organization, hubspot_sandbox):
    path, query = decide_at_sandbox(start(staff_client, organization))
    finish(staff_client, path, query)
    OrganizationIntegration.objects.all().delete()

    messages = finish(staff_client, path, query)
    assert messages == ["This connection attempt is unknown or was already used. Please start again."]
    assert not OrganizationIntegration.objects.exists()


def test_an_expired_state_is_refused(staff_client, organization, hubspot_sandbox, monkeypatch):
    path, query = decide_at_sandbox(start(staff_client, organization))
    real_time = oauth.time.time
    monkeypatch.setattr(oauth.time, "time", lambda: real_time() + oauth.STATE_TTL_SECONDS + 1)

    messages = finish(staff_client, path, query)
    assert messages == ["This connection attempt expired (10 minutes). Please start again."]
    assert not OrganizationIntegration.objects.exists()


def test_a_state_from_another_session_is_refused(
    staff_client, django_user_model, organization, hubspot_sandbox
):
    path, query = decide_at_sandbox(start(staff_client, organization))
    other = Client()
    intruder = django_user_model.objects.create_user("intruder", password="pw", is_staff=True)
    organization.memberships.create(user=intruder)
    other.force_login(intruder)

    messages = finish(other, path, query)
    assert "unknown or was already used" in messages[0]
    assert not OrganizationIntegration.objects.exists()


def test_denied_consent_shows_why_and_stores_nothing(staff_client, organization, hubspot_sandbox):
    path, query = decide_at_sandbox(start(staff_client, organization), decision="deny")
    assert query["error"] == "access_denied"

    messages = finish(staff_client, path, query)
    assert messages[0].startswith("The connection was not approved")
    assert not OrganizationIntegration.objects.exists()


def test_a_failed_code_exchange_shows_an_error_and_stores_nothing(
    staff_client, organization, hubspot_sandbox
):
    path, query = decide_at_sandbox(start(staff_client, organization))
    query["code"] = "not-the-code"

    messages = finish(staff_client, path, query)
    assert messages[0].startswith("Connecting HubSpot failed:")
    assert "not-the-code" not in messages[0]
    assert not OrganizationIntegration.objects.exists()


def test_a_portal_connected_to_another_organization_is_refused_and_the_new_grant_revoked(
    staff_client, organization, hubspot_sandbox
):
    other = Organization.objects.create(name="Other Co", slug="other-co")
    upsert_organization_integration(
        other, "hubspot", "production", status="connected", external_account_id=PORTAL, access_token="x"
    )
    path, query = decide_at_sandbox(start(staff_client, organization))

    messages = finish(staff_client, path, query)
    assert "already connected to another organization" in messages[0]
    assert not OrganizationIntegration.objects.filter(organization=organization).exists()
    assert_revoked_at_sandbox(hubspot_sandbox, the_only_grant(hubspot_sandbox))


@pytest.mark.parametrize(
    ("introspection", "why"),
    [
        ({"active": False, "hub_id": int(PORTAL)}, "HubSpot says the new access token is not active"),
        (
            {"active": True, "scopes": ["oauth"]},
            "HubSpot did not say which portal the new access token belongs to",
        ),
    ],
    ids=["inactive", "without-hub-id"],
)
def test_an_introspection_that_names_no_live_portal_stores_nothing_and_revokes_the_grant(
    staff_client, organization, hubspot_sandbox, introspection, why
):
    path, query = decide_at_sandbox(start(staff_client, organization))
    with responses.RequestsMock() as hubspot:
        hubspot.add_passthru(hubspot_sandbox.base_url)  # the code exchange and the revocation are real
        hubspot.post(f"{hubspot_sandbox.base_url}/oauth/v3/token/introspect", json=introspection)
        messages = finish(staff_client, path, query)

    assert messages == [f"Connecting HubSpot failed: {why}. Please try again."]
    assert not OrganizationIntegration.objects.exists()
    assert_revoked_at_sandbox(hubspot_sandbox, the_only_grant(hubspot_sandbox))


def test_an_introspection_outage_after_the_exchange_revokes_the_grant(
    staff_client, organization, hubspot_sandbox, settings
):
    settings.CRM_HTTP = {**settings.CRM_HTTP, "MAX_ATTEMPTS": 1}
    path, query = decide_at_sandbox(start(staff_client, organization))
    hubspot_sandbox.control.set_faults(
        errorShare=1.0, errorStatuses=[503], pathPrefix="/oauth/v3/token/introspect"
    )

    messages = finish(staff_client, path, query)

    assert messages[0].startswith("Connecting HubSpot failed:")
    assert not OrganizationIntegration.objects.exists()
    assert_revoked_at_sandbox(hubspot_sandbox, the_only_grant(hubspot_sandbox))


def test_a_callback_without_a_code_says_so_and_stores_nothing(staff_client, organization, hubspot_sandbox):
    state = parse_qs(urlsplit(start(staff_client, organization)).query)["state"][0]

    messages = finish(
        staff_client, reverse("crm_integrations:oauth_callback", args=["hubspot"]), {"state": state}
    )

    assert messages == ["The CRM sent no authorization code. Please start again."]
    assert not OrganizationIntegration.objects.exists()
    assert hubspot_sandbox.state.tokens.tokens() == ([], [])  # nothing was exchanged


def test_connecting_an_organization_the_user_does_not_belong_to_is_not_found(staff_client, hubspot_sandbox):
    stranger = Organization.objects.create(name="Stranger Co", slug="stranger-co")
    response = staff_client.get(
        reverse("crm_integrations:oauth_authorize", args=["hubspot"]),
        {"organization": stranger.pk, "environment": "sandbox"},
    )
    assert response.status_code == 404
    assert not staff_client.session.get(oauth.SESSION_KEY)  # no connection attempt was started


def test_an_unconfigured_environment_is_refused_before_leaving(staff_client, organization, settings):
    settings.HUBSPOT = {**hubspot_apps(), "production": {**hubspot_settings("production"), "CLIENT_ID": ""}}
    response = staff_client.get(
        reverse("crm_integrations:oauth_authorize", args=["hubspot"]),
        {"organization": organization.pk, "environment": "production"},
    )
    assert response["Location"] == reverse("crm_integrations:select_crm")
    assert "no client id/secret configured" in str(next(iter(get_messages(response.wsgi_request))))


def test_the_flow_needs_a_staff_login(client, organization):
    response = client.get(reverse("crm_integrations:oauth_authorize", args=["hubspot"]))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_disconnect_revokes_at_hubspot_and_wipes_the_tokens(staff_client, organization, hubspot_sandbox):
    finish(staff_client, *decide_at_sandbox(start(staff_client, organization)))
    connection = OrganizationIntegration.objects.get()
    refresh_token = connection.refresh_token

    response = staff_client.post(
        reverse("crm_integrations:disconnect", args=[connection.pk]),
        {"organization": organization.pk, "confirm": "yes"},
    )
    assert response.status_code == 302
    connection.refresh_from_db()
    assert (connection.status, connection.access_token, connection.refresh_token) == ("disconnected", "", "")
    assert_revoked_at_sandbox(hubspot_sandbox, refresh_token)


def test_disconnect_when_hubspot_fails_to_revoke_warns_and_still_wipes_the_tokens(
    staff_client, organization, hubspot_sandbox
):
    finish(staff_client, *decide_at_sandbox(start(staff_client, organization)))
    connection = OrganizationIntegration.objects.get()
    refresh_token = connection.refresh_token
    hubspot_sandbox.control.set_faults(
        errorShare=1.0, errorStatuses=[503], pathPrefix="/oauth/v3/token/revoke"
    )

    response = staff_client.post(
        reverse("crm_integrations:disconnect", args=[connection.pk]),
        {"organization": organization.pk, "confirm": "yes"},
        follow=True,
    )

    assert [(m.level_tag, str(m)) for m in response.context["messages"]] == [
        (
            "warning",
            "HubSpot disconnected here, but it did not confirm the revocation: "
            "remove the app in the CRM's settings as well.",
        )
    ]
    connection.refresh_from_db()
    assert (connection.status, connection.access_token, connection.refresh_token) == ("disconnected", "", "")
    assert connection.status_reason == "Disconnected; the CRM did not confirm revocation."
    hubspot_sandbox.control.clear_faults()
    assert refresh_at_sandbox(hubspot_sandbox, refresh_token).status_code == 200  # the revoke really failed


def test_disconnecting_a_connection_without_a_refresh_token_does_not_claim_a_revocation(
    staff_client, organization
):
    """monday's tokens (and API tokens) cannot be revoked by us: the page must not say they were."""
    connection = upsert_organization_integration(
        organization, "monday", "sandbox", status="connected", external_account_id="77", access_token="tok"
    )

    response = staff_client.post(
        reverse("crm_integrations:disconnect", args=[connection.pk]),
        {"organization": organization.pk, "confirm": "yes"},
        follow=True,
    )

    [(level, text)] = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert level == "warning" and "revoked our access" not in text and "offers no way to revoke" in text
    connection.refresh_from_db()
    assert (connection.status, connection.access_token) == ("disconnected", "")
    assert connection.status_reason == "Disconnected; the token was deleted here (the CRM cannot revoke it)."
