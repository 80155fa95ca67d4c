"""Reads: the open incidents of an organization, as the admin home shows them (what happened, what
to do, the link that fixes it); registered with ``crm_integrations.home`` in ``apps.py``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.http import HttpRequest

from crm_integrations.models import Incident, Organization, OrganizationIntegration

from . import conditions


@dataclass(frozen=True)
class OpenIncident:
    incident: Incident
    label: str
    connection_label: str
    details: str
    opened_at: datetime
    what_to_do: str
    fix_label: str
    fix_url: str


def connection_label(connection: OrganizationIntegration) -> str:
    """ "HubSpot (sandbox)": the CRM and its environment, as the home and the incident list name it."""
    return f"{connection.integration.name} ({connection.get_environment_display().lower()})"


def open_incidents(organization: Organization) -> list[OpenIncident]:
    rows = Incident.objects.filter(organization=organization, resolved_at=None).select_related(
        "connection__integration", "connection__organization"
    )
    shown = []
    for incident in rows.order_by("opened_at"):
        connection = incident.connection
        condition = conditions.condition_for(incident.kind)
        fix_label, fix_url = condition.fix(connection) if condition else ("", "")
        shown.append(
            OpenIncident(
                incident=incident,
                label=incident.get_kind_display(),
                connection_label=connection_label(connection),
                details=incident.details,
                opened_at=incident.opened_at,
                what_to_do=condition.what_to_do if condition else "",
                fix_label=fix_label,
                fix_url=fix_url,
            )
        )
    return shown


def home_context(request: HttpRequest, organization: Organization) -> dict[str, Any]:
    return {"incidents": open_incidents(organization)}
