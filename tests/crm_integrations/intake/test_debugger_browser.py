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

SECRET = hubspot_settings("sandbox")["CLIENT_SECRET"]  # the "sandbox" app's secret (config/settings/test.py)
LEADS = "leads"


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
    with page.expect_navigation():
        page.click("#changelist-filter a:text-is('Rejected')")  # the status filter
    assert page.locator("#result_list tbody tr").count() == 1
    assert "Invalid signature" in page.inner_text("#result_list")

    page.goto(f"{live_server.url}/admin/crm_integrations/webhookdelivery/{good.pk}/change/")
    html = page.content()
    assert "should-be-masked" not in html and "[redacted]" in html
    became = page.locator(".field-became a")
    assert became.inner_text().startswith("lead ")
    page.click("#replay")
    page.wait_for_selector(".messagelist .success")
    assert "Replay queued" in page.inner_text(".messagelist")

    became.click()
    page.wait_for_selector(".field-external_id")
    assert page.inner_text(".field-external_id .readonly") == existing
