"""HubSpot's official Python SDK (hubspot-api-client 12.0.0) pointed at the sandbox."""

from __future__ import annotations

import hubspot
import pytest
from hubspot.crm.objects.leads import ApiException, SimplePublicObjectInput


@pytest.fixture
def client(sandbox):
    return hubspot.Client.create(access_token=sandbox.control.access_token(), host=sandbox.base_url)


def test_sdk_reads_a_lead_updates_it_and_reads_the_change_back(sandbox, client):
    page = client.crm.objects.leads.basic_api.get_page(limit=5, properties=["hs_lead_name", "hs_lead_label"])
    lead = page.results[0]
    assert lead.properties["hs_lead_name"]
    new_label = "COLD" if lead.properties["hs_lead_label"] != "COLD" else "HOT"

    updated = client.crm.objects.leads.basic_api.update(
        leads_id=lead.id,
        simple_public_object_input=SimplePublicObjectInput(properties={"hs_lead_label": new_label}),
    )
    assert updated.properties["hs_lead_label"] == new_label

    again = client.crm.objects.leads.basic_api.get_by_id(leads_id=lead.id, properties=["hs_lead_label"])
    assert again.properties["hs_lead_label"] == new_label
    assert again.updated_at > lead.updated_at
    calls = [(e["method"], e["path"]) for e in sandbox.control.requests(path_prefix="/crm/v3/objects/leads")]
    assert calls == [
        ("GET", "/crm/v3/objects/leads"),
        ("PATCH", f"/crm/v3/objects/leads/{lead.id}"),
        ("GET", f"/crm/v3/objects/leads/{lead.id}"),
    ]


def test_sdk_surfaces_hubspot_errors(client):
    with pytest.raises(ApiException) as raised:
        client.crm.objects.leads.basic_api.get_by_id(leads_id="123")
    assert raised.value.status == 404
    assert "OBJECT_NOT_FOUND" in raised.value.body


def test_sdk_search(client):
    from hubspot.crm.objects.leads import Filter, FilterGroup, PublicObjectSearchRequest

    request = PublicObjectSearchRequest(
        filter_groups=[
            FilterGroup(filters=[Filter(property_name="hs_lead_label", operator="EQ", value="HOT")])
        ],
        sorts=["-createdate"],
        properties=["hs_lead_label"],
        limit=3,
        after="0",
    )
    found = client.crm.objects.leads.search_api.do_search(public_object_search_request=request)
    assert found.total > 0
    assert {lead.properties["hs_lead_label"] for lead in found.results} == {"HOT"}
    created = [lead.created_at for lead in found.results]
    assert created == sorted(created, reverse=True)


def test_sdk_lists_owners_at_the_path_with_a_trailing_slash(sandbox, client):
    page = client.crm.owners.owners_api.get_page(limit=100)

    active = sorted(o.id for o in sandbox.state.portal().owners.values() if not o.archived)
    assert sorted(int(owner.id) for owner in page.results) == active
    assert {owner.email for owner in page.results} >= {"grace.hopper@sandbox-sales.example.com"}
    calls = [(e["path"], e["status"]) for e in sandbox.control.requests(path_prefix="/crm/v3/owners")]
    assert calls == [("/crm/v3/owners/", 200)]  # the SDK's own path, answered as /crm/v3/owners is
