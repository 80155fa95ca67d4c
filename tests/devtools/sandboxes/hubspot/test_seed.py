"""Seeding is deterministic by seed and looks like a real portal."""

from __future__ import annotations

from devtools.sandboxes.hubspot.config import SandboxConfig
from devtools.sandboxes.hubspot.seed import build_portal, seed_leads
from devtools.sandboxes.hubspot.state import Portal

TIMESTAMPS = {"createdate", "hs_lastmodifieddate", "lastmodifieddate", "closedate", "hs_timestamp"}


def snapshot(portal: Portal) -> dict:
    """Everything but the timestamps (which are offsets back from the moment of seeding)."""
    return {
        kind: [(r.id, {k: v for k, v in r.properties.items() if k not in TIMESTAMPS}) for r in items.values()]
        for kind, items in portal.records.items()
    }


def test_same_seed_same_data_and_another_seed_other_data():
    config = SandboxConfig(seed=3, seed_leads=60)
    first, second = build_portal(24000001, config), build_portal(24000001, config)
    assert snapshot(first) == snapshot(second)
    assert seed_leads(first, 3, 25) == seed_leads(second, 3, 25)
    assert snapshot(first) == snapshot(second)
    other = build_portal(24000001, SandboxConfig(seed=4, seed_leads=60))
    assert snapshot(other)["contacts"] != snapshot(first)["contacts"]


def test_leads_have_contacts_at_companies_whose_domain_their_email_uses():
    portal = build_portal(24000001, SandboxConfig(seed=5, seed_leads=300))
    leads = portal.records["leads"]
    assert len(leads) == 300
    for lead in leads.values():
        contact_id = portal.associations.first_target("leads", lead.id, "contacts", 578)
        contact = portal.records["contacts"][contact_id]
        company = portal.records["companies"][
            portal.associations.first_target("contacts", contact_id, "companies", 1)
        ]
        assert contact.properties["email"].endswith("@" + company.properties["domain"])
        assert lead.properties["hs_associated_company_domain"] == company.properties["domain"]
        assert contact.properties["country"] == company.properties["country"]
    props = [lead.properties for lead in leads.values()]
    assert len({p["lead_source"] for p in props}) > 3
    assert (
        len(
            {
                portal.records["companies"][int(p["hs_primary_company_id"])].properties["industry"]
                for p in props
            }
        )
        > 5
    )
    emails = [c.properties["email"] for c in portal.records["contacts"].values()]
    assert len(emails) == len(set(emails))


def test_owners_are_a_dozen_with_one_inactive_and_one_queue():
    owners = list(build_portal(24000001, SandboxConfig(seed_leads=0)).owners.values())
    assert len(owners) == 12
    assert sum(owner.archived for owner in owners) == 1
    assert [owner.type for owner in owners].count("QUEUE") == 1
