"""The provider health page in Chromium at 1366 px during a HubSpot sandbox run with faults injected
(429s and 503s): its charts and verdict show them, and it updates itself from the JSON endpoint
without a reload. Screenshots: test-artifacts/screenshots/provider-health*.png."""

from __future__ import annotations

import contextlib

import pytest

from crm_integrations import rollups
from crm_integrations.core.errors import CrmError
from crm_integrations.core.registry import get_client
from tests.conftest import SCREENSHOTS

pytestmark = pytest.mark.django_db(transaction=True)

ERROR_TOTAL = """(label) => {
  const chart = Chart.getChart(document.querySelector('.chart-calls'));
  const set = chart.data.datasets.find((d) => d.label === label);
  return set.data.reduce((a, b) => a + b, 0);
}"""


def run_calls(connection, count: int) -> None:
    client = get_client(connection)
    for _ in range(count):
        with contextlib.suppress(CrmError):  # the faults injected
            client.list_owners()


@pytest.fixture
def faulty_run(hubspot_connection, hubspot_sandbox, settings):
    # One attempt per call and a breaker that stays closed: every fault lands in the records as it is.
    settings.CRM_HTTP = {**settings.CRM_HTTP, "MAX_ATTEMPTS": 1, "BREAKER_FAIL_MAX": 10_000}
    hubspot_sandbox.control.set_faults(rate_limit_share=0.3, error_share=0.3, error_statuses=[503], seed=7)
    run_calls(hubspot_connection, 30)
    rollups.roll_up_recent()
    return hubspot_connection


def test_the_health_page_charts_the_injected_faults_and_updates_itself(admin_page, live_server, faulty_run):
    page = admin_page
    page.goto(f"{live_server.url}/integrations/health/?organization={faulty_run.organization_id}")
    article = page.locator(f"#health-{faulty_run.pk}")
    verdict = article.locator(".verdict").inner_text()
    assert verdict.startswith(("Failing", "Degraded"))
    assert "server errors" in verdict or "rate limited" in verdict
    page.wait_for_function("() => Chart.getChart(document.querySelector('.chart-calls')) !== undefined")
    rate_limited = page.evaluate(ERROR_TOTAL, "Rate limited")
    server_errors = page.evaluate(ERROR_TOTAL, "Server errors (5xx)")
    assert rate_limited > 0 and server_errors > 0
    assert "Rate limited:" in article.locator(".error-totals").inner_text()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1366  # nothing cut off
    page.screenshot(path=str(SCREENSHOTS / "provider-health.png"), full_page=True)

    run_calls(faulty_run, 20)  # more faults while the page is open
    rollups.roll_up_recent()
    page.wait_for_function(
        f"(before) => ({ERROR_TOTAL})('Rate limited') + ({ERROR_TOTAL})('Server errors (5xx)') > before",
        arg=rate_limited + server_errors,
        timeout=25_000,  # the page polls every 15 s
    )
    assert page.url.endswith(f"organization={faulty_run.organization_id}")  # no reload, same page
    page.screenshot(path=str(SCREENSHOTS / "provider-health-updated.png"), full_page=True)


def test_the_home_and_the_integrations_page_lead_to_the_health_page(admin_page, live_server, faulty_run):
    page = admin_page
    page.goto(f"{live_server.url}/integrations/?organization={faulty_run.organization_id}")
    page.click(".health-link a")
    page.wait_for_selector(f"#health-{faulty_run.pk}")
    page.goto(f"{live_server.url}/admin/?organization={faulty_run.organization_id}")
    page.click("#home-health")
    page.wait_for_selector(".health-connection")
    assert page.locator(".health-connection").count() == 1
    page.goto(f"{live_server.url}/integrations/health/")  # a superuser: every organization
    assert page.locator(f"#health-{faulty_run.pk} .verdict").inner_text().startswith(("Failing", "Degraded"))
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1366
    page.screenshot(path=str(SCREENSHOTS / "provider-health-all-organizations.png"), full_page=True)
