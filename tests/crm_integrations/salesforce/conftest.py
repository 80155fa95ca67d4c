"""Salesforce answers scripted with ``responses`` (the edge cases), and the Salesforce sandbox over HTTP.

Offline, the "sandbox" environment's login host and the connection's instance URL are fake hosts that
``responses`` answers; each test gets its own rate-limiter file and short backoffs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from crm_integrations.core import registry
from crm_integrations.models import OrganizationIntegration
from crm_integrations.salesforce.client import SalesforceClient
from crm_integrations.services import upsert_organization_integration

OFFLINE_LOGIN = "https://login.salesforce.test"
OFFLINE_INSTANCE = "https://acme.my.salesforce.test"
ORG_ID = "00D000000000001AAA"
USER_ID = "005000000000001AAA"
CLIENT_ID = "offline-consumer-key"
CLIENT_SECRET = "offline-consumer-secret"
REDIRECT_URI = "http://127.0.0.1:8000/api/v1/integrations/salesforce/callback"
DATA = f"{OFFLINE_INSTANCE}/services/data/v66.0"
QUERY_URL = f"{DATA}/query"
COLLECTIONS_URL = f"{DATA}/composite/sobjects"
TOKEN_URL = f"{OFFLINE_LOGIN}/services/oauth2/token"


def salesforce_app(login_url: str) -> dict:
    return {
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "REDIRECT_URI": REDIRECT_URI,
        "LOGIN_URL": login_url,
    }


def fast_http(settings, tmp_path) -> None:
    settings.CRM_HTTP = {
        **settings.CRM_HTTP,
        "RATE_LIMIT_STORAGE_URL": f"sqlite:///{tmp_path / 'rl.sqlite3'}",
        "BACKOFF_BASE": 0.001,
        "BACKOFF_MAX": 0.01,
    }


@pytest.fixture
def offline_settings(settings, tmp_path) -> None:
    settings.SALESFORCE = {"sandbox": salesforce_app(OFFLINE_LOGIN)}
    fast_http(settings, tmp_path)


@pytest.fixture
def offline_connection(offline_settings, organization) -> OrganizationIntegration:
    return upsert_organization_integration(
        organization,
        "salesforce",
        "sandbox",
        status="connected",
        external_account_id=ORG_ID,
        access_token="offline-access-token",
        refresh_token="offline-refresh-token",
        settings={"instance_url": OFFLINE_INSTANCE, "user_id": USER_ID},
    )


@pytest.fixture
def offline_client(offline_connection) -> SalesforceClient:
    client = registry.get_client(offline_connection)
    assert isinstance(client, SalesforceClient)
    return client


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def soql_of(call: responses.Call) -> str:
    """The SOQL text a query call sent."""
    return parse_qs(urlsplit(call.request.url).query)["q"][0]


def sent(call: responses.Call) -> object:
    return json.loads(call.request.body)


def query_page(records: list[dict], *, done: bool = True, next_url: str = "") -> dict:
    page: dict = {"totalSize": len(records), "done": done, "records": records}
    if next_url:
        page["nextRecordsUrl"] = next_url
    return page


def lead(record_id: str, stamp: str, **fields: object) -> dict:
    return {
        "attributes": {"type": "Lead", "url": f"/services/data/v66.0/sobjects/Lead/{record_id}"},
        "Id": record_id,
        "SystemModstamp": stamp,
        "OwnerId": fields.pop("OwnerId", "005000000000002AAA"),
        "Owner": {"attributes": {"type": "Name"}, "Type": fields.pop("OwnerType", "User")},
        "IsConverted": False,
        "Status": "Open - Not Contacted",
        **fields,
    }


def lead_id(number: int) -> str:
    return f"00Q{number:012d}AAA"


# --- The Salesforce sandbox over HTTP (devtools/sandboxes/salesforce/) ----------------------------------

SEED_LEADS = 20
SANDBOX_CLIENT_ID = "sandbox-salesforce-client-id"
SANDBOX_CLIENT_SECRET = "sandbox-salesforce-client-secret"


@pytest.fixture(scope="session")
def running_sandbox():
    """This folder's own Salesforce sandbox: started once per session, reset to its seed before each test."""
    from devtools.sandboxes.salesforce import start_sandbox

    sandbox = start_sandbox(seed=5, seed_leads=SEED_LEADS)
    yield sandbox
    sandbox.stop()


@pytest.fixture
def sandbox(running_sandbox):
    running_sandbox.control.reset()
    return running_sandbox


@pytest.fixture
def sandbox_settings(settings, sandbox, tmp_path) -> None:
    settings.SALESFORCE = {
        "sandbox": {
            **salesforce_app(sandbox.base_url),
            "CLIENT_ID": SANDBOX_CLIENT_ID,
            "CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
        }
    }
    fast_http(settings, tmp_path)


def sandbox_connection(organization, sandbox) -> OrganizationIntegration:
    """A connection as the consent flow leaves it, from a token the sandbox issues directly."""
    tokens = sandbox.control.tokens()
    return upsert_organization_integration(
        organization,
        "salesforce",
        "sandbox",
        status="connected",
        external_account_id=sandbox.org_id,
        access_token=tokens["access_token"],
        refresh_token=tokens.get("refresh_token", ""),
        scopes=str(tokens.get("scope", "")).split(),
        settings={"instance_url": tokens["instance_url"], "user_id": tokens["id"].rsplit("/", 1)[-1]},
    )


@pytest.fixture
def connection(sandbox_settings, sandbox, organization) -> OrganizationIntegration:
    return sandbox_connection(organization, sandbox)


@pytest.fixture
def salesforce(connection) -> SalesforceClient:
    client = registry.get_client(connection)
    assert isinstance(client, SalesforceClient)
    return client
