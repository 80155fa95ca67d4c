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
