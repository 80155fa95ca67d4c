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


def fits(page, selector):
    """Whether the element shows all its content at this width (no horizontal scrolling)."""
    return page.locator(selector).evaluate("el => el.scrollWidth <= el.clientWidth")


@pytest.mark.django_db(transaction=True)
def test_edit_publish_simulate_and_follow_a_lead_in_the_browser(admin_page, live_server, organization):
    crm = make.hubspot_connection(organization)
    setup = build(organization, crm)
    ada = make.lead(crm, name="Ada Lovelace", email="ada@northwind.example", country="FR", source="WEBSITE")
    route_leads(crm, [ada])  # v1: France is not DACH; the round robin of "Rest" gives her to Cid
    page = admin_page
    page.set_viewport_size({"width": 1366, "height": 1000})

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
    # v2 (just published) sends her to Ann, not the draft: the rules changed since she was routed.
    assert row.locator("td[data-col=changed]").inner_text() == "rules published since"
    assert page.inner_text("#edits-count") == "0"
    assert page.inner_text("#newer-rules-count") == "4"  # the three French leads; the US one by knock-on
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
    assert fits(page, ".results")  # no column cut off at 1366 px
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
    assert "HubSpot (owner 71)" in page.inner_text("#result_list")
    assert fits(page, ".results")
    shoot(page, "8-reps")
    page.goto(f"{live_server.url}/admin/routing/ownerwrite/")
    assert page.locator("#result_list tbody tr").count() == 7
    shoot(page, "9-owner-writes")

    # 8. The routing policy in words: the queue owner by name, labels that read.
    from crm_integrations.core.types import CrmOwner
    from routing.models import RoutingPolicy
    from routing.reps_sync import apply_owners

    apply_owners(crm, [CrmOwner("70000100", "queue@corp.example", "Inbound", "queue", is_queue=True)])
    policy = RoutingPolicy.objects.get(organization=organization)
    page.goto(f"{live_server.url}/admin/routing/routingpolicy/{policy.pk}/change/")
    form = page.inner_text("#content-main")
    assert "Inbound queue (queue)" in form and "70000100" not in form
    assert "Reroute after (minutes)" in form and "Win-rate weight" in form
    assert page.locator("#id_placeholder_owner_ids input[value='70000100']").is_checked()
    shoot(page, "10-routing-policy")


@pytest.mark.django_db(transaction=True)
def test_guard_rails_on_the_rule_set_page_and_publish_in_the_browser(admin_page, live_server, organization):
    """A rule saved below the catch-all is flagged in words, moved up (the warning goes), published
    with the move named; then every rule disabled, and publishing is refused with the reason."""
    from routing.models import RuleSetVersion

    crm = make.hubspot_connection(organization)
    setup = build(organization, crm)
    make.rule(organization, "Partners", reps=[setup.bob], conditions=[("source", "equals", "PARTNER")])
    ruleset = ruleset_for(organization)
    page = admin_page
    page.set_viewport_size({"width": 1366, "height": 900})
    never = "Never fires: the catch-all rule 'Rest' above it takes every lead."

    # 1. The warning beside the rule, in words; the table fits 1366 px.
    page.goto(f"{live_server.url}/admin/routing/ruleset/{ruleset.pk}/change/")
    partners_row = page.locator("#rules-group tr.form-row:has(input[value='Partners'])")
    assert never in partners_row.locator("td.field-warnings").inner_text()
    assert "Country is one of DE, AT" in page.inner_text("#rules-group")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    assert fits(page, "#rules-group fieldset")  # no column cut off
    shoot(page, "guard-1-never-fires")

    # 2. The publish page lists the warning; publishing would still be allowed.
    page.click("#publish")
    page.wait_for_selector("#publish-warnings")
    assert f"'Partners': {never}" in page.inner_text("#publish-warnings")
    assert page.locator("#confirm-publish").count() == 1
    shoot(page, "guard-2-publish-warned")

    # 3. Move "Partners" up above "Rest": renumbered, the warning gone.
    page.go_back()
    page.click("button[aria-label='Move up Partners']")
    page.wait_for_selector(".messagelist .success")
    assert "Moved 'Partners' up." in page.inner_text(".messagelist")
    names = page.locator("#rules-group input[name$='-name']")
    assert [names.nth(i).input_value() for i in range(3)] == ["DACH", "Partners", "Rest"]
    positions = page.locator("#rules-group td.field-position")
    assert [positions.nth(i).inner_text().strip() for i in range(3)] == ["1", "2", "3"]
    assert "Never fires" not in page.inner_text("#rules-group")
    shoot(page, "guard-3-moved")

    # 4. Published: the summary names the new rule.
    page.click("#publish")
    page.click("#confirm-publish")
    page.wait_for_selector(".messagelist .success")
    assert "Published v2: added rule 'Partners'" in page.inner_text(".messagelist")

    # 5. Every rule disabled and saved: publishing is refused with the reason; v2 stays live.
    for box in page.locator("#rules-group tr.has_original input[name$='-enabled']").all():
        box.uncheck()
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    assert "disabled rule 'DACH'" in page.inner_text(".field-unpublished")
    page.click("#publish")
    page.wait_for_selector("#publish-problem")
    assert "No rule is enabled" in page.inner_text("#publish-problem")
    assert page.locator("#confirm-publish").count() == 0
    shoot(page, "guard-4-publish-refused")
    assert RuleSetVersion.objects.filter(ruleset=ruleset).count() == 2
