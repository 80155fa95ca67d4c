"""Batch reads and writes, associations, owners, properties and HubSpot's error bodies, scripted."""

from __future__ import annotations

import json
import logging
import random

import pytest
import responses

from crm_integrations.core.errors import InvalidRequest, NotFound, RateLimited
from crm_integrations.core.types import FieldType, RecordUpdate

from .conftest import OFFLINE_API, OFFLINE_TOKEN, sent_json

OBJECTS = f"{OFFLINE_API}/crm/v3/objects"


def hubspot_error(category: str, message: str, **extra: object) -> dict:
    return {
        "status": "error",
        "message": message,
        "correlationId": "c0ffee00-1111-2222-3333-444455556666",
        "category": category,
        **extra,
    }


def record(record_id: str, **properties: str) -> dict:
    return {
        "id": record_id,
        "properties": {"hs_object_id": record_id, **properties},
        "archived": False,
        "updatedAt": "2026-01-06T09:12:33.120Z",
    }


# --- batch read -------------------------------------------------------------------------------


def test_batch_read_sends_chunks_of_100_and_keeps_the_callers_order(offline_client, mocked):
    def answer(request):
        inputs = [item["id"] for item in json.loads(request.body)["inputs"]]
        found = [record(i) for i in inputs if i != "13"]
        random.Random(1).shuffle(found)  # HubSpot does not promise an order
        body = {"status": "COMPLETE", "results": found}
        if "13" in inputs:
            body |= {
                "numErrors": 1,
                "errors": [hubspot_error("OBJECT_NOT_FOUND", "not found", context={"ids": ["13"]})],
            }
        return (207 if "13" in inputs else 200), {}, json.dumps(body)

    mocked.add_callback(responses.POST, f"{OBJECTS}/leads/batch/read", callback=answer)
    ids = [str(i) for i in range(250, 0, -1)] + ["250"]  # one id twice

    records = offline_client.batch_read("leads", ids, properties=["hs_lead_name"])

    assert [r.id for r in records] == [i for i in ids[:-1] if i != "13"]
    sent = [sent_json(call) for call in mocked.calls]
    assert [len(body["inputs"]) for body in sent] == [100, 100, 50]
    assert all(body["properties"] == ["hs_lead_name"] for body in sent)


# --- batch update -----------------------------------------------------------------------------


def test_a_207_names_the_records_that_failed(offline_client, mocked):
    mocked.post(
        f"{OBJECTS}/leads/batch/update",
        status=207,
        json={
            "status": "COMPLETE",
            "results": [record("1", hubspot_owner_id="70000001")],
            "numErrors": 1,
            "errors": [
                hubspot_error(
                    "OBJECT_NOT_FOUND", "Could not update some LEAD objects", context={"ids": ["2"]}
                )
            ],
        },
    )

    result = offline_client.batch_update(
        "leads",
        [RecordUpdate("1", {"hubspot_owner_id": 70000001}), RecordUpdate("2", {"hubspot_owner_id": None})],
    )

    assert [r.id for r in result.updated] == ["1"]
    assert [(f.id, f.code) for f in result.failed] == [("2", "OBJECT_NOT_FOUND")]
    assert "Could not update" in result.failed[0].message
    assert sent_json(mocked.calls[0])["inputs"] == [
        {"id": "1", "properties": {"hubspot_owner_id": 70000001}},
        {"id": "2", "properties": {"hubspot_owner_id": ""}},  # None clears the value
    ]


