"""The providers' default mappings and associations as the mapping reads them, through the registry
(field_mapping/providers.py): what the tests map, validate and compare against."""

from __future__ import annotations

from field_mapping.mapping import MappingSpec
from field_mapping.providers import default_mapping, provider_associations


def _default(provider: str, object_type: str) -> MappingSpec:
    spec = default_mapping(provider, object_type)
    assert spec is not None, f"{provider} has no default {object_type} mapping"
    return spec


HUBSPOT_LEADS_DEFAULT = _default("hubspot", "leads")
MONDAY_ITEMS_DEFAULT = _default("monday", "items")
HUBSPOT_ASSOCIATIONS = provider_associations("hubspot")
