"""A HubSpot sandbox over HTTP, a connection made through its OAuth consent flow, and a client.

The sandbox runs once per test session on a free loopback port and is reset to its seed before
each test; settings point the "sandbox" environment at it and give each test its own rate
limiter file, so tests neither wait on each other's budget nor on a previous run's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from django.utils import timezone

from crm_integrations.core import registry
from crm_integrations.hubspot.client import HubSpotClient
from crm_integrations.hubspot.config import hubspot_apps, hubspot_settings
from crm_integrations.models import OrganizationIntegration
from crm_integrations.services import upsert_organization_integration
from devtools.sandboxes.hubspot import RunningSandbox, start_sandbox

SEED_LEADS = 20
OFFLINE_API = "https://api.hubapi.test"
OFFLINE_TOKEN = "offline-access-token-0123456789"
REDIRECT_URI = "http://127.0.0.1:8000/api/v1/integrations/hubspot/callback"


@pytest.fixture(scope="session")
def running_sandbox() -> Iterator[RunningSandbox]:
    """This folder's own sandbox (its seed and app secret differ from tests/conftest.py's): started
    once per session and reset to its seed before each test (``sandbox``)."""
    sandbox = start_sandbox(seed=11, seed_leads=SEED_LEADS)
    yield sandbox
    sandbox.stop()


@pytest.fixture
def sandbox(running_sandbox: RunningSandbox) -> RunningSandbox:
    running_sandbox.control.reset()
    return running_sandbox


@pytest.fixture
def sandbox_settings(settings, sandbox: RunningSandbox, tmp_path) -> None:
    settings.HUBSPOT = {
        **hubspot_apps(),
        "sandbox": {
            "CLIENT_ID": "sandbox-client-id",
            "CLIENT_SECRET": "sandbox-client-secret",
            "REDIRECT_URI": REDIRECT_URI,
            "AUTH_BASE_URL": sandbox.base_url,
            "API_BASE_URL": sandbox.base_url,
        },
    }
    settings.CRM_HTTP = {
        **settings.CRM_HTTP,
        "RATE_LIMIT_STORAGE_URL": f"sqlite:///{tmp_path / 'rl.sqlite3'}",
    }


def authorize(sandbox: RunningSandbox, scopes: tuple[str, ...] | None = None) -> dict:
    """The consent flow a person goes through: authorize page -> Approve -> code -> tokens."""
    app = registry.get_provider("hubspot").oauth_app("sandbox")
    page = requests.get(
        app.authorize_url,
        params={
            "client_id": app.client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": " ".join(scopes or app.scopes),
        },
        timeout=10,
    )
    page.raise_for_status()
    request_id = re.search(r'name="request_id" value="([^"]+)"', page.text).group(1)
    decision = requests.post(
        f"{sandbox.base_url}/oauth/authorize/decision",
        data={"request_id": request_id, "decision": "approve", "portal_id": str(sandbox.portal_id)},
        allow_redirects=False,
        timeout=10,
    )
    assert decision.status_code == 302, decision.text
    code = parse_qs(urlsplit(decision.headers["Location"]).query)["code"][0]
    tokens = requests.post(
        app.token_url,
        data={
            "grant_type": "authorization_code",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "redirect_uri": REDIRECT_URI,
            "code": code,
        },
        timeout=10,
    )
    tokens.raise_for_status()
    return tokens.json()


def store_connection(organization, tokens: dict) -> OrganizationIntegration:
    return upsert_organization_integration(
        organization,
        "hubspot",
        "sandbox",
        status="connected",
        external_account_id=str(tokens["hub_id"]),
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        expires_at=timezone.now() + timedelta(seconds=int(tokens["expires_in"])),
        scopes=list(tokens.get("scopes") or []),
    )


@pytest.fixture
def connection(sandbox_settings, sandbox: RunningSandbox, organization) -> OrganizationIntegration:
    return store_connection(organization, authorize(sandbox))


@pytest.fixture
def hubspot(connection: OrganizationIntegration) -> HubSpotClient:
    """The hubspot the registry hands out, reading records up to "now" (no index lag to wait out)."""
    hubspot = registry.get_client(connection)
    assert isinstance(hubspot, HubSpotClient)
    hubspot.feed.lag_seconds = 0
    return hubspot


def api_calls(sandbox: RunningSandbox) -> list[dict]:
    """The CRM API calls the sandbox answered since its last reset (the control API is not logged)."""
    return sandbox.control.requests()


# --- Offline: HubSpot answers scripted with ``responses``, for the edge cases ---------------------


@pytest.fixture
def offline_client(settings, organization, tmp_path) -> Iterator[HubSpotClient]:
    """A client for ``OFFLINE_API`` with a fresh token, quick retries and its own limiter file."""
    settings.HUBSPOT = {
        **hubspot_apps(),
        "sandbox": {**hubspot_settings("sandbox"), "API_BASE_URL": OFFLINE_API, "AUTH_BASE_URL": OFFLINE_API},
    }
    settings.CRM_HTTP = {
        **settings.CRM_HTTP,
        "RATE_LIMIT_STORAGE_URL": f"sqlite:///{tmp_path / 'rl.sqlite3'}",
        "BACKOFF_BASE": 0.001,
        "BACKOFF_MAX": 0.01,
    }
    # Room for the scripted searches; the real 4/s budget is exercised in test_unit_search.py.
    settings.CRM_RATE_LIMITS = {**settings.CRM_RATE_LIMITS, "hubspot:search": [[100, 1]]}
    connection = upsert_organization_integration(
        organization,
        "hubspot",
        "sandbox",
        status="connected",
        external_account_id="101",
        access_token=OFFLINE_TOKEN,
        refresh_token="offline-refresh-token",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    hubspot = registry.get_client(connection)
    assert isinstance(hubspot, HubSpotClient)
    return hubspot


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def sent_json(call: responses.Call) -> dict:
    return json.loads(call.request.body)
