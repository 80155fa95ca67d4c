"""Connect and forget: refresh ahead of expiry and on a 401, keep what must be kept, stop on a dead grant."""

import json
from datetime import timedelta

import pytest
import requests
import responses
from django.utils import timezone

from crm_integrations.core import tokens
from crm_integrations.core.errors import AuthExpired, AuthRevoked
from crm_integrations.hubspot.config import hubspot_apps
from crm_integrations.models import OrganizationIntegration
from crm_integrations.services import upsert_organization_integration

API = "https://hubspot.test"
TOKEN_URL = f"{API}/oauth/v3/token"


@pytest.fixture(autouse=True)
def hubspot_app(settings):
    settings.HUBSPOT = {
        **hubspot_apps(),
        "sandbox": {
            "CLIENT_ID": "cid",
            "CLIENT_SECRET": "csecret",
            "REDIRECT_URI": "http://testserver/api/v1/integrations/hubspot/callback",
            "AUTH_BASE_URL": API,
            "API_BASE_URL": API,
        },
    }


@pytest.fixture
def connection(organization):
    return upsert_organization_integration(
        organization,
        "hubspot",
        "sandbox",
        status="connected",
        external_account_id="101",
        access_token="old-access",
        refresh_token="the-refresh",
        expires_at=timezone.now() + timedelta(seconds=60),  # inside the 300 s margin
    )


def token_body(access: str, refresh: str | None = None) -> dict:
    body = {"access_token": access, "expires_in": 1800, "token_type": "bearer"}
    if refresh:
        body["refresh_token"] = refresh
    return body


@responses.activate
def test_a_token_about_to_expire_is_refreshed_and_stored_before_use(connection):
    refresh_call = responses.post(TOKEN_URL, json=token_body("new-access"))

    assert tokens.access_token(connection) == "new-access"

    assert refresh_call.call_count == 1
    form = dict(pair.split("=") for pair in refresh_call.calls[0].request.body.split("&"))
    assert form["grant_type"] == "refresh_token" and form["refresh_token"] == "the-refresh"
    stored = OrganizationIntegration.objects.get(pk=connection.pk)
    assert stored.access_token == "new-access"
    assert stored.refresh_token == "the-refresh"  # none came back: the old one is kept
    assert stored.expires_at > timezone.now() + timedelta(minutes=29)
    assert stored.refresh_lease_until is None


@responses.activate
def test_a_rotated_refresh_token_is_stored(connection):
    responses.post(TOKEN_URL, json=token_body("new-access", refresh="rotated-refresh"))
    tokens.refresh_tokens(connection.pk, force=True)
    assert OrganizationIntegration.objects.get(pk=connection.pk).refresh_token == "rotated-refresh"


@responses.activate
def test_a_fresh_token_is_used_as_is(connection):
    connection.expires_at = timezone.now() + timedelta(minutes=25)
    connection.save()
    assert tokens.access_token(connection) == "old-access"
    assert len(responses.calls) == 0


@pytest.mark.parametrize(
    "rejection",
    [
        {"status": "BAD_REFRESH_TOKEN", "message": "missing or invalid refresh token"},  # classic body
        {
            "error": "invalid_grant",
            "error_description": "revoked",
            "status": "BAD_REFRESH_TOKEN",
            "message": "x",
        },
    ],
)
@responses.activate
def test_a_rejected_refresh_token_marks_needs_reauth_once_and_nothing_retries_it(connection, rejection):
    refresh_call = responses.post(TOKEN_URL, status=400, json=rejection)

    with pytest.raises(AuthRevoked):
        tokens.access_token(connection)
    stored = OrganizationIntegration.objects.get(pk=connection.pk)
    assert stored.status == "needs_reauth"
    assert "BAD_REFRESH_TOKEN" in stored.status_reason or "invalid_grant" in stored.status_reason
    assert stored.refresh_lease_until is None

    with pytest.raises(AuthRevoked, match="reconnected"):
        tokens.access_token(stored)
    with pytest.raises(AuthRevoked):
        tokens.refresh_tokens(connection.pk, force=True)
    assert refresh_call.call_count == 1


@responses.activate
def test_a_401_refreshes_once_and_the_call_is_tried_again(connection):
    connection.expires_at = timezone.now() + timedelta(minutes=25)
    connection.save()
    responses.post(TOKEN_URL, json=token_body("after-401"))
    auth = tokens.ConnectionAuth(connection)
    seen = []

    def send():
        prepared = auth(requests.Request("GET", f"{API}/x").prepare())
        seen.append(prepared.headers["Authorization"])
        if len(seen) == 1:
            raise AuthExpired("expired", status=401)
        return "ok"

    assert auth.call(send) == "ok"
    assert seen == ["Bearer old-access", "Bearer after-401"]


@responses.activate
def test_a_401_after_another_process_refreshed_uses_its_token_without_refreshing(connection):
    connection.expires_at = timezone.now() + timedelta(minutes=25)
    connection.save()
    auth = tokens.ConnectionAuth(connection)
    auth.last_token = "old-access"
    # Meanwhile another worker refreshed and stored a new token.
    upsert_organization_integration(connection.organization, "hubspot", "sandbox", access_token="theirs")

    fresh = tokens.refresh_tokens(connection.pk, if_token_is=auth.last_token)

    assert fresh.access_token == "theirs"
    assert len(responses.calls) == 0


@responses.activate
def test_a_held_lease_makes_others_wait_then_use_the_stored_tokens(connection, monkeypatch):
    OrganizationIntegration.objects.filter(pk=connection.pk).update(
        refresh_lease_until=timezone.now() + timedelta(seconds=30)
    )
    waits = []

    def another_process_finishes(seconds):
        waits.append(seconds)
        upsert_organization_integration(
            connection.organization,
            "hubspot",
            "sandbox",
            access_token="from-the-lease-holder",
            expires_at=timezone.now() + timedelta(minutes=30),
        )

    monkeypatch.setattr(tokens.time, "sleep", another_process_finishes)
    assert tokens.access_token(connection) == "from-the-lease-holder"
    assert len(waits) == 1 and len(responses.calls) == 0


def test_the_lease_outlasts_the_slowest_token_call(settings):
    settings.CRM_HTTP = {**settings.CRM_HTTP, "CONNECT_TIMEOUT": 3.05, "READ_TIMEOUT": 30}
    assert tokens.lease_seconds() > 3.05 + 30


@responses.activate
def test_a_refresher_whose_lease_ran_out_does_not_release_the_next_holders_lease(connection, monkeypatch):
    """The first refresher's call outlives its lease; a second process takes the lease meanwhile.
    When the first one finishes, the second one's lease must still be there."""
    theirs = {}

    def slow_refresh(request):
        OrganizationIntegration.objects.filter(pk=connection.pk).update(refresh_lease_until=timezone.now())
        taken = tokens._take_lease(connection.pk)  # another process, now that ours ran out
        theirs["lease"] = taken
        return 200, {}, json.dumps(token_body("new-access"))

    responses.add_callback(responses.POST, TOKEN_URL, callback=slow_refresh)

    tokens.refresh_tokens(connection.pk)

    assert theirs["lease"] is not None
    stored = OrganizationIntegration.objects.get(pk=connection.pk).refresh_lease_until
    assert stored == theirs["lease"]
