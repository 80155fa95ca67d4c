"""The sandbox's SOQL subset (devtools/sandboxes/salesforce/soql.py, soql_run.py): parsed, not matched as
strings; run against the seeded org with relationship fields, typed filters, ordering and paging."""

from __future__ import annotations

import pytest

from devtools.sandboxes.salesforce.errors import SfError
from devtools.sandboxes.salesforce.seed import INBOUND_QUEUE_ID
from devtools.sandboxes.salesforce.soql import BoolOp, Compare, In, Like, Not, parse

from .conftest import soql

# --- the parser alone -------------------------------------------------------------------------------------


def test_parses_the_polling_query_into_a_tree():
    query = parse(
        "select Id, Owner.Name, Owner.Type from Lead "
        "where SystemModstamp > 2026-11-20T10:00:00Z and IsConverted = false "
        "order by SystemModstamp asc, Id desc nulls first limit 2000 offset 5"
    )
    assert query.object_name == "Lead"
    assert [path.parts for path in query.fields] == [("Id",), ("Owner", "Name"), ("Owner", "Type")]
    assert isinstance(query.where, BoolOp) and query.where.op == "AND"
    modstamp, converted = query.where.operands
    assert (modstamp.op, modstamp.value.kind, modstamp.value.value) == (">", "datetime", 1795168800000)
    assert (converted.value.kind, converted.value.value) == ("boolean", False)
    assert [(o.path.parts, o.descending, o.nulls_last) for o in query.order] == [
        (("SystemModstamp",), False, False),
        (("Id",), True, False),
    ]
    assert (query.limit, query.offset) == (2000, 5)


def test_parses_parentheses_not_in_like_null_and_offsets():
    query = parse(
        "SELECT Id FROM Lead WHERE (Status IN ('A', 'B\\'s') OR NOT Email LIKE '%@x.example') "
        "AND Industry != NULL AND CreatedDate >= 2026-01-01T00:00:00.000+02:00 AND Owner.Id NOT IN ('x')"
    )
    group, null_check, created, not_in = query.where.operands
    assert isinstance(group, BoolOp) and group.op == "OR"
    assert isinstance(group.operands[0], In) and [v.value for v in group.operands[0].values] == ["A", "B's"]
    assert isinstance(group.operands[1], Not) and isinstance(group.operands[1].operand, Like)
    assert isinstance(null_check, Compare) and null_check.value.kind == "null"
    assert created.value.value == 1767218400000  # the offset applied
    assert isinstance(not_in, In) and not_in.negated


@pytest.mark.parametrize(
    ("text", "column", "token"),
    [
        ("SELECT FROM Lead", 8, "FROM"),
        ("SELECT Id FRM Lead", 11, "FRM"),
        ("SELECT Id FROM Lead WHERE a = 1 AND b = 2 OR c = 3", 43, "OR"),  # mixing needs parentheses
        ("SELECT Id FROM Lead WHERE Name = 'x' LIMIT ten", 44, "ten"),
        ("SELECT Id FROM Lead WHERE Name = :bound", 34, ":"),
        ("SELECT Id, FROM Lead", 12, "FROM"),
        ("SELECT Id FROM Lead WHERE (Name = 'x'", 38, "<EOF>"),
        ("SELECT Id FROM Lead ORDER Id", 27, "Id"),
        ("SELECT Id FROM Lead WHERE Name LIKE 5", 37, "5"),
        ("DELETE FROM Lead", 1, "DELETE"),
    ],
)
def test_malformed_queries_say_where(text, column, token):
    with pytest.raises(SfError) as raised:
        parse(text)
    assert raised.value.code == "MALFORMED_QUERY"
    assert f"ERROR at Row:1:Column:{column}" in raised.value.message
    assert f"unexpected token: '{token}'" in raised.value.message or (
        token == ":" and "':'" in raised.value.message
    )


# --- run against the org -----------------------------------------------------------------------------------


