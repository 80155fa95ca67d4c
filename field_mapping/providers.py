"""What the mapping asks each CRM provider, through the registry: the objects that can be the lead, the
associations a rule may follow, and where a new connection's mapping starts.

The providers describe these as plain data (``CrmProvider.lead_object_types``, ``associations``,
``default_mappings``; e.g. crm_integrations/hubspot/mapping.py), so field_mapping holds no table per
provider. A key no provider is registered under has none of them.
"""

from __future__ import annotations

from collections.abc import Mapping

from crm_integrations.core import registry
from crm_integrations.core.default_mapping import DefaultMapping, DefaultRule
from crm_integrations.core.provider import CrmProvider

from .mapping import MappingSpec, RuleSpec
from .models import CanonicalField, Outcome, Transform


def _provider(key: str) -> CrmProvider | None:
    try:
        return registry.get_provider(key)
    except registry.UnknownProvider:
        return None


def lead_object_types(provider: str) -> tuple[str, ...]:
    """The objects that can be the lead, the default first (``()`` for an unknown provider)."""
    found = _provider(provider)
    return tuple(found.lead_object_types) if found is not None else ()


def provider_associations(provider: str) -> Mapping[str, frozenset[str]] | None:
    """``{object type: {target, ...}}`` the provider's client follows; None for an unknown provider
    (validation then takes a hop as supported when its target's fields were given)."""
    found = _provider(provider)
    return found.associations if found is not None else None


def default_mapping(provider: str, object_type: str) -> MappingSpec | None:
    """The provider's default mapping of ``object_type``, or None when it has none."""
    found = _provider(provider)
    defaults = found.default_mappings if found is not None else ()
    return next((as_spec(default) for default in defaults if default.object_type == object_type), None)


def as_spec(default: DefaultMapping) -> MappingSpec:
    """A provider's plain default as a ``MappingSpec`` of field_mapping's own choices (an unknown
    canonical field, transform or outcome raises ``ValueError``: a provider's mistake, found at once)."""
    return MappingSpec(
        object_type=default.object_type,
        rules=tuple(_rule(rule) for rule in default.rules),
        status_source=default.status_source,
        status_map={value: Outcome(outcome) for value, outcome in default.status_map.items()},
    )


def _rule(rule: DefaultRule) -> RuleSpec:
    field, transform = CanonicalField(rule.canonical_field), Transform(rule.transform)
    return RuleSpec(field, rule.source_path, transform, rule.options)
