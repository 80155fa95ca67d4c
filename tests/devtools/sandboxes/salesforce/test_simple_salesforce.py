"""simple-salesforce 1.12.10 (the widely used client) pointed at the sandbox: its query, query_more /
query_all, describe, get, update and ``restful`` calls read the sandbox's answers as Salesforce's, and
its exceptions map the sandbox's error arrays (as the HubSpot sandbox is checked with HubSpot's SDK)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from devtools.sandboxes.salesforce.seed import INBOUND_QUEUE_ID, REP_IDS


class PlainHttp(requests.Session):
    """simple-salesforce always builds ``https://`` URLs; the sandbox serves plain HTTP on loopback."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        return super().request(method, str(url).replace("https://", "http://", 1), *args, **kwargs)


@pytest.fixture
def sf(sandbox) -> Salesforce:
    granted = sandbox.control.tokens()
    return Salesforce(
        instance_url=granted["instance_url"],
        session_id=granted["access_token"],
        version="66.0",
        session=PlainHttp(),
    )


def test_query_and_query_all_follow_next_records_url(sandbox, sf):
    sandbox.control.configure(query_batch_size=8)
    first = sf.query("SELECT Id, Owner.Name, Owner.Type FROM Lead ORDER BY SystemModstamp, Id")
    assert (first["totalSize"], first["done"], len(first["records"])) == (30, False, 8)
    more = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert len(more["records"]) == 8 and more["records"][0]["Id"] != first["records"][0]["Id"]
    everything = sf.query_all("SELECT Id, Owner.Type FROM Lead WHERE IsConverted = false")
    assert everything["done"] is True and everything["totalSize"] == len(everything["records"]) == 26
    assert {row["Owner"]["Type"] for row in everything["records"]} == {"User", "Queue"}
    assert sf.api_usage["api-usage"].used >= 4 and sf.api_usage["api-usage"].total == 100_000


def test_describe_get_and_update_with_the_auto_assign_header(sandbox, sf):
    fields = {f["name"]: f for f in sf.Lead.describe()["fields"]}
    assert fields["Industry"]["type"] == "picklist" and fields["Industry"]["picklistValues"]
    lead_id = sf.query("SELECT Id FROM Lead WHERE IsConverted = false LIMIT 1")["records"][0]["Id"]
    assert sf.Lead.get(lead_id)["Id"] == lead_id
    assert sf.Lead.update(lead_id, {"OwnerId": REP_IDS[4]}, headers={"Sforce-Auto-Assign": "FALSE"}) == 204
    assert sf.Lead.get(lead_id)["OwnerId"] == REP_IDS[4]
    assert sf.Lead.update(lead_id, {"OwnerId": REP_IDS[3]}) == 204  # no header: the assignment rule wins
    assert sf.Lead.get(lead_id)["OwnerId"] == INBOUND_QUEUE_ID
    created = sf.Task.create({"Subject": "Call", "WhoId": lead_id, "OwnerId": REP_IDS[4]})
    assert created["success"] is True and created["id"].startswith("00T")


def test_collections_through_restful(sandbox, sf):
    ids = [r["Id"] for r in sf.query("SELECT Id FROM Lead WHERE IsConverted = false LIMIT 2")["records"]]
    body = {
        "allOrNone": False,
        "records": [{"attributes": {"type": "Lead"}, "id": i, "OwnerId": REP_IDS[0]} for i in ids],
    }
    results = sf.restful(
        "composite/sobjects", method="PATCH", json=body, headers={"Sforce-Auto-Assign": "FALSE"}
    )
    assert [r["success"] for r in results] == [True, True]
    assert sf.limits()["DailyApiRequests"]["Max"] == 100_000


def test_errors_become_simple_salesforce_exceptions(sandbox, sf):
    with pytest.raises(SalesforceMalformedRequest) as malformed:
        sf.query("SELECT Id FROM Lead WHERE")
    assert malformed.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    with pytest.raises(SalesforceResourceNotFound):
        sf.Lead.get("00QSB000000ZZZZAAA")
    sandbox.control.configure(daily_api_limit=1)
    with pytest.raises(SalesforceRefusedRequest) as refused:
        sf.query("SELECT Id FROM User")
    assert refused.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    sandbox.control.configure(daily_api_limit=100_000)
    sandbox.control.advance_clock(7201)
    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM User")
