"""The lead journey page shows the lead's trace as a waterfall, in a real browser at 1366 px:
a lead taken from its signed webhook through a real broker hop to its owner written, its spans
kept in the database (the embedded default) and drawn step by step."""

import pytest
from django.test import Client

from crm_integrations.core.tracing.store import write_spans
from tests.conftest import SCREENSHOTS
from tests.crm_integrations.intake.test_hubspot_events import event, post
from tests.field_mapping.test_receivers_end_to_end import create_lead_as_a_user

from .conftest import wait_for_owner_written, wait_for_span


@pytest.mark.django_db(transaction=True)
def test_the_journey_page_shows_the_leads_waterfall(
    admin_page, live_server, routed, hubspot_sandbox, spans, worker
):
    lead_id = create_lead_as_a_user(hubspot_sandbox, "waterfall@example.com")
    assert post(Client(), [event(int(lead_id))]).status_code == 200
    write = wait_for_owner_written(lead_id)
    write_spans(wait_for_span(spans, "run/crm_integrations.tasks.take_in_pending_events"))

    page = admin_page
    page.goto(f"{live_server.url}/admin/routing/leadjourney/{write.decision.lead_id}/change/")
    waterfall = page.locator("#waterfall")
    waterfall.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    waterfall.screenshot(path=str(SCREENSHOTS / "journey-waterfall.png"))
    page.screenshot(path=str(SCREENSHOTS / "journey-waterfall-page.png"), full_page=True)

    text = waterfall.inner_text()
    for step in (
        "Webhook received from the CRM",
        "Queued a task: take in pending webhook events",
        "Waiting in the queue for a worker",
        "Worker task: take in pending webhook events",
        "Intake batch: records read and mapped",
        "CRM call: POST",
        "Routing decision",
        "Owner write-back batch",
        "Owner write-back for this lead: written",
    ):
        assert step in text, step
    assert "ms from the first step to the last" in text
    categories = set(waterfall.locator("tr.wf-row").evaluate_all("rows => rows.map(r => r.dataset.category)"))
    assert {"code", "crm", "queue"} <= categories
    # Every bar is drawn inside its track, and the table fits the page at 1366 px.
    assert waterfall.evaluate("el => el.scrollWidth <= el.clientWidth")
    widths = waterfall.locator(".wf-bar").evaluate_all(
        "bars => bars.map(b => b.getBoundingClientRect().width)"
    )
    assert widths and all(width >= 1 for width in widths)