class RejectsBadValues:
    """A HubSpot batch update: one invalid value rejects the whole batch with a 400, writing nothing."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def __call__(self, request) -> tuple[int, dict, str]:
        inputs = json.loads(request.body)["inputs"]
        self.batches.append([item["id"] for item in inputs])
        bad = [item for item in inputs if str(item["properties"].get("hs_lead_label", "")).startswith("BAD")]
        if bad:
            detail = {
                "message": f"{bad[0]['properties']['hs_lead_label']} was not one of the allowed options",
                "code": "INVALID_OPTION",
            }
            return (
                400,
                {},
                json.dumps(
                    hubspot_error("VALIDATION_ERROR", "Property values were not valid", errors=[detail])
                ),
            )
        return 200, {}, json.dumps({"status": "COMPLETE", "results": [record(item["id"]) for item in inputs]})


def test_a_rejected_batch_is_split_until_the_bad_values_are_alone(offline_client, mocked):
    server = RejectsBadValues()
    mocked.add_callback(responses.POST, f"{OBJECTS}/leads/batch/update", callback=server)
    updates = [RecordUpdate(str(i), {"hs_lead_label": f"LABEL_{i}"}) for i in range(1, 61)]
    updates[6] = RecordUpdate("7", {"hs_lead_label": "BAD_7"})
    updates[40] = RecordUpdate("41", {"hs_lead_label": "BAD_41"})

    result = offline_client.batch_update("leads", updates)

    assert sorted(int(r.id) for r in result.updated) == [i for i in range(1, 61) if i not in (7, 41)]
    assert {(f.id, f.code) for f in result.failed} == {("7", "VALIDATION_ERROR"), ("41", "VALIDATION_ERROR")}
    assert "BAD_7 was not one of the allowed options" in next(f.message for f in result.failed if f.id == "7")
    assert len(server.batches) <= 2 * 2 * 6 + 1  # two bad values, each isolated in about log2(60) splits


def test_records_sent_the_same_rejected_value_fail_together_in_one_call(offline_client, mocked):
    server = RejectsBadValues()
    mocked.add_callback(responses.POST, f"{OBJECTS}/leads/batch/update", callback=server)

    result = offline_client.batch_update(
        "leads", [RecordUpdate(str(i), {"hs_lead_label": "BAD"}) for i in range(100)]
    )

    assert len(result.failed) == 100 and result.updated == ()
    assert len(server.batches) == 1


def test_updates_of_one_record_are_merged_into_one_input(offline_client, mocked):
    mocked.post(f"{OBJECTS}/leads/batch/update", json={"status": "COMPLETE", "results": [record("5")]})

    offline_client.batch_update(
        "leads", [RecordUpdate("5", {"a": "1", "b": "1"}), RecordUpdate("5", {"b": "2"})]
    )

    assert sent_json(mocked.calls[0])["inputs"] == [{"id": "5", "properties": {"a": "1", "b": "2"}}]


# --- create, associations ---------------------------------------------------------------------


def test_a_lead_is_created_with_its_first_contact_as_primary(offline_client, mocked):
    mocked.post(f"{OBJECTS}/leads", status=201, json=record("900", hs_lead_name="Demo"))

    lead = offline_client.create("leads", {"hs_lead_name": "Demo"}, associations={"contacts": ["201", "202"]})

    assert lead.id == "900" and lead.properties["hs_lead_name"] == "Demo"
    assert sent_json(mocked.calls[0])["associations"] == [
        {
            "to": {"id": "201"},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}],
        },
        {
            "to": {"id": "202"},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 608}],
        },
    ]


def test_association_reads_batch_1000_ids_follow_paging_and_put_the_primary_first(offline_client, mocked):
    url = f"{OFFLINE_API}/crm/v4/associations/leads/contacts/batch/read"

    def answer(request):
        inputs = json.loads(request.body)["inputs"]
        results = []
        for item in inputs:
            if item["id"] == "1" and "after" not in item:
                to = [
                    {"toObjectId": "11", "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 608}]}
                ]
                results.append({"from": {"id": "1"}, "to": to, "paging": {"next": {"after": "MTI="}}})
            elif item["id"] == "1":
                assert item["after"] == "MTI="
                to = [
                    {
                        "toObjectId": "12",
                        "associationTypes": [
                            {"category": "HUBSPOT_DEFINED", "typeId": 578, "label": "Primary"}
                        ],
                    }
                ]
                results.append({"from": {"id": "1"}, "to": to})
        body = {
            "status": "COMPLETE",
            "results": results,
            "numErrors": 1,
            "errors": [hubspot_error("OBJECT_NOT_FOUND", "No contacts", context={"fromObjectId": ["2"]})],
        }
        return 207, {}, json.dumps(body)

    mocked.add_callback(responses.POST, url, callback=answer)
    ids = ["1", *[str(i) for i in range(2, 1101)]]

    links = offline_client.associations.batch_read("leads", "contacts", ids)

    assert links["1"] == ("12", "11")  # the primary contact first, from the second page
    assert links["2"] == () and len(links) == 1100
    # Two chunks (1,000 and 100 ids), then the first chunk's second page for the one id that has one.
    assert [len(sent_json(call)["inputs"]) for call in mocked.calls] == [1000, 1, 100]


# --- owners and properties ----------------------------------------------------------------------


def owner(owner_id: str, email: str, archived: bool = False) -> dict:
    return {
        "id": owner_id,
        "email": email,
        "firstName": "A",
        "lastName": "B",
        "userId": int(owner_id) + 1,
        "type": "PERSON",
        "archived": archived,
        "teams": [{"id": "1", "name": "EMEA", "primary": True}],
    }


def test_owners_are_paged_and_archived_ones_come_back_inactive(offline_client, mocked):
    url = f"{OFFLINE_API}/crm/v3/owners"
    active = {"limit": "100", "archived": "false"}
    mocked.get(
        url,
        match=[responses.matchers.query_param_matcher(active)],
        json={"results": [owner("1", "a@x.io")], "paging": {"next": {"after": "2"}}},
    )
    mocked.get(
        url,
        match=[responses.matchers.query_param_matcher({**active, "after": "2"})],
        json={"results": [owner("2", "b@x.io")]},
    )
    mocked.get(
        url,
        match=[responses.matchers.query_param_matcher({"limit": "100", "archived": "true"})],
        json={"results": [owner("3", "gone@x.io", archived=True)]},
    )

    owners = offline_client.list_owners()

    assert [(o.id, o.email, o.active) for o in owners] == [
        ("1", "a@x.io", True),
        ("2", "b@x.io", True),
        ("3", "gone@x.io", False),
    ]
    assert owners[0].user_id == "2" and owners[0].teams == ("EMEA",)


def test_fields_map_hubspot_types_options_and_read_only_flags(offline_client, mocked):
    properties = [
        {
            "name": "hubspot_owner_id",
            "label": "Owner",
            "type": "enumeration",
            "fieldType": "select",
            "referencedObjectType": "OWNER",
            "options": [{"label": "Ada", "value": "7", "displayOrder": 0}],
        },
        {
            "name": "hs_lead_label",
            "label": "Label",
            "type": "enumeration",
            "fieldType": "select",
            "groupName": "g",
            "options": [
                {"label": "Warm", "value": "WARM", "displayOrder": 1},
                {"label": "Hot", "value": "HOT", "displayOrder": 0},
                {"label": "Old", "value": "OLD", "displayOrder": 2, "hidden": True},
            ],
        },
        {"name": "is_vip", "label": "VIP", "type": "bool", "fieldType": "booleancheckbox"},
        {
            "name": "hs_object_id",
            "label": "Record ID",
            "type": "number",
            "fieldType": "number",
            "modificationMetadata": {"readOnlyValue": True},
        },
        {"name": "closedate", "label": "Close", "type": "datetime", "fieldType": "date"},
        {"name": "phone", "label": "Phone", "type": "phone_number", "fieldType": "phonenumber"},
        {"name": "odd", "label": "Odd", "type": "object_coordinates", "fieldType": "text"},
    ]
    mocked.get(f"{OFFLINE_API}/crm/v3/properties/deals", json={"results": properties})

    fields = {f.name: f for f in offline_client.list_fields("0-3")}

    assert {name: f.type for name, f in fields.items()} == {
        "hubspot_owner_id": FieldType.OWNER,
        "hs_lead_label": FieldType.ENUMERATION,
        "is_vip": FieldType.BOOLEAN,
        "hs_object_id": FieldType.NUMBER,
        "closedate": FieldType.DATETIME,
        "phone": FieldType.STRING,
        "odd": FieldType.OTHER,
    }
    assert [(o.value, o.label) for o in fields["hs_lead_label"].options] == [("HOT", "Hot"), ("WARM", "Warm")]
    assert fields["hs_object_id"].read_only and not fields["is_vip"].read_only
    assert fields["hs_lead_label"].object_type == "deals" and fields["hs_lead_label"].group == "g"


def test_a_deal_property_created_meanwhile_by_someone_else_is_fine(offline_client, mocked):
    prop_url = f"{OFFLINE_API}/crm/v3/properties/deals/routing_mode"
    created = {
        "name": "routing_mode",
        "label": "Routing mode",
        "type": "enumeration",
        "fieldType": "select",
        "options": [{"label": "Auto", "value": "auto"}],
    }
    mocked.get(prop_url, status=404, json=hubspot_error("OBJECT_NOT_FOUND", "resource not found"))
    mocked.post(
        f"{OFFLINE_API}/crm/v3/properties/deals/groups", status=409, json=hubspot_error("CONFLICT", "exists")
    )
    mocked.post(
        f"{OFFLINE_API}/crm/v3/properties/deals", status=409, json=hubspot_error("CONFLICT", "exists")
    )
    mocked.get(prop_url, json=created)

    field = offline_client.ensure_deal_property("routing_mode", "Routing mode", ["auto"])

    assert (field.name, field.type, [o.value for o in field.options]) == (
        "routing_mode",
        FieldType.ENUMERATION,
        ["auto"],
    )
    assert sent_json(mocked.calls[2])["options"] == [
        {"label": "auto", "value": "auto", "displayOrder": 0, "hidden": False}
    ]
    assert sent_json(mocked.calls[1]) == {"name": "lead_routing", "label": "Lead routing"}


# --- HubSpot's error bodies ---------------------------------------------------------------------


def test_a_validation_error_keeps_category_correlation_id_and_details(offline_client, mocked):
    body = hubspot_error(
        "VALIDATION_ERROR",
        "Property values were not valid",
        subCategory="crm.INVALID_VALUE",
        errors=[{"message": "LUKEWARM was not one of the allowed options", "code": "INVALID_OPTION"}],
    )
    mocked.post(f"{OBJECTS}/leads", status=400, json=body)

    with pytest.raises(InvalidRequest) as raised:
        offline_client.create("leads", {"hs_lead_label": "LUKEWARM"})

    error = raised.value
    assert (error.status, error.code, error.correlation_id) == (
        400,
        "VALIDATION_ERROR",
        body["correlationId"],
    )
    assert (
        "LUKEWARM was not one of the allowed options" in error.message
        and "crm.INVALID_VALUE" in error.message
    )


def test_a_spent_rate_limit_becomes_rate_limited_with_hubspots_wait(offline_client, mocked):
    headers = {"X-HubSpot-RateLimit-Remaining": "0", "X-HubSpot-RateLimit-Interval-Milliseconds": "60000"}
    body = {
        "status": "error",
        "message": "You have reached your daily limit.",
        "errorType": "RATE_LIMIT",
        "correlationId": "abc",
        "policyName": "DAILY",
    }
    mocked.get(f"{OBJECTS}/deals/9", status=429, headers=headers, json=body)

    with pytest.raises(RateLimited) as raised:
        offline_client.get_record("deals", "9")

    assert raised.value.code == "RATE_LIMIT" and raised.value.retry_after == pytest.approx(60)
    assert len(mocked.calls) == 1  # a 60 s wait is not slept inline: the task reschedules itself


def test_errors_and_logs_never_carry_the_access_token(offline_client, mocked, caplog):
    body = hubspot_error("INVALID_AUTHENTICATION", f"token Bearer {OFFLINE_TOKEN} was rejected")
    mocked.get(f"{OBJECTS}/deals/9", status=404, json=body)
    caplog.set_level(logging.DEBUG)

    with pytest.raises(NotFound) as raised:
        offline_client.get_record("deals", "9")

    assert OFFLINE_TOKEN not in str(raised.value) and OFFLINE_TOKEN not in repr(raised.value.args)
    assert OFFLINE_TOKEN not in caplog.text
    assert mocked.calls[0].request.headers["Authorization"] == f"Bearer {OFFLINE_TOKEN}"


def test_unknown_object_types_are_refused_before_any_call(offline_client):
    with pytest.raises(InvalidRequest, match="no object type 'tickets'"):
        offline_client.batch_read("tickets", ["1"])