def test_relationship_fields_and_the_polymorphic_owner(sandbox, token):
    answer = soql(
        sandbox,
        token,
        f"SELECT Id, Owner.Name, Owner.Type FROM Lead WHERE OwnerId = '{INBOUND_QUEUE_ID}'",  # noqa: S608
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["done"] is True and body["totalSize"] == len(body["records"]) > 0
    row = body["records"][0]
    assert row["attributes"] == {"type": "Lead", "url": f"/services/data/v66.0/sobjects/Lead/{row['Id']}"}
    assert row["Owner"]["attributes"]["type"] == "Name"
    assert (row["Owner"]["Name"], row["Owner"]["Type"]) == ("Inbound Leads", "Queue")
    users = soql(sandbox, token, "SELECT Owner.Type FROM Lead WHERE Owner.Type = 'User'").json()["records"]
    assert users and {r["Owner"]["Type"] for r in users} == {"User"}


def test_filters_are_typed_and_combined(sandbox, token):
    everything = soql(sandbox, token, "SELECT Id, IsConverted, Status, AnnualRevenue, Email FROM Lead").json()
    rows = everything["records"]
    assert everything["totalSize"] == 30
    open_rich = soql(
        sandbox,
        token,
        "SELECT Id FROM Lead WHERE IsConverted = false "
        "AND (AnnualRevenue >= 5000000 OR Email LIKE '%@GLOBEX.example')",
    ).json()["records"]
    expected = {
        r["Id"]
        for r in rows
        if not r["IsConverted"]
        and (r["AnnualRevenue"] >= 5_000_000 or r["Email"].endswith("@globex.example"))
    }
    assert {r["Id"] for r in open_rich} == expected and expected
    statuses = soql(sandbox, token, "SELECT Id FROM Lead WHERE Status IN ('closed - converted')").json()
    assert statuses["totalSize"] == sum(r["IsConverted"] for r in rows) > 0  # text compares without case
    assert soql(sandbox, token, "SELECT Id FROM Lead WHERE ConvertedDate = NULL").json()["totalSize"] == (
        30 - statuses["totalSize"]
    )


def test_datetime_literals_order_by_several_fields_and_limit(sandbox, token):
    rows = soql(sandbox, token, "SELECT Id, SystemModstamp FROM Lead ORDER BY SystemModstamp, Id").json()[
        "records"
    ]
    middle = rows[10]["SystemModstamp"].replace(".000+0000", "Z")
    later = soql(
        sandbox,
        token,
        f"SELECT Id FROM Lead WHERE SystemModstamp > {middle} ORDER BY SystemModstamp DESC, Id LIMIT 5",  # noqa: S608
    ).json()["records"]
    assert [r["Id"] for r in later] == [r["Id"] for r in reversed(rows[11:])][:5]
    quoted = soql(sandbox, token, f"SELECT Id FROM Lead WHERE SystemModstamp > '{middle}'")  # noqa: S608
    assert quoted.status_code == 400
    assert quoted.json()[0]["errorCode"] == "INVALID_FIELD"
    assert "must be of type dateTime and should not be enclosed in quotes" in quoted.json()[0]["message"]


def test_count_and_semi_joins(sandbox, token):
    assert soql(
        sandbox, token, "SELECT COUNT() FROM User WHERE IsActive = true AND UserType = 'Standard'"
    ).json() == {
        "totalSize": 6,
        "done": True,
        "records": [],
    }
    files = soql(
        sandbox,
        token,
        "SELECT ContentDocumentId, ContentDocument.LatestPublishedVersionId FROM ContentDocumentLink "
        "WHERE LinkedEntityId IN (SELECT Id FROM Opportunity WHERE StageName = 'Negotiation/Review')",
    ).json()
    assert files["totalSize"] == 2
    unfiltered = soql(sandbox, token, "SELECT Id FROM ContentDocumentLink")
    assert unfiltered.status_code == 400 and "Implementation restriction" in unfiltered.json()[0]["message"]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("SELECT Nope FROM Lead", "INVALID_FIELD"),
        ("SELECT Owner.Nope FROM Lead", "INVALID_FIELD"),
        ("SELECT Boss.Name FROM Lead", "INVALID_FIELD"),
        ("SELECT Id FROM Leed", "INVALID_TYPE"),
        ("SELECT Id FROM Lead WHERE IsConverted = 'false'", "INVALID_FIELD"),
        ("SELECT Id FROM Lead WHERE AnnualRevenue > '5'", "INVALID_FIELD"),
        ("SELECT Id FROM Lead WHERE Company = 5", "INVALID_FIELD"),
        ("SELECT Id FROM Lead WHERE", "MALFORMED_QUERY"),
        ("SELECT Id FROM Lead GROUP BY Status", "MALFORMED_QUERY"),
    ],
)
def test_errors_are_salesforce_error_arrays(sandbox, token, query, code):
    answer = soql(sandbox, token, query)
    assert answer.status_code == 400
    [error] = answer.json()
    assert error["errorCode"] == code and error["message"]


def test_paging_with_next_records_url(sandbox, token):
    sandbox.control.configure(query_batch_size=7)
    first = soql(sandbox, token, "SELECT Id FROM Lead ORDER BY Id").json()
    assert (first["totalSize"], first["done"], len(first["records"])) == (30, False, 7)
    assert first["nextRecordsUrl"].startswith("/services/data/v66.0/query/01g")
    assert first["nextRecordsUrl"].endswith("-7")
    seen, page = [r["Id"] for r in first["records"]], first
    while not page["done"]:
        page = sandbox.control.rest("GET", page["nextRecordsUrl"], token=token).json()
        seen += [r["Id"] for r in page["records"]]
    assert len(seen) == len(set(seen)) == 30 and seen == sorted(seen)
    gone = sandbox.control.rest(
        "GET", first["nextRecordsUrl"], token=token
    )  # the cursor is closed at the end
    assert gone.status_code == 400 and gone.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_batch_size_header_and_cursor_expiry(sandbox, token):
    sandbox.control.seed_leads(450)
    page = soql(
        sandbox, token, "SELECT Id FROM Lead", headers={"Sforce-Query-Options": "batchSize=200"}
    ).json()
    assert len(page["records"]) == 200 and page["totalSize"] == 480
    sandbox.control.advance_clock(2 * 86400 + 1)  # locators live two days
    sandbox.control.configure(access_token_ttl=10**7)
    fresh = sandbox.control.access_token()
    expired = sandbox.control.rest("GET", page["nextRecordsUrl"], token=fresh)
    assert expired.status_code == 400 and expired.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
