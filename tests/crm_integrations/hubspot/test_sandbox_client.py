"""HubSpotClient against the HubSpot sandbox over HTTP: cross-object reads, writes, schema, files, auth."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from crm_integrations.core import registry
from crm_integrations.core.errors import InvalidRequest, NotFound
from crm_integrations.core.http import ProviderHttpClient
from crm_integrations.core.types import FieldType, RecordUpdate
from crm_integrations.hubspot.api import HubSpotApi
from crm_integrations.hubspot.client import HubSpotClient
from crm_integrations.models import OrganizationIntegration, ProviderApiCall

from ..http.support import threads_calling
from .conftest import SEED_LEADS, api_calls, authorize, store_connection


def lead_ids(sandbox) -> list[str]:
    return [str(i) for i in sorted(sandbox.state.portal().records["leads"])]


def calls_by_endpoint(sandbox) -> Counter:
    return Counter(f"{entry['method']} {entry['path']}" for entry in api_calls(sandbox))


def test_the_registry_hands_out_a_hubspot_client_whose_calls_are_recorded_by_template(connection, sandbox):
    hubspot = registry.get_client(connection)
    assert isinstance(hubspot, HubSpotClient)

    hubspot.get_record("leads", lead_ids(sandbox)[0])

    call = ProviderApiCall.objects.get(provider="hubspot")
    assert call.account == str(sandbox.portal_id)
    assert call.endpoint == "/crm/v3/objects/{objectType}/{objectId}"
    assert call.status_code == 200


def test_leads_come_with_their_contact_its_company_and_deals_and_their_own_company(hubspot, sandbox):
    portal = sandbox.state.portal()
    ids = lead_ids(sandbox)
    contact_of = {i: str(portal.associations.first_target("leads", int(i), "contacts", 578)) for i in ids}
    company_of = {i: str(portal.associations.first_target("leads", int(i), "companies")) for i in ids}
    deal = hubspot.create(
        "deals",
        {"dealname": "Routing pilot", "pipeline": "default", "dealstage": "appointmentscheduled"},
        associations={"contacts": [contact_of[ids[0]]]},
    )
    sandbox.control.clear_requests()

    leads = hubspot.read_leads_with_context(ids)

    assert [lead.id for lead in leads] == ids
    for lead in leads:
        (contact,) = lead.associated["contacts"]
        assert contact.id == contact_of[lead.id] and contact.properties["email"]
        assert [company.id for company in lead.associated["companies"]] == [company_of[lead.id]]
        assert contact.associated["companies"][0].properties["name"]
        assert lead.created_at is not None and lead.created_at <= lead.updated_at  # created → owner written
    assert [d.id for d in leads[0].associated["contacts"][0].associated["deals"]] == [deal.id]
    assert leads[0].associated["contacts"][0].associated["deals"][0].properties["dealname"] == "Routing pilot"
    # 20 leads: one batch read per object type and one associations call per link, nothing per lead.
    assert sum(calls_by_endpoint(sandbox).values()) == 8


def test_a_level_of_records_is_read_with_its_links_in_one_round_trip(hubspot, sandbox, monkeypatch):
    # What each level of the fetch sends at once (crm_integrations/hubspot/expand.py): the
    # records and their links to every type they expand to, never a link read after its records.
    levels = []

    make_all = ProviderHttpClient.call_all

    def noting_each_level(http, calls):
        levels.append(sorted(_read_of(call) for call in calls))
        return make_all(http, calls)

    monkeypatch.setattr(ProviderHttpClient, "call_all", noting_each_level)

    leads = hubspot.read_leads_with_context(lead_ids(sandbox))

    assert len(leads) == SEED_LEADS
    assert levels[0] == ["leads", "leads->companies", "leads->contacts"]
    assert levels[1] == ["companies", "contacts", "contacts->companies", "contacts->deals"]
    # The contacts' companies are the leads' own, read a level up; the seed's contacts have no deals.
    assert levels[2] == []


def _read_of(call) -> str:
    """``leads`` for a batch read of leads, ``leads->contacts`` for their links to contacts."""
    first = call.args[0]
    if isinstance(first, dict):
        return f"{first['fromObjectType']}->{first['toObjectType']}"
    return first


def test_batch_read_with_associations_attaches_the_associated_records(hubspot, sandbox):
    portal = sandbox.state.portal()
    contact_ids = [str(i) for i in sorted(portal.records["contacts"])[:5]]

    contacts = hubspot.batch_read("contacts", contact_ids, properties=["email"], associations=["companies"])

    for contact in contacts:
        expected = str(portal.associations.first_target("contacts", int(contact.id), "companies", 1))
        assert contact.associations["companies"][0] == expected  # the primary company first
        assert contact.associated["companies"][0].id == expected
        assert contact.associated["companies"][0].properties["name"]


def test_a_lead_is_created_with_its_primary_contact_inline(hubspot, sandbox):
    contact_id = str(sorted(sandbox.state.portal().records["contacts"])[0])

    lead = hubspot.create(
        "leads", {"hs_lead_name": "Inbound demo request"}, associations={"contacts": [contact_id]}
    )

    stored = hubspot.get_record("leads", lead.id, properties=["hs_lead_name"], associations=["contacts"])
    assert stored.properties["hs_lead_name"] == "Inbound demo request"
    assert stored.associations["contacts"] == (contact_id,)
    assert stored.associated["contacts"][0].id == contact_id


def test_one_invalid_value_fails_only_its_records(hubspot, sandbox):
    ids = lead_ids(sandbox)[:10]
    updates = [RecordUpdate(i, {"hs_lead_label": "HOT"}) for i in ids[:8]]
    updates += [RecordUpdate(i, {"hs_lead_label": "LUKEWARM"}) for i in ids[8:]]  # not an option

    result = hubspot.batch_update("leads", updates)

    assert sorted(record.id for record in result.updated) == sorted(ids[:8])
    assert sorted(failure.id for failure in result.failed) == sorted(ids[8:])
    assert all(
        failure.code == "VALIDATION_ERROR" and "LUKEWARM" in failure.message for failure in result.failed
    )
    stored = {
        record.id: record.properties["hs_lead_label"]
        for record in hubspot.batch_read("leads", ids, properties=["hs_lead_label"])
    }
    assert all(stored[i] == "HOT" for i in ids[:8]) and all(stored[i] != "LUKEWARM" for i in ids[8:])
    # The rejected batch, then one batch per distinct value: the two bad records share one call.
    assert calls_by_endpoint(sandbox)["POST /crm/v3/objects/leads/batch/update"] == 3


def test_the_deal_property_and_its_group_are_created_once(hubspot, sandbox):
    options = [("auto", "Routed automatically"), ("manual", "Routed by hand")]

    field = hubspot.ensure_deal_property(
        "routing_mode", "Routing mode", options, "lead_routing_app", "Lead routing app"
    )
    again = hubspot.ensure_deal_property(
        "routing_mode", "Routing mode", options, "lead_routing_app", "Lead routing app"
    )

    assert field.type == again.type == FieldType.ENUMERATION
    assert [(o.value, o.label) for o in again.options] == options
    assert again.group == "lead_routing_app"
    calls = calls_by_endpoint(sandbox)
    assert calls["POST /crm/v3/properties/deals/groups"] == 1
    assert calls["POST /crm/v3/properties/deals"] == 1
    assert calls["GET /crm/v3/properties/deals/routing_mode"] == 2  # 404 the first time, 200 the second
    assert "routing_mode" in {item.name for item in hubspot.list_fields("deals")}


def test_an_existing_group_is_fine_when_the_property_is_missing(hubspot, sandbox):
    field = hubspot.ensure_deal_property("quote_ref", "Quote reference", group_name="dealinformation")
    assert (field.name, field.type, field.group) == ("quote_ref", FieldType.STRING, "dealinformation")


def _deal_with_file(sandbox, wanted) -> tuple[str, list[str], str]:
    """(deal id, its note's file ids, the first file matching ``wanted``) from the sandbox's own state."""
    portal = sandbox.state.portal()
    for note in portal.records["notes"].values():
        file_ids = note.properties.get("hs_attachment_ids", "").split(";")
        match = next((i for i in file_ids if i and wanted(portal.files[int(i)])), None)
        if match:
            return str(portal.associations.first_target("notes", note.id, "deals")), file_ids, match
    raise AssertionError("the sandbox seed has no such attachment")


def test_a_deals_attachments_are_found_signed_and_downloaded(hubspot, sandbox):
    deal_id, file_ids, pdf_id = _deal_with_file(sandbox, lambda f: f.extension == "pdf" and f.size < 100_000)

    attachments = hubspot.deal_attachments(deal_id)
    signed = hubspot.file_signed_url(pdf_id)
    content = hubspot.download(signed.url, max_bytes=1_000_000)

    assert [attachment.file_id for attachment in attachments] == file_ids
    assert {attachment.note_id for attachment in attachments} and attachments[0].attached_at
    assert (signed.extension, signed.type) == ("pdf", "DOCUMENT") and signed.expires_at
    assert content.startswith(b"%PDF") and len(content) == signed.size
    assert "Signature" not in repr(signed)


def test_a_download_over_the_limit_is_refused(hubspot, sandbox):
    deal_id, _, big_id = _deal_with_file(sandbox, lambda f: f.size > 5_000_000)
    assert big_id in {attachment.file_id for attachment in hubspot.deal_attachments(deal_id)}

    with pytest.raises(InvalidRequest) as raised:
        hubspot.download(hubspot.file_signed_url(big_id).url, max_bytes=1_000_000)

    assert raised.value.code == "file_too_large"


def test_an_expired_access_token_is_refreshed_once_and_the_call_goes_through(hubspot, connection, sandbox):
    old_token = connection.access_token
    sandbox.control.expire_tokens(access_token=old_token)
    sandbox.control.clear_requests()

    assert hubspot.list_owners()

    statuses = [(entry["path"], entry["status"]) for entry in api_calls(sandbox)]
    assert statuses == [
        ("/crm/v3/owners", 401),
        ("/oauth/v3/token", 200),
        ("/crm/v3/owners", 200),
        ("/crm/v3/owners", 200),
    ]
    stored = OrganizationIntegration.objects.get(pk=connection.pk)
    assert stored.access_token != old_token


def test_hubspots_error_body_becomes_the_contracts_error(sandbox_settings, sandbox, organization):
    scopes = ("oauth", "crm.objects.leads.read", "crm.objects.contacts.read")
    hubspot = registry.get_client(store_connection(organization, authorize(sandbox, scopes)))

    with pytest.raises(InvalidRequest) as raised:
        hubspot.list_owners()

    error = raised.value
    assert (error.status, error.code) == (403, "MISSING_SCOPES")
    assert "crm.objects.owners.read" in error.message and error.correlation_id
    assert hubspot.connection.access_token not in str(error)
    with pytest.raises(NotFound):
        hubspot.get_record("leads", "4999999")


def test_records_modified_in_the_last_30_seconds_wait_for_the_next_read(hubspot, sandbox):
    ids = lead_ids(sandbox)
    hubspot.feed.lag_seconds = 30
    sandbox.control.update_record("leads", ids[0], {"hs_lead_label": "COLD"})

    page = hubspot.changed_since("leads", None, limit=100)

    assert ids[0] not in {record.id for record in page.records}
    assert len(page.records) == len(ids) - 1 and not page.has_more


@pytest.mark.django_db(transaction=True)
def test_a_read_of_several_chunks_sends_them_at_once_and_records_every_call(hubspot, sandbox, monkeypatch):
    # Outside a transaction the chunks go out together (crm_integrations/core/http/concurrent.py):
    # each from a thread with a database connection of its own, which must record its call.
    threads = threads_calling(monkeypatch, HubSpotApi, "json")
    sandbox.control.seed_leads(230)
    ids = lead_ids(sandbox)
    sandbox.control.clear_requests()
    ProviderApiCall.objects.all().delete()

    leads = hubspot.batch_read("leads", ids, properties=["hs_lead_name"])

    assert len(ids) == 250 and [lead.id for lead in leads] == ids
    assert calls_by_endpoint(sandbox)["POST /crm/v3/objects/leads/batch/read"] == 3
    recorded = ProviderApiCall.objects.filter(endpoint="/crm/v3/objects/{objectType}/batch/read")
    assert sorted(recorded.values_list("status_code", flat=True)) == [200, 200, 200]
    assert len(threads) == 3 and threading.current_thread().name not in threads
