"""The sandbox's REST endpoints (devtools/sandboxes/salesforce/rest.py, records.py): describe, rows,
sObject Collections with per-record errors, the lead assignment rule and ``Sforce-Auto-Assign``, tasks,
files and converted leads, in Salesforce's shapes."""

from __future__ import annotations

import base64

from devtools.sandboxes.salesforce.seed import ADMIN_ID, INACTIVE_USER_ID, INBOUND_QUEUE_ID, REP_IDS

from .conftest import api, soql

NO_RULE = {"Sforce-Auto-Assign": "FALSE"}
FILES_OF = (
    "SELECT ContentDocument.Title, ContentDocument.LatestPublishedVersionId, ContentDocument.ContentSize "
    "FROM ContentDocumentLink WHERE LinkedEntityId = '{}'"
)


def _open_leads(sandbox, token, count):
    rows = soql(sandbox, token, f"SELECT Id FROM Lead WHERE IsConverted = false ORDER BY Id LIMIT {count}")  # noqa: S608
    return [row["Id"] for row in rows.json()["records"]]


def test_describe_lead_fields_and_picklists(sandbox, token):
    body = api(sandbox, "GET", "sobjects/Lead/describe", token).json()
    fields = {f["name"]: f for f in body["fields"]}
    assert body["name"] == "Lead" and body["keyPrefix"] == "00Q"
    status = fields["Status"]
    assert [(v["label"], v["value"], v["active"]) for v in status["picklistValues"]] == [
        (value, value, True)
        for value in (
            "Open - Not Contacted",
            "Working - Contacted",
            "Closed - Converted",
            "Closed - Not Converted",
        )
    ]
    assert (status["type"], status["nillable"], status["updateable"]) == ("picklist", False, True)
    assert {"Web", "Partner Referral"} <= {v["value"] for v in fields["LeadSource"]["picklistValues"]}
    assert (
        fields["OwnerId"]["referenceTo"] == ["Group", "User"]
        and fields["OwnerId"]["relationshipName"] == "Owner"
    )
    assert (fields["AnnualRevenue"]["type"], fields["Company"]["nillable"]) == ("currency", False)
    assert (fields["IsConverted"]["updateable"], fields["IsConverted"]["createable"]) == (False, False)
    opportunity = {
        f["name"]: f for f in api(sandbox, "GET", "sobjects/Opportunity/describe", token).json()["fields"]
    }
    custom = opportunity["LexiContract_Status__c"]
    assert custom["custom"] and custom["label"] == "LexiContract Status" and custom["restrictedPicklist"]
    assert "Signed" in [v["value"] for v in custom["picklistValues"]]
    missing = api(sandbox, "GET", "sobjects/Leed/describe", token)
    assert missing.status_code == 404 and missing.json()[0]["errorCode"] == "NOT_FOUND"


