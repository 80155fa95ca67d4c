"""App webhook batches: check the request in memory, store it, record its events and answer; an
intake round of each connection then takes the changed records in, in batches (``batches``). The
delivery's own task runs only when its events could not be recorded on arrival, and on a replay."""

from __future__ import annotations

import logging

from django.db import transaction

from crm_integrations import selectors
from crm_integrations.core import registry
from crm_integrations.core.webhooks import InboundEvent, MalformedWebhook
from crm_integrations.models import DeliveryStatus, EventOutcome, OrganizationIntegration, WebhookDelivery

from . import batches
from .deliveries import EVENTS, InboundRequest, WebhookAnswer, accept, refuse, reject, store_request
from .events import record_events

logger = logging.getLogger(__name__)


def receive(request: InboundRequest) -> WebhookAnswer:
    """Check the request in memory, then store it: whole when correctly signed (before it is
    processed), as a short record when refused; a correctly signed batch is answered 200."""
    if request.oversized:
        return refuse(request, EVENTS, 413, "The body is larger than WEBHOOK_MAX_BODY_BYTES.")
    source = registry.get_provider(request.provider)
    handshake = source.webhook_handshake(request.body)
    if handshake is not None:  # it carries no event, so it is answered whatever its signature
        return refuse(
            request,
            EVENTS,
            200,
            "URL verification challenge echoed back.",
            status=DeliveryStatus.HANDSHAKE,
            payload=handshake,
        )
    check = source.verify_webhook(
        method=request.method, url=request.url, headers=request.headers, body=request.body
    )
    if not check.valid:
        return refuse(request, EVENTS, 401, f"Signature refused: {check.detail}.", signature=check.verdict)
    delivery = store_request(
        request, kind=EVENTS, whole=True, signature=check.verdict, account_id=check.account_id,
        environment=check.environment,
    )  # fmt: skip
    try:
        events = source.parse_webhook_events(request.body, account_id=check.account_id)
    except MalformedWebhook as error:
        return reject(delivery, 400, f"Malformed body: {error}.")
    waiting = _record_on_arrival(delivery, events)
    account = events[0].account_id if events else ""
    if waiting is not None and not waiting:  # all recorded, none to take in: our own writes coming back
        answer = accept(delivery, f"{len(events)} event(s) recorded.", account=account, queue=False)
        try:
            batches.settle_saved(delivery.pk)  # no task: a burst's echoes were half its delivery tasks
            return answer
        except Exception:  # its task settles it then
            logger.warning("Webhook %s left to its task to settle", delivery.pk, exc_info=True)
    if waiting and all(batches.round_under_way(connection_id) for connection_id in waiting):
        # Recorded, and the round under way takes them in (and settles the delivery): in a burst,
        # the tasks of such deliveries queued ahead of the owner write-backs handed to the other
        # worker process, each only to find the round under way.
        return accept(delivery, f"{len(events)} event(s) queued for the intake round under way.", queue=False)
    if waiting:
        # Recorded: a round of each connection takes them in and settles the delivery. The delivery's
        # own task would only read the body and the events again, then settle it twice: 12 of a
        # lone lead's queries (docs/benchmarks.md, fairness, "Twelfth pass").
        answer = accept(delivery, f"{len(events)} event(s) queued.", queue=False)
        for connection_id in sorted(waiting, key=str):
            transaction.on_commit(lambda connection_id=connection_id: batches.queue_round(connection_id))
        return answer
    return accept(delivery, f"{len(events)} event(s) queued.", account=account)  # recording failed


def _record_on_arrival(delivery: WebhookDelivery, events: list[InboundEvent]) -> set[object] | None:
    """Record the stored delivery's events in the request that brought them (a few statements), so
    an intake round under way sees them at once: when they waited for the delivery's task, that task
    queued behind the rounds holding the worker processes, rounds took a burst in by a hundred at a
    time and could not run side by side (crm_integrations/intake/batches.py). Best effort: the
    delivery is already stored, and its task records whatever is not (``record_events`` keeps a
    delivery's rows), so a failure here costs only the head start. The connections with events to
    take in (``receive`` queues a round of each); None when recording failed (``receive`` queues
    the delivery's task). A delivery with none (our own writes coming back, duplicates, events for
    no connection) is settled here and queues no task."""
    try:
        return _record(delivery, events, stored_now=True)
    except Exception:  # the delivery is stored and its task will record them: answer 200 all the same
        logger.warning("Events of webhook %s left to its task", delivery.pk, exc_info=True)
        return None


def _record(
    delivery: WebhookDelivery, events: list[InboundEvent], *, stored_now: bool = False
) -> set[object]:
    """The events as rows (one connection lookup per account); the connections with some pending.
    ``stored_now``: by the request that stored the delivery (``events.record_events``)."""
    connections: dict[str, OrganizationIntegration | None] = {}  # one lookup per account, not per event
    for event in events:
        if event.account_id not in connections:
            connections[event.account_id] = selectors.connection_for_account(
                delivery.provider, event.account_id, environment=delivery.environment
            )
    return {
        row.connection_id
        for row in record_events(delivery, events, connections, stored_now=stored_now)
        if row.outcome == EventOutcome.PENDING
    }


def process_events(delivery: WebhookDelivery, source: str) -> None:
    """App webhook events: recorded (most already were, on arrival), then the changed records go to
    the intake in batches (``batches``; a replay takes its events in at once)."""
    events = registry.get_provider(delivery.provider).parse_webhook_events(
        delivery.body.encode(), account_id=delivery.account_id
    )
    waiting = _record(delivery, events)
    for connection_id in sorted(waiting, key=str):
        if source == "webhook":
            batches.request(connection_id)
        else:
            batches.take_in_pending(connection_id, source=source)
