"""Follow-up tasks and accounts (companies) through HubSpotClient, against the sandbox over HTTP."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import requests

from crm_integrations.core.types import CrmAccount, FollowUpTask

from .conftest import api_calls

TASKS_CREATE = "POST /crm/v3/objects/tasks/batch/create"
COMPANY_SEARCH = "POST /crm/v3/objects/companies/search"
TASK_PROPERTIES = (
    "hubspot_owner_id",
    "hs_timestamp",
    "hs_task_subject",
    "hs_task_body",
    "hs_task_status",
    "hs_task_priority",
    "hs_task_type",
)


def calls(sandbox) -> Counter:
    return Counter(f"{entry['method']} {entry['path']}" for entry in api_calls(sandbox))


def owner_ids(sandbox) -> list[str]:
    owners = sandbox.state.portal().owners.values()
    return [str(owner.id) for owner in owners if owner.type == "PERSON" and not owner.archived]


def v4_associations(sandbox, from_type: str, record_id: str, to_type: str) -> list[tuple[str, int]]:
    """(associated id, type id) pairs, read straight from the sandbox's associations v4 API."""
    response = requests.get(
        f"{sandbox.base_url}/crm/v4/objects/{from_type}/{record_id}/associations/{to_type}",
        headers={"Authorization": f"Bearer {sandbox.control.access_token()}"},
        timeout=10,
    )
    response.raise_for_status()
    return [
        (item["toObjectId"], kind["typeId"])
        for item in response.json()["results"]
        for kind in item["associationTypes"]
    ]


# --- follow-up tasks ------------------------------------------------------------------------------


def test_tasks_for_three_leads_take_one_call_each_associated_with_its_lead(hubspot, sandbox):
    leads = [str(i) for i in sorted(sandbox.state.portal().records["leads"])[:3]]
    owners = owner_ids(sandbox)[:3]
    due = datetime(2030, 3, 4, 9, 30, tzinfo=UTC)
    tasks = [
        FollowUpTask(
            lead, owner, f"Call lead {lead}", due + timedelta(hours=index), body="Inbound demo request"
        )
        for index, (lead, owner) in enumerate(zip(leads, owners, strict=True))
    ]
    sandbox.control.clear_requests()

    result = hubspot.create_follow_up_tasks("leads", tasks)

    assert calls(sandbox) == Counter({TASKS_CREATE: 1})
    assert result.failed == ()
    assert [task.associations["leads"] for task in result.created] == [(lead,) for lead in leads]
    stored = {
        task.id: task
        for task in hubspot.batch_read(
            "tasks", [task.id for task in result.created], properties=TASK_PROPERTIES
        )
    }
    for created, task in zip(result.created, tasks, strict=True):
        properties = stored[created.id].properties
        assert properties["hubspot_owner_id"] == task.owner_id
        assert datetime.fromisoformat(properties["hs_timestamp"]) == task.due_at
        assert (properties["hs_task_subject"], properties["hs_task_body"]) == (task.subject, task.body)
        assert (properties["hs_task_status"], properties["hs_task_priority"], properties["hs_task_type"]) == (
            "NOT_STARTED",
            "HIGH",
            "TODO",
        )
        assert v4_associations(sandbox, "tasks", created.id, "leads") == [(task.record_id, 647)]
        assert (created.id, 646) in v4_associations(sandbox, "leads", task.record_id, "tasks")


def test_an_unknown_owner_fails_only_its_own_task(hubspot, sandbox):
    leads = [str(i) for i in sorted(sandbox.state.portal().records["leads"])[:3]]
    owner = owner_ids(sandbox)[0]
    due = datetime.now(UTC) + timedelta(days=1)
    tasks = [FollowUpTask(lead, owner, "Call back", due) for lead in leads]
    tasks[1] = FollowUpTask(leads[1], "424242", "Call back", due, priority="low")
    sandbox.control.clear_requests()

    result = hubspot.create_follow_up_tasks("leads", tasks)

    assert calls(sandbox) == Counter({TASKS_CREATE: 1})
    assert [task.associations["leads"][0] for task in result.created] == [leads[0], leads[2]]
    (failure,) = result.failed
    assert failure.id == leads[1] and failure.code == "VALIDATION_ERROR"
    assert "424242" in failure.message
    assert v4_associations(sandbox, "leads", leads[1], "tasks") == []


def test_contact_tasks_use_the_task_to_contact_type_and_big_batches_are_chunked(hubspot, sandbox):
    seeded = [str(i) for i in sorted(sandbox.state.portal().records["contacts"])]
    contacts = [seeded[i % len(seeded)] for i in range(101)]  # a contact may get several tasks
    owner = owner_ids(sandbox)[0]
    due = datetime.now(UTC) + timedelta(days=2)
    sandbox.control.clear_requests()

    result = hubspot.create_follow_up_tasks(
        "contacts", [FollowUpTask(contact, owner, "Qualify", due, priority="MEDIUM") for contact in contacts]
    )

    assert calls(sandbox) == Counter({TASKS_CREATE: 2})  # 100 + 1
    assert len(result.created) == 101 and result.failed == ()
    last = result.created[-1]
    assert last.associations == {"contacts": (contacts[-1],)}
    assert v4_associations(sandbox, "tasks", last.id, "contacts") == [(contacts[-1], 204)]


# --- accounts ----------------------------------------------------------------------------------------


def seeded_companies(sandbox, count: int) -> list[dict[str, str]]:
    companies = sandbox.state.portal().records["companies"]
    return [
        {"id": str(i), **companies[i].properties}
        for i in sorted(companies)[:count]
        if not companies[i].archived
    ]