def test_get_and_patch_a_lead(sandbox, token):
    lead_id = _open_leads(sandbox, token, 1)[0]
    row = api(sandbox, "GET", f"sobjects/Lead/{lead_id}", token).json()
    assert row["attributes"]["type"] == "Lead" and row["Id"] == lead_id and "SystemModstamp" in row
    assert api(sandbox, "GET", f"sobjects/Lead/{lead_id}?fields=Id,Status", token).json().keys() == {
        "attributes",
        "Id",
        "Status",
    }
    patched = api(
        sandbox,
        "PATCH",
        f"sobjects/Lead/{lead_id}",
        token,
        json={"Status": "Working - Contacted"},
        headers=NO_RULE,
    )
    assert patched.status_code == 204 and patched.content == b""
    after = sandbox.control.record("Lead", lead_id)
    assert after["Status"] == "Working - Contacted" and after["SystemModstamp"] > row["SystemModstamp"]
    assert after["LastModifiedById"] == ADMIN_ID
    bad = api(sandbox, "PATCH", f"sobjects/Lead/{lead_id}", token, json={"Status": "Maybe"}, headers=NO_RULE)
    assert bad.status_code == 400
    assert bad.json()[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    locked = api(
        sandbox, "PATCH", f"sobjects/Lead/{lead_id}", token, json={"IsConverted": True}, headers=NO_RULE
    )
    assert locked.json()[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert api(sandbox, "GET", "sobjects/Lead/00QSB000000ZZZZAAA", token).status_code == 404


def test_the_assignment_rule_overwrites_the_owner_unless_told_not_to(sandbox, token):
    first, second, third = _open_leads(sandbox, token, 3)
    rep = REP_IDS[0]
    api(sandbox, "PATCH", f"sobjects/Lead/{first}", token, json={"OwnerId": rep})
    assert sandbox.control.record("Lead", first)["OwnerId"] == INBOUND_QUEUE_ID  # no header: the rule ran
    api(
        sandbox,
        "PATCH",
        f"sobjects/Lead/{second}",
        token,
        json={"OwnerId": rep},
        headers={"Sforce-Auto-Assign": "TRUE"},
    )
    assert sandbox.control.record("Lead", second)["OwnerId"] == INBOUND_QUEUE_ID
    api(
        sandbox,
        "PATCH",
        f"sobjects/Lead/{third}",
        token,
        json={"OwnerId": rep},
        headers={"Sforce-Auto-Assign": "false"},
    )
    assert sandbox.control.record("Lead", third)["OwnerId"] == rep
    sandbox.control.configure(assignment_rule=False)
    api(sandbox, "PATCH", f"sobjects/Lead/{first}", token, json={"OwnerId": rep})
    assert sandbox.control.record("Lead", first)["OwnerId"] == rep
    logged = sandbox.control.requests(path_prefix="/services/data/v66.0/sobjects/Lead/", method="PATCH")
    assert [entry["autoAssign"] for entry in logged] == [None, "TRUE", "false", None]


def test_create_lead_and_task(sandbox, token):
    created = api(
        sandbox,
        "POST",
        "sobjects/Lead/",
        token,
        json={"LastName": "Ng", "Company": "Ng Labs", "OwnerId": REP_IDS[1]},
        headers=NO_RULE,
    )
    assert created.status_code == 201
    lead_id = created.json()["id"]
    assert created.json() == {"id": lead_id, "success": True, "errors": []} and lead_id.startswith("00Q")
    lead = sandbox.control.record("Lead", lead_id)
    assert (lead["OwnerId"], lead["Status"], lead["Name"], lead["IsConverted"]) == (
        REP_IDS[1],
        "Open - Not Contacted",
        "Ng",
        False,
    )
    missing = api(sandbox, "POST", "sobjects/Lead", token, json={"FirstName": "No"})
    assert missing.status_code == 400
    assert missing.json()[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert set(missing.json()[0]["fields"]) == {"LastName", "Company"}
    task = api(
        sandbox,
        "POST",
        "sobjects/Task",
        token,
        json={"Subject": "Follow up", "WhoId": lead_id, "OwnerId": REP_IDS[1], "ActivityDate": "2026-12-08"},
    )
    assert task.status_code == 201
    row = sandbox.control.record("Task", task.json()["id"])
    assert (row["WhoId"], row["Status"], row["Priority"]) == (lead_id, "Not Started", "Normal")
    who = f"SELECT Id, Who.Name FROM Task WHERE WhoId = '{lead_id}'"  # noqa: S608
    found = soql(sandbox, token, who).json()["records"]
    assert [r["Who"]["Name"] for r in found] == ["Ng"]


def test_collections_answer_per_record(sandbox, token):
    first, second, third = _open_leads(sandbox, token, 3)
    converted = soql(sandbox, token, "SELECT Id FROM Lead WHERE IsConverted = true LIMIT 1").json()[
        "records"
    ][0]["Id"]
    records = [
        {"attributes": {"type": "Lead"}, "id": first, "OwnerId": REP_IDS[2]},
        {"attributes": {"type": "Lead"}, "id": second, "OwnerId": INACTIVE_USER_ID},
        {"attributes": {"type": "Lead"}, "id": converted, "OwnerId": REP_IDS[2]},
        {"attributes": {"type": "Lead"}, "OwnerId": REP_IDS[2]},
        {"id": third, "OwnerId": REP_IDS[2]},
        {"attributes": {"type": "Lead"}, "id": third, "OwnerId": "00GSB00000000032AA"},  # a public group
    ]
    answer = api(
        sandbox,
        "PATCH",
        "composite/sobjects",
        token,
        json={"allOrNone": False, "records": records},
        headers=NO_RULE,
    )
    assert answer.status_code == 200
    results = answer.json()
    assert results[0] == {"id": first, "success": True, "errors": []}
    codes = [r["errors"][0]["statusCode"] if r["errors"] else None for r in results]
    assert codes == [
        None,
        "INACTIVE_OWNER_OR_USER",
        "CANNOT_UPDATE_CONVERTED_LEAD",
        "MISSING_ARGUMENT",
        "INVALID_TYPE",
        "INVALID_CROSS_REFERENCE_KEY",
    ]
    assert all("errorCode" not in e for r in results for e in r["errors"])  # the key is statusCode here
    assert sandbox.control.record("Lead", first)["OwnerId"] == REP_IDS[2]
    assert len(sandbox.control.requests(path_prefix="/services/data/v66.0/composite")) == 1


def test_all_or_none_rolls_back(sandbox, token):
    first, second = _open_leads(sandbox, token, 2)
    before = sandbox.control.record("Lead", first)["OwnerId"]
    records = [
        {"attributes": {"type": "Lead"}, "id": first, "OwnerId": REP_IDS[3]},
        {"attributes": {"type": "Lead"}, "id": second, "Status": "Nope"},
    ]
    results = api(
        sandbox,
        "PATCH",
        "composite/sobjects",
        token,
        json={"allOrNone": True, "records": records},
        headers=NO_RULE,
    ).json()
    assert [r["errors"][0]["statusCode"] for r in results] == [
        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
    ]
    assert sandbox.control.record("Lead", first)["OwnerId"] == before


def test_collections_take_at_most_200_records_and_create_with_post(sandbox, token):
    ids = _open_leads(sandbox, token, 1) * 201
    records = [{"attributes": {"type": "Lead"}, "id": i, "Rating": "Hot"} for i in ids]
    too_many = api(sandbox, "PATCH", "composite/sobjects", token, json={"records": records})
    assert too_many.status_code == 400 and too_many.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
    created = api(
        sandbox,
        "POST",
        "composite/sobjects",
        token,
        json={
            "records": [
                {"attributes": {"type": "Lead"}, "LastName": f"N{i}", "Company": "C"} for i in range(3)
            ]
        },
    ).json()
    assert [r["success"] for r in created] == [True] * 3
    read = api(
        sandbox,
        "GET",
        f"composite/sobjects/Lead?ids={created[0]['id']},00QSB000000ZZZZAAA&fields=Id,LastName",
        token,
    )
    assert [row and row["LastName"] for row in read.json()] == ["N0", None]
    not_json = sandbox.control.rest(
        "PATCH", "composite/sobjects", token=token, data="{", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400 and not_json.json()[0]["errorCode"] == "JSON_PARSER_ERROR"


def test_opportunity_files_through_content_document_links(sandbox, token):
    opportunity = soql(sandbox, token, "SELECT Id FROM Opportunity WHERE Name LIKE 'Globex%'").json()[
        "records"
    ][0]["Id"]
    links = soql(sandbox, token, FILES_OF.format(opportunity)).json()["records"]
    [document] = [link["ContentDocument"] for link in links]
    version = api(
        sandbox, "GET", f"sobjects/ContentVersion/{document['LatestPublishedVersionId']}", token
    ).json()
    assert version["VersionData"].endswith(f"/sobjects/ContentVersion/{version['Id']}/VersionData")
    data = api(sandbox, "GET", version["VersionData"][len("/services/data/v66.0/") :], token)
    assert (
        data.status_code == 200
        and data.content.startswith(b"%PDF")
        and len(data.content) == document["ContentSize"]
    )
    new = api(
        sandbox,
        "POST",
        "sobjects/ContentVersion",
        token,
        json={
            "Title": "Signed",
            "PathOnClient": "signed.pdf",
            "VersionData": base64.b64encode(b"%PDF-x").decode(),
        },
    )
    assert new.status_code == 201
    stored = sandbox.control.record("ContentVersion", new.json()["id"])
    assert (stored["ContentSize"], stored["FileExtension"], stored["ContentDocumentId"][:3]) == (
        6,
        "pdf",
        "069",
    )
    stage = api(
        sandbox,
        "PATCH",
        f"sobjects/Opportunity/{opportunity}",
        token,
        json={"StageName": "Closed Won", "LexiContract_Status__c": "Signed"},
    )
    assert stage.status_code == 204
    assert sandbox.control.record("Opportunity", opportunity)["IsWon"] is True


def test_methods_and_unknown_paths_answer_in_error_arrays(sandbox, token):
    put = api(sandbox, "PUT", "sobjects/Lead/00QSB00000000012AA", token, json={})
    assert put.status_code == 405 and put.json()[0]["errorCode"] == "METHOD_NOT_ALLOWED"
    unknown_version = sandbox.control.rest("GET", "/services/data/v12.0/limits", token=token)
    assert unknown_version.status_code == 404 and unknown_version.json()[0]["errorCode"] == "NOT_FOUND"
    versions = sandbox.control.rest("GET", "/services/data/", token="")
    assert (
        versions.status_code == 200
        and {"version": "66.0", "label": "API 66.0", "url": "/services/data/v66.0"} in versions.json()
    )


def test_collections_run_the_assignment_rule_without_the_header_and_deleted_rows_leave_query(sandbox, token):
    first, second = _open_leads(sandbox, token, 2)
    records = [{"attributes": {"type": "Lead"}, "id": first, "OwnerId": REP_IDS[1]}]
    api(sandbox, "PATCH", "composite/sobjects", token, json={"allOrNone": False, "records": records})
    assert sandbox.control.record("Lead", first)["OwnerId"] == INBOUND_QUEUE_ID
    assert api(sandbox, "DELETE", f"sobjects/Lead/{second}", token).status_code == 204
    assert api(sandbox, "GET", f"sobjects/Lead/{second}", token).status_code == 404
    query = f"SELECT Id, IsDeleted FROM Lead WHERE Id = '{second}'"  # noqa: S608
    assert soql(sandbox, token, query).json()["totalSize"] == 0
    everything = api(sandbox, "GET", "queryAll", token, params={"q": query}).json()
    assert everything["records"][0]["IsDeleted"] is True
    again = api(
        sandbox, "PATCH", "composite/sobjects", token, json={"records": [{**records[0], "id": second}]}
    )
    assert again.json()[0]["errors"][0]["statusCode"] == "ENTITY_IS_DELETED"
