"""The hooks from crm_integrations up to the apps above it (which it must not import).

``records_changed`` is sent when a webhook or a poll says records changed at a CRM. Receivers
(the lead intake in field_mapping) fetch and store them, and return ``{external_id: Outcome}``
so each webhook event can show what it became.

``workflow_record_requested`` is sent when a CRM workflow action asks for one record (HubSpot's
"Send a webhook" when a deal reaches a stage). The receiver for that object type (the contract
intake in contracts, for deals) returns an ``Outcome``; the others return None.
"""

from dataclasses import dataclass

from django.dispatch import Signal

#: kwargs: connection (OrganizationIntegration), object_type (str), external_ids (list[str]),
#: source ("webhook" | "poll" | "backfill" | "replay").
records_changed = Signal()

#: kwargs: connection (OrganizationIntegration), object_type (str), external_id (str),
#: delivery_id (int, the WebhookDelivery asking), source ("webhook" | "replay").
workflow_record_requested = Signal()


@dataclass(frozen=True)
class Outcome:
    outcome: str  # an EventOutcome value
    detail: str = ""
    result_ref: str = ""
