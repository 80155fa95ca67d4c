"""HubSpot's default field mapping and the associations the mapping wizard may follow.

Canonical values are HubSpot's enumeration values (``WEBSITE``, ``COMPUTER_SOFTWARE``,
``NEW_BUSINESS``): a HubSpot lead maps onto them as is (other CRMs map their labels onto them, e.g.
crm_integrations/monday/mapping.py). A default is where a new connection starts; staff adjust it in
the mapping wizard. Plain data (crm_integrations/core/default_mapping.py): field_mapping reads it
through the registry.
"""

from __future__ import annotations

from crm_integrations.core.default_mapping import DefaultMapping, DefaultRule

#: The sandbox's (and HubSpot's default) lead pipeline stages and what each means for routing.
LEAD_STAGES = {
    "new-stage-id": "open",
    "attempting-stage-id": "open",
    "connected-stage-id": "open",
    "qualified-stage-id": "won",
    "unqualified-stage-id": "lost",
}

#: HubSpot leads: the lead's own properties, its primary contact, and that contact's company.
LEADS_DEFAULT = DefaultMapping(
    object_type="leads",
    rules=(
        DefaultRule("name", "hs_lead_name"),
        DefaultRule("email", "contacts.email", "lower"),
        DefaultRule("company", "contacts.companies.name"),
        DefaultRule("country", "contacts.country"),
        DefaultRule("source", "lead_source"),
        DefaultRule("owner", "hubspot_owner_id"),
        DefaultRule("amount", "lead_amount", "number"),
        DefaultRule("industry", "contacts.companies.industry"),
        DefaultRule("lead_type", "hs_lead_type"),
    ),
    status_source="hs_pipeline_stage",
    status_map=LEAD_STAGES,
)

#: Associations the client follows from each object type (the name is the target object type).
ASSOCIATIONS = {
    "leads": frozenset({"contacts", "companies", "deals"}),
    "contacts": frozenset({"companies", "deals", "leads"}),
    "companies": frozenset({"contacts", "deals"}),
    "deals": frozenset({"contacts", "companies"}),
}
