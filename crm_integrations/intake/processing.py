"""Processing a stored delivery, in Celery: the first time, and again on a replay from the webhook
debugger. Idempotent: events already done are not redone."""

from __future__ import annotations

from django.db.models import F

from crm_integrations.models import (
    DeliveryStatus,
    EventOutcome,
    SignatureVerdict,
    WebhookDelivery,
    WebhookEvent,
)

from . import batches, webhooks, workflows
from .deliveries import WORKFLOW


def process(delivery_id: int, *, source: str = "webhook") -> dict[str, int]:
    """Turn a stored, verified delivery into events and hand each to the app above that takes it.

    Idempotent: an event already seen (same dedupe key) is recorded as a duplicate of the first
    and creates nothing; running the same delivery again (a replay) re-runs only what is not done.
    """
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    if not replayable(delivery):
        return {"skipped": 1}
    if delivery.kind == WORKFLOW:
        workflows.process_workflow(delivery, source)
    else:
        webhooks.process_events(delivery, source)
    return batches.settle_saved(delivery.pk)


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
