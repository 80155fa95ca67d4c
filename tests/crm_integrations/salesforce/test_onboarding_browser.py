"""Salesforce in a real browser, against the Salesforce sandbox: choose Salesforce → Sandbox, approve on
the consent page, land connected; the mapping wizard shows the org's Lead fields and saves the default
mapping; a lead created in Salesforce is polled, routed, and its journey shows it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crm_integrations.intake import polling
from crm_integrations.models import OrganizationIntegration
from devtools.demo.rules import starter_rules
from field_mapping.models import FieldMapping
from routing.reps_sync import sync_reps

from .conftest import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, fast_http, salesforce_app
from .test_end_to_end import create_lead, decided_owner, sandbox_owner


@pytest.fixture
def salesforce_flow(admin_page, live_server, sandbox, settings, organization, tmp_path):
    settings.SALESFORCE = {
        "sandbox": {
            **salesforce_app(sandbox.base_url),
            "CLIENT_ID": SANDBOX_CLIENT_ID,
            "CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
            "REDIRECT_URI": f"{live_server.url}/api/v1/integrations/salesforce/callback",
        }
    }
    fast_http(settings, tmp_path)
    settings.ALLOWED_HOSTS = ["*"]
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the worker's part runs inline here
    admin_page.set_viewport_size({"width": 1366, "height": 900})
    return admin_page


def shoot(page, name):
    from tests.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"salesforce-onboarding-{name}.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_connect_map_and_follow_a_routed_lead_in_the_browser(salesforce_flow, live_server, sandbox):
    page = salesforce_flow
    page.goto(f"{live_server.url}/integrations/connect/")
    page.wait_for_selector("#crm-salesforce")
    assert "Not yet available" not in page.inner_text("#crm-salesforce")
    shoot(page, "1-select-crm")

    page.click("#connect-salesforce-sandbox")
    page.wait_for_selector("#approve")
    shoot(page, "2-consent")
    page.click("#approve")
    page.wait_for_selector(".messagelist .success")
    assert f"Salesforce connected (account {sandbox.org_id}, sandbox)." in page.inner_text(".messagelist")
    row = page.locator("tr.connection[data-provider=salesforce][data-environment=sandbox]")
    assert row.locator(".status").inner_text() == "Connected"
    shoot(page, "3-connected")
    connection = OrganizationIntegration.objects.get(integration__provider="salesforce")
    assert connection.settings["instance_url"] == sandbox.base_url

    page.goto(f"{live_server.url}/admin/field_mapping/fieldmapping/")
    page.click("#open-wizard")
    page.locator(
        "tr.connection[data-provider=salesforce][data-environment=sandbox] a.choose-connection"
    ).click()
    page.wait_for_selector("#mapping-form")
    assert "leads (" in page.inner_text("#catalogue-summary")
    options = page.locator("#crm-properties option").evaluate_all("items => items.map(item => item.value)")
    assert {"LeadSource", "Industry", "AnnualRevenue", "OwnerId", "Status"} <= set(options)
    shoot(page, "4-wizard")
    page.click("#preview")
    page.wait_for_selector("#preview-results")
    shoot(page, "5-preview")
    page.click("#save")
    page.wait_for_selector(".messagelist .success")
    assert FieldMapping.objects.filter(connection=connection).exists()
    shoot(page, "6-saved")

    starter_rules(connection.organization)
    sync_reps(connection)
    lead_id = create_lead(sandbox, "ada@engines.example")
    polling.poll(connection, "leads", since=timezone.now() - timedelta(minutes=5))
    owner = sandbox_owner(sandbox, lead_id)
    assert owner == decided_owner(connection, lead_id)

    page.goto(f"{live_server.url}/admin/routing/leadjourney/")
    page.fill("#searchbar", "ada@engines.example")
    page.press("#searchbar", "Enter")
    page.wait_for_selector("#result_list")
    assert page.locator("#result_list tbody tr").count() == 1
    shoot(page, "7-journey-search")
    page.click("#result_list tbody tr a")
    page.wait_for_selector("#timeline")
    shoot(page, "8-journey")
    timeline = page.inner_text("#timeline")
    assert "Created in Salesforce (leads " in timeline and "taken in by poll" in timeline
    assert "written to the CRM" in timeline
