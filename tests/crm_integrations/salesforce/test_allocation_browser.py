"""The daily API allocation in Chromium at 1366 px, against the Salesforce sandbox at 85 % of a
15,000-call day: the provider health page shows the reading, its bar and that backfills are paused;
past 90 % (the page's own polling) the verdict says so; the "Existing leads" page says why its count
waits. Screenshots: test-artifacts/screenshots/provider-health-allocation*.png, existing-leads-paused.png."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from crm_integrations.intake import polling
from crm_integrations.salesforce import limits
from routing import existing_leads, tasks
from tests.conftest import SCREENSHOTS

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def spent(connection, sandbox, monkeypatch):
    monkeypatch.setattr(tasks.count_existing_leads, "apply_async", lambda args, countdown: None)
    sandbox.control.configure(daily_api_limit=15_000)
    sandbox.control.set_usage(12_740)
    polling.poll(connection, "leads")  # new leads are polled whatever the usage; the answer says it
    yield connection
    cache.delete(limits._key(sandbox.org_id))


def test_the_health_page_shows_the_allocation_and_the_paused_backfills(
    admin_page, live_server, spent, sandbox
):
    page = admin_page
    page.goto(f"{live_server.url}/integrations/health/?organization={spent.organization_id}")
    line = page.locator(f"#health-{spent.pk} .allocation")
    assert line.is_visible()
    text = line.inner_text()
    assert text.startswith("Daily API allocation:") and "of 15,000 used (85%)" in text
    assert "Backfills paused at 80% of the allocation" in text and "UTC" in text
    assert page.locator(f"#health-{spent.pk} .allocation-bar").evaluate(
        "(bar) => bar.value"
    ) == pytest.approx(0.85, abs=0.01)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1366
    page.screenshot(path=str(SCREENSHOTS / "provider-health-allocation.png"), full_page=True)

    sandbox.control.set_usage(13_950)  # nearly spent: the page's next poll shows it, without a reload
    polling.poll(spent, "leads")
    page.wait_for_function(
        "(id) => document.querySelector(`#health-${id} .allocation-summary`).textContent.includes('(93%)')",
        arg=str(spent.pk),
        timeout=25_000,  # the page polls every 15 s
    )
    verdict = page.locator(f"#health-{spent.pk} .verdict").inner_text()
    assert verdict == "Degraded: 93% of the daily API allocation used"
    page.screenshot(path=str(SCREENSHOTS / "provider-health-allocation-nearly-spent.png"), full_page=True)

    run = existing_leads.start(connection=spent, days=30)
    existing_leads.count(run.pk)
    page.goto(f"{live_server.url}/admin/existing-leads/?organization={spent.organization_id}")
    paused = page.locator(".run-paused").inner_text()
    assert paused.startswith("Paused: the CRM's daily API allocation is 93% used; backfills stop at 80%.")
    assert "It resumes by itself when usage falls." in paused
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1366
    page.screenshot(path=str(SCREENSHOTS / "existing-leads-paused.png"), full_page=True)
