"""Source paths through associated records, and what a spec needs fetched."""

from crm_integrations.core.types import CrmRecord, Expand
from field_mapping.mapping import (
    MappingSpec,
    Missing,
    RuleSpec,
    expansions,
    properties_by_object,
    properties_by_path,
    record_from_raw,
    record_to_raw,
    required_associations,
    resolve,
)
from tests.field_mapping.defaults import HUBSPOT_LEADS_DEFAULT

from .records import company, contact, deal, hubspot_lead


def test_a_property_on_the_lead_itself():
    assert resolve(hubspot_lead(), "hs_lead_name") == "Ada Lovelace"


def test_an_empty_property_is_a_value_not_missing():
    assert resolve(hubspot_lead(hubspot_owner_id=None), "hubspot_owner_id") is None


def test_through_the_contact_and_its_company():
    lead = hubspot_lead()
    assert resolve(lead, "contacts.email") == "Ada.Lovelace@NorthwindLogistics.de"
    assert resolve(lead, "contacts.companies.industry") == "LOGISTICS_AND_SUPPLY_CHAIN"


def test_the_first_primary_record_wins_when_there_are_several():
    first, second = deal("9001", amount="100"), deal("9002", amount="200")
    assert resolve(hubspot_lead(deals=(first, second)), "deals.amount") == "100"


def test_a_property_not_on_the_record_is_missing_with_the_reason():
    found = resolve(hubspot_lead(), "contacts.companies.vat_number")
    assert found == Missing("property 'vat_number' is not on companies 5001")
    assert not found


def test_an_association_not_fetched_is_missing_and_says_so():
    assert resolve(hubspot_lead(), "deals.amount") == Missing("deals were not fetched with leads 3001")


def test_a_lead_without_a_contact_is_missing_with_the_hop_that_failed():
    assert resolve(hubspot_lead(contacts=()), "contacts.companies.name") == Missing(
        "leads 3001 has no associated contacts"
    )
    assert resolve(hubspot_lead(contacts=(contact(companies=()),)), "contacts.companies.name") == Missing(
        "contacts 201 has no associated companies"
    )


def test_associated_ids_without_readable_records_are_named():
    lead = CrmRecord("leads", "1", {}, associations={"contacts": ("201", "202")}, associated={"contacts": ()})
    assert resolve(lead, "contacts.email") == Missing(
        "the contacts associated with leads 1 (201, 202) could not be read"
    )


SPEC = MappingSpec(
    object_type="leads",
    rules=(
        RuleSpec("name", "hs_lead_name"),
        RuleSpec("email", "contacts.email"),
        RuleSpec("industry", "contacts.companies.industry"),
        RuleSpec("company", "contacts.companies.name"),
        RuleSpec("amount", "deals.amount", "number"),
        RuleSpec("country", "companies.country"),
    ),
    status_source="hs_pipeline_stage",
)


def test_required_associations_lists_every_hop_parents_first():
    assert required_associations(SPEC) == ["companies", "contacts", "deals", "contacts.companies"]


def test_properties_by_path_and_by_object():
    assert properties_by_path(SPEC) == {
        "": ("hs_lead_name", "hs_pipeline_stage"),
        "companies": ("country",),
        "contacts": ("email",),
        "deals": ("amount",),
        "contacts.companies": ("industry", "name"),
    }
    assert properties_by_object(SPEC) == {
        "leads": ("hs_lead_name", "hs_pipeline_stage"),
        "companies": ("country", "industry", "name"),
        "contacts": ("email",),
        "deals": ("amount",),
    }


def test_expansions_fetch_everything_in_one_batch_read():
    assert expansions(SPEC) == (
        Expand("companies", ("country",)),
        Expand("contacts", ("email",), (Expand("companies", ("industry", "name")),)),
        Expand("deals", ("amount",)),
    )


def test_the_hubspot_default_needs_the_contact_and_its_company():
    assert required_associations(HUBSPOT_LEADS_DEFAULT) == ["contacts", "contacts.companies"]
    assert properties_by_path(HUBSPOT_LEADS_DEFAULT)[""] == (
        "hs_lead_name",
        "lead_source",
        "hubspot_owner_id",
        "lead_amount",
        "hs_lead_type",
        "hs_pipeline_stage",
    )


def test_a_monday_spec_needs_no_associations():
    spec = MappingSpec("items", (RuleSpec("name", "name"),), status_source="status")
    assert required_associations(spec) == []
    assert expansions(spec) == ()
    assert properties_by_object(spec) == {"items": ("name", "status")}


def test_raw_keeps_the_record_and_everything_fetched_with_it_and_comes_back_equal():
    lead = hubspot_lead(deals=(deal(),))
    raw = record_to_raw(lead)
    assert raw["associated"]["contacts"][0]["associated"]["companies"][0]["properties"]["name"] == (
        "Northwind Logistics"
    )
    assert raw["updated_at"] == "2026-03-02T10:30:00+00:00"
    assert record_from_raw(raw) == lead
    assert record_from_raw(record_to_raw(company())) == company()
