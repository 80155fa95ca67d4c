import pytest

from crm_integrations.services import upsert_organization_integration


@pytest.fixture
def connection(organization):
    return upsert_organization_integration(
        organization, "hubspot", "sandbox", status="connected", access_token="a", refresh_token="r"
    )
