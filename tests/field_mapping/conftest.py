import pytest

from crm_integrations.services import upsert_organization_integration


@pytest.fixture
def connection(organization):
    return upsert_organization_integration(
        organization, "hubspot", "sandbox", status="connected", access_token="a", refresh_token="r"
    )


@pytest.fixture
def sandbox_connection(hubspot_sandbox, organization):
    """A connected HubSpot connection to the (freshly reset) sandbox's portal, with real tokens."""
    granted = hubspot_sandbox.control.token()
    return upsert_organization_integration(
        organization,
        "hubspot",
        "sandbox",
        status="connected",
        external_account_id="24000001",
        access_token=granted["access_token"],
        refresh_token=granted["refresh_token"],
    )
