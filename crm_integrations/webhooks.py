"""Webhook intake: store the raw request first, verify, answer fast; process in Celery, idempotently."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F

from crm_integrations import echoes, intake_batches, refusals, selectors
from crm_integrations.core import registry
from crm_integrations.core.redaction import redact_mapping, redact_url
from crm_integrations.core.webhooks import InboundEvent, MalformedWebhook
from crm_integrations.models import (
    DeliveryStatus,
    EventOutcome,
    OrganizationIntegration,
    SignatureVerdict,
    WebhookDelivery,
    WebhookEvent,
)

logger = logging.getLogger(__name__)

#: ``WebhookDelivery.kind``: a batch of app webhook events, or a CRM workflow action's request
#: asking for one record (``crm_integrations.workflows``).
EVENTS, WORKFLOW = "events", "workflow"


#: What ``receive`` decides about a stored request (the body and headers are written once, first).
VERDICT_FIELDS = [
    "signature", "account_id", "environment", "organization", "status", "status_detail", "response_status",
]  # fmt: skip


#: How much of a refused request's body is kept: enough for the debugger to show why it was refused.
REFUSED_BODY_KEPT = 4096


@dataclass(frozen=True)
class InboundRequest:
    """A webhook request as the view read it: at most the size cap of its body, already in memory."""

    provider: str
    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    oversized: bool = False
    #: The client's address, for the refused-request budget (crm_integrations/refusals.py).
    client: str = ""
    #: The size the client declared (Content-Length), else the bytes read.
    size: int | None = None


@dataclass(frozen=True)
class WebhookAnswer:
    status: int
    message: str
    delivery_id: int | None
    #: When set, the exact JSON to answer (a URL-verification challenge echoed back).
    payload: dict[str, str] | None = None
    #: Seconds, for a 429 past the refused-request budget (nothing was stored).
    retry_after: int | None = None


def store_request(request: InboundRequest, *, kind: str, whole: bool, **verdict: object) -> WebhookDelivery:
    """The request as received, credentials in headers and the URL masked: the whole body when it is
    correctly signed, else only its first bytes with the SHA-256 of all of it (a refusal is cheap)."""
    body = request.body if whole else request.body[:REFUSED_BODY_KEPT]
    return WebhookDelivery.objects.create(
        provider=request.provider,
        kind=kind,
        method=request.method,
        url=redact_url(request.url),
        headers=redact_mapping(request.headers),
        body=body.decode("utf-8", errors="replace"),
        body_size=request.size if request.size is not None else len(request.body),
        body_sha256=hashlib.sha256(request.body).hexdigest(),
        body_truncated=len(body) < len(request.body) or request.oversized,
        **verdict,
    )


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
    return accept(delivery, f"{len(events)} event(s) queued.")


def refuse(
    request: InboundRequest,
    kind: str,
    answer: int,
    message: str,
    *,
    payload: dict[str, str] | None = None,
    **verdict: object,
) -> WebhookAnswer:
    """A request we do not take, answered ``answer``: recorded briefly (past the client's budget of
    refusals, not at all: 429)."""
    admission = refusals.admit_refusal(request.client)
    if not admission.admitted:
        return WebhookAnswer(
            429, "Too many refused requests from this address.", None, retry_after=admission.retry_after
        )
    fields = {"status": DeliveryStatus.REJECTED, **verdict}
    delivery = store_request(
        request, kind=kind, whole=False, status_detail=message, response_status=answer, **fields
    )
    if answer >= 400:
        logger.warning("Rejected %s webhook %s: %s", request.provider, delivery.pk, message)
    return WebhookAnswer(answer, message, delivery.pk, payload=payload)


def accept(delivery: WebhookDelivery, detail: str) -> WebhookAnswer:
    """Answer 200 and queue the delivery for processing (once the transaction commits)."""
    delivery.status, delivery.status_detail, delivery.response_status = DeliveryStatus.QUEUED, detail, 200
    delivery.save(update_fields=VERDICT_FIELDS)
    _enqueue(delivery.pk)
    return WebhookAnswer(200, "accepted", delivery.pk)


def reject(delivery: WebhookDelivery, status: int, message: str) -> WebhookAnswer:
    """A stored (correctly signed) delivery we refuse to process: malformed, or not its tenant's."""
    delivery.status = DeliveryStatus.REJECTED
    delivery.status_detail = message
    delivery.response_status = status
    delivery.save(update_fields=VERDICT_FIELDS)
    logger.warning("Rejected %s webhook %s: %s", delivery.provider, delivery.pk, message)
    return WebhookAnswer(status, message, delivery.pk)


