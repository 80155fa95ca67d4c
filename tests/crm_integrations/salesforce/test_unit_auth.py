"""Connecting and staying connected, against answers scripted with ``responses``: the token answer
without ``expires_in``, the identity URL, the expiry learned from introspection (or left unknown when
introspection is refused), a refresh on ``401 INVALID_SESSION_ID`` (with and without rotation),
``invalid_grant``, the daily allocation (``Sforce-Limit-Info``, ``403
REQUEST_LIMIT_EXCEEDED``) and revoking on disconnect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.urls import reverse
from django.utils import timezone

from crm_integrations.core import registry
from crm_integrations.core.errors import AuthRevoked, CrmError, RateLimited
from crm_integrations.core.oauth import TokenSet
from crm_integrations.models import ConnectionStatus, OrganizationIntegration
from crm_integrations.salesforce import limits
from crm_integrations.services import Revocation, disconnect_connection, upsert_organization_integration

from .conftest import (
    CLIENT_ID,
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
INTROSPECT_URL = f"{OFFLINE_LOGIN}/services/oauth2/introspect"
#: Far ahead of any run of these tests (epoch seconds, as RFC 7662's ``exp``).
EXP = 4_102_444_800  # 2100-01-01T00:00:00Z


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


def connect(admin_client, organization) -> tuple:
    """Press Connect for the sandbox environment and come back approved: (the redirect, its query)."""
    start = admin_client.get(
        reverse("crm_integrations:oauth_authorize", args=["salesforce"]),
        {"organization": organization.pk, "environment": "sandbox"},
    )
    query = {key: values[0] for key, values in parse_qs(urlsplit(start["Location"]).query).items()}
    admin_client.get(
        reverse("crm_integrations:oauth_callback", args=["salesforce"]),
        {"state": query["state"], "code": "aPrx"},
    )
    return start, query


def test_the_callback_stores_the_org_the_instance_url_the_user_and_the_scopes(
    admin_client, organization, offline_settings, mocked
):
    mocked.post(TOKEN_URL, json=token_answer(refresh_token="5Aep-refresh"))
    mocked.post(INTROSPECT_URL, json={"active": True, "scope": "api refresh_token"})  # no exp
    start, query = connect(admin_client, organization)

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


def test_the_callback_stores_the_expiry_introspection_gives(
    admin_client, organization, offline_settings, mocked
):
    mocked.post(TOKEN_URL, json=token_answer(refresh_token="5Aep-refresh"))
    mocked.post(INTROSPECT_URL, json={"active": True, "exp": EXP, "iat": EXP - 7200})

    connect(admin_client, organization)

    introspection = form(mocked.calls[1])
    assert (introspection["token"], introspection["token_type_hint"]) == (
        "00D!fresh-access-token",
        "access_token",
    )
    assert (introspection["client_id"], introspection["client_secret"]) == (CLIENT_ID, CLIENT_SECRET)
    connection = OrganizationIntegration.objects.get()
    assert (connection.status, connection.expires_at) == ("connected", datetime.fromtimestamp(EXP, UTC))


@pytest.mark.parametrize(
    "refusal",
    [
        {"status": 403, "json": {"error": "insufficient_scope", "error_description": "not allowed"}},
        {
            "status": 401,
            "json": {"error": "invalid_client", "error_description": "invalid client credentials"},
        },
        {"status": 400, "json": {"error": "invalid_request", "error_description": "bad request"}},
        {"json": {"active": False}},
        {"json": {"active": True, "scope": "api"}},
        {"body": requests.ConnectionError("refused")},
    ],
    ids=["403", "401", "400", "inactive", "no-exp", "network"],
)
def test_a_refused_introspection_connects_with_the_expiry_unknown_and_no_token_logged(
    admin_client, organization, offline_settings, mocked, caplog, refusal
):
    mocked.post(TOKEN_URL, json=token_answer(refresh_token="5Aep-refresh"))
    mocked.post(INTROSPECT_URL, **refusal)

    with caplog.at_level("INFO", logger="crm_integrations"):
        connect(admin_client, organization)

    connection = OrganizationIntegration.objects.get()
    assert (connection.status, connection.external_account_id, connection.expires_at) == (
        "connected",
        ORG_ID,
        None,
    )
    assert "expiry stays unknown" in caplog.text or "not active" in caplog.text
    assert "00D!fresh-access-token" not in caplog.text and CLIENT_SECRET not in caplog.text


def test_a_token_near_its_learned_expiry_is_refreshed_before_the_call(offline_connection, mocked):
    upsert_organization_integration(
        offline_connection.organization,
        "salesforce",
        "sandbox",
        expires_at=timezone.now() + timedelta(seconds=60),  # inside CRM_TOKEN_REFRESH_MARGIN
    )
    mocked.post(TOKEN_URL, json=token_answer())
    mocked.post(INTROSPECT_URL, json={"active": True, "exp": EXP})
    mocked.get(QUERY_URL, json=query_page([]))

    registry.get_client(OrganizationIntegration.objects.get()).batch_read("leads", ["00Q000000000001AAA"])

    assert [call.request.url.split("?")[0] for call in mocked.calls] == [TOKEN_URL, INTROSPECT_URL, QUERY_URL]
    assert mocked.calls[2].request.headers["Authorization"] == "Bearer 00D!fresh-access-token"
    stored = OrganizationIntegration.objects.get()
    assert (stored.refresh_token, stored.expires_at) == (
        "offline-refresh-token",
        datetime.fromtimestamp(EXP, UTC),
    )


def test_a_token_answer_without_an_identity_url_names_no_org(db, offline_settings):
    provider = registry.get_provider("salesforce")

    with pytest.raises(CrmError):
        provider.identify_account(
            "sandbox", TokenSet("a-token", "", None, raw={"instance_url": OFFLINE_INSTANCE})
        )


def test_an_expired_session_is_refreshed_once_and_the_old_refresh_token_kept(offline_client, mocked):
    mocked.get(QUERY_URL, status=401, json=EXPIRED)
    mocked.post(TOKEN_URL, json=token_answer())  # no refresh_token: rotation is off
    mocked.post(INTROSPECT_URL, json={"active": True, "exp": EXP, "iat": EXP - 7200})
    mocked.get(QUERY_URL, json=query_page([]))

    assert offline_client.batch_read("leads", ["00Q000000000001AAA"]) == []

    refresh = form(mocked.calls[1])
    assert (refresh["grant_type"], refresh["refresh_token"]) == ("refresh_token", "offline-refresh-token")
    assert refresh["client_secret"] == CLIENT_SECRET
    introspection = form(mocked.calls[2])
    assert (introspection["token"], introspection["token_type_hint"]) == (
        "00D!fresh-access-token",
        "access_token",
    )
    assert mocked.calls[3].request.headers["Authorization"] == "Bearer 00D!fresh-access-token"
    stored = OrganizationIntegration.objects.get()
    assert (stored.access_token, stored.refresh_token) == ("00D!fresh-access-token", "offline-refresh-token")
    assert stored.expires_at == datetime.fromtimestamp(EXP, UTC)


def test_with_rotation_the_new_refresh_token_is_stored(offline_client, mocked):
    mocked.get(QUERY_URL, status=401, json=EXPIRED)
    mocked.post(TOKEN_URL, json=token_answer(refresh_token="rotated-refresh-token"))
    mocked.post(INTROSPECT_URL, status=403, json={"error": "forbidden", "error_description": "no"})
    mocked.get(QUERY_URL, json=query_page([]))

    offline_client.batch_read("leads", ["00Q000000000001AAA"])

    stored = OrganizationIntegration.objects.get()
    assert (stored.refresh_token, stored.access_token) == ("rotated-refresh-token", "00D!fresh-access-token")
    assert stored.expires_at is None  # introspection refused: refreshed on the next 401


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
