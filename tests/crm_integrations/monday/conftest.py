"""A monday sandbox over HTTP, a connection by personal API token to its lead board, and a client.

The sandbox runs once per test session on a free loopback port and is reset to its seed before each
test; settings point the "sandbox" environment at it and give each test its own rate-limiter file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import responses

from crm_integrations.core import registry
from crm_integrations.models import OrganizationIntegration
from crm_integrations.monday.client import MondayClient
from crm_integrations.monday.provider import MondayProvider
from crm_integrations.services import upsert_organization_integration
from devtools.sandboxes.monday import RunningSandbox, start_sandbox

SEED_ITEMS = 20
SIGNING_SECRET = "test-signing-secret-not-the-public-default"
OFFLINE_API = "https://api.monday.test"
OFFLINE_URL = f"{OFFLINE_API}/v2"
OFFLINE_BOARD = "4001"


@pytest.fixture(scope="session")
def running_sandbox() -> Iterator[RunningSandbox]:
    """This folder's own sandbox (its seed and app secret differ from tests/conftest.py's): started
    once per session and reset to its seed before each test (``sandbox``)."""
    sandbox = start_sandbox(seed=7, seed_items=SEED_ITEMS, signing_secret=SIGNING_SECRET)
    yield sandbox
    sandbox.stop()


@pytest.fixture
def sandbox(running_sandbox: RunningSandbox) -> RunningSandbox:
    running_sandbox.control.reset()
    return running_sandbox


@pytest.fixture
def monday_registered() -> Iterator[None]:
    """The provider in the registry (settings.CRM_PROVIDERS may not list it yet)."""
    registry.register(MondayProvider)
    yield
    registry.load_from_settings()


def monday_settings(api_base: str, **extra: object) -> dict:
    return {
        "sandbox": {
            "CLIENT_ID": "sandbox-monday-client-id",
            "CLIENT_SECRET": "sandbox-monday-client-secret",
            "SIGNING_SECRET": SIGNING_SECRET,
            "REDIRECT_URI": "http://127.0.0.1:8000/api/v1/integrations/monday/callback",
            "AUTH_URL": api_base,
            "API_URL": f"{api_base}/v2",
            **extra,
        }
    }


@pytest.fixture
def sandbox_settings(settings, sandbox: RunningSandbox, tmp_path, monday_registered) -> None:
    settings.MONDAY = monday_settings(sandbox.base_url)
    settings.CRM_HTTP = {
        **settings.CRM_HTTP,
        "RATE_LIMIT_STORAGE_URL": f"sqlite:///{tmp_path / 'rl.sqlite3'}",
        "BACKOFF_BASE": 0.001,
        "BACKOFF_MAX": 0.01,
    }


def token_connection(
    organization, sandbox: RunningSandbox, token: str | None = None
) -> OrganizationIntegration:
    return upsert_organization_integration(
        organization,
        "monday",
        "sandbox",
        status="connected",
        external_account_id=str(sandbox.account_id),
        access_token=token or sandbox.api_token,
        refresh_token="",
        expires_at=None,
        settings={"board_id": str(sandbox.board_id)},
    )


@pytest.fixture
def connection(sandbox_settings, sandbox: RunningSandbox, organization) -> OrganizationIntegration:
    return token_connection(organization, sandbox)


@pytest.fixture
def monday(connection: OrganizationIntegration) -> MondayClient:
    client = registry.get_client(connection)
    assert isinstance(client, MondayClient)
    return client


def api_calls(sandbox: RunningSandbox) -> list[dict]:
    """The GraphQL calls the sandbox answered since its last reset (the control API is not logged)."""
    return [entry for entry in sandbox.control.requests() if entry["path"] == "/v2"]


# --- Offline: monday answers scripted with ``responses``, for the edge cases -------------------------


@pytest.fixture
def offline_connection(settings, organization, tmp_path, monday_registered) -> OrganizationIntegration:
    settings.MONDAY = monday_settings(OFFLINE_API)
    settings.CRM_HTTP = {
        **settings.CRM_HTTP,
        "RATE_LIMIT_STORAGE_URL": f"sqlite:///{tmp_path / 'rl.sqlite3'}",
        "BACKOFF_BASE": 0.001,
        "BACKOFF_MAX": 0.01,
    }
    return upsert_organization_integration(
        organization,
        "monday",
        "sandbox",
        status="connected",
        external_account_id="31000009",
        access_token="offline-personal-token",
        refresh_token="",
        settings={"board_id": OFFLINE_BOARD},
    )


@pytest.fixture
def offline_client(offline_connection) -> MondayClient:
    client = registry.get_client(offline_connection)
    assert isinstance(client, MondayClient)
    return client


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def sent(call: responses.Call) -> dict:
    return json.loads(call.request.body)
