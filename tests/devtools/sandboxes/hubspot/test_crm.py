"""CRM objects, search, associations, owners, properties, pipelines and files over HTTP."""

from __future__ import annotations

import json

import pytest
import requests

from .conftest import SEED_LEADS


@pytest.fixture(autouse=True)
def generous_limits(sandbox):
    """These tests make many calls quickly; the limits themselves are tested in test_limits_and_faults.py."""
    sandbox.control.configure(search_rate_per_second=10_000, rate_limit_max=100_000)


def first_id(api, object_type: str) -> str:
    return api.get(f"/crm/v3/objects/{object_type}?limit=1").json()["results"][0]["id"]


def lead_body(contact_id: str, **properties: str) -> dict:
    return {
        "properties": {"hs_lead_name": "Test Lead", **properties},
        "associations": [
            {
                "to": {"id": contact_id},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}],
            }
        ],
    }


# --- records --------------------------------------------------------------------------------------
def test_list_pages_through_every_lead_once(api):
    seen, after = [], None
    while True:
        page = api.get(
            "/crm/v3/objects/leads", params={"limit": 15, **({"after": after} if after else {})}
        ).json()
        seen += [item["id"] for item in page["results"]]
        after = page.get("paging", {}).get("next", {}).get("after")
        if not after:
            break
    assert len(seen) == SEED_LEADS == len(set(seen))


def test_list_limit_above_100_is_rejected(api):
    assert api.get("/crm/v3/objects/contacts?limit=101").status_code == 400


def test_get_by_id_with_properties_and_associations(api):
    lead_id = first_id(api, "leads")
    body = api.get(
        f"/crm/v3/objects/0-136/{lead_id}",
        params={"properties": "hs_lead_name,hs_pipeline_stage,nope", "associations": "contacts,companies"},
    ).json()
    assert body["id"] == lead_id
    assert set(body["properties"]) == {
        "hs_lead_name",
        "hs_pipeline_stage",
        "createdate",
        "hs_lastmodifieddate",
        "hs_object_id",
    }
    assert all(isinstance(value, str) for value in body["properties"].values())
    contact_types = {item["type"] for item in body["associations"]["contacts"]["results"]}
    assert contact_types == {"lead_to_contact", "lead_to_contact_unlabeled"}
    assert body["associations"]["companies"]["results"]


def test_get_missing_record_is_404_object_not_found(api):
    response = api.get("/crm/v3/objects/contacts/999")
    assert response.status_code == 404
    assert response.json()["category"] == "OBJECT_NOT_FOUND"


def test_create_then_patch_maintains_lastmodifieddate(sandbox, api):
    created = api.post(
        "/crm/v3/objects/contacts", {"properties": {"email": "new.person@example.org", "firstname": "New"}}
    )
    assert created.status_code == 201, created.text
    record = created.json()
    props = record["properties"]
    assert props["hs_object_id"] == record["id"]
    assert props["createdate"] == props["lastmodifieddate"]
    sandbox.control.advance_clock(0.01)
    updated = api.patch(
        f"/crm/v3/objects/contacts/{record['id']}", {"properties": {"lastname": "Person"}}
    ).json()
    assert updated["properties"]["lastname"] == "Person"
    assert updated["properties"]["lastmodifieddate"] > props["lastmodifieddate"]
    assert updated["updatedAt"] > record["updatedAt"]
    history = api.get(f"/crm/v3/objects/contacts/{record['id']}?propertiesWithHistory=lastname").json()
    assert history["propertiesWithHistory"]["lastname"][0]["value"] == "Person"
    assert history["propertiesWithHistory"]["lastname"][0]["sourceType"] == "API"


def test_duplicate_contact_email_is_409(api):
    email = api.get(f"/crm/v3/objects/contacts/{first_id(api, 'contacts')}").json()["properties"]["email"]
    response = api.post("/crm/v3/objects/contacts", {"properties": {"email": email.upper()}})
    assert response.status_code == 409
    assert "Existing ID" in response.json()["message"]


