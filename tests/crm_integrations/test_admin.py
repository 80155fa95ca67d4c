"""The connections admin, in a real browser: credentials are never shown, only set / not set."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm_integrations.models import OrganizationIntegration
from crm_integrations.services import upsert_organization_integration

ACCESS = "pat-na1-ACCESS-SHOULD-NEVER-SHOW"
REFRESH = "REFRESH-SHOULD-NEVER-SHOW"


@pytest.fixture
def connected(organization):
    return upsert_organization_integration(
        organization,
        "hubspot",
        "production",
        status="connected",
        external_account_id="8675309",
        access_token=ACCESS,
        refresh_token=REFRESH,
        expires_at=timezone.now() + timedelta(minutes=30),
    )


def _assert_no_secret(html: str) -> None:
    assert ACCESS not in html and REFRESH not in html
    assert "enc1$" not in html  # not even the ciphertext


@pytest.mark.django_db(transaction=True)
def test_connection_list_and_form_show_set_or_not_set_never_the_token(admin_page, live_server, connected):
    upsert_organization_integration(connected.organization, "monday", "sandbox")
    page = admin_page
    page.goto(f"{live_server.url}/admin/crm_integrations/organizationintegration/")
    rows = {
        row.locator("td.field-integration").inner_text(): row.locator(
            "td.field-access_token_state"
        ).inner_text()
        for row in page.locator("#result_list tbody tr").all()
    }
    assert rows == {"HubSpot": "set", "Monday.com": "not set"}
    _assert_no_secret(page.content())

    page.goto(f"{live_server.url}/admin/crm_integrations/organizationintegration/{connected.pk}/change/")
    assert page.locator(".field-access_token_state .readonly").inner_text() == "set"
    assert page.locator(".field-refresh_token_state .readonly").inner_text() == "set"
    assert page.locator("input[name=access_token]").count() == 0
    _assert_no_secret(page.content())


@pytest.mark.django_db(transaction=True)
def test_saving_a_connection_in_the_admin_keeps_its_tokens(admin_page, live_server, connected):
    page = admin_page
    page.goto(f"{live_server.url}/admin/crm_integrations/organizationintegration/{connected.pk}/change/")
    page.select_option("select[name=status]", "disconnected")
    page.fill("textarea[name=status_reason]", "Paused by staff")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")

    row = OrganizationIntegration.objects.get(pk=connected.pk)
    assert (row.status, row.status_reason) == ("disconnected", "Paused by staff")
    assert (row.access_token, row.refresh_token) == (ACCESS, REFRESH)
