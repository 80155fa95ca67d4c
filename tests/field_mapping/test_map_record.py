"""map_record on HubSpot- and monday-shaped records: values, status outcomes, and error messages."""

from dataclasses import replace
from decimal import Decimal

from field_mapping.mapping import MappingError, MappingSpec, RuleSpec, map_record
from tests.field_mapping.defaults import HUBSPOT_LEADS_DEFAULT

from .records import contact, deal, hubspot_lead, monday_item

EXPECTED = {
    "name": "Ada Lovelace",
    "email": "ada.lovelace@northwindlogistics.de",
    "company": "Northwind Logistics",
    "country": "Germany",
    "source": "WEBSITE",
    "owner": "70000003",
    "amount": Decimal("12500.00"),
    "industry": "LOGISTICS_AND_SUPPLY_CHAIN",
    "lead_type": "NEW_BUSINESS",
    "status": "open",
}


def test_the_hubspot_default_maps_a_lead_with_its_contact_and_company():
    result = map_record(HUBSPOT_LEADS_DEFAULT, hubspot_lead())
    assert result.errors == []
    assert result.ok
    assert result.values == EXPECTED


def test_amount_from_the_leads_deal_with_thousands_separators():
    spec = replace(HUBSPOT_LEADS_DEFAULT, rules=(RuleSpec("amount", "deals.amount", "number"),))
    result = map_record(spec, hubspot_lead(deals=(deal(amount="1,500.50"),)))
    assert result.values["amount"] == Decimal("1500.50")


def test_amount_is_numeric_even_as_is_and_rounds_to_the_cent():
    spec = replace(HUBSPOT_LEADS_DEFAULT, rules=(RuleSpec("amount", "lead_amount"),))
    assert map_record(spec, hubspot_lead(lead_amount="99.999")).values["amount"] == Decimal("100.00")


def test_an_empty_value_is_none_without_an_error():
    result = map_record(HUBSPOT_LEADS_DEFAULT, hubspot_lead(hubspot_owner_id=None, lead_amount=""))
    assert result.errors == []
    assert result.values["owner"] is None
    assert result.values["amount"] is None


def test_every_error_names_field_path_value_and_why_and_the_rest_still_maps():
    spec = replace(
        HUBSPOT_LEADS_DEFAULT,
        rules=(
            RuleSpec("email", "contacts.email", "lower"),
            RuleSpec("amount", "deals.amount", "number"),
            RuleSpec("source", "contacts.lifecyclestage", "value_map", {"map": {"customer": "REFERRAL"}}),
            RuleSpec("lead_type", "hs_lead_label", "date"),
        ),
    )
    result = map_record(spec, hubspot_lead(deals=(deal(amount="abc"),)))
    assert [error.message for error in result.errors] == [
        "amount: 'abc' at deals.amount is not a number",
        "source: 'lead' at contacts.lifecyclestage is not in the value map (and no fallback is set)",
        "lead_type: 'WARM' at hs_lead_label is not a date (ISO 8601 or epoch milliseconds)",
    ]
    assert [error.field for error in result.errors] == ["amount", "source", "lead_type"]
    assert result.values == {
        "email": "ada.lovelace@northwindlogistics.de",
        "amount": None,
        "source": None,
        "lead_type": None,
        "status": "open",
    }


def test_an_amount_that_is_not_a_number_even_as_is():
    spec = replace(HUBSPOT_LEADS_DEFAULT, rules=(RuleSpec("amount", "lead_amount"),))
    assert map_record(spec, hubspot_lead(lead_amount="a lot")).errors == [
        MappingError("amount", "amount: 'a lot' at lead_amount is not a number")
    ]


def test_a_missing_association_of_optional_fields_is_a_warning_with_the_path():
    result = map_record(HUBSPOT_LEADS_DEFAULT, hubspot_lead(contacts=()))
    assert result.errors == [] and result.ok
    assert [e.as_dict() for e in result.warnings] == [
        {
            "field": "email",
            "message": "email: nothing at contacts.email: leads 3001 has no associated contacts",
        },
        {
            "field": "company",
            "message": "company: nothing at contacts.companies.name: leads 3001 has no associated contacts",
        },
        {
            "field": "country",
            "message": "country: nothing at contacts.country: leads 3001 has no associated contacts",
        },
        {
            "field": "industry",
            "message": "industry: nothing at contacts.companies.industry: "
            "leads 3001 has no associated contacts",
        },
    ]
    assert result.values["name"] == "Ada Lovelace"
    assert result.values["company"] is None


def test_nothing_to_read_for_a_required_field_is_an_error_and_a_bad_value_always_is():
    spec = replace(
        HUBSPOT_LEADS_DEFAULT,
        rules=(
            RuleSpec("owner", "contacts.hubspot_owner_id"),  # required: routing needs the owner
            RuleSpec("name", "lead_amount", "number"),  # optional, but a value that does not convert
            RuleSpec("country", "contacts.country"),  # optional, nothing to read
        ),
    )
    result = map_record(spec, hubspot_lead(contacts=(), lead_amount="Ada"))
    assert [(e.field, e.message) for e in result.errors] == [
        ("owner", "owner: nothing at contacts.hubspot_owner_id: leads 3001 has no associated contacts"),
        ("name", "name: 'Ada' at lead_amount is not a number"),
    ]
    assert [e.field for e in result.warnings] == ["country"]


