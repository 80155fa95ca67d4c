"""The Salesforce default mapping: it validates against the sandbox's real Lead fields, and the same
lead from HubSpot, monday or Salesforce becomes the same canonical lead (the owner aside: each CRM's
own user id)."""

from __future__ import annotations

import pytest

from crm_integrations.core.types import CrmRecord
from field_mapping.mapping import MappingSpec, map_record
from field_mapping.providers import default_mapping
from field_mapping.selectors import mapping_for_connection, mapping_problems
from field_mapping.services import default_mapping_for

pytestmark = pytest.mark.django_db

#: One lead as each CRM holds it (the boards' and properties' names of the sandboxes' defaults).
SALESFORCE_LEAD = {
    "Name": "Grace Hopper",
    "Email": "Grace@Compilers.example",
    "Company": "Compilers Inc",
    "Country": "US",
    "LeadSource": "Web",
    "OwnerId": "005SB0000000002YAA",
    "AnnualRevenue": 125000.0,
    "Industry": "Technology",
    "Status": "Open - Not Contacted",
}
MONDAY_ITEM = {
    "name": "Grace Hopper",
    "email": "grace@compilers.example",
    "text_company": "Compilers Inc",
    "text_country": "US",
    "status_source": "Website",
    "people_owner": "31000001",
    "numbers_amount": "125000",
    "dropdown_industry": "Software",
    "status": "New",
}


def canonical(provider: str, object_type: str, properties: dict) -> dict:
    spec = default_mapping(provider, object_type)
    result = map_record(spec, CrmRecord(object_type, "1", properties))
    assert result.errors == [], result.errors
    return {name: value for name, value in result.values.items() if name not in ("owner", "lead_type")}


def test_the_same_lead_is_the_same_canonical_lead_from_salesforce_and_monday():
    from_salesforce = canonical("salesforce", "leads", SALESFORCE_LEAD)

    assert from_salesforce == canonical("monday", "items", MONDAY_ITEM)
    assert (from_salesforce["source"], from_salesforce["industry"], from_salesforce["status"]) == (
        "WEBSITE",
        "COMPUTER_SOFTWARE",
        "open",
    )


@pytest.mark.parametrize(
    ("status", "outcome"), [("Closed - Converted", "won"), ("Closed - Not Converted", "lost")]
)
def test_closed_lead_statuses_are_won_or_lost(status, outcome):
    assert canonical("salesforce", "leads", {**SALESFORCE_LEAD, "Status": status})["status"] == outcome


def test_the_default_mapping_validates_cleanly_against_the_sandbox_s_lead_fields(connection):
    default_mapping_for(connection)
    spec = MappingSpec.from_model(mapping_for_connection(connection))

    assert spec.object_type == "leads"
    assert mapping_problems(connection, spec) == []
