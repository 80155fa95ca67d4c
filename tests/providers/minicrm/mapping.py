"""Mini CRM's default field mapping (plain data, crm_integrations/core/default_mapping.py): its lead
fields onto the canonical ones, its channels onto the canonical sources, its stages onto outcomes."""

from __future__ import annotations

from crm_integrations.core.default_mapping import DefaultMapping, DefaultRule

from .store import LEADS

CHANNELS = {"web": "WEBSITE", "referral": "REFERRAL", "event": "EVENT"}
STAGES = {"new": "open", "working": "open", "won": "won", "lost": "lost"}

LEADS_DEFAULT = DefaultMapping(
    object_type=LEADS,
    rules=(
        DefaultRule("name", "full_name"),
        DefaultRule("email", "email", "lower"),
        DefaultRule("company", "company"),
        DefaultRule("country", "country"),
        DefaultRule("source", "channel", "value_map", {"map": CHANNELS, "fallback": "OTHER"}),
        DefaultRule("owner", "owner_id"),
        DefaultRule("amount", "deal_size", "number"),
    ),
    status_source="stage",
    status_map=STAGES,
)