def test_unknown_property_is_a_validation_error_like_hubspot(api):
    response = api.patch(
        f"/crm/v3/objects/leads/{first_id(api, 'leads')}", {"properties": {"no_such_prop": "x"}}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "error" and body["category"] == "VALIDATION_ERROR" and body["correlationId"]
    assert body["message"].startswith("Property values were not valid: ")
    detail = json.loads(body["message"].split(": ", 1)[1])
    assert detail[0]["error"] == "PROPERTY_DOESNT_EXIST"
    assert detail[0]["name"] == "no_such_prop"


def test_invalid_enumeration_option_and_read_only_property_are_400(api):
    lead_id = first_id(api, "leads")
    bad_option = api.patch(f"/crm/v3/objects/leads/{lead_id}", {"properties": {"hs_lead_label": "LUKEWARM"}})
    assert bad_option.status_code == 400
    assert '"error":"INVALID_OPTION"' in bad_option.json()["message"]
    read_only = api.patch(f"/crm/v3/objects/leads/{lead_id}", {"properties": {"hs_object_id": "1"}})
    assert '"error":"READ_ONLY_VALUE"' in read_only.json()["message"]
    bad_stage = api.patch(
        f"/crm/v3/objects/leads/{lead_id}", {"properties": {"hs_pipeline_stage": "closedwon"}}
    )
    assert bad_stage.status_code == 400


def test_a_lead_needs_an_associated_contact(api):
    without = api.post(
        "/crm/v3/objects/leads", {"properties": {"hs_lead_name": "Orphan"}, "associations": []}
    )
    assert without.status_code == 400
    assert without.json()["category"] == "VALIDATION_ERROR"
    contact_id = first_id(api, "contacts")
    created = api.post("/crm/v3/objects/leads", lead_body(contact_id))
    assert created.status_code == 201, created.text
    props = created.json()["properties"]
    assert props["hs_pipeline"] == "lead-pipeline-id" and props["hs_pipeline_stage"] == "new-stage-id"
    assert props["hs_associated_company_name"]  # follows the contact's primary company


def test_request_validation_against_the_openapi_files(api):
    response = api.post("/crm/v3/objects/contacts", {"properties": {"email": {"nested": "x"}}})
    assert response.status_code == 400
    body = response.json()
    assert body["category"] == "VALIDATION_ERROR"
    assert body["errors"][0]["in"].startswith("body")
    assert api.post("/crm/v3/objects/leads/search", {"filterGroups": "nope"}).status_code == 400
    assert api.post("/crm/v3/objects/leads/batch/update", {"inputs": [{"properties": {}}]}).status_code == 400
    # Like HubSpot, JSON numbers are accepted for property values and stored as strings.
    deal = api.post("/crm/v3/objects/deals", {"properties": {"dealname": "Numbers", "amount": 1500}})
    assert deal.status_code == 201
    assert deal.json()["properties"]["amount"] == "1500"


# --- batch ----------------------------------------------------------------------------------------
def test_batch_read_with_missing_ids_is_207_with_errors(api):
    ids = [item["id"] for item in api.get("/crm/v3/objects/leads?limit=3").json()["results"]]
    response = api.post(
        "/crm/v3/objects/leads/batch/read",
        {"properties": ["hs_lead_name"], "inputs": [{"id": i} for i in [*ids, "1", "2"]]},
    )
    assert response.status_code == 207
    body = response.json()
    assert sorted(item["id"] for item in body["results"]) == sorted(ids)
    assert body["numErrors"] == 1
    assert body["errors"][0]["category"] == "OBJECT_NOT_FOUND"
    assert body["errors"][0]["context"]["ids"] == ["1", "2"]
    complete = api.post("/crm/v3/objects/leads/batch/read", {"inputs": [{"id": i} for i in ids]})
    assert complete.status_code == 200 and complete.json()["status"] == "COMPLETE"


def test_batch_update_and_create(api):
    ids = [item["id"] for item in api.get("/crm/v3/objects/leads?limit=2").json()["results"]]
    inputs = [{"id": i, "properties": {"hs_lead_label": "COLD"}} for i in ids] + [
        {"id": "5", "properties": {}}
    ]
    updated = api.post("/crm/v3/objects/leads/batch/update", {"inputs": inputs})
    assert updated.status_code == 207
    assert {r["properties"]["hs_lead_label"] for r in updated.json()["results"]} == {"COLD"}
    contact_id = first_id(api, "contacts")
    created = api.post(
        "/crm/v3/objects/leads/batch/create", {"inputs": [lead_body(contact_id), lead_body(contact_id)]}
    )
    assert created.status_code == 201
    assert len(created.json()["results"]) == 2


def test_batch_create_is_all_or_nothing_and_limited_to_100(api):
    before = api.post("/crm/v3/objects/leads/search", {"limit": 1}).json()["total"]
    contact_id = first_id(api, "contacts")
    bad = api.post(
        "/crm/v3/objects/leads/batch/create",
        {"inputs": [lead_body(contact_id), lead_body(contact_id, hs_lead_label="nope")]},
    )
    assert bad.status_code == 400
    assert api.post("/crm/v3/objects/leads/search", {"limit": 1}).json()["total"] == before
    too_many = api.post("/crm/v3/objects/leads/batch/read", {"inputs": [{"id": str(i)} for i in range(101)]})
    assert too_many.status_code == 400


def task_body(lead_id: str, trace: str | None = None, **properties: str) -> dict:
    """A task due tomorrow, associated inline with a lead (task -> lead 647)."""
    body = {
        "properties": {"hs_timestamp": "2030-01-02T09:00:00.000Z", "hs_task_subject": "Call", **properties},
        "associations": [
            {
                "to": {"id": lead_id},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 647}],
            }
        ],
    }
    return {**body, "objectWriteTraceId": trace} if trace is not None else body


