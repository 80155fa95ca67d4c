"""The admin home and the "Existing leads" step in a real browser (Debian's Chromium) at
1366 x 768, with the home also shot at 1920 x 1080: the checklist points at the existing leads,
they are counted (the CRM read is stubbed), distributed by the published rules, routed in the
background (the tasks run inline here), and the home then shows the first lead routed."""

from __future__ import annotations

import pytest

from routing import existing_leads, tasks

from .. import factories as make


def shoot(page, name: str) -> None:
    from tests.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / f"home-{name}.png"), full_page=True)


@pytest.fixture
def inline_tasks(monkeypatch):
    """The page's background tasks run in the request that queues them (no worker here)."""
    for task in (tasks.count_existing_leads, tasks.route_existing_leads):
        monkeypatch.setattr(task, "delay", lambda run_id, task=task: task(run_id))


@pytest.mark.django_db(transaction=True)
def test_home_then_existing_leads_counted_simulated_and_routed(
    admin_page, live_server, organization, inline_tasks, monkeypatch
):
    crm = make.hubspot_connection(organization)
    reps = [make.rep(crm, "Ann Archer", owner_id="71"), make.rep(crm, "Bob Baker", owner_id="72")]
    make.rule(organization, "Everyone", teams=[make.team(organization, "Sales", reps)])
    make.publish(organization)

    def crm_leads(connection, object_type, *, since, source, max_pages, on_page):
        for n in range(5):
            make.lead(crm, name=f"Existing lead {n}")
        on_page(5)

    monkeypatch.setattr(existing_leads.polling, "poll", crm_leads)
    page = admin_page
    page.set_viewport_size({"width": 1366, "height": 768})

    # 1. The home: four steps done, the next one is the existing leads; grouped navigation.
    page.goto(f"{live_server.url}/admin/")
    assert "4 of 5 done" in page.inner_text("#setup-checklist")
    assert page.locator("li.step.next").get_attribute("data-step") == "first_lead"
    assert page.locator("#home-connections tr.connection").count() == 1
    captions = page.locator(".home-nav caption").all_inner_texts()
    assert [c.strip().title() for c in captions] == [
        "Setup",
        "Routing",
        "Leads",
        "Contracts",
        "Monitoring",
        "System",
    ]
    assert page.locator("text=View site").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366  # nothing cut off
    shoot(page, "1-start-1366")
    page.set_viewport_size({"width": 1920, "height": 1080})
    shoot(page, "1-start-1920")
    page.set_viewport_size({"width": 1366, "height": 768})

    # 2. The checklist's step opens the existing leads; count the last 30 days.
    page.click("li.step.next a.button")
    page.wait_for_selector("section.existing-leads")
    page.fill("input[name=days]", "30")
    page.click("button.count-run")
    page.wait_for_selector(".run-counted")
    assert page.inner_text(".to-route") == "5"
    rows = page.locator("table.distribution tbody tr").all_inner_texts()
    assert [" ".join(r.split()) for r in rows] == ["Ann Archer 3", "Bob Baker 2"]
    shoot(page, "2-existing-leads-counted")

    # 3. Route them: the background job's progress, then done.
    page.click("button.route-run")
    page.wait_for_selector(".run-done")
    assert "5 of 5 decided: 5 given to a rep" in page.inner_text(".progress-text")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    shoot(page, "3-existing-leads-routed")

    # 4. The home: all five steps done, today's figures count the routed leads.
    page.goto(f"{live_server.url}/admin/")
    assert "5 of 5 done" in page.inner_text("#setup-checklist")
    assert page.inner_text("#figure-routed dd") == "5"
    shoot(page, "4-done-1366")
    page.set_viewport_size({"width": 1920, "height": 1080})
    shoot(page, "4-done-1920")
