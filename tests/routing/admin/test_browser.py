"""The routing admin in a real browser (Debian's Chromium): fix a rule's condition (a bad value is
refused first), publish, simulate the new rules on recent leads, then find a lead's journey by its
email and reprocess it. Screenshots of each step land in test-artifacts/screenshots/."""

import pytest

from routing.assign import route_leads
from routing.models import Decision
from routing.rulesets import ruleset_for

from .. import factories as make
from .conftest import build


def shoot(page, name):
    from tests.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / f"routing-admin-{name}.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_edit_publish_simulate_and_follow_a_lead_in_the_browser(admin_page, live_server, organization):
    crm = make.hubspot_connection(organization)
    setup = build(organization, crm)
    ada = make.lead(crm, name="Ada Lovelace", email="ada@northwind.example", country="FR", source="WEBSITE")
    route_leads(crm, [ada])  # v1: France is not DACH; the round robin of "Rest" gives her to Cid
    page = admin_page
    page.set_viewport_size({"width": 1400, "height": 1000})

    # 1. The rule set: rules in order, then the published versions; open the DACH rule.
    page.goto(f"{live_server.url}/admin/routing/ruleset/{ruleset_for(organization).pk}/change/")
    assert "v1, published" in page.inner_text("#content-main")
    shoot(page, "1-rule-set")
    page.locator("tr:has(input[value='DACH']) a.inlinechangelink").click()

    # 2. A "between" without "low..high" is refused with the reason; "in" with France is saved.
    page.wait_for_selector("#id_conditions-0-value")
    page.select_option("#id_conditions-0-op", "between")
    page.fill("#id_conditions-0-value", "1000")
    page.click("input[name=_save]")
    page.wait_for_selector(".errorlist")
    assert "'between' needs 'low..high', not '1000'." in page.inner_text(".errorlist")
    shoot(page, "2-condition-refused")
    page.select_option("#id_conditions-0-op", "in")
    page.fill("#id_conditions-0-value", "DE, AT, FR")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    assert "changed rule 'DACH': conditions" in page.inner_text(".field-unpublished")

    # 3. Publish with a note: v2, and what changed.
    page.click("#publish")
    page.wait_for_selector("#publish-form")
    assert "changed rule 'DACH': conditions" in page.inner_text("#pending-changes")
    page.fill("#id_note", "France joins DACH")
    shoot(page, "3-publish")
    page.click("#confirm-publish")
    page.wait_for_selector(".messagelist .success")
    assert "Published v2: changed rule 'DACH': conditions" in page.inner_text(".messagelist")

    # 4. Simulate the draft on the newest leads: both French leads would go to Ann.
    decisions_before = Decision.objects.count()
    page.click("#simulate")
    page.fill("#id_limit", "200")
    page.click("#run-simulation")
    page.wait_for_selector("#simulation-results")
    row = page.locator(f"tr.simulated-lead[data-lead='{ada.external_id}']")
    assert "Cid" in row.locator("td[data-col=current]").inner_text()
    assert "Ann" in row.locator("td[data-col=simulated]").inner_text()
    assert row.locator("td[data-col=changed]").inner_text() == "changed"
    ann = page.locator("#simulation-loads tr[data-rep='Ann']")
    assert ann.locator("td[data-col=current]").inner_text() == "2"
    assert ann.locator("td[data-col=simulated]").inner_text() == "5"
    assert page.inner_text("#simulated-count") == "6"
    assert Decision.objects.count() == decisions_before
    shoot(page, "4-simulation")

    # 5. Find Ada's journey by her email: the timeline and the decision's trace.
    page.goto(f"{live_server.url}/admin/routing/leadjourney/")
    page.fill("#searchbar", "ada@northwind.example")
    page.press("#searchbar", "Enter")
    page.wait_for_selector("#result_list")
    assert page.locator("#result_list tbody tr").count() == 1
    assert "Assigned → Cid" in page.inner_text("#result_list")
    shoot(page, "5-journey-search")
    page.click("#result_list tbody tr a")
    page.wait_for_selector("#timeline")
    assert "routed to Cid by rule 'Rest'" in page.inner_text("#timeline")
    assert "Cid ✓" in page.inner_text(".decision.current .trace-candidates")
    shoot(page, "6-journey")

    # 6. Reprocess: the new decision (Ann, by v2) beside the old one (Cid).
    page.click("#reprocess")
    page.wait_for_selector(".messagelist .success")
    assert "1 lead(s) reprocessed: 1 assigned" in page.inner_text(".messagelist")
    rows = page.locator("#decision-list tr.decision-row")
    assert rows.count() == 2
    assert "Ann" in rows.nth(0).inner_text() and "current" in rows.nth(0).inner_text()
    assert "Cid" in rows.nth(1).inner_text() and "replaced" in rows.nth(1).inner_text()
    shoot(page, "7-reprocessed")
    assert setup.ann.decisions.filter(lead=ada, is_current=True).exists()

    # 7. The reps (loads, scores, identities) and the write-back outbox.
    page.goto(f"{live_server.url}/admin/routing/rep/")
    assert "HubSpot 71" in page.inner_text("#result_list")
    shoot(page, "8-reps")
    page.goto(f"{live_server.url}/admin/routing/ownerwrite/")
    assert page.locator("#result_list tbody tr").count() == 7
    shoot(page, "9-owner-writes")
