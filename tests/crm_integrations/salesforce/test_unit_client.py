"""SalesforceClient against answers scripted with ``responses``: the change feed, reads, writes, owners,
fields, tasks and accounts, in the shapes Salesforce answers them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm_integrations.core.errors import InvalidRequest, NotFound
from crm_integrations.core.types import FieldType, FollowUpTask, RecordUpdate
from crm_integrations.salesforce.feed import read_cursor

from .conftest import COLLECTIONS_URL, DATA, QUERY_URL, lead, lead_id, query_page, sent, soql_of


def test_changed_since_asks_for_unconverted_leads_in_stamp_order_and_follows_next_records_url(
    offline_client, mocked
):
    locator = "01gD0000002HU6KIAW-2000"
    mocked.get(
        QUERY_URL,
        json=query_page(
            [lead(lead_id(1), "2026-11-20T10:00:00.000+0000", CreatedDate="2026-11-19T08:15:30.000+0000")],
            done=False,
            next_url=f"/services/data/v66.0/query/{locator}",
        ),
    )
    mocked.get(f"{QUERY_URL}/{locator}", json=query_page([lead(lead_id(2), "2026-11-20T10:00:01.000+0000")]))

    page = offline_client.changed_since("leads", "2026-11-20T09:00:00+00:00", properties=["Email"], limit=10)

    soql = soql_of(mocked.calls[0])
    assert soql.startswith(
        "SELECT Id, SystemModstamp, OwnerId, Owner.Type, IsConverted, Status, LastModifiedById, CreatedDate, "
        "Email "
        "FROM Lead"
    )
    assert "WHERE IsConverted = false AND SystemModstamp >= 2026-11-20T08:59:55.000Z" in soql
    assert soql.endswith("ORDER BY SystemModstamp, Id LIMIT 11")
    assert [record.id for record in page.records] == [lead_id(1), lead_id(2)]
    assert page.records[0].properties["Owner.Type"] == "User"
    assert page.records[0].created_at == datetime(2026, 11, 19, 8, 15, 30, tzinfo=UTC)
    assert page.records[1].created_at is None  # no CreatedDate in the answer: unknown, not "now"
    assert page.has_more is False
    since, start, seen = read_cursor(page.next_cursor)
    assert since == datetime(2026, 11, 20, 10, 0, 1, tzinfo=UTC)
    assert start == datetime(2026, 11, 20, 9, 59, 56, tzinfo=UTC)  # the overlap before it
    assert seen == {
        f"{lead_id(1)}|2026-11-20T10:00:00.000+0000",
        f"{lead_id(2)}|2026-11-20T10:00:01.000+0000",
    }


def test_the_overlap_is_read_again_and_what_was_seen_at_the_same_stamp_is_dropped(offline_client, mocked):
    first = lead(lead_id(1), "2026-11-20T10:00:00.000+0000")
    again = lead(lead_id(1), "2026-11-20T10:00:00.000+0000")
    changed = lead(lead_id(1), "2026-11-20T10:00:03.000+0000")
    late = lead(lead_id(2), "2026-11-20T09:59:59.000+0000")  # committed late, with an earlier stamp
    mocked.get(QUERY_URL, json=query_page([first]))
    mocked.get(QUERY_URL, json=query_page([late, again, changed]))

    cursor = offline_client.changed_since("leads", None, limit=5).next_cursor
    page = offline_client.changed_since("leads", cursor, limit=5)

    assert "SystemModstamp >= 2026-11-20T09:59:55.000Z" in soql_of(mocked.calls[1])
    assert [(record.id, record.properties["SystemModstamp"]) for record in page.records] == [
        (lead_id(2), "2026-11-20T09:59:59.000+0000"),
        (lead_id(1), "2026-11-20T10:00:03.000+0000"),
    ]


def test_a_full_page_says_there_is_more(offline_client, mocked):
    mocked.get(
        QUERY_URL, json=query_page([lead(lead_id(n), f"2026-11-20T10:00:0{n}.000+0000") for n in range(3)])
    )

    page = offline_client.changed_since("leads", None, limit=2)

    assert len(page.records) == 2 and page.has_more


def test_batch_read_queries_ids_in_chunks_of_200_keeps_order_and_leaves_out_unknown_ones(
    offline_client, mocked
):
    ids = [lead_id(n) for n in range(250)]
    mocked.get(
        QUERY_URL, json=query_page([lead(record_id, "2026-11-20T10:00:00Z") for record_id in ids[:200][::-1]])
    )
    mocked.get(
        QUERY_URL, json=query_page([lead(record_id, "2026-11-20T10:00:00Z") for record_id in ids[200:249]])
    )

    records = offline_client.batch_read("leads", [*ids, "not-an-id"], properties=["Company"])

    assert [record.id for record in records] == ids[:249]
    assert soql_of(mocked.calls[0]).count("'00Q") == 200 and soql_of(mocked.calls[1]).count("'00Q") == 50


def test_get_record_of_an_unknown_id_is_not_found(offline_client, mocked):
    mocked.get(QUERY_URL, json=query_page([]))

    with pytest.raises(NotFound):
        offline_client.get_record("leads", lead_id(9))


def test_a_malformed_query_is_an_invalid_request_with_salesforce_s_error_code(offline_client, mocked):
    mocked.get(
        QUERY_URL,
        status=400,
        json=[{"message": "unexpected token: FROM", "errorCode": "MALFORMED_QUERY", "fields": []}],
    )

    with pytest.raises(InvalidRequest) as caught:
        offline_client.batch_read("leads", [lead_id(1)])

    assert caught.value.code == "MALFORMED_QUERY" and "unexpected token" in caught.value.message


def test_owner_write_back_uses_collections_of_200_without_assignment_rules_and_reports_each_record(
    offline_client, mocked
):
    updates = [RecordUpdate(lead_id(n), {"OwnerId": "005000000000002AAA"}) for n in range(201)]
    first = [{"id": lead_id(n), "success": True, "errors": []} for n in range(200)]
    first[5] = {
        "success": False,
        "errors": [{"statusCode": "CANNOT_UPDATE_CONVERTED_LEAD", "message": "converted", "fields": []}],
    }
    mocked.patch(COLLECTIONS_URL, json=first)
    mocked.patch(COLLECTIONS_URL, json=[{"id": lead_id(200), "success": True, "errors": []}])

    result = offline_client.batch_update("leads", [*updates, RecordUpdate("bad id", {"OwnerId": "x"})])

    bodies = [sent(call) for call in mocked.calls]
    assert [len(body["records"]) for body in bodies] == [200, 1]
    assert all(body["allOrNone"] is False for body in bodies)
    assert bodies[0]["records"][0] == {
        "attributes": {"type": "Lead"},
        "id": lead_id(0),
        "OwnerId": "005000000000002AAA",
    }
    assert all(call.request.headers["Sforce-Auto-Assign"] == "FALSE" for call in mocked.calls)
    assert len(result.updated) == 200
    assert [(failure.id, failure.code) for failure in result.failed] == [
        ("bad id", "INVALID_ID"),
        (lead_id(5), "CANNOT_UPDATE_CONVERTED_LEAD"),
    ]


def test_owners_are_standard_users_active_first_and_queues_as_placeholders(offline_client, mocked):
    mocked.get(
        QUERY_URL,
        json=query_page(
            [
                {"Id": "005000000000003AAA", "Email": "old@acme.test", "LastName": "Old", "IsActive": False},
                {
                    "Id": "005000000000002AAA",
                    "Email": "ann@acme.test",
                    "FirstName": "Ann",
                    "LastName": "Lee",
                    "IsActive": True,
                },
            ]
        ),
    )
    mocked.get(QUERY_URL, json=query_page([{"Id": "00G000000000001AAA", "Name": "Inbound Leads"}]))

    owners = offline_client.list_owners()

    assert "UserType = 'Standard'" in soql_of(mocked.calls[0]) and "Type = 'Queue'" in soql_of(
        mocked.calls[1]
    )
    assert [(owner.id, owner.active, owner.is_queue) for owner in owners] == [
        ("005000000000002AAA", True, False),
        ("005000000000003AAA", False, False),
        ("00G000000000001AAA", True, True),
    ]
    assert owners[0].name == "Ann Lee" and owners[2].name == "Inbound Leads"


def test_fields_come_from_describe_with_picklist_labels_and_the_owner_choices(offline_client, mocked):
    mocked.get(
        QUERY_URL, json=query_page([{"Id": "005000000000002AAA", "LastName": "Lee", "IsActive": True}])
    )
    mocked.get(QUERY_URL, json=query_page([]))
    mocked.get(
        f"{DATA}/sobjects/Lead/describe",
        json={
            "fields": [
                {
                    "name": "LeadSource",
                    "label": "Lead Source",
                    "type": "picklist",
                    "updateable": True,
                    "picklistValues": [
                        {"value": "Web", "label": "Web site", "active": True},
                        {"value": "Old", "label": "Old", "active": False},
                    ],
                },
                {"name": "AnnualRevenue", "label": "Annual Revenue", "type": "currency", "updateable": True},
                {"name": "OwnerId", "label": "Owner ID", "type": "reference", "updateable": True},
                {
                    "name": "SystemModstamp",
                    "label": "System Modstamp",
                    "type": "datetime",
                    "updateable": False,
                },
            ]
        },
    )

    fields = {field.name: field for field in offline_client.list_fields("leads")}

    assert [(o.value, o.label) for o in fields["LeadSource"].options] == [("Web", "Web site")]
    assert fields["AnnualRevenue"].type == FieldType.NUMBER
    assert (
        fields["OwnerId"].type == FieldType.OWNER
        and fields["OwnerId"].options[0].value == "005000000000002AAA"
    )
    assert fields["SystemModstamp"].read_only


def test_follow_up_tasks_name_the_lead_and_rep_and_fail_alone(offline_client, mocked):
    due = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
    tasks = [
        FollowUpTask(lead_id(1), "005000000000002AAA", "Call back", due, key="assignment-1"),
        FollowUpTask(lead_id(2), "005000000000002AAA", "Call back", due, key="assignment-2", priority="low"),
    ]
    mocked.post(
        COLLECTIONS_URL,
        json=[
            {"id": "00T000000000001AAA", "success": True, "errors": []},
            {
                "success": False,
                "errors": [{"statusCode": "INVALID_CROSS_REFERENCE_KEY", "message": "bad WhoId"}],
            },
        ],
    )
    mocked.get(
        QUERY_URL,
        json=query_page(
            [{"Id": "00T000000000001AAA", "WhoId": lead_id(1), "Description": "[lead-routing:assignment-1]"}]
        ),
    )

    result = offline_client.create_follow_up_tasks("leads", tasks)
    found = offline_client.find_follow_up_tasks("leads", tasks)

    record = sent(mocked.calls[0])["records"][0]
    assert (record["WhoId"], record["OwnerId"], record["ActivityDate"], record["Priority"]) == (
        lead_id(1),
        "005000000000002AAA",
        "2026-11-21",
        "High",
    )
    assert mocked.calls[0].request.headers["Sforce-Auto-Assign"] == "FALSE"
    assert [task.associations for task in result.created] == [{"leads": (lead_id(1),)}]
    assert [(failure.id, failure.code) for failure in result.failed] == [
        (lead_id(2), "INVALID_CROSS_REFERENCE_KEY")
    ]
    assert list(found) == ["assignment-1"] and found["assignment-1"].id == "00T000000000001AAA"


def test_accounts_by_domain_match_the_website_exactly_newest_first(offline_client, mocked):
    mocked.get(
        QUERY_URL,
        json=query_page(
            [
                {
                    "Id": "001000000000001AAA",
                    "Name": "Acme",
                    "Website": "https://www.acme.com/",
                    "OwnerId": "005000000000002AAA",
                },
                {
                    "Id": "001000000000002AAA",
                    "Name": "Acme old",
                    "Website": "acme.com",
                    "OwnerId": "005000000000003AAA",
                },
                {"Id": "001000000000003AAA", "Name": "Not acme", "Website": "notacme.com.au", "OwnerId": "x"},
            ]
        ),
    )

    found = offline_client.accounts_by_domain(["jane@Acme.com", "o'brien.example"])

    soql = soql_of(mocked.calls[0])
    assert "Website LIKE '%acme.com%'" in soql and "Website LIKE '%o\\'brien.example%'" in soql
    assert {domain: account.id for domain, account in found.items()} == {"acme.com": "001000000000001AAA"}


def test_lead_statuses_come_from_lead_status(offline_client, mocked):
    mocked.get(
        QUERY_URL,
        json=query_page(
            [
                {
                    "ApiName": "Open - Not Contacted",
                    "MasterLabel": "Open - Not Contacted",
                    "IsConverted": False,
                    "IsDefault": True,
                },
                {"ApiName": "Closed - Converted", "MasterLabel": "Closed - Converted", "IsConverted": True},
            ]
        ),
    )

    statuses = offline_client.lead_statuses()

    assert [(status.value, status.converted, status.default) for status in statuses] == [
        ("Open - Not Contacted", False, True),
        ("Closed - Converted", True, False),
    ]


def test_the_status_written_back_for_an_outcome_is_the_org_s_own_value():
    from crm_integrations.salesforce.mapping import LEAD_STATUSES
    from crm_integrations.salesforce.statuses import LeadStatus, status_for

    org = [
        LeadStatus("Open - Not Contacted", "Open", converted=False, default=True),
        LeadStatus("Nurture", "Nurture", converted=False, default=False),
        LeadStatus("Qualified", "Qualified", converted=True, default=False),
        LeadStatus("Closed - Not Converted", "Closed", converted=False, default=False),
    ]

    assert status_for(org, "won", LEAD_STATUSES) == "Qualified"  # converted: won, whatever its name
    assert status_for(org, "lost", LEAD_STATUSES) == "Closed - Not Converted"
    assert status_for(org, "lost", {"Nurture": "lost"}) == "Nurture"  # as mapped, first in the org's order
    assert status_for(org, "excluded", LEAD_STATUSES) is None
