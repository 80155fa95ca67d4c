"""Deal stages as the CRM names them, for the admin's stage → status mappings (reads the CRM)."""

from __future__ import annotations

from crm_integrations.core import registry
from crm_integrations.core.errors import Unsupported
from crm_integrations.core.types import FieldOption
from crm_integrations.models import OrganizationIntegration

from .status_out import OBJECT_TYPE


def deal_stages(connection: OrganizationIntegration) -> list[FieldOption]:
    """The connection's deal stages (every pipeline's), as the CRM lists its stage property's
    options: one call. Raises the provider contract's errors; ``Unsupported`` without deals."""
    client = registry.get_client(connection)
    if not client.supports_deals or not client.deal_stage_property:
        raise Unsupported(f"{connection.provider} connections have no deal stages.", code="unsupported")
    for field in client.list_fields(OBJECT_TYPE):
        if field.name == client.deal_stage_property:
            return list(field.options)
    return []


def find_stage(stages: list[FieldOption], wanted: str) -> FieldOption | None:
    """The stage named by its id, else by its label (any case)."""
    wanted = wanted.strip()
    by_value = next((stage for stage in stages if stage.value == wanted), None)
    return by_value or next((stage for stage in stages if stage.label.casefold() == wanted.casefold()), None)
