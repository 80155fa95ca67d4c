"""HubSpot- and monday-shaped ``CrmRecord``s as the providers hand them out (strings, nulls, associated)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from crm_integrations.core.types import CrmRecord

UPDATED = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)


def company(**overrides: Any) -> CrmRecord:
    properties = {
        "name": "Northwind Logistics",
        "domain": "northwindlogistics.de",
        "industry": "LOGISTICS_AND_SUPPLY_CHAIN",
        "country": "Germany",
        "city": "Hamburg",
        "numberofemployees": "140",
        "annualrevenue": "2500000",
        "hubspot_owner_id": "70000003",
    }
    return CrmRecord("companies", "5001", {**properties, **overrides}, UPDATED)


def deal(record_id: str = "9001", amount: Any = "12,500.00", **overrides: Any) -> CrmRecord:
    properties = {
        "dealname": "Northwind Logistics - Platform",
        "amount": amount,
        "pipeline": "default",
        "dealstage": "qualifiedtobuy",
        "closedate": "2026-05-01T00:00:00.000Z",
        "hubspot_owner_id": "70000003",
    }
    return CrmRecord("deals", record_id, {**properties, **overrides}, UPDATED)


def contact(
    *, companies: tuple[CrmRecord, ...] | None = None, deals: tuple[CrmRecord, ...] = (), **overrides: Any
):
    properties = {
        "firstname": "Ada",
        "lastname": "Lovelace",
        "email": "Ada.Lovelace@NorthwindLogistics.de",
        "phone": "+49 40 5551234",
        "company": "Northwind Logistics",
        "jobtitle": "Head of Operations",
        "country": "Germany",
        "city": "Hamburg",
        "lifecyclestage": "lead",
        "hs_lead_status": "NEW",
        "hubspot_owner_id": "70000003",
    }
    companies = (company(),) if companies is None else companies
    return CrmRecord(
        "contacts",
        "201",
        {**properties, **overrides},
        UPDATED,
        associations={"companies": tuple(c.id for c in companies), "deals": tuple(d.id for d in deals)},
        associated={"companies": companies, "deals": deals},
    )


def hubspot_lead(
    *,
    contacts: tuple[CrmRecord, ...] | None = None,
    deals: tuple[CrmRecord, ...] | None = None,
    updated_at: datetime | None = UPDATED,
    record_id: str = "3001",
    **overrides: Any,
) -> CrmRecord:
    """A lead as ``read_leads_with_context`` returns it: contact (with company), the lead's company,
    and (when given) deals."""
    properties = {
        "hs_lead_name": "Ada Lovelace",
        "hs_pipeline": "lead-pipeline-id",
        "hs_pipeline_stage": "connected-stage-id",
        "hs_lead_type": "NEW_BUSINESS",
        "hs_lead_label": "WARM",
        "lead_source": "WEBSITE",
        "hubspot_owner_id": "70000003",
        "lead_amount": "12500",
        "hs_lastmodifieddate": "2026-03-02T10:30:00.000Z",
    }
    contacts = (contact(),) if contacts is None else contacts
    associations = {"contacts": tuple(c.id for c in contacts), "companies": ("5001",)}
    associated: dict[str, tuple[CrmRecord, ...]] = {"contacts": contacts, "companies": (company(),)}
    if deals is not None:
        associations["deals"] = tuple(d.id for d in deals)
        associated["deals"] = deals
    return CrmRecord(
        "leads",
        record_id,
        {**properties, **overrides},
        updated_at,
        associations=associations,
        associated=associated,
    )


def monday_item(**overrides: Any) -> CrmRecord:
    """A monday item: column ids as keys, each column's text as monday shows it."""
    columns = {
        "name": "Ada Lovelace",
        "email_mkq1": "ada.lovelace@northwindlogistics.de",
        "text_company": "Northwind Logistics",
        "country_mk2": "Germany",
        "dropdown_source": "Website",
        "person": "70000003",
        "numbers_amount": "12500",
        "dropdown_industry": "Logistics & supply chain",
        "status": "Working on it",
        "dropdown_type": "New business",
    }
    return CrmRecord("items", "1234567890", {**columns, **overrides}, UPDATED)