def test_accounts_are_found_by_domain_whatever_its_spelling(hubspot, sandbox):
    first, second = seeded_companies(sandbox, 2)
    spellings = [f"WWW.{first['domain'].upper()}", f"https://{second['domain']}/pricing", "nobody.invalid"]
    sandbox.control.clear_requests()

    found = hubspot.accounts_by_domain(spellings)

    assert found == {
        first["domain"]: CrmAccount(first["id"], first["name"], first["domain"], first["hubspot_owner_id"]),
        second["domain"]: CrmAccount(
            second["id"], second["name"], second["domain"], second["hubspot_owner_id"]
        ),
    }
    assert calls(sandbox) == Counter({COMPANY_SEARCH: 1})
    assert hubspot.accounts_by_domain(["nobody.invalid", "", "   "]) == {}


def test_a_company_typed_with_www_is_found_by_its_bare_domain(hubspot, sandbox):
    created = sandbox.control.create_record(
        "companies", {"name": "Typed By Hand", "domain": "www.Typed.example"}
    )

    found = hubspot.accounts_by_domain(["typed.example"])

    assert found["typed.example"].id == created["id"]
    assert found["typed.example"].domain == "typed.example"


def test_more_than_100_domains_are_searched_in_chunks(hubspot, sandbox, settings):
    settings.CRM_RATE_LIMITS = {**settings.CRM_RATE_LIMITS, "hubspot:search": [[100, 1]]}
    known = seeded_companies(sandbox, 5)
    domains = [company["domain"] for company in known] + [f"unknown-{i}.example" for i in range(115)]
    sandbox.control.clear_requests()

    found = hubspot.accounts_by_domain(domains)

    assert sorted(found) == sorted(company["domain"] for company in known)
    # 120 domains, asked with and without "www.": 100 values a call, so 50 domains a call.
    assert calls(sandbox) == Counter({COMPANY_SEARCH: 3})


def test_companies_sharing_a_domain_resolve_to_the_latest_owned_one(hubspot, sandbox):
    owner, other = owner_ids(sandbox)[:2]

    def company(name: str, domain: str, owner_id: str = "") -> str:
        return sandbox.control.create_record(
            "companies", {"name": name, "domain": domain, "hubspot_owner_id": owner_id}
        )["id"]

    older_owned = company("Shared Old", "shared.example", owner)
    newer_owned = company("Shared New", "shared.example", other)
    company("Shared Unowned", "shared.example")  # the newest, but nobody owns it
    company("Orphan A", "orphan.example")
    newest_unowned = company("Orphan B", "www.orphan.example")
    sandbox.control.update_record("companies", older_owned, {"name": "Shared Old (renamed)"})

    found = hubspot.accounts_by_domain(["shared.example", "orphan.example"])

    assert found["shared.example"] == CrmAccount(older_owned, "Shared Old (renamed)", "shared.example", owner)
    sandbox.control.update_record("companies", newer_owned, {"name": "Shared New"})
    assert hubspot.accounts_by_domain(["shared.example"])["shared.example"].id == newer_owned
    assert found["orphan.example"] == CrmAccount(newest_unowned, "Orphan B", "orphan.example", "")


def test_accounts_by_id_read_name_domain_and_owner(hubspot, sandbox):
    companies = seeded_companies(sandbox, 3)
    ids = [company["id"] for company in companies][::-1]
    sandbox.control.clear_requests()

    accounts = hubspot.accounts_by_id([ids[0], "999999999", *ids[1:]])

    assert [account.id for account in accounts] == ids
    by_id = {company["id"]: company for company in companies}
    for account in accounts:
        assert account.owner_id == by_id[account.id]["hubspot_owner_id"] != ""
        assert (account.name, account.domain) == (by_id[account.id]["name"], by_id[account.id]["domain"])
    assert calls(sandbox) == Counter({"POST /crm/v3/objects/companies/batch/read": 1})


@pytest.mark.parametrize("flag", ["supports_tasks", "supports_accounts"])
def test_hubspot_declares_both_capabilities(hubspot, flag):
    assert getattr(hubspot, flag) is True


def test_tasks_are_found_again_by_their_key_on_their_own_record(hubspot, sandbox):
    """``find_follow_up_tasks`` reads the records' tasks (no search index): keyed tasks only."""
    leads = [str(i) for i in sorted(sandbox.state.portal().records["leads"])[:3]]
    owner = owner_ids(sandbox)[0]
    due = datetime(2030, 3, 4, 9, 30, tzinfo=UTC)
    keyed = [
        FollowUpTask(lead, owner, "Call", due, body="Inbound", key=f"decision-{n}")
        for n, lead in enumerate(leads)
    ]
    created = hubspot.create_follow_up_tasks("leads", [keyed[0], replace(keyed[1], key="")])
    sandbox.control.clear_requests()

    found = hubspot.find_follow_up_tasks("leads", keyed)

    assert list(found) == ["decision-0"]  # the unkeyed task and the lead without a task: nothing
    assert found["decision-0"].id == created.created[0].id
    assert found["decision-0"].associations == {"leads": (leads[0],)}
    assert sum(calls(sandbox).values()) == 2  # the leads' tasks, then the tasks' bodies
    body = hubspot.batch_read("tasks", [created.created[0].id], properties=["hs_task_body"])[0]
    assert body.properties["hs_task_body"] == "Inbound\n\n[lead-routing:decision-0]"
