"""monday's default field mapping: items on a lead board laid out like the sandbox's "Leads" board.

A monday item's labels are mapped onto the canonical values (HubSpot's enumeration values, see
crm_integrations/hubspot/mapping.py) by value maps, so the same lead arriving from either CRM becomes
the same canonical lead (only the owner differs: it is the CRM's own user id). A real board names its
columns its own way: staff adjust the mapping in the wizard. Plain data
(crm_integrations/core/default_mapping.py): field_mapping reads it through the registry.
"""

from __future__ import annotations

from crm_integrations.core.default_mapping import DefaultMapping, DefaultRule

#: "Source" labels -> canonical ``source`` values.
SOURCES = {
    "Website": "WEBSITE",
    "Referral": "REFERRAL",
    "Event": "EVENT",
    "Partner": "PARTNER",
    "Paid ads": "PAID_ADS",
    "Outbound": "OUTBOUND",
}
#: "Industry" labels -> canonical ``industry`` values.
INDUSTRIES = {
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
#: "Lead type" labels -> canonical ``lead_type`` values.
LEAD_TYPES = {"New business": "NEW_BUSINESS", "Upsell": "UPSELL", "Re-engagement": "RE_ATTEMPTING"}
#: "Status" labels and what each means for routing.
STATUSES = {"New": "open", "Working": "open", "Won": "won", "Lost": "lost", "Excluded": "excluded"}

ITEMS_DEFAULT = DefaultMapping(
    object_type="items",
    rules=(
        DefaultRule("name", "name"),
        DefaultRule("email", "email", "lower"),
        DefaultRule("company", "text_company"),
        DefaultRule("country", "text_country"),
        DefaultRule("source", "status_source", "value_map", {"map": SOURCES}),
        DefaultRule("owner", "people_owner"),
        DefaultRule("amount", "numbers_amount", "number"),
        DefaultRule("industry", "dropdown_industry", "value_map", {"map": INDUSTRIES, "fallback": "OTHER"}),
        DefaultRule("lead_type", "status_lead_type", "value_map", {"map": LEAD_TYPES}),
    ),
    status_source="status",
    status_map=STATUSES,
)