def test_batch_create_with_trace_ids_is_multi_status(api):
    lead_ids = [item["id"] for item in api.get("/crm/v3/objects/leads?limit=3").json()["results"]]
    owner_id = api.get("/crm/v3/owners?limit=1").json()["results"][0]["id"]
    inputs = [
        task_body(lead_ids[0], "a", hubspot_owner_id=owner_id),
        task_body(lead_ids[1], "b", hubspot_owner_id="424242"),  # no such owner
        task_body("1", "c"),  # no such lead
        task_body(lead_ids[2], "d", hs_task_priority="HIGH"),
    ]

    response = api.post("/crm/v3/objects/tasks/batch/create", {"inputs": inputs})

    assert response.status_code == 207, response.text
    body = response.json()
    assert [item["objectWriteTraceId"] for item in body["results"]] == ["a", "d"]
    assert body["numErrors"] == 2
    assert [error["context"]["objectWriteTraceId"] for error in body["errors"]] == [["b"], ["c"]]
    assert body["errors"][0]["errors"][0]["context"]["propertyName"] == ["hubspot_owner_id"]
    task_id = body["results"][0]["id"]
    linked = api.get(f"/crm/v4/objects/tasks/{task_id}/associations/leads").json()["results"]
    assert [(item["toObjectId"], item["associationTypes"][0]["typeId"]) for item in linked] == [
        (lead_ids[0], 647)
    ]
    back = api.get(f"/crm/v4/objects/leads/{lead_ids[0]}/associations/tasks").json()["results"]
    assert [(item["toObjectId"], item["associationTypes"][0]["typeId"]) for item in back] == [(task_id, 646)]
    # Without a trace id on every input, one bad input still fails the whole batch.
    mixed = api.post("/crm/v3/objects/tasks/batch/create", {"inputs": [inputs[0], task_body("1")]})
    assert mixed.status_code == 400


def test_a_task_needs_its_due_date(api):
    lead_id = first_id(api, "leads")
    response = api.post("/crm/v3/objects/tasks", {"properties": {"hs_task_subject": "No due date"}})
    assert response.status_code == 400 and "hs_timestamp" in response.text
    assert api.post("/crm/v3/objects/tasks", task_body(lead_id)).status_code == 201


def test_search_in_on_company_domains(api):
    companies = search(api, "companies", limit=3, properties=["domain"])["results"]
    domains = [item["properties"]["domain"] for item in companies]
    upper = search(api, "companies", **flt("domain", "IN", values=[d.upper() for d in domains]))
    lower = search(api, "companies", **flt("domain", "IN", values=[*domains, "nobody.invalid"]))
    assert upper["total"] == 0  # IN on string values wants lower case ("Search the CRM")
    assert sorted(item["id"] for item in lower["results"]) == sorted(item["id"] for item in companies)


