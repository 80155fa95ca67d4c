"""Default mappings per provider and lead object, and the canonical vocabulary they share.

Canonical values are HubSpot's enumeration values (``WEBSITE``, ``COMPUTER_SOFTWARE``,
``NEW_BUSINESS``): a HubSpot lead maps onto them as is, and a monday item's labels are mapped onto
them by value maps, so the same lead arriving from either CRM becomes the same canonical lead (only
the owner differs: it is the CRM's own user id). A default is where a new connection starts; staff
adjust it in the mapping wizard (a real monday board names its columns its own way).
"""

from __future__ import annotations

from .mapping import MappingSpec, RuleSpec
from .models import CanonicalField, Outcome, Transform

#: The sandbox's (and HubSpot's default) lead pipeline stages and what each means for routing.
HUBSPOT_LEAD_STAGES = {
    "new-stage-id": Outcome.OPEN,
    "attempting-stage-id": Outcome.OPEN,
    "connected-stage-id": Outcome.OPEN,
    "qualified-stage-id": Outcome.WON,
    "unqualified-stage-id": Outcome.LOST,
}

#: HubSpot leads: the lead's own properties, its primary contact, and that contact's company.
HUBSPOT_LEADS_DEFAULT = MappingSpec(
    object_type="leads",
    rules=(
        RuleSpec(CanonicalField.NAME, "hs_lead_name"),
        RuleSpec(CanonicalField.EMAIL, "contacts.email", Transform.LOWER),
        RuleSpec(CanonicalField.COMPANY, "contacts.companies.name"),
        RuleSpec(CanonicalField.COUNTRY, "contacts.country"),
        RuleSpec(CanonicalField.SOURCE, "lead_source"),
        RuleSpec(CanonicalField.OWNER, "hubspot_owner_id"),
        RuleSpec(CanonicalField.AMOUNT, "lead_amount", Transform.NUMBER),
        RuleSpec(CanonicalField.INDUSTRY, "contacts.companies.industry"),
        RuleSpec(CanonicalField.LEAD_TYPE, "hs_lead_type"),
    ),
    status_source="hs_pipeline_stage",
    status_map=HUBSPOT_LEAD_STAGES,
)

#: monday "Source" labels -> HubSpot ``lead_source`` values.
MONDAY_SOURCES = {
    "Website": "WEBSITE",
    "Referral": "REFERRAL",
    "Event": "EVENT",
    "Partner": "PARTNER",
    "Paid ads": "PAID_ADS",
    "Outbound": "OUTBOUND",
}
#: monday "Industry" labels -> HubSpot ``industry`` values.
MONDAY_INDUSTRIES = {
    "Software": "COMPUTER_SOFTWARE",
    "Logistics": "LOGISTICS_AND_SUPPLY_CHAIN",
    "Healthcare": "HOSPITAL_HEALTH_CARE",
    "Financial services": "FINANCIAL_SERVICES",
    "Manufacturing": "MACHINERY",
    "Retail": "RETAIL",
    "Media": "MEDIA_PRODUCTION",
    "Energy": "RENEWABLES_ENVIRONMENT",
    "Telecommunications": "TELECOMMUNICATIONS",
    "Real estate": "REAL_ESTATE",
}
#: monday "Lead type" labels -> HubSpot ``hs_lead_type`` values.
MONDAY_LEAD_TYPES = {"New business": "NEW_BUSINESS", "Upsell": "UPSELL", "Re-engagement": "RE_ATTEMPTING"}
#: monday "Status" labels and what each means for routing.
MONDAY_STATUSES = {
    "New": Outcome.OPEN,
    "Working": Outcome.OPEN,
    "Won": Outcome.WON,
    "Lost": Outcome.LOST,
    "Excluded": Outcome.EXCLUDED,
}

#: monday items on a lead board laid out like the sandbox's (and the old system's) "Leads" board.
MONDAY_ITEMS_DEFAULT = MappingSpec(
    object_type="items",
    rules=(
        RuleSpec(CanonicalField.NAME, "name"),
        RuleSpec(CanonicalField.EMAIL, "email", Transform.LOWER),
        RuleSpec(CanonicalField.COMPANY, "text_company"),
        RuleSpec(CanonicalField.COUNTRY, "text_country"),
        RuleSpec(CanonicalField.SOURCE, "status_source", Transform.VALUE_MAP, {"map": MONDAY_SOURCES}),
        RuleSpec(CanonicalField.OWNER, "people_owner"),
        RuleSpec(CanonicalField.AMOUNT, "numbers_amount", Transform.NUMBER),
        RuleSpec(
            CanonicalField.INDUSTRY,
            "dropdown_industry",
            Transform.VALUE_MAP,
            {"map": MONDAY_INDUSTRIES, "fallback": "OTHER"},
        ),
        RuleSpec(
            CanonicalField.LEAD_TYPE, "status_lead_type", Transform.VALUE_MAP, {"map": MONDAY_LEAD_TYPES}
        ),
    ),
    status_source="status",
    status_map=MONDAY_STATUSES,
)

DEFAULT_MAPPINGS = {("hubspot", "leads"): HUBSPOT_LEADS_DEFAULT, ("monday", "items"): MONDAY_ITEMS_DEFAULT}
