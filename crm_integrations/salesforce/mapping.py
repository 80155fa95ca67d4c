"""Salesforce's default field mapping: a Lead's standard fields onto the canonical lead.

Picklist values are mapped onto the canonical values (HubSpot's enumeration values, see
crm_integrations/hubspot/mapping.py) by value maps, so the same lead arriving from HubSpot, monday
(crm_integrations/monday/mapping.py) or Salesforce is the same canonical lead and gets the same
decision; only the owner is the CRM's own user id. The keys are the picklist values a new org ships
with (``Web``, ``Partner Referral``, ``Technology``...; the mapping validator refuses keys the org's
picklist lacks); staff adjust them in the wizard for an org's own values. Lead Status values are per
org (``LeadStatus``): the four a new org ships with are mapped here, and ``statuses.status_outcomes``
reads an org's own.
"""

from __future__ import annotations

from crm_integrations.core.default_mapping import DefaultMapping, DefaultRule

#: ``LeadSource`` values a new org ships with -> canonical ``source`` values.
SOURCES = {
    "Web": "WEBSITE",
    "Partner Referral": "PARTNER",
    "Purchased List": "OUTBOUND",
    "Phone Inquiry": "REFERRAL",
    "Other": "OTHER",
}
#: ``Industry`` values a new org ships with -> canonical ``industry`` values (the rest: ``OTHER``).
INDUSTRIES = {
    "Technology": "COMPUTER_SOFTWARE",
    "Electronics": "COMPUTER_SOFTWARE",
    "Shipping": "LOGISTICS_AND_SUPPLY_CHAIN",
    "Transportation": "LOGISTICS_AND_SUPPLY_CHAIN",
    "Healthcare": "HOSPITAL_HEALTH_CARE",
    "Biotechnology": "HOSPITAL_HEALTH_CARE",
    "Finance": "FINANCIAL_SERVICES",
    "Banking": "FINANCIAL_SERVICES",
    "Insurance": "FINANCIAL_SERVICES",
    "Manufacturing": "MACHINERY",
    "Machinery": "MACHINERY",
    "Retail": "RETAIL",
    "Media": "MEDIA_PRODUCTION",
    "Entertainment": "MEDIA_PRODUCTION",
    "Energy": "RENEWABLES_ENVIRONMENT",
    "Utilities": "RENEWABLES_ENVIRONMENT",
    "Environmental": "RENEWABLES_ENVIRONMENT",
    "Telecommunications": "TELECOMMUNICATIONS",
    "Communications": "TELECOMMUNICATIONS",
}
#: The Lead Status values a new org ships with, and what each means for routing.
LEAD_STATUSES = {
    "Open - Not Contacted": "open",
    "Working - Contacted": "open",
    "Closed - Converted": "won",
    "Closed - Not Converted": "lost",
}

LEADS_DEFAULT = DefaultMapping(
    object_type="leads",
    rules=(
        DefaultRule("name", "Name"),
        DefaultRule("email", "Email", "lower"),
        DefaultRule("company", "Company"),
        DefaultRule("country", "Country"),
        DefaultRule("source", "LeadSource", "value_map", {"map": SOURCES}),
        DefaultRule("owner", "OwnerId"),
        DefaultRule("amount", "AnnualRevenue", "number"),
        DefaultRule("industry", "Industry", "value_map", {"map": INDUSTRIES, "fallback": "OTHER"}),
    ),
    status_source="Status",
    status_map=LEAD_STATUSES,
)
