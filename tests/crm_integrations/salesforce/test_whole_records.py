"""The lead intake takes whole records from Salesforce's SOQL feed as they are (no read by id), and
reads only those lacking a property the mapping reads; a poll asks the feed for those properties."""

from __future__ import annotations

import pytest

from crm_integrations.core.types import CrmRecord
from crm_integrations.intake.polling import feed_properties
from crm_integrations.salesforce.client import SalesforceClient
from field_mapping import label_services
from field_mapping.models import Lead
from field_mapping.receivers import take_in

from .conftest import lead_id

FIELDS = {
    "Name": "Ada Lovelace",
    "Email": "ADA@Example.com",
    "Company": "Analytical Engines",
    "Country": "United Kingdom",
    "LeadSource": "Web",
    "OwnerId": "00GSB00000000012AA",
    "AnnualRevenue": 250000.0,
    "Industry": "Banking",
    "Status": "Open - Not Contacted",
}


@pytest.fixture
def reads(monkeypatch) -> list[list[str]]:
    """The ids the intake reads again by id (answered from ``FIELDS``)."""
    calls: list[list[str]] = []

    def batch_read(self, object_type, ids, **kwargs):
        calls.append(list(ids))
        return [CrmRecord(object_type, record_id, dict(FIELDS)) for record_id in ids]

    monkeypatch.setattr(SalesforceClient, "batch_read", batch_read)
    monkeypatch.setattr(label_services, "labels_refresh_if_stale", lambda connection: None)
    return calls


@pytest.mark.django_db
def test_whole_records_are_taken_as_they_are_and_incomplete_ones_read_again(offline_connection, reads):
    whole = CrmRecord("leads", lead_id(1), dict(FIELDS))
    partial = CrmRecord(
        "leads", lead_id(2), {key: value for key, value in FIELDS.items() if key != "Industry"}
    )

    outcomes = take_in(offline_connection, "leads", [lead_id(1), lead_id(2)], "poll", [whole, partial])

    assert {outcome.outcome for outcome in outcomes.values()} == {"ingested"}
    assert reads == [[lead_id(2)]]  # only the record lacking Industry
    stored = Lead.objects.get(connection=offline_connection, external_id=lead_id(1))
    assert (stored.email, stored.industry) == ("ada@example.com", "FINANCIAL_SERVICES")


@pytest.mark.django_db
def test_a_poll_asks_the_feed_for_every_property_the_mapping_reads(offline_connection):
    assert set(feed_properties(offline_connection, "leads")) >= set(FIELDS)
    assert feed_properties(offline_connection, "deals") == ()
    assert (
        SalesforceClient.feed_returns_records and SalesforceClient(offline_connection).poll_page_size == 2000
    )