def test_a_default_covers_a_missing_association():
    spec = replace(
        HUBSPOT_LEADS_DEFAULT,
        rules=(RuleSpec("industry", "contacts.companies.industry", "default", {"default": "UNKNOWN"}),),
    )
    assert map_record(spec, hubspot_lead(contacts=(contact(companies=()),))).values["industry"] == "UNKNOWN"
    assert map_record(spec, hubspot_lead()).values["industry"] == "LOGISTICS_AND_SUPPLY_CHAIN"


def test_a_date_transform_gives_an_iso_text_in_a_text_field():
    spec = replace(HUBSPOT_LEADS_DEFAULT, rules=(RuleSpec("lead_type", "deals.closedate", "date"),))
    assert map_record(spec, hubspot_lead(deals=(deal(),))).values["lead_type"] == "2026-05-01T00:00:00+00:00"


# -- status -------------------------------------------------------------------------------------------


def test_mapped_stages_become_outcomes():
    for stage, outcome in [
        ("new-stage-id", "open"),
        ("qualified-stage-id", "won"),
        ("unqualified-stage-id", "lost"),
    ]:
        assert (
            map_record(HUBSPOT_LEADS_DEFAULT, hubspot_lead(hs_pipeline_stage=stage)).values["status"]
            == outcome
        )


def test_an_unmapped_stage_is_an_error_not_silently_open():
    result = map_record(HUBSPOT_LEADS_DEFAULT, hubspot_lead(hs_pipeline_stage="nurture-stage-id"))
    assert result.values["status"] is None
    assert result.errors == [
        MappingError(
            "status",
            "status: 'nurture-stage-id' at hs_pipeline_stage is not in the status mapping "
            "(and no default outcome is set)",
        )
    ]


def test_an_empty_status_is_an_error_without_a_default():
    result = map_record(HUBSPOT_LEADS_DEFAULT, hubspot_lead(hs_pipeline_stage=None))
    assert result.errors == [
        MappingError("status", "status: no value at hs_pipeline_stage (and no default outcome is set)")
    ]


def test_the_default_outcome_covers_unmapped_and_empty_values():
    spec = replace(HUBSPOT_LEADS_DEFAULT, status_default="excluded")
    assert map_record(spec, hubspot_lead(hs_pipeline_stage="nurture-stage-id")).values["status"] == "excluded"
    assert map_record(spec, hubspot_lead(hs_pipeline_stage=None)).values["status"] == "excluded"
    assert map_record(spec, hubspot_lead()).values["status"] == "open"


def test_status_through_an_association():
    spec = MappingSpec(
        "leads",
        status_source="contacts.hs_lead_status",
        status_map={"NEW": "open", "OPEN_DEAL": "won", "UNQUALIFIED": "lost"},
    )
    assert map_record(spec, hubspot_lead()).values == {"status": "open"}
    result = map_record(spec, hubspot_lead(contacts=()))
    assert result.errors == [
        MappingError(
            "status", "status: nothing at contacts.hs_lead_status: leads 3001 has no associated contacts"
        )
    ]


def test_no_status_source_is_an_error():
    result = map_record(MappingSpec("leads"), hubspot_lead())
    assert result.errors == [MappingError("status", "status: no status source is set in the mapping")]


# -- monday --------------------------------------------------------------------------------------------

MONDAY = MappingSpec(
    object_type="items",
    rules=(
        RuleSpec("name", "name"),
        RuleSpec("email", "email_mkq1"),
        RuleSpec("company", "text_company"),
        RuleSpec("country", "country_mk2"),
        RuleSpec("source", "dropdown_source", "value_map", {"map": {"Website": "WEBSITE", "Event": "EVENT"}}),
        RuleSpec("owner", "person"),
        RuleSpec("amount", "numbers_amount", "number"),
        RuleSpec(
            "industry",
            "dropdown_industry",
            "value_map",
            {"map": {"Logistics & supply chain": "LOGISTICS_AND_SUPPLY_CHAIN"}, "fallback": "OTHER"},
        ),
        RuleSpec("lead_type", "dropdown_type", "value_map", {"map": {"New business": "NEW_BUSINESS"}}),
    ),
    status_source="status",
    status_map={"Working on it": "open", "Done": "won", "Stuck": "lost"},
)


def test_a_monday_item_maps_to_the_same_canonical_lead_as_the_hubspot_lead():
    monday = map_record(MONDAY, monday_item())
    hubspot = map_record(HUBSPOT_LEADS_DEFAULT, hubspot_lead())
    assert monday.errors == []
    assert monday.values == hubspot.values == EXPECTED


def test_monday_status_labels_map_and_an_unknown_label_is_an_error():
    assert map_record(MONDAY, monday_item(status="Done")).values["status"] == "won"
    assert map_record(MONDAY, monday_item(status="stuck")).values["status"] == "lost"  # labels ignore case
    result = map_record(MONDAY, monday_item(status="Waiting for legal"))
    assert result.errors == [
        MappingError(
            "status",
            "status: 'Waiting for legal' at status is not in the status mapping "
            "(and no default outcome is set)",
        )
    ]
