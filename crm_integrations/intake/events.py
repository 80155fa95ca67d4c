"""A delivery's events become rows: deduplicated across deliveries, our own writes coming back
recognised as echoes, and a first outcome for each (pending, ignored or rejected).

Shared by ``webhooks`` (a batch of events) and ``workflows`` (one requested record as an event).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from crm_integrations.core import tracing
from crm_integrations.core.row_inserts import insert_all
from crm_integrations.core.webhooks import InboundEvent
from crm_integrations.models import EventOutcome, OrganizationIntegration, WebhookDelivery, WebhookEvent

from . import echoes


def record_events(
    delivery: WebhookDelivery,
    events: list[InboundEvent],
    connections: dict[str, OrganizationIntegration | None],
    *,
    stored_now: bool = False,
) -> list[WebhookEvent]:
    """The delivery's events as rows, in a few statements: two reads and one bulk insert.

    ``stored_now``: the caller's request stored the delivery a moment ago, so it has no rows yet
    and the read of its own rows (for a task or a replay that finds them) is left out.
    A first sighting another worker recorded between our read and our insert breaks the bulk
    insert on the dedupe constraint; the delivery then falls back to recording event by event.
    """
    keys = [event.dedupe_key for event in events]
    mine = (
        {}
        if stored_now
        else {
            row.dedupe_key: row for row in WebhookEvent.objects.filter(delivery=delivery, dedupe_key__in=keys)
        }
    )
    firsts = {
        row.dedupe_key: row
        for row in WebhookEvent.objects.filter(dedupe_key__in=keys, duplicate_of=None).exclude(
            delivery=delivery
        )
    }
    ours = _echoes(events, connections)
    fresh: dict[str, WebhookEvent] = {}
    for event in events:
        if event.dedupe_key in mine or event.dedupe_key in fresh:
            continue  # a replay keeps its rows; the same event twice in one delivery is one row
        connection = connections[event.account_id]
        first = firsts.get(event.dedupe_key)
        if first is None:
            outcome, detail = _first_look(connection, event, echo=_change(event) in ours)
            fresh[event.dedupe_key] = WebhookEvent(
                **_event_fields(delivery, event, connection), outcome=outcome, outcome_detail=detail
            )
        else:
            fresh[event.dedupe_key] = _duplicate(delivery, event, connection, first)
    try:
        with transaction.atomic():
            insert_all(list(fresh.values()))
    except IntegrityError:
        return [_record_event(delivery, event, connections[event.account_id]) for event in events]
    rows = {**mine, **fresh}
    return list({event.dedupe_key: rows[event.dedupe_key] for event in events}.values())


def _event_fields(
    delivery: WebhookDelivery, event: InboundEvent, connection: OrganizationIntegration | None
) -> dict[str, object]:
    return {
        "delivery": delivery,
        "connection": connection,
        "dedupe_key": event.dedupe_key,
        "account_id": event.account_id,
        "event_id": event.event_id,
        "event_type": event.event_type,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "occurred_at": event.occurred_at,
        "property_name": event.property_name,
        "property_value": event.property_value,
        "trace_context": tracing.current_traceparent(),  # the webhook's trace, for the intake batch
    }


def _duplicate(
    delivery: WebhookDelivery,
    event: InboundEvent,
    connection: OrganizationIntegration | None,
    first: WebhookEvent,
) -> WebhookEvent:
    return WebhookEvent(
        **_event_fields(delivery, event, connection),
        duplicate_of=first,
        outcome=EventOutcome.DUPLICATE,
        outcome_detail=f"same event as #{first.pk} (delivery {first.delivery_id})",
        result_ref=first.result_ref,
    )


def _record_event(
    delivery: WebhookDelivery, event: InboundEvent, connection: OrganizationIntegration | None
) -> WebhookEvent:
    already = WebhookEvent.objects.filter(delivery=delivery, dedupe_key=event.dedupe_key).first()
    if already is not None:
        return already  # this delivery processed again (a replay): keep its row, retried if pending
    existing = WebhookEvent.objects.filter(dedupe_key=event.dedupe_key, duplicate_of=None).first()
    if existing is None:
        outcome, detail = _first_look(
            connection, event, echo=bool(_echoes([event], {event.account_id: connection}))
        )
        try:
            with transaction.atomic():
                return WebhookEvent.objects.create(
                    **_event_fields(delivery, event, connection), outcome=outcome, outcome_detail=detail
                )
        except IntegrityError:  # another worker recorded the same event a moment ago
            existing = WebhookEvent.objects.get(dedupe_key=event.dedupe_key, duplicate_of=None)
    duplicate = _duplicate(delivery, event, connection, existing)
    duplicate.save(force_insert=True)
    return duplicate


def _change(event: InboundEvent) -> echoes.Change:
    return echoes.Change(
        event.object_type, event.object_id, event.property_name, event.property_value, event.occurred_at
    )


def _echoes(
    events: list[InboundEvent], connections: dict[str, OrganizationIntegration | None]
) -> set[echoes.Change]:
    """The property changes among ``events`` that are our own writes coming back."""
    found: set[echoes.Change] = set()
    for account_id, connection in connections.items():
        if connection is not None:
            mine = [_change(event) for event in events if event.account_id == account_id]
            found |= echoes.echoes(connection.pk, mine)
    return found


def _first_look(
    connection: OrganizationIntegration | None, event: InboundEvent, *, echo: bool = False
) -> tuple[str, str]:
    if event.problem:
        return EventOutcome.REJECTED, f"malformed event: {event.problem}"
    if connection is None:
        return EventOutcome.REJECTED, f"no organization connected account {event.account_id}"
    if connection.status != "connected":
        return EventOutcome.REJECTED, f"the connection is {connection.status}"
    if not event.object_type or not event.object_id:
        return EventOutcome.IGNORED, f"{event.event_type or 'unknown event'}: not a CRM record event"
    if event.deleted:
        return EventOutcome.IGNORED, "deletions are not taken in"
    if echo:
        return EventOutcome.IGNORED, f"our own write of {event.property_name} coming back"
    return EventOutcome.PENDING, ""