# --- search ---------------------------------------------------------------------------------------
def search(api, object_type: str = "leads", **body) -> dict:
    response = api.post(f"/crm/v3/objects/{object_type}/search", body)
    assert response.status_code == 200, response.text
    return response.json()


def all_leads(api) -> list[dict]:
    props = ["hs_lead_label", "lead_amount", "hubspot_owner_id", "hs_lead_name"]
    return search(api, limit=200, properties=props)["results"]


def flt(name: str, operator: str, **kwargs) -> dict:
    return {"filterGroups": [{"filters": [{"propertyName": name, "operator": operator, **kwargs}]}]}


def test_search_filters_agree_with_the_data(api):
    leads = all_leads(api)
    assert len(leads) == SEED_LEADS
    props = [lead["properties"] for lead in leads]
    hot = sum(p["hs_lead_label"] == "HOT" for p in props)
    assert search(api, **flt("hs_lead_label", "EQ", value="HOT"))["total"] == hot
    assert search(api, **flt("hs_lead_label", "NEQ", value="HOT"))["total"] == SEED_LEADS - hot
    in_count = sum(p["hs_lead_label"] in {"HOT", "COLD"} for p in props)
    assert search(api, **flt("hs_lead_label", "IN", values=["HOT", "COLD"]))["total"] == in_count
    assert (
        search(api, **flt("hs_lead_label", "NOT_IN", values=["HOT", "COLD"]))["total"]
        == SEED_LEADS - in_count
    )
    amounts = sorted(float(p["lead_amount"]) for p in props)
    pivot = amounts[len(amounts) // 2]
    assert search(api, **flt("lead_amount", "GT", value=str(pivot)))["total"] == sum(
        a > pivot for a in amounts
    )
    assert search(api, **flt("lead_amount", "GTE", value=str(pivot)))["total"] == sum(
        a >= pivot for a in amounts
    )
    assert search(api, **flt("lead_amount", "LT", value=str(pivot)))["total"] == sum(
        a < pivot for a in amounts
    )
    assert search(api, **flt("lead_amount", "LTE", value=str(pivot)))["total"] == sum(
        a <= pivot for a in amounts
    )
    owned = sum(bool(p.get("hubspot_owner_id")) for p in props)
    assert 0 < owned < SEED_LEADS
    assert search(api, **flt("hubspot_owner_id", "HAS_PROPERTY"))["total"] == owned
    assert search(api, **flt("hubspot_owner_id", "NOT_HAS_PROPERTY"))["total"] == SEED_LEADS - owned
    first_name = props[0]["hs_lead_name"].split()[0]
    with_token = sum(first_name.lower() in p["hs_lead_name"].lower().split() for p in props)
    assert (
        search(api, **flt("hs_lead_name", "CONTAINS_TOKEN", value=first_name.lower()))["total"] == with_token
    )


def test_search_groups_are_ored_and_filters_anded(api):
    props = [lead["properties"] for lead in all_leads(api)]
    hot_and_big = sum(p["hs_lead_label"] == "HOT" and float(p["lead_amount"]) > 5000 for p in props)
    body = {
        "filterGroups": [
            {
                "filters": [
                    {"propertyName": "hs_lead_label", "operator": "EQ", "value": "HOT"},
                    {"propertyName": "lead_amount", "operator": "GT", "value": "5000"},
                ]
            }
        ]
    }
    assert search(api, **body)["total"] == hot_and_big
    either = sum(p["hs_lead_label"] in {"HOT", "WARM"} for p in props)
    body = {
        "filterGroups": [
            flt("hs_lead_label", "EQ", value="HOT")["filterGroups"][0],
            flt("hs_lead_label", "EQ", value="WARM")["filterGroups"][0],
        ]
    }
    assert search(api, **body)["total"] == either


def test_search_sorts_and_pages_without_gaps(api):
    ordered, after = [], None
    while True:
        page = search(
            api,
            limit=7,
            sorts=[{"propertyName": "lead_amount", "direction": "DESCENDING"}],
            properties=["lead_amount"],
            **({"after": after} if after else {}),
        )
        ordered += page["results"]
        after = page.get("paging", {}).get("next", {}).get("after")
        if not after:
            break
    amounts = [float(item["properties"]["lead_amount"]) for item in ordered]
    assert len(ordered) == SEED_LEADS == len({item["id"] for item in ordered})
    assert amounts == sorted(amounts, reverse=True)


def test_search_filter_limits(api):
    f = {"propertyName": "hs_lead_label", "operator": "EQ", "value": "HOT"}
    assert (
        api.post("/crm/v3/objects/leads/search", {"filterGroups": [{"filters": [f]}] * 6}).status_code == 400
    )
    assert (
        api.post("/crm/v3/objects/leads/search", {"filterGroups": [{"filters": [f] * 7}]}).status_code == 400
    )
    nineteen = {"filterGroups": [{"filters": [f] * 4}] * 4 + [{"filters": [f] * 3}]}
    assert api.post("/crm/v3/objects/leads/search", nineteen).status_code == 400
    eighteen = {"filterGroups": [{"filters": [f] * 6}] * 3}
    assert api.post("/crm/v3/objects/leads/search", eighteen).status_code == 200
    assert api.post("/crm/v3/objects/leads/search", {"limit": 201}).status_code == 400


def test_search_stops_at_10000_results(sandbox, api):
    sandbox.control.seed_leads(10_000 - SEED_LEADS + 60)
    first = search(api, limit=1)
    assert first["total"] == 10_060
    near_end = search(api, limit=200, after="9900")
    assert len(near_end["results"]) == 100
    assert "paging" not in near_end
    past = api.post("/crm/v3/objects/leads/search", {"limit": 10, "after": "10000"})
    assert past.status_code == 400
    assert past.json()["category"] == "VALIDATION_ERROR"


# --- associations, owners, properties, pipelines --------------------------------------------------
def test_associations_v4_read_and_batch_read(api):
    lead_ids = [item["id"] for item in api.get("/crm/v3/objects/leads?limit=3").json()["results"]]
    one = api.get(f"/crm/v4/objects/leads/{lead_ids[0]}/associations/contacts").json()
    type_ids = {t["typeId"] for t in one["results"][0]["associationTypes"]}
    assert type_ids == {578, 608}
    batch = api.post(
        "/crm/v4/associations/leads/contacts/batch/read", {"inputs": [{"id": i} for i in lead_ids]}
    )
    assert batch.status_code == 200
    assert [r["from"]["id"] for r in batch.json()["results"]] == lead_ids
    contact_id = one["results"][0]["toObjectId"]
    back = api.get(f"/crm/v4/objects/contacts/{contact_id}/associations/leads").json()
    assert back["results"][0]["toObjectId"] == lead_ids[0]


def test_associations_create_default_and_missing_inputs(api):
    deal_id, contact_id = first_id(api, "deals"), first_id(api, "contacts")
    made = api.call("PUT", f"/crm/v4/objects/deals/{deal_id}/associations/default/contacts/{contact_id}")
    assert made.status_code == 200
    specs = {r["associationSpec"]["associationTypeId"] for r in made.json()["results"]}
    assert specs == {3, 4}
    batch = api.post(
        "/crm/v4/associations/deals/contacts/batch/read", {"inputs": [{"id": deal_id}, {"id": "42"}]}
    )
    assert batch.status_code == 207
    assert batch.json()["errors"][0]["context"]["ids"] == ["42"]


def test_owners_paging_inactive_and_queue(api):
    page = api.get("/crm/v3/owners?limit=5").json()
    assert len(page["results"]) == 5
    rest = api.get("/crm/v3/owners", params={"after": page["paging"]["next"]["after"]}).json()["results"]
    active = page["results"] + rest
    assert len(active) == 11 and any(owner["type"] == "QUEUE" for owner in active)
    archived = api.get("/crm/v3/owners?archived=true").json()["results"]
    assert len(archived) == 1 and "userId" not in archived[0]
    owner = active[0]
    assert api.get(f"/crm/v3/owners/{owner['id']}").json()["email"] == owner["email"]
    assert api.get(f"/crm/v3/owners/{owner['userId']}?idProperty=userId").json()["id"] == owner["id"]


def test_properties_and_groups(api):
    props = {p["name"]: p for p in api.get("/crm/v3/properties/leads").json()["results"]}
    assert props["hs_lead_label"]["type"] == "enumeration"
    assert [o["value"] for o in props["hs_lead_label"]["options"]] == ["HOT", "WARM", "COLD"]
    assert props["hs_pipeline_stage"]["options"][0]["value"] == "new-stage-id"
    assert props["hubspot_owner_id"]["referencedObjectType"] == "OWNER"
    new = {
        "name": "x_quote_ref",
        "label": "Quote reference",
        "type": "string",
        "fieldType": "text",
        "groupName": "dealinformation",
    }
    assert api.post("/crm/v3/properties/deals", new).status_code == 201
    assert api.post("/crm/v3/properties/deals", new).status_code == 409
    deal_id = first_id(api, "deals")
    assert (
        api.patch(f"/crm/v3/objects/deals/{deal_id}", {"properties": {"x_quote_ref": "Q-1"}}).status_code
        == 200
    )
    group = {"name": "routing", "label": "Routing"}
    assert api.post("/crm/v3/properties/deals/groups", group).status_code == 201
    assert api.post("/crm/v3/properties/deals/groups", group).status_code == 409


def test_pipelines_for_deals_and_leads(api):
    deals = api.get("/crm/v3/pipelines/deals").json()["results"]
    assert deals[0]["id"] == "default" and deals[0]["stages"][-2]["id"] == "closedwon"
    leads = api.get("/crm/v3/pipelines/0-136").json()["results"]
    assert [s["id"] for s in leads[0]["stages"]][:2] == ["new-stage-id", "attempting-stage-id"]


# --- files ----------------------------------------------------------------------------------------
def attachment_ids(api) -> list[str]:
    notes = api.post(
        "/crm/v3/objects/notes/search", {"limit": 100, "properties": ["hs_attachment_ids"]}
    ).json()
    return [
        i for n in notes["results"] for i in (n["properties"].get("hs_attachment_ids") or "").split(";") if i
    ]


def test_deal_attachments_reach_files_and_signed_urls(sandbox, api):
    note = api.post("/crm/v3/objects/notes/search", {"limit": 1}).json()["results"][0]
    deal_id = api.get(f"/crm/v4/objects/notes/{note['id']}/associations/deals").json()["results"][0][
        "toObjectId"
    ]
    deal_notes = api.get(f"/crm/v4/objects/deals/{deal_id}/associations/notes").json()["results"]
    assert note["id"] in [item["toObjectId"] for item in deal_notes]
    files = [api.get(f"/files/v3/files/{file_id}").json() for file_id in attachment_ids(api)]
    assert {"pdf", "exe"} <= {f["extension"] for f in files}
    assert max(f["size"] for f in files) > 10 * 1024 * 1024
    exe = next(f for f in files if f["extension"] == "exe")
    signed = api.get(f"/files/v3/files/{exe['id']}/signed-url?expirationSeconds=60").json()
    assert signed["url"].startswith(sandbox.base_url)
    content = requests.get(signed["url"], timeout=10)  # no bearer token needed
    assert content.status_code == 200
    assert len(content.content) == exe["size"] and content.content[:2] == b"MZ"
    tampered = requests.get(signed["url"].replace("Signature=", "Signature=0"), timeout=10)
    assert tampered.status_code == 403
    assert api.get(f"/files/v3/files/{exe['id']}/download").content == content.content


def test_signed_urls_expire(sandbox, api):
    file_id = attachment_ids(api)[0]
    signed = api.get(f"/files/v3/files/{file_id}/signed-url?expirationSeconds=60").json()
    sandbox.control.advance_clock(58)
    assert requests.get(signed["url"], timeout=10).status_code == 200
    sandbox.control.advance_clock(4)
    expired = requests.get(signed["url"], timeout=10)
    assert expired.status_code == 403
    assert "expired" in expired.text


@pytest.mark.parametrize("object_type", ["contacts", "0-2", "deals", "notes", "tasks"])
def test_every_object_type_lists(api, object_type):
    response = api.get(f"/crm/v3/objects/{object_type}?limit=2")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 2
