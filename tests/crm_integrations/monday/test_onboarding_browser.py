"""Onboarding monday in a real browser: choose Monday.com, approve on the sandbox's consent page, choose
the lead board (which subscribes its webhooks), and see a new item arrive as a lead; and the API-token way."""

import pytest

from crm_integrations.models import OrganizationIntegration, WebhookDelivery
from crm_integrations.monday.config import monday_apps
from field_mapping.models import Lead


@pytest.fixture
def monday_flow(admin_page, live_server, monday_sandbox, settings, organization):
    settings.MONDAY = {
        **monday_apps(),
        "sandbox": {
            **monday_apps()["sandbox"],
            "REDIRECT_URI": f"{live_server.url}/api/v1/integrations/monday/callback",
        },
    }
    settings.PUBLIC_BASE_URL = live_server.url  # where monday delivers webhooks
    settings.ALLOWED_HOSTS = ["*"]
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the worker's part runs inline here
    return admin_page


def shoot(page, name):
    from tests.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"monday-onboarding-{name}.png"), full_page=True)


def open_monday_card(page, live_server):
    page.goto(f"{live_server.url}/integrations/connect/")
    page.wait_for_selector("#crm-monday")
    assert "Not yet available" not in page.inner_text("#crm-monday")
    shoot(page, "1-select-crm")


@pytest.mark.django_db(transaction=True)
def test_connect_by_oauth_choose_the_board_and_a_new_item_arrives_as_a_lead(
    monday_flow, live_server, monday_sandbox
):
    page = monday_flow
    open_monday_card(page, live_server)
    page.click("#connect-monday-sandbox")
    page.wait_for_selector("#approve")
    shoot(page, "2-consent")
    page.click("#approve")
    page.wait_for_selector(".messagelist .success")
    assert f"Monday.com connected (account {monday_sandbox.account_id}, sandbox)." in page.inner_text(
        ".messagelist"
    )
    connection = OrganizationIntegration.objects.get(integration__provider="monday")
    shoot(page, "3-connected")

    page.click(f"#board-{connection.pk}")
    page.wait_for_selector("#boards")
    shoot(page, "4-boards")
    page.check(f"#board-{monday_sandbox.board_id}")
    page.click("#use-board")
    page.wait_for_selector(".messagelist .success")
    shoot(page, "5-board-chosen")
    assert "2 webhook(s) subscribed" in page.inner_text(".messagelist")
    connection.refresh_from_db()
    assert connection.settings["board_id"] == str(monday_sandbox.board_id)
    assert WebhookDelivery.objects.filter(provider="monday", status="handshake").count() == 2

    item = monday_sandbox.control.create_item("Katherine Johnson - Orbital Ltd", {"status": {"label": "New"}})
    assert monday_sandbox.control.wait_for_deliveries(timeout=15)
    lead = Lead.objects.get(connection=connection, external_id=str(item["id"]))
    assert (lead.name, lead.status, lead.received_via) == (
        "Katherine Johnson - Orbital Ltd",
        "open",
        "webhook",
    )


@pytest.mark.django_db(transaction=True)
def test_connect_with_an_api_token_and_a_wrong_token_is_refused(monday_flow, live_server, monday_sandbox):
    page = monday_flow
    open_monday_card(page, live_server)
    page.click("#token-monday-sandbox")
    page.wait_for_selector("#monday-token-form")
    labels = page.locator("#monday-token-form label").all_inner_texts()
    assert "API token:" in labels and "Lead board ID:" in labels  # not "Api token", "Lead board id"
    page.fill("#id_api_token", "not-a-token")
    page.fill("#id_board_id", str(monday_sandbox.board_id))
    page.click("#monday-token-form button[type=submit]")
    page.wait_for_selector(".messagelist .error")
    shoot(page, "6-token-refused")
    assert "monday refused the token: monday: not authenticated" in page.inner_text(".messagelist").lower()
    assert not OrganizationIntegration.objects.filter(integration__provider="monday").exists()

    page.fill("#id_api_token", monday_sandbox.api_token)
    page.fill("#id_board_id", str(monday_sandbox.board_id))
    page.click("#monday-token-form button[type=submit]")
    page.wait_for_selector(".messagelist .success")
    shoot(page, "7-token-connected")
    connection = OrganizationIntegration.objects.get(integration__provider="monday")
    assert connection.status == "connected" and connection.settings["auth"] == "api_token"
    assert connection.access_token == monday_sandbox.api_token
    assert monday_sandbox.api_token not in page.content()
