"""``POST /_sandbox/seed/leads`` with ``fresh``/``unowned``: a burst of new leads, created now, announced."""

from __future__ import annotations

from devtools.sandboxes.hubspot.config import SandboxConfig
from devtools.sandboxes.hubspot.seed import Fresh, build_portal, seed_leads
from devtools.sandboxes.hubspot.state import ChangeSource, RecordChange
from devtools.sandboxes.hubspot.timeutil import now_ms

from .test_webhooks import FAST_RETRIES, events_of


def test_fresh_unowned_leads_are_created_now_and_each_creation_sends_its_webhook(sandbox, receiver):
    sandbox.control.configure_webhooks(targetUrl=receiver.url, **FAST_RETRIES)
    before = now_ms()

    seeded = sandbox.control.seed_leads(30, fresh=True, unowned=True)

    assert sandbox.control.wait_for_deliveries(10)
    ids = list(range(int(seeded["firstId"]), int(seeded["lastId"]) + 1))
    assert seeded["created"] == len(ids) == 30
    portal = sandbox.state.portal()
    for lead_id in ids:
        lead = portal.records["leads"][lead_id]
        contact_id = portal.associations.first_target("leads", lead_id, "contacts", 578)
        contact = portal.records["contacts"][contact_id]
        assert lead.created_ms >= before and contact.created_ms >= before
        assert not lead.properties.get("hubspot_owner_id") and not contact.properties.get("hubspot_owner_id")
        assert lead.properties["hs_primary_company_id"]  # with its company, as seeded leads are
        assert lead.properties["hs_pipeline_stage"] == "new-stage-id"
    events = events_of(receiver.received)
    created = [event for event in events if event.get("changeFlag") == "NEW"]
    assert sorted(e["objectId"] for e in created if e.get("objectTypeId") == "0-136") == ids
    assert sum(e["subscriptionType"] == "contact.creation" for e in created) == 30
    assert {event["changeSource"] for event in created} == {"CRM_UI"}


def test_plain_seeding_stays_silent_and_may_leave_owners(sandbox, receiver):
    sandbox.control.configure_webhooks(targetUrl=receiver.url, **FAST_RETRIES)
    seeded = sandbox.control.seed_leads(20)
    assert sandbox.control.wait_for_deliveries(10)
    assert receiver.received == []
    leads = sandbox.state.portal().records["leads"]
    ids = range(int(seeded["firstId"]), int(seeded["lastId"]) + 1)
    assert any(leads[lead_id].properties.get("hubspot_owner_id") for lead_id in ids)


def test_a_fresh_pass_seeds_the_same_values_as_a_plain_one():
    config = SandboxConfig(seed=3, seed_leads=0)
    plain, fresh = build_portal(24000001, config), build_portal(24000001, config)
    changes: list[RecordChange] = []
    plain_ids = seed_leads(plain, 3, 15)
    fresh_ids = seed_leads(fresh, 3, 15, fresh=Fresh(changes.append, ChangeSource("CRM_UI")), unowned=True)
    assert plain_ids == fresh_ids
    names = [
        [portal.records["leads"][lead_id].properties["hs_lead_name"] for lead_id in plain_ids]
        for portal in (plain, fresh)
    ]
    assert names[0] == names[1]
    assert {change.kind for change in changes} == {"creation"}
    assert [c.object_id for c in changes if c.object_type == "leads"] == fresh_ids
