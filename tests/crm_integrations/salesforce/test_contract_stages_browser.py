"""The "Choose contract stages" page in a real browser, against the Salesforce sandbox: from the
integrations page to the org's opportunity stages, ticked and stored on the connection."""

from __future__ import annotations

import pytest

from crm_integrations.models import OrganizationIntegration


def shoot(page, name: str) -> None:
    from tests.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"salesforce-contract-stages-{name}.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_an_administrator_chooses_the_contract_stages(admin_page, live_server, connection, settings):
    settings.ALLOWED_HOSTS = ["*"]
    page = admin_page
    page.goto(f"{live_server.url}/integrations/?organization={connection.organization_id}")
    button = page.locator(f"#contract-stages-{connection.pk}")
    assert button.inner_text() == "Choose contract stages"
    shoot(page, "1-integrations")

    button.click()
    page.wait_for_selector("#contract-stages")
    labels = page.locator("#contract-stages label").all_inner_texts()
    assert "Negotiation/Review" in labels and "Closed Won" in labels
    shoot(page, "2-stages")
    page.get_by_label("Negotiation/Review").check()
    page.get_by_label("Closed Won").check()
    page.click("#use-stages")

    page.wait_for_selector(".messagelist .success")
    assert "Opportunities reaching Negotiation/Review, Closed Won now become contracts." in page.inner_text(
        ".messagelist"
    )
    assert page.locator(f"#contract-stages-{connection.pk}").inner_text() == "Change contract stages"
    shoot(page, "3-chosen")
    stored = OrganizationIntegration.objects.get(pk=connection.pk).settings["contract_stages"]
    assert stored == ["Negotiation/Review", "Closed Won"]
