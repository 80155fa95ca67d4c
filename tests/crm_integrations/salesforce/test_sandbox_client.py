"""SalesforceClient against the Salesforce sandbox beyond the contract: follow-up Tasks found again by
their key, accounts by website, the daily allocation as the org reports it, and an expired session
refreshed through the sandbox's token endpoint."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from crm_integrations.core.errors import RateLimited
from crm_integrations.core.types import FollowUpTask, normalize_domain
from crm_integrations.models import OrganizationIntegration

REP = "005SB0000000002YAA"


def a_lead(sandbox) -> str:
    return next(
        lead_id for lead_id, lead in sandbox.state.records["Lead"].items() if not lead.get("IsConverted")
    )


def test_a_follow_up_task_names_the_lead_and_rep_and_is_found_again_by_its_key(salesforce, sandbox):
    lead_id = a_lead(sandbox)
    task = FollowUpTask(lead_id, REP, "Call back", datetime.now(UTC) + timedelta(hours=4), key="assignment-7")

    created = salesforce.create_follow_up_tasks("leads", [task])
    found = salesforce.find_follow_up_tasks(
        "leads", [task, FollowUpTask(lead_id, REP, "x", task.due_at, key="other")]
    )

    assert created.failed == () and len(created.created) == 1
    stored = sandbox.control.record("Task", created.created[0].id)
    assert (stored["WhoId"], stored["OwnerId"]) == (lead_id, REP)
    assert list(found) == ["assignment-7"] and found["assignment-7"].id == created.created[0].id


def test_accounts_are_found_by_the_domain_of_their_website(salesforce, sandbox):
    account = next(item for item in sandbox.state.records["Account"].values() if item.get("Website"))
    domain = normalize_domain(account["Website"])

    found = salesforce.accounts_by_domain([f"someone@{domain}"])

    assert found[domain].id == account["Id"] and found[domain].owner_id == account["OwnerId"]
    assert [item.id for item in salesforce.accounts_by_id([account["Id"]])] == [account["Id"]]


def test_the_daily_allocation_is_read_from_every_answer_and_a_spent_one_is_rate_limited(salesforce, sandbox):
    sandbox.control.set_usage(1234)
    salesforce.list_owners()
    usage = salesforce.api_usage()
    assert usage.used >= 1234 and usage.allocation == 100_000

    sandbox.control.set_usage(100_000)
    with pytest.raises(RateLimited) as caught:
        salesforce.list_owners()
    assert caught.value.code == "REQUEST_LIMIT_EXCEEDED"


def test_an_expired_session_is_refreshed_at_the_sandbox_and_the_call_repeated(
    salesforce, sandbox, connection
):
    expired, kept = connection.access_token, connection.refresh_token
    sandbox.control.revoke_token(expired)  # the session ends; the refresh token lives

    assert salesforce.list_owners()

    stored = OrganizationIntegration.objects.get(pk=connection.pk)
    assert stored.access_token != expired and stored.status == "connected"
    assert stored.refresh_token == kept  # rotation is off: the same one kept


def test_a_burst_larger_than_the_cursor_keeps_is_still_read_once_each_in_order(
    salesforce, sandbox, monkeypatch
):
    """More records stamped within the overlap than the cursor keeps keys for: the next read starts
    later instead, so nothing loops and nothing is read twice."""
    monkeypatch.setattr("crm_integrations.salesforce.feed.MAX_SEEN", 3)
    for number in range(8):  # one at a time: each its own SystemModstamp
        sandbox.control.create_record(
            "Lead", {"LastName": f"Burst {number}", "Company": "Burst"}, autoAssign=False
        )
    leads = sandbox.state.records["Lead"].values()
    expected = {lead["Id"] for lead in leads if not lead.get("IsConverted")}
    assert len({lead["SystemModstamp"] for lead in leads if lead["Company"] == "Burst"}) == 8

    ids, cursor, largest = [], None, 0
    for _ in range(len(expected) + 2):
        page = salesforce.changed_since("leads", cursor, limit=2)
        ids += [record.id for record in page.records]
        cursor = page.next_cursor
        largest = max(largest, len(json.loads(cursor)["seen"]))
        if not page.has_more:
            break

    assert not page.has_more and len(ids) == len(set(ids)) and set(ids) == expected
    assert len(json.loads(cursor)["seen"]) == 3  # the newest three, not every lead of the overlap
    assert largest <= 3 + 20  # the cap, plus ties at its stamp (the seeded leads share theirs)
