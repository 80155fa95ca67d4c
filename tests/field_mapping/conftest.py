import pytest

from crm_integrations.services import upsert_organization_integration
from tests.conftest import connect_hubspot_sandbox


@pytest.fixture
def connection(organization):
    return upsert_organization_integration(
        organization, "hubspot", "sandbox", status="connected", access_token="a", refresh_token="r"
    )


@pytest.fixture
def sandbox_connection(hubspot_sandbox, organization):
    """A connected HubSpot connection to the (freshly reset) sandbox's portal, with real tokens."""
    return connect_hubspot_sandbox(hubspot_sandbox, organization)


@pytest.fixture
def monday_connection(organization, monday_sandbox):
    """A monday connection to the (freshly reset) sandbox's lead board, by API token."""
    return upsert_organization_integration(
        organization,
        "monday",
        "sandbox",
        status="connected",
        external_account_id=str(monday_sandbox.account_id),
        access_token=monday_sandbox.api_token,
        settings={"board_id": str(monday_sandbox.board_id)},
    )