def _enqueue(delivery_id: int) -> None:
    from crm_integrations.tasks import process_webhook_delivery

    transaction.on_commit(lambda: process_webhook_delivery.delay(delivery_id))


def process(delivery_id: int, *, source: str = "webhook") -> dict[str, int]:
    """Turn a stored, verified delivery into events and hand each to the app above that takes it.

    Idempotent: an event already seen (same dedupe key) is recorded as a duplicate of the first
    and creates nothing; running the same delivery again (a replay) re-runs only what is not done.
    """
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    if not replayable(delivery):
        return {"skipped": 1}
    if delivery.kind == WORKFLOW:
        from crm_integrations.workflows import process_workflow

        process_workflow(delivery, source)
    else:
        _process_events(delivery, source)
    counts = intake_batches.settle(delivery)
    if delivery.organization_id is None:
        delivery.organization_id = (
            delivery.events.exclude(connection=None)
            .values_list("connection__organization", flat=True)
            .first()
        )
    delivery.save()
    return counts


def _process_events(delivery: WebhookDelivery, source: str) -> None:
    """App webhook events: recorded, then the changed records go to the intake in batches
    (``intake_batches``; a replay takes its events in at once)."""
    events = registry.get_provider(delivery.provider).parse_webhook_events(
        delivery.body.encode(), account_id=delivery.account_id
    )
    connections: dict[str, OrganizationIntegration | None] = {}  # one lookup per account, not per event
    for event in events:
        if event.account_id not in connections:
            connections[event.account_id] = selectors.connection_for_account(
                delivery.provider, event.account_id, environment=delivery.environment
            )
    waiting = {
        row.connection_id
        for row in record_events(delivery, events, connections)
        if row.outcome == EventOutcome.PENDING
    }
    for connection_id in sorted(waiting, key=str):
        if source == "webhook":
            intake_batches.request(connection_id)
        else:
            intake_batches.take_in_pending(connection_id, source=source)


def replayable(delivery: WebhookDelivery) -> bool:
    """Only a request we accepted runs through the pipeline: never one whose signature failed, nor
    one refused for another reason (a workflow naming another organization's portal, a malformed or
    oversized body) — a replay must not get round the checks that refused it; nor one whose body
    retention has emptied (crm_integrations/retention.py)."""
    if delivery.body_pruned_at is not None:  # retention emptied the body: nothing left to run
        return False
    return delivery.signature == SignatureVerdict.VALID and delivery.status != DeliveryStatus.REJECTED


def replay(delivery_id: int) -> dict[str, int]:
    """Run a stored delivery through the pipeline again: failed events retry, the rest stay done."""
    WebhookDelivery.objects.filter(pk=delivery_id).update(replays=F("replays") + 1)
    WebhookEvent.objects.filter(delivery_id=delivery_id, outcome=EventOutcome.ERROR).update(
        outcome=EventOutcome.PENDING
    )
    return process(delivery_id, source="replay")


def record_events(
    delivery: WebhookDelivery,
    events: list[InboundEvent],
    connections: dict[str, OrganizationIntegration | None],
) -> list[WebhookEvent]:
    """The delivery's events as rows, in a few statements: two reads and one bulk insert.

    A first sighting another worker recorded between our read and our insert breaks the bulk
    insert on the dedupe constraint; the delivery then falls back to recording event by event.
    """
    keys = [event.dedupe_key for event in events]
    mine = {
        row.dedupe_key: row for row in WebhookEvent.objects.filter(delivery=delivery, dedupe_key__in=keys)
    }
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
            WebhookEvent.objects.bulk_create(list(fresh.values()))
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
    if event.event_type.endswith(".deletion"):
        return EventOutcome.IGNORED, "deletions are not taken in"
    if echo:
        return EventOutcome.IGNORED, f"our own write of {event.property_name} coming back"
    return EventOutcome.PENDING, ""
