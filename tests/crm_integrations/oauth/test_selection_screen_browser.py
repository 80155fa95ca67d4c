"""Onboarding in a real browser: choose HubSpot, approve on the sandbox's consent page, land connected."""

import pytest

from crm_integrations.hubspot.config import hubspot_apps, hubspot_settings
from crm_integrations.models import OrganizationIntegration


@pytest.fixture
def browser_flow(admin_page, live_server, hubspot_sandbox, settings, organization):
    settings.HUBSPOT = {
        **hubspot_apps(),
        "sandbox": {
            **hubspot_settings("sandbox"),
            "REDIRECT_URI": f"{live_server.url}/api/v1/integrations/hubspot/callback",
        },
    }
    return admin_page


def shoot(page, name):
    from tests.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"onboarding-{name}.png"), full_page=True)


def choose_hubspot(page, live_server):
    page.goto(f"{live_server.url}/integrations/")
    shoot(page, "1-integrations-empty")
    page.click("#connect-crm")
    page.wait_for_selector("#crm-hubspot")
    assert "Not yet available" not in page.inner_text("#crm-salesforce")
    shoot(page, "2-select-crm")
    page.click("#connect-hubspot-sandbox")
    page.wait_for_selector("#approve")
    shoot(page, "3-consent")


@pytest.mark.django_db(transaction=True)
def test_choose_hubspot_approve_and_land_connected(browser_flow, live_server):
    page = browser_flow
    choose_hubspot(page, live_server)
    page.click("#approve")
    page.wait_for_selector(".messagelist .success")
    shoot(page, "4-connected")

    assert "HubSpot connected (account 24000001, sandbox)." in page.inner_text(".messagelist")
    row = page.locator("tr.connection[data-provider=hubspot][data-environment=sandbox]")
    assert row.locator(".status").inner_text() == "Connected"
    assert row.locator(".account").inner_text() == "24000001"
    connection = OrganizationIntegration.objects.get()
    assert connection.access_token not in page.content()


@pytest.mark.django_db(transaction=True)
def test_a_denied_consent_shows_the_error(browser_flow, live_server):
    page = browser_flow
    choose_hubspot(page, live_server)
    page.click("#deny")
    page.wait_for_selector(".messagelist .error")
    shoot(page, "5-denied")

    assert "The connection was not approved" in page.inner_text(".messagelist")
    assert not OrganizationIntegration.objects.exists()
