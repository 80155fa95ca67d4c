"""``POST /_sandbox/seed/leads`` after companies the word lists did not make
(devtools/sandboxes/hubspot/seed.py): an unknown country, no domain, no name.
Seeding works, and is all or nothing (devtools/sandboxes/hubspot/checkpoint.py)."""

from __future__ import annotations

import re

import pytest
import requests

from devtools.sandboxes.hubspot import seed
from devtools.sandboxes.hubspot.config import SandboxConfig
from devtools.sandboxes.hubspot.seed import Fresh, build_portal, seed_leads
from devtools.sandboxes.hubspot.state import ChangeSource, Portal, RecordChange

EMAIL = re.compile(r"[a-z0-9.]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+")
ODD_COMPANIES = [
    {"name": "Atlantis Trading", "country": "Atlantis", "domain": "atlantis-trading.example"},
    {"name": "Domainless Holdings", "country": "Germany"},
    {"name": "Nothing Known"},
    {"domain": "https://not a domain/"},
]
# Where their contacts' emails go: a usable domain is kept, else a reserved one from the name or the id.
EMAIL_DOMAINS = [
    "atlantis-trading.example",
    "domainlessholdings.example.com",
    "nothingknown.example.com",
    None,
]


def contacts_at(portal: Portal, company_id: int) -> list[dict[str, str]]:
    contacts = portal.records["contacts"]
    return [
        contacts[i].properties for i, _ in portal.associations.targets("companies", company_id, "contacts")
    ]


def test_seeding_after_companies_with_unknown_country_or_no_domain_seeds_every_lead(sandbox, api):
    # Many odd companies, so that seeding certainly puts contacts at each kind of them.
    inputs = [{"properties": ODD_COMPANIES[i % len(ODD_COMPANIES)]} for i in range(100)]
    created = api.post("/crm/v3/objects/companies/batch/create", {"inputs": inputs})
    assert created.status_code == 201
    ids = [int(result["id"]) for result in created.json()["results"]]
    leads_before = len(sandbox.state.portal().records["leads"])

    response = requests.post(sandbox.base_url + "/_sandbox/seed/leads", json={"count": 300}, timeout=30)

    assert response.status_code == 201, response.text
    assert response.json()["created"] == 300
    portal = sandbox.state.portal()
    assert len(portal.records["leads"]) == leads_before + 300
    for kind, props in enumerate(ODD_COMPANIES):
        seeded_at = {
            company_id: contacts_at(portal, company_id) for company_id in ids[kind :: len(ODD_COMPANIES)]
        }
        assert any(seeded_at.values()), f"no contact was seeded at a company like {props}"
        for company_id, contacts in seeded_at.items():
            domain = EMAIL_DOMAINS[kind] or f"company{company_id}.example.com"
            for contact in contacts:
                assert contact["email"].endswith("@" + domain) and EMAIL.fullmatch(contact["email"])
                assert contact.get("country", "") == props.get("country", "")
                assert contact.get("company", "") == props.get("name", "")
                assert ("phone" in contact) is (props.get("country") == "Germany")  # no code, no number


def test_contacts_of_a_company_without_domain_get_a_reserved_one():
    portal = build_portal(24000001, SandboxConfig(seed=3, seed_leads=0))
    for company in portal.records["companies"].values():
        for name in ("domain", "country", "city", "website"):
            company.properties.pop(name)
    companies = set(portal.records["companies"])

    seed_leads(portal, 3, 60)

    at_old = [c for company_id in companies for c in contacts_at(portal, company_id)]
    assert len(at_old) > 60  # the base contacts and some of the new ones
    new = [c for c in at_old if c["email"].endswith(".example.com")]
    assert new and all(EMAIL.fullmatch(c["email"]) and "country" not in c for c in new)


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"count": "many"}, "count"),
        ({"count": 0}, "count"),
        ({"count": True}, "count"),
        ({"count": 5, "portalId": "main"}, "portalId"),
        ([{"count": 5}], "JSON object"),
    ],
)
def test_a_wrong_seed_request_is_a_clear_400_and_seeds_nothing(sandbox, body, named):
    leads_before = len(sandbox.state.portal().records["leads"])
    response = requests.post(sandbox.base_url + "/_sandbox/seed/leads", json=body, timeout=10)
    assert response.status_code == 400
    assert named in response.json()["message"]
    assert len(sandbox.state.portal().records["leads"]) == leads_before


def state_of(portal: Portal) -> tuple:
    records = {
        name: {i: dict(r.properties) for i, r in items.items()} for name, items in portal.records.items()
    }
    return records, sorted(map(repr, portal.associations.links())), dict(portal.next_ids), portal.lead_batches


def test_a_pass_that_fails_half_way_leaves_the_portal_as_it_was(monkeypatch):
    portal, twin = (build_portal(24000001, SandboxConfig(seed=3, seed_leads=10)) for _ in range(2))
    before = state_of(portal)
    lead, calls = seed._Seeder.lead, []

    def fails_on_the_sixth(seeder: seed._Seeder, companies: list) -> int:
        calls.append(1)
        if len(calls) == 6:
            raise RuntimeError("seeding broke")
        return lead(seeder, companies)

    monkeypatch.setattr(seed._Seeder, "lead", fails_on_the_sixth)
    events: list[RecordChange] = []
    with pytest.raises(RuntimeError):
        seed_leads(portal, 3, 10, fresh=Fresh(events.append, ChangeSource("CRM_UI")))

    assert state_of(portal) == before  # no lead, contact, company or link of the five that were made
    assert events == []  # and no creation webhook for them
    monkeypatch.setattr(seed._Seeder, "lead", lead)
    assert seed_leads(portal, 3, 10) == seed_leads(twin, 3, 10)  # the next pass is the one it would have been
