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
#: source ("webhook" | "poll" | "backfill" | "replay"), and from a poll of a client whose feed returns
#: whole records (``CrmClient.feed_returns_records``) records (list[CrmRecord]): receivers may take
#: those as they are instead of reading them again (one that lacks a property it needs reads it).
records_changed = Signal()

#: kwargs: connection (OrganizationIntegration), object_type (str). Sent once a poll, before reading a
#: feed that returns whole records: receivers answer the properties they will read from such records
#: (a tuple of names, relationship fields dotted) or None, and the poll asks the feed for all of them.
feed_properties_requested = Signal()

#: kwargs: connection (OrganizationIntegration), object_type (str), external_id (str),
#: delivery_id (int, the WebhookDelivery asking), source ("webhook" | "replay").
workflow_record_requested = Signal()


@dataclass(frozen=True)
class Outcome:
    outcome: str  # an EventOutcome value
    detail: str = ""
    result_ref: str = ""
