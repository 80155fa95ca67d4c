"""The one hook from crm_integrations up to the apps above it (which it must not import).

``records_changed`` is sent when a webhook or a poll says records changed at a CRM. Receivers
(the lead intake in field_mapping) fetch and store them, and return ``{external_id: Outcome}``
so each webhook event can show what it became.
"""

from dataclasses import dataclass

from django.dispatch import Signal

#: kwargs: connection (OrganizationIntegration), object_type (str), external_ids (list[str]),
#: source ("webhook" | "poll" | "backfill" | "replay").
records_changed = Signal()


@dataclass(frozen=True)
class Outcome:
    outcome: str  # an EventOutcome value
    detail: str = ""
    result_ref: str = ""
