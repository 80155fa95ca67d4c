"""Which stored leads routing can take: mapping errors block only the fields routing needs."""

from __future__ import annotations

from field_mapping.models import REQUIRED_FIELDS, Lead, LeadState

_REQUIRED = frozenset(str(field) for field in REQUIRED_FIELDS)


def blocking_errors(lead: Lead) -> list[str]:
    """Mapping errors routing cannot route around: those in the fields a mapping must feed (status,
    owner, source). An unmapped company or industry leaves that field empty and the lead routable."""
    return [
        str(error.get("message", error)) for error in lead.mapping_errors if error.get("field") in _REQUIRED
    ]


def is_routable(lead: Lead) -> bool:
    return lead.state == LeadState.OK or not blocking_errors(lead)
