"""The hook from the intake up to routing (which sits above field_mapping and must not be imported).

``leads_stored`` is sent once per intake batch, after every record of it is stored, with
``connection`` (OrganizationIntegration), ``changes`` (list[LeadChange]) and ``source``
("webhook" | "poll" | "backfill" | "replay").
"""

from __future__ import annotations

from dataclasses import dataclass

from django.dispatch import Signal

from .models import Lead

leads_stored = Signal()


@dataclass(frozen=True)
class LeadChange:
    """One stored lead and what it was before (``action``: "created", "updated" or "stale")."""

    lead: Lead
    action: str
    previous_status: str | None = None
    previous_owner: str = ""

    @property
    def status_changed(self) -> bool:
        return self.action == "updated" and self.previous_status != self.lead.status

    @property
    def owner_changed(self) -> bool:
        return self.action == "updated" and self.previous_owner != self.lead.owner_external_id
