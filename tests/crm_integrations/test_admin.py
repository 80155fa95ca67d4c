"""The connections admin, in a real browser: credentials are never shown, only set / not set."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm_integrations.models import OrganizationIntegration, ProviderApiCall
from crm_integrations.services import upsert_organization_integration
from tests.conftest import SCREENSHOTS
from tests.crm_integrations.intake.test_debugger_browser import NOTHING_CUT_OFF

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
        row.locator("td.field-crm_environment").inner_text(): row.locator(
            "td.field-access_token_state"
        ).inner_text()
        for row in page.locator("#result_list tbody tr").all()
    }
    assert rows == {"HubSpot (production)": "set", "Monday.com (sandbox)": "not set"}
    _assert_no_secret(page.content())
    assert page.evaluate(NOTHING_CUT_OFF), "the connection list scrolls sideways at 1366 px"
    assert page.locator(".object-tools a.addlink").count() == 0  # connections are made by connecting a CRM
    page.screenshot(path=str(SCREENSHOTS / "connection_list.png"), full_page=True)

    page.goto(f"{live_server.url}/admin/crm_integrations/organizationintegration/{connected.pk}/change/")
    assert page.locator(".field-access_token_state .readonly").inner_text() == "set"
    assert page.locator(".field-refresh_token_state .readonly").inner_text() == "set"
    assert page.locator("input[name=access_token]").count() == 0
    _assert_no_secret(page.content())


@pytest.mark.django_db(transaction=True)
def test_the_connection_page_is_read_only_in_words_and_disconnects_after_a_confirmation(
    admin_page, live_server, connected, monkeypatch
):
    """Status, account and settings are not edited here (connecting and disconnecting do that);
    scopes and settings read as words; Disconnect says what will stop before anything happens."""
    revoked = []
    monkeypatch.setattr(
        "crm_integrations.services.oauth.revoke_best_effort",
        lambda app, refresh_token: revoked.append(1) or True,
    )
    upsert_organization_integration(
        connected.organization,
        "hubspot",
        "production",
        scopes=["crm.objects.contacts.read", "oauth"],
        settings={"auth": "api_token", "board_id": "42", "workflow_secret_sha256": "ab" * 32},
    )
    page = admin_page
    page.goto(f"{live_server.url}/admin/crm_integrations/organizationintegration/{connected.pk}/change/")
    for name in ("status", "status_reason", "external_account_id", "settings", "scopes"):
        assert page.locator(f"[name={name}]").count() == 0, name
    assert page.locator("input[name=_save]").count() == 0
    assert page.inner_text(".field-account_id .readonly") == "8675309"
    assert page.locator(".field-scope_list li").all_inner_texts() == ["crm.objects.contacts.read", "oauth"]
    settings = page.inner_text(".field-settings_list .readonly")
    assert "Signed in with\tAPI token" in settings and "Board ID\t42" in settings
    assert "Workflow secret\tset" in settings and "ab" * 32 not in page.content()
    assert "Api token" not in page.content() and "api_token" not in settings
    page.screenshot(path=str(SCREENSHOTS / "connection_admin_read_only.png"), full_page=True)

    page.click("#disconnect")
    page.wait_for_selector("#disconnect-effects")
    effects = page.inner_text("#disconnect-effects")
    assert "Webhooks from HubSpot are no longer taken in" in effects and "Polling stops" in effects
    assert "no longer written back" in effects and "asked to revoke our access" in effects
    page.screenshot(path=str(SCREENSHOTS / "disconnect_confirmation.png"), full_page=True)
    assert (
        OrganizationIntegration.objects.get(pk=connected.pk).status == "connected"
    )  # asking changes nothing

    with page.expect_navigation():
        page.click("#confirm-disconnect")
    assert "HubSpot disconnected" in page.inner_text(".messagelist")
    row = OrganizationIntegration.objects.get(pk=connected.pk)
    assert (row.status, row.access_token, row.refresh_token, revoked) == ("disconnected", "", "", [1])


@pytest.mark.django_db(transaction=True)
def test_the_integrations_page_disconnect_button_asks_first(admin_page, live_server, connected):
    page = admin_page
    page.goto(f"{live_server.url}/integrations/?organization={connected.organization.pk}")
    with page.expect_navigation():
        page.click("button.disconnect")
    assert page.locator("#confirm-disconnect").is_visible()
    with page.expect_navigation():
        page.click("#cancel-disconnect")
    assert page.locator("table#connections").is_visible()
    assert OrganizationIntegration.objects.get(pk=connected.pk).status == "connected"


@pytest.mark.django_db(transaction=True)
def test_the_api_call_list_fits_a_1366_px_screen(admin_page, live_server):
    # 249 characters, a long path that still fits the column (255, enforced on PostgreSQL).
    endpoint = "/crm/v3/objects/leads/batch/read?properties=" + ",".join(f"property_{n}" for n in range(18))
    for attempt in (1, 2):
        ProviderApiCall.objects.create(
            provider="hubspot", account="24000001", method="POST", endpoint=endpoint, status_code=429,
            error_kind="rate_limited", latency_ms=812, attempt=attempt,
        )  # fmt: skip
    page = admin_page
    page.goto(f"{live_server.url}/admin/crm_integrations/providerapicall/")
    assert page.locator("#result_list td.field-crm").all_inner_texts() == ["HubSpot 24000001"] * 2
    outcomes = page.locator("#result_list td.field-outcome").all_inner_texts()
    assert "429, rate limited by the CRM, attempt 2" in outcomes
    error_filter = page.locator("#changelist-filter details", has_text="By error")
    assert "Rate limited by the CRM" in error_filter.inner_text()
    assert "rate_limited" not in error_filter.inner_text()
    assert page.evaluate(NOTHING_CUT_OFF), "the API call list scrolls sideways at 1366 px"
    page.screenshot(path=str(SCREENSHOTS / "api_calls.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_every_button_of_the_crm_selection_screen_stays_in_its_card(admin_page, live_server, organization):
    page = admin_page
    page.goto(f"{live_server.url}/integrations/connect/?organization={organization.pk}")
    spilled = page.evaluate(
        """() => [...document.querySelectorAll('.crm-card')].flatMap(card => {
            const edge = card.getBoundingClientRect().right;
            return [...card.querySelectorAll('a, span')]
                .filter(e => e.getBoundingClientRect().right > edge + 0.5).map(e => e.textContent.trim());
        })"""
    )
    assert spilled == []
    heights = page.evaluate(
        "() => [...document.querySelectorAll('.crm-card a.button')].map(e => e.offsetHeight)"
    )
    assert len(set(heights)) == 1, "a button's label wraps onto a second line"
    page.screenshot(path=str(SCREENSHOTS / "select_crm.png"), full_page=True)
