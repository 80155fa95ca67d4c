"""Connecting and staying connected, against answers scripted with ``responses``: the token answer
without ``expires_in``, the identity URL, a refresh on ``401 INVALID_SESSION_ID`` (with and without
rotation), ``invalid_grant``, the daily allocation (``Sforce-Limit-Info``, ``403
REQUEST_LIMIT_EXCEEDED``) and revoking on disconnect."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from crm_integrations.core import registry
from crm_integrations.core.errors import AuthRevoked, CrmError, RateLimited
from crm_integrations.core.oauth import TokenSet
from crm_integrations.models import ConnectionStatus, OrganizationIntegration
from crm_integrations.salesforce import limits
from crm_integrations.services import Revocation, disconnect_connection

from .conftest import (
    CLIENT_SECRET,
    OFFLINE_INSTANCE,
    OFFLINE_LOGIN,
    ORG_ID,
    QUERY_URL,
    TOKEN_URL,
    USER_ID,
    query_page,
)

EXPIRED = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def token_answer(**extra: object) -> dict:
    return {
        "access_token": "00D!fresh-access-token",
        "signature": "c2lnbmF0dXJl",
        "scope": "api refresh_token",
        "instance_url": OFFLINE_INSTANCE,
        "id": f"{OFFLINE_LOGIN}/id/{ORG_ID}/{USER_ID}",
        "token_type": "Bearer",
        "issued_at": "1795000000000",
        **extra,
    }


def form(call) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(call.request.body).items()}


def test_the_callback_stores_the_org_the_instance_url_the_user_and_the_scopes(
    admin_client, organization, offline_settings, mocked
):
    mocked.post(TOKEN_URL, json=token_answer(refresh_token="5Aep-refresh"))
    mocked.post(
        f"{OFFLINE_LOGIN}/services/oauth2/introspect", json={"active": True, "scope": "api refresh_token"}
    )
    start = admin_client.get(
        reverse("crm_integrations:oauth_authorize", args=["salesforce"]),
        {"organization": organization.pk, "environment": "sandbox"},
    )
    query = {key: values[0] for key, values in parse_qs(urlsplit(start["Location"]).query).items()}

    admin_client.get(
        reverse("crm_integrations:oauth_callback", args=["salesforce"]),
        {"state": query["state"], "code": "aPrx"},
    )

    assert start["Location"].startswith(f"{OFFLINE_LOGIN}/services/oauth2/authorize?")
    assert query["code_challenge_method"] == "S256" and query["scope"] == "api refresh_token"
    exchange = form(mocked.calls[0])
    assert exchange["grant_type"] == "authorization_code" and exchange["code_verifier"]
    connection = OrganizationIntegration.objects.get()
    assert (connection.external_account_id, connection.status, connection.expires_at) == (
        ORG_ID,
        "connected",
        None,
    )
    assert connection.settings == {"instance_url": OFFLINE_INSTANCE, "user_id": USER_ID}
    assert connection.scopes == ["api", "refresh_token"] and connection.refresh_token == "5Aep-refresh"


def test_a_token_answer_without_an_identity_url_names_no_org(db, offline_settings):
    provider = registry.get_provider("salesforce")

    with pytest.raises(CrmError):
        provider.identify_account(
            "sandbox", TokenSet("a-token", "", None, raw={"instance_url": OFFLINE_INSTANCE})
        )


def test_an_expired_session_is_refreshed_once_and_the_old_refresh_token_kept(offline_client, mocked):
    mocked.get(QUERY_URL, status=401, json=EXPIRED)
    mocked.post(TOKEN_URL, json=token_answer())  # no refresh_token: rotation is off
    mocked.get(QUERY_URL, json=query_page([]))

    assert offline_client.batch_read("leads", ["00Q000000000001AAA"]) == []

    refresh = form(mocked.calls[1])
    assert (refresh["grant_type"], refresh["refresh_token"]) == ("refresh_token", "offline-refresh-token")
    assert refresh["client_secret"] == CLIENT_SECRET
    assert mocked.calls[2].request.headers["Authorization"] == "Bearer 00D!fresh-access-token"
    stored = OrganizationIntegration.objects.get()
    assert (stored.access_token, stored.refresh_token) == ("00D!fresh-access-token", "offline-refresh-token")


def test_with_rotation_the_new_refresh_token_is_stored(offline_client, mocked):
    mocked.get(QUERY_URL, status=401, json=EXPIRED)
    mocked.post(TOKEN_URL, json=token_answer(refresh_token="rotated-refresh-token"))
    mocked.get(QUERY_URL, json=query_page([]))

    offline_client.batch_read("leads", ["00Q000000000001AAA"])

    assert OrganizationIntegration.objects.get().refresh_token == "rotated-refresh-token"


def test_a_rejected_refresh_token_marks_the_connection_for_reconnection(offline_client, mocked):
    mocked.get(QUERY_URL, status=401, json=EXPIRED)
    mocked.post(
        TOKEN_URL,
        status=400,
        json={"error": "invalid_grant", "error_description": "expired access/refresh token"},
    )

    with pytest.raises(AuthRevoked):
        offline_client.batch_read("leads", ["00Q000000000001AAA"])

    assert OrganizationIntegration.objects.get().status == ConnectionStatus.NEEDS_REAUTH


def test_every_answer_records_the_daily_allocation_used(offline_client, mocked, settings):
    settings.SALESFORCE_NON_URGENT_SHARE = 0.5
    mocked.get(QUERY_URL, json=query_page([]), headers={"Sforce-Limit-Info": "api-usage=4999/10000"})
    mocked.get(
        QUERY_URL,
        json=query_page([]),
        headers={"Sforce-Limit-Info": "api-usage=5000/10000;per-app-api-usage=17/250(appName=x)"},
    )

    offline_client.batch_read("leads", ["00Q000000000001AAA"])
    assert offline_client.api_usage().used == 4999 and not offline_client.non_urgent_paused()
    offline_client.batch_read("leads", ["00Q000000000001AAA"])

    usage = limits.usage(ORG_ID)
    assert (usage.used, usage.allocation, usage.share) == (5000, 10000, 0.5)
    assert offline_client.non_urgent_paused()


def test_a_spent_allocation_is_rate_limited_never_an_auth_error(offline_client, mocked):
    mocked.get(
        QUERY_URL,
        status=403,
        json=[{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
        headers={"Sforce-Limit-Info": "api-usage=10001/10000"},
    )

    with pytest.raises(RateLimited) as caught:
        offline_client.batch_read("leads", ["00Q000000000001AAA"])

    assert caught.value.code == "REQUEST_LIMIT_EXCEEDED" and caught.value.retry_after >= 60
    assert len(mocked.calls) == 1  # not slept on and repeated inline: the task retries later
    assert OrganizationIntegration.objects.get().status == ConnectionStatus.CONNECTED
    assert limits.usage(ORG_ID).used == 10001


def test_disconnect_revokes_the_refresh_token(offline_connection, mocked):
    mocked.post(f"{OFFLINE_LOGIN}/services/oauth2/revoke", status=200)

    assert disconnect_connection(offline_connection) == Revocation.CONFIRMED

    assert form(mocked.calls[0])["token"] == "offline-refresh-token"
    assert OrganizationIntegration.objects.get().status == ConnectionStatus.DISCONNECTED
