"""The open incident on the admin home and in the incident list, in Chromium at 1366 px: its label,
what happened, what to do and the link that fixes it; screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import pytest
from django.utils import timezone

from crm_integrations.alerts import incidents
from crm_integrations.models import ProviderApiCall, ProviderCircuitBreaker
from crm_integrations.services import upsert_organization_integration


def shoot(page, name: str) -> None:
    from tests.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"alerts-{name}.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_the_home_shows_open_incidents_with_what_to_do_and_the_fix(admin_page, live_server, organization):
    upsert_organization_integration(
        organization,
        "hubspot",
        "sandbox",
        status="needs_reauth",
        status_reason="HubSpot rejected the refresh token (it was revoked or expired).",
        external_account_id="24000001",
    )
    ProviderCircuitBreaker.objects.create(
        provider="hubspot", account="24000001", state="open", fail_counter=5, opened_at=timezone.now()
    )
    ProviderApiCall.objects.create(
        provider="hubspot",
        account="24000001",
        method="GET",
        endpoint="/crm/v3/owners",
        status_code=503,
        error_kind="server_error",
        created_at=timezone.now() - timezone.timedelta(minutes=25),
    )
    assert incidents.evaluate()["opened"] == 2

    page = admin_page
    page.goto(f"{live_server.url}/admin/")
    card = page.locator("#open-incidents")
    assert "2 open incidents" in card.inner_text()
    items = card.locator("li.incident")
    assert items.count() == 2
    first = items.nth(0)
    assert "Connection needs reconnecting" in first.inner_text()
    assert "HubSpot rejected the refresh token" in first.inner_text()
    assert first.locator("a.incident-fix").inner_text() == "Reconnect"
    assert "CRM unreachable (circuit breaker open)" in items.nth(1).inner_text()
    assert "needs_reconnection" not in card.inner_text() and "breaker_open" not in card.inner_text()
    box = first.locator("a.incident-fix").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 1366
    shoot(page, "home")

    page.click("#open-incidents a.home-more")
    page.wait_for_selector("#result_list tbody tr")  # the click commits the navigation, not the load
    assert page.locator("#result_list tbody tr").count() == 2
    assert "Connection needs reconnecting" in page.inner_text("#result_list")
    shoot(page, "incident-list")


@pytest.mark.django_db(transaction=True)
def test_an_administrator_sets_the_slack_webhook_and_sees_it_only_masked(
    admin_page, live_server, organization
):
    page = admin_page
    page.goto(f"{live_server.url}/admin/crm_integrations/alertsettings/add/")
    page.select_option("#id_organization", str(organization.pk))
    page.fill("#id_slack_webhook", "https://hooks.slack.com/services/T000/B000/abcdefghijklmnopXYZW")
    shoot(page, "settings-add")
    page.click("input[name=_continue]")

    body = page.inner_text("#content")
    assert "Posting to https://hooks.slack.com/services/…XYZW" in body
    assert "abcdefghijklmnop" not in page.content()
    assert page.input_value("#id_slack_webhook") == ""
    shoot(page, "settings-change")
