"""Services: writing a lead's journey (one helper for every step, so the timeline reads alike)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from crm_integrations.core.row_inserts import insert_all
from field_mapping.models import Lead

from .models import Decision, JourneyEvent, JourneyKind


def event(
    lead: Lead | int,
    kind: JourneyKind,
    summary: str,
    detail: dict[str, Any] | None = None,
    decision: Decision | None = None,
) -> JourneyEvent:
    """An unsaved journey event (``record`` saves many at once)."""
    lead_id = lead if isinstance(lead, int) else lead.pk
    return JourneyEvent(
        lead_id=lead_id,
        kind=kind,
        summary=summary[:500],
        detail=detail or {},
        decision=decision,
        at=timezone.now(),
    )


def record(events: Iterable[JourneyEvent]) -> None:
    insert_all(list(events))
