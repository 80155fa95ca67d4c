"""The webhook debugger in a real browser: deliveries, their events, what each became, and Replay."""

import json
import time
from unittest import mock

import pytest

from crm_integrations.hubspot.config import hubspot_settings
from crm_integrations.hubspot.webhooks import signature_v3
from crm_integrations.intake import deliveries, processing, webhooks
from crm_integrations.models import WebhookDelivery
from crm_integrations.services import upsert_organization_integration
from field_mapping.models import Lead
from tests.conftest import SCREENSHOTS

SECRET = hubspot_settings("sandbox")["CLIENT_SECRET"]  # the "sandbox" app's secret (config/settings/test.py)
LEADS = "leads"
#: Neither the page nor a table in it scrolls sideways at 1366 px (Django wraps lists in a scroller).
NOTHING_CUT_OFF = """() => [document.documentElement, ...document.querySelectorAll('.results, table')]
    .every(e => e.scrollWidth <= e.clientWidth + 1)"""


def deliver(body: list, secret: str = SECRET) -> WebhookDelivery:
    raw = json.dumps(body).encode()
    url = "http://testserver/api/v1/integrations/hubspot/events"
    timestamp = str(int(time.time() * 1000))
    answer = webhooks.receive(
        deliveries.InboundRequest(
            provider="hubspot",
            method="POST",
            url=url,
            headers={
                "X-HubSpot-Signature-v3": signature_v3(secret, "POST", url, raw, timestamp),
                "X-HubSpot-Request-Timestamp": timestamp,
                "Authorization": "Bearer should-be-masked",
            },
            body=raw,
        )
    )
    return WebhookDelivery.objects.get(pk=answer.delivery_id)


@pytest.mark.django_db(transaction=True)
def test_the_debugger_lists_deliveries_shows_what_each_event_became_and_replays(
    admin_page, live_server, organization, hubspot_sandbox
):
    granted = hubspot_sandbox.control.token()
    upsert_organization_integration(
        organization, "hubspot", "sandbox", status="connected", external_account_id="24000001",
        access_token=granted["access_token"], refresh_token=granted["refresh_token"],
    )  # fmt: skip
    existing = str(min(hubspot_sandbox.state.portals[24000001].records[LEADS]))
    event = {"eventId": 9, "subscriptionId": 1, "portalId": 24000001, "occurredAt": 1764000000000,
             "subscriptionType": "object.propertyChange", "objectTypeId": "0-136", "objectId": int(existing),
             "propertyName": "hs_lead_name", "propertyValue": "x"}  # fmt: skip
    with mock.patch("crm_integrations.intake.tasks.process_webhook_delivery.delay"):
        good = deliver([event])
        deliver([event], secret="wrong")
    processing.process(good.pk)

    page = admin_page
    page.goto(f"{live_server.url}/admin/crm_integrations/webhookdelivery/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2
    assert page.locator("#result_list td.field-source").all_inner_texts() == ["HubSpot (events)"] * 2
    assert page.locator("#changelist-filter a:text-is('HubSpot')").count() == 1  # the CRM's name, not its key
    assert page.evaluate(NOTHING_CUT_OFF)
    page.screenshot(path=str(SCREENSHOTS / "debugger_deliveries.png"), full_page=True)
    with page.expect_navigation():
        page.click("#changelist-filter a:text-is('Rejected')")  # the status filter
    assert page.locator("#result_list tbody tr").count() == 1
    assert "Invalid signature" in page.inner_text("#result_list")

    page.goto(f"{live_server.url}/admin/crm_integrations/webhookdelivery/{good.pk}/change/")
    html = page.content()
    assert "should-be-masked" not in html and "[redacted]" in html
    lead = Lead.objects.get(external_id=existing)
    became = page.locator(".field-became a")
    assert became.inner_text() == lead.name and lead.name  # the lead's name, not "lead 9"
    assert page.inner_text(".field-became").startswith("Lead ")
    assert "Processed" in page.inner_text(".field-verdict") and "1 ingested" in page.inner_text(
        ".field-verdict"
    )
    assert page.inner_text(".field-event") == "Property change: hs_lead_name"
    # The verdict, then the events, then the request; the raw body folded away at the bottom.
    order = page.evaluate(
        """() => ["#fieldset-0-0-heading", ".inline-group", "#fieldset-0-1-heading", "pre.webhook-body"]
            .map(s => document.querySelector(s).getBoundingClientRect().top)"""
    )
    assert order[:3] == sorted(order[:3]), order
    assert not page.locator("pre.webhook-body").is_visible()  # inside a closed <details>
    assert page.evaluate(NOTHING_CUT_OFF)
    page.screenshot(path=str(SCREENSHOTS / "debugger_delivery.png"), full_page=True)
    page.click("details summary:has-text('Headers and raw body')")
    assert page.locator("pre.webhook-body").is_visible()
    page.click("#replay")
    page.wait_for_selector(".messagelist .success")
    assert "Replay queued" in page.inner_text(".messagelist")

    became.click()
    page.wait_for_selector(".field-external_id")
    assert page.inner_text(".field-external_id .readonly") == existing
