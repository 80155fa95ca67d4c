"""Routing at intake: connected to ``field_mapping.signals.leads_stored`` (see ``RoutingConfig.ready``).

In the task that took the leads in: journey entries for receipt and mapping, outcomes fed back,
then every new, well-mapped lead is routed at once (the owner write-back follows the commit).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.urls import reverse

from crm_integrations.core import registry
from crm_integrations.models import OrganizationIntegration
from field_mapping.labels import LabelBook
from field_mapping.models import LeadState
from field_mapping.selectors import label_book
from field_mapping.signals import LeadChange

from . import journey, outcomes
from .assign import route_leads
from .existing_leads import routing_held_back
from .models import JourneyKind
from .routable import blocking_errors, is_routable


def on_leads_stored(
    sender: Any,
    *,
    connection: OrganizationIntegration,
    changes: Sequence[LeadChange],
    source: str,
    **kwargs: Any,
) -> int:
    journey.record(_intake_events(connection, changes, source))
    outcomes.record_changes(changes)
    if routing_held_back():  # the "Existing leads" count: staff route these later
        return 0
    routable = [c.lead for c in changes if c.action != "stale" and is_routable(c.lead)]
    return len(route_leads(connection, routable))


#: How a lead reached us, as the journey says it ("taken in by webhook").
SOURCE_WORDS = {
    "webhook": "by webhook",
    "poll": "by polling",
    "backfill": "from the CRM's existing leads",
    "replay": "by a replayed webhook",
    "workflow": "by a CRM workflow",
}


def received_summary(crm_name: str, change: LeadChange, source: str) -> str:
    """``Created in HubSpot (leads 1001), taken in by webhook``: what the journey's first line says."""
    lead = change.lead
    how = SOURCE_WORDS.get(source, f"by {source}")
    return (
        f"{change.action.capitalize()} in {crm_name} ({lead.object_type} {lead.external_id}), taken in {how}"
    )


def _intake_events(connection: OrganizationIntegration, changes: Sequence[LeadChange], source: str) -> list:
    events = []
    debugger_list = reverse("admin:crm_integrations_webhookdelivery_changelist")
    crm_name = registry.get_provider(connection.provider).name
    book = label_book(connection)
    for change in changes:
        lead = change.lead
        if change.action == "stale":
            continue
        debugger = f"{debugger_list}?q={lead.external_id}"
        events.append(
            journey.event(
                lead,
                JourneyKind.RECEIVED,
                received_summary(crm_name, change, source),
                {
                    "source": source,
                    "action": change.action,
                    "debugger": debugger if source == "webhook" else "",
                },
            )
        )
        if lead.state == LeadState.OK:
            events.append(journey.event(lead, JourneyKind.MAPPED, _mapped_summary(lead, book)))
            continue
        problems = "; ".join(str(error.get("message", error)) for error in lead.mapping_errors)
        verdict = "not routed" if blocking_errors(lead) else "routed with those fields empty"
        events.append(
            journey.event(lead, JourneyKind.MAPPING_ERROR, f"mapping errors ({verdict}): {problems}")
        )
    return events


def _mapped_summary(lead: Any, book: LabelBook) -> str:
    shown = {
        "source": lead.source,
        "country": lead.country,
        "industry": lead.industry,
        "amount": lead.amount,
        "status": lead.status,
        "owner": lead.owner_external_id,
    }
    return "Mapped: " + ", ".join(
        f"{name} {book.show(name, value)}" for name, value in shown.items() if value not in ("", None)
    )
