"""The same lead from HubSpot and from monday becomes the same LeadFacts and gets the same decision.

Each generated canonical lead is written the way each CRM holds it (HubSpot: a lead with its
contact and the contact's company, enumeration values, nulls for empty; monday: an item with
column labels, "" for empty), mapped with the default mappings, and routed. No database.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from crm_integrations.core.types import CrmRecord
from crm_integrations.monday.mapping import INDUSTRIES as MONDAY_INDUSTRIES
from crm_integrations.monday.mapping import LEAD_TYPES as MONDAY_LEAD_TYPES
from crm_integrations.monday.mapping import SOURCES as MONDAY_SOURCES
from field_mapping.mapping import map_record
from routing.engine import decide, lead_facts
from tests.field_mapping.defaults import HUBSPOT_LEADS_DEFAULT, MONDAY_ITEMS_DEFAULT

from .generators import COUNTRIES, accounts, moments, rosters, rotations, rulesets

#: canonical status -> (HubSpot lead stages, monday status labels) that mean it
STATUSES = {
    "open": (("new-stage-id", "attempting-stage-id", "connected-stage-id"), ("New", "Working")),
    "won": (("qualified-stage-id",), ("Won",)),
    "lost": (("unqualified-stage-id",), ("Lost",)),
}
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=20)


def maybe(values: st.SearchStrategy) -> st.SearchStrategy:
    return st.none() | values


@st.composite
def crm_leads(draw: st.DrawFn) -> tuple[CrmRecord, CrmRecord]:
    """One lead as a HubSpot lead and as a monday item, both holding the same canonical values."""
    name, company = draw(maybe(TEXT)), draw(maybe(TEXT))
    local = draw(st.from_regex(r"[A-Za-z0-9._]{1,12}", fullmatch=True))
    domain = draw(st.from_regex(r"[A-Za-z0-9]{1,10}\.(com|DE|io)", fullmatch=True))
    email = draw(st.none() | st.just(f"{local}@{domain}") | st.just(local))
    country = draw(maybe(st.sampled_from(COUNTRIES)))
    source = draw(maybe(st.sampled_from(sorted(MONDAY_SOURCES))))  # monday label
    industry = draw(maybe(st.sampled_from(sorted(MONDAY_INDUSTRIES))))
    lead_type = draw(maybe(st.sampled_from(sorted(MONDAY_LEAD_TYPES))))
    cents = draw(maybe(st.integers(0, 10**9)))
    amount = None if cents is None else Decimal(cents) / 100
    hubspot_stages, monday_statuses = STATUSES[draw(st.sampled_from(sorted(STATUSES)))]
    # HubSpot returns null for an empty property, monday "" for an empty column.
    hubspot_company = CrmRecord(
        "companies", "5001", {"name": company, "industry": MONDAY_INDUSTRIES.get(industry)}
    )
    # A contact without an email: the property left out or "" (a null is a known mapping bug, below).
    contact_properties = {"country": country}
    if email is not None or draw(st.booleans()):
        contact_properties["email"] = email or ""
    contact = CrmRecord("contacts", "201", contact_properties, associated={"companies": (hubspot_company,)})
    hubspot = CrmRecord(
        "leads",
        "3001",
        {
            "hs_lead_name": name,
            "lead_source": MONDAY_SOURCES.get(source),
            "lead_amount": None if amount is None else str(amount),
            "hs_lead_type": MONDAY_LEAD_TYPES.get(lead_type),
            "hs_pipeline_stage": draw(st.sampled_from(hubspot_stages)),
        },
        associated={"contacts": (contact,)},
    )
    monday_amount = (
        "" if amount is None else draw(st.sampled_from([str(amount), f"{amount:,}", f" {amount} "]))
    )
    monday = CrmRecord(
        "items",
        "1234567890",
        {
            "name": name or "",
            "email": email or "",
            "text_company": company or "",
            "text_country": country or "",
            "status_source": draw(st.sampled_from([source, (source or "").upper()])) or "",
            "numbers_amount": monday_amount,
            "dropdown_industry": industry or "",
            "status_lead_type": lead_type or "",
            "status": draw(st.sampled_from(monday_statuses)),
        },
    )
    return hubspot, monday


@st.composite
def routing_inputs(draw: st.DrawFn):
    roster = draw(rosters())
    ruleset = draw(rulesets(roster))
    return roster, ruleset, draw(rotations(ruleset, roster)), draw(moments()), draw(accounts(roster))


@settings(max_examples=200, deadline=None)
@given(crm_leads(), routing_inputs())
def test_a_lead_from_monday_and_from_hubspot_gets_the_same_decision(records, inputs):
    hubspot_record, monday_record = records
    roster, ruleset, rotation, now, account = inputs
    hubspot = lead_facts("lead", map_record(HUBSPOT_LEADS_DEFAULT, hubspot_record).values)
    monday = lead_facts("lead", map_record(MONDAY_ITEMS_DEFAULT, monday_record).values)
    assert hubspot == monday
    from_hubspot = decide(hubspot, ruleset, roster, rotation, now=now, account=account)
    from_monday = decide(monday, ruleset, roster, rotation, now=now, account=account)
    assert from_hubspot == from_monday


def test_a_null_hubspot_email_and_amount_map_like_empty_monday_columns():
    hubspot_record, monday_record = _example()
    contact = hubspot_record.associated["contacts"][0]
    without_email = replace(contact, properties={**contact.properties, "email": None})
    hubspot_record = replace(hubspot_record, associated={"contacts": (without_email,)})
    hubspot_record = replace(hubspot_record, properties={**hubspot_record.properties, "lead_amount": None})
    monday_record = replace(
        monday_record, properties={**monday_record.properties, "email": "", "numbers_amount": ""}
    )
    hubspot_result = map_record(HUBSPOT_LEADS_DEFAULT, hubspot_record)
    monday_result = map_record(MONDAY_ITEMS_DEFAULT, monday_record)
    hubspot, monday = lead_facts("lead", hubspot_result.values), lead_facts("lead", monday_result.values)
    assert hubspot.fields["email"] == monday.fields["email"] is None
    assert hubspot.fields["amount"] == monday.fields["amount"] is None
    errors = hubspot_result.errors + monday_result.errors
    assert [error for error in errors if error.field in ("email", "amount")] == []


def test_the_records_map_to_canonical_values():
    """One hand-checked example, so the property above cannot pass on two equally wrong mappings."""
    hubspot_record, monday_record = _example()
    expected = {
        "name": "Ada Lovelace",
        "email": "ada@northwind.de",
        "company": "Northwind",
        "country": "Germany",
        "source": "REFERRAL",
        "amount": Decimal("12500.50"),
        "industry": "LOGISTICS_AND_SUPPLY_CHAIN",
        "lead_type": "UPSELL",
        "status": "won",
        "email_domain": "northwind.de",
    }
    for record, spec in ((hubspot_record, HUBSPOT_LEADS_DEFAULT), (monday_record, MONDAY_ITEMS_DEFAULT)):
        fields = lead_facts("lead", map_record(spec, record).values).fields
        assert {name: fields[name] for name in expected} == expected


def _example() -> tuple[CrmRecord, CrmRecord]:
    company = CrmRecord("companies", "5001", {"name": "Northwind", "industry": "LOGISTICS_AND_SUPPLY_CHAIN"})
    contact = CrmRecord(
        "contacts",
        "201",
        {"email": "Ada@Northwind.DE", "country": "Germany"},
        associated={"companies": (company,)},
    )
    hubspot = CrmRecord(
        "leads",
        "3001",
        {
            "hs_lead_name": "Ada Lovelace",
            "lead_source": "REFERRAL",
            "lead_amount": "12500.5",
            "hs_lead_type": "UPSELL",
            "hs_pipeline_stage": "qualified-stage-id",
        },
        associated={"contacts": (contact,)},
    )
    monday = CrmRecord(
        "items",
        "1234567890",
        {
            "name": "Ada Lovelace",
            "email": "ada@northwind.de",
            "text_company": "Northwind",
            "text_country": "Germany",
            "status_source": "Referral",
            "numbers_amount": "12,500.50",
            "dropdown_industry": "Logistics",
            "status_lead_type": "Upsell",
            "status": "Won",
        },
    )
    return hubspot, monday
