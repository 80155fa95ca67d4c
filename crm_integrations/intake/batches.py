"""Webhook events taken in by batch: a burst's deliveries share large intake reads.

``request`` runs in the round task a webhook's request queues once it has recorded the events
(``queue_round``), or in a delivery's task that recorded them itself. When no round of the
connection is under way, a round takes its pending events in at once, in that task (a lone lead
waits for nothing); otherwise they stay pending for the round under way, which looks again when it
is done and queues the next round as a task (``crm_integrations/core/coalescing.py``'s
``run_or_leave``: no timer, so a burst batches exactly what piled up meanwhile). A round hands over
at most ``WEBHOOK_INTAKE_BATCH`` records, so no task takes a whole burst in: the next round waits
its turn behind other accounts' tasks (config/task_routing.py). The intake's reads then fill up —
records 100 a call, associations 1,000 a call — where one hand-over per delivery (about 85 events
in a HubSpot burst) paid five part-filled reads.

Events are claimed with a token
(``crm_integrations/core/claims.py``: a conditional UPDATE), so two workers never take the same one
in; a claim older than ``CLAIM_TIMEOUT`` (its worker died) is free again, and a beat job takes in
events left pending past it (a trailing task lost with its worker).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from crm_integrations.core import coalescing, registry, tracing
from crm_integrations.core.claims import TokenClaims
from crm_integrations.core.errors import BUDGET_WAIT_FLOOR, RetryLater
from crm_integrations.core.http.recording import call_meter
from crm_integrations.core.row_updates import update_each
from crm_integrations.intake.handover import hand_over
from crm_integrations.intake.pacing import (
    budget_not_binding,
    budget_spacing,
    keep_round_units,
    provider_and_account,
    room_wait,
)
from crm_integrations.models import (
    DeliveryStatus,
    EventOutcome,
    OrganizationIntegration,
    WebhookDelivery,
    WebhookEvent,
)

CLAIM_TIMEOUT = timedelta(minutes=2)
EVENT_CLAIMS = TokenClaims(unclaimed=Q(claim_token=""), claimed_at="claimed_at", timeout=CLAIM_TIMEOUT)
NOBODY = "no app took this record in"


def request(connection_id: object) -> Counter[str]:
    """Take in one round of the connection's pending events now, unless a round of its is under way
    (``coalescing.run_or_leave``): that round looks again once it is done and queues the next round
    as a task when events wait. A round hands over at most ``WEBHOOK_INTAKE_BATCH`` events, so one
    task never holds a worker for a whole burst: the next round queues behind the other accounts'
    tasks (config/task_routing.py). A round that meets an exhausted API budget (``RetryLater``)
    leaves its events pending and asks for the next round after the wait, instead of sleeping or
    raising. The outcomes of the round run here (none when it was left to the round under way)."""
    counts: Counter[str] = Counter()
    deliveries: set[int] = set()

    def one_round() -> float | None:
        wait = room_wait(connection_id)
        if wait > 0:
            return wait  # nothing claimed: the follow-up comes when the window has room
        try:
            with call_meter() as meter:
                taken = take_in_pending(connection_id, rounds=1, batch=round_size(), unsettled=deliveries)
        except RetryLater as error:
            return max(error.retry_after, BUDGET_WAIT_FLOOR)
        counts.update(taken)
        keep_round_units(connection_id, meter.units)
        return None

    try:
        coalescing.run_or_leave(
            _round_key(connection_id),
            one_round,
            pending=lambda: has_pending(connection_id),
            follow_up=lambda countdown: queue_round(connection_id, countdown=countdown),
            until_done=CLAIM_TIMEOUT.total_seconds(),
            spacing=lambda started: budget_spacing(connection_id, started, records=sum(counts.values())),
            slots=max(1, int(settings.WEBHOOK_INTAKE_PARALLEL_ROUNDS)),
            overlap=lambda: may_overlap(connection_id),
        )
    finally:
        # After the round has let go of its key and queued the next: settling its deliveries (a
        # transaction each, ten for a 1,000-lead round) no longer delays the next round.
        for delivery_id in sorted(deliveries):
            settle_saved(delivery_id)
    return counts


def queue_round(connection_id: object, *, countdown: float = 0.0) -> None:
    """A round of the connection as a task (``request`` in a worker), on its account's queue
    (config/task_routing.py): the next round a round leaves, and the first for events a webhook's
    request recorded (crm_integrations/intake/webhooks.py)."""
    from .tasks import take_in_pending_events  # the task module imports this one

    take_in_pending_events.apply_async((str(connection_id),), countdown=countdown)


def _round_key(connection_id: object) -> str:
    return f"intake:running:{connection_id}"


def round_under_way(connection_id: object) -> bool:
    """A round of the connection is under way: it looks for pending events again once done (and
    queues the next round for them), so events recorded now need no task of their own."""
    return coalescing.under_way(_round_key(connection_id))


def may_overlap(connection_id: object) -> bool:
    """A further round may start beside the one under way (``WEBHOOK_INTAKE_PARALLEL_ROUNDS``): a
    full round waits (``full_round``: at no more calls per lead, so a trickle is taken in by one
    round at a time) and the budget is not the bound (``pacing.budget_not_binding``: the whole
    backlog fits the budget's window now, as with the budget lifted; otherwise a second round would
    take no lead in sooner and hold a second worker process). The backlog is counted once for both."""
    full = full_round(connection_id)
    backlog = unclaimed_count(connection_id, max(full, BACKLOG_LOOKAHEAD))
    return backlog >= full and budget_not_binding(connection_id, backlog)


#: How many waiting records ``may_overlap`` counts at most (HubSpot: 450 calls' worth).
BACKLOG_LOOKAHEAD = 10_000


def full_batch_pending(connection_id: object) -> bool:
    """A full round of the connection's events waits unclaimed (``full_round``)."""
    full = full_round(connection_id)
    return unclaimed_count(connection_id, full) >= full


def full_round(connection_id: object) -> int:
    """Records of a full round: the provider's ``full_intake_round``, else ``WEBHOOK_INTAKE_BATCH``;
    once that many wait, a further round may overlap the one under way at no more calls per lead,
    so a backlog is taken in by several processes and a trickle by one round at a time."""
    provider, _ = provider_and_account(connection_id)
    full = registry.get_provider(provider).full_intake_round if provider else None
    batch = int(settings.WEBHOOK_INTAKE_BATCH)
    return min(batch, full or batch)


def unclaimed_count(connection_id: object, limit: int) -> int:
    """The connection's pending events no round has claimed, counted up to ``limit``."""
    pending = WebhookEvent.objects.filter(connection_id=connection_id, outcome=EventOutcome.PENDING)
    return pending.filter(EVENT_CLAIMS.free(timezone.now()))[:limit].count()


def has_pending(connection_id: object) -> bool:
    """Unclaimed pending events of the connection (what a next round would take)."""
    pending = WebhookEvent.objects.filter(connection_id=connection_id, outcome=EventOutcome.PENDING)
    return pending.filter(EVENT_CLAIMS.free(timezone.now())).exists()


def round_size() -> int:
    """Records a round hands over: ``WEBHOOK_INTAKE_BATCH``, or ``WEBHOOK_INTAKE_BESIDE_BATCH`` for a
    round beside another of the same connection (``coalescing.runs_beside``). The first keeps a
    backlog's reads full; the one beside it frees its worker process often, so another
    organization's lead waits for a process at most a short round (two processes held by two
    1,000-lead rounds kept it waiting up to 2.5 s: docs/benchmarks.md, fairness)."""
    batch = int(settings.WEBHOOK_INTAKE_BATCH)
    return min(batch, int(settings.WEBHOOK_INTAKE_BESIDE_BATCH)) if coalescing.runs_beside() else batch


def take_in_pending(
    connection_id: object,
    *,
    source: str = "webhook",
    rounds: int | None = None,
    batch: int | None = None,
    unsettled: set[int] | None = None,
) -> Counter[str]:
    """Hand the connection's pending events to the intake, a batch at a time (at most ``rounds``
    batches; None: until none is left), and settle the deliveries they came in (or add their ids
    to ``unsettled``, for the caller to settle with ``settle_saved``); the outcomes counted.
    Idempotent: only pending events are taken."""
    connection = OrganizationIntegration.objects.select_related("integration", "organization").get(
        pk=connection_id
    )
    counts: Counter[str] = Counter()
    deliveries: set[int] = set()
    done = 0
    try:
        while (rounds is None or done < rounds) and (
            rows := claim(connection_id, batch or int(settings.WEBHOOK_INTAKE_BATCH))
        ):
            done += 1
            deliveries |= {row.delivery_id for row in rows}
            try:
                _hand_over(connection, rows, source)
            except BaseException:
                release(rows)  # e.g. RetryLater: pending again, for the retry
                raise
            counts.update(row.outcome for row in rows)
    finally:
        if unsettled is not None:
            unsettled |= deliveries
        else:
            for delivery_id in sorted(deliveries):
                settle_saved(delivery_id)
    return counts


def settle_saved(delivery_id: int) -> dict[str, int]:
    """Settle the delivery from its events as they are now, under its row lock, and save that;
    the outcomes counted. Both a round and the delivery's own task settle it, in either order: each
    reads the events inside the lock, so the last to save never writes an older state back (a task
    that had seen its events pending saved "queued" over the round's "processed", and the delivery
    stayed queued with every event taken in)."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        counts = settle(delivery)
        fields = ["status", "status_detail", "processed_at"]
        if delivery.organization_id is None:
            delivery.organization_id = (
                delivery.events.exclude(connection=None)
                .values_list("connection__organization", flat=True)
                .first()
            )
            fields.append("organization")
        delivery.save(update_fields=fields)
    return counts


def claim(connection_id: object, limit: int) -> list[WebhookEvent]:
    """Up to ``limit`` pending events of the connection, oldest first, for this batch only."""
    pending = WebhookEvent.objects.filter(connection_id=connection_id, outcome=EventOutcome.PENDING)
    return list(EVENT_CLAIMS.take(pending, limit).filter(outcome=EventOutcome.PENDING))


def release(rows: Iterable[WebhookEvent]) -> None:
    WebhookEvent.objects.filter(pk__in=[row.pk for row in rows], outcome=EventOutcome.PENDING).update(
        claim_token="", claimed_at=None
    )


def _hand_over(connection: OrganizationIntegration, rows: list[WebhookEvent], source: str) -> None:
    by_type: dict[str, list[WebhookEvent]] = defaultdict(list)
    for row in rows:
        by_type[row.object_type].append(row)
    for object_type, group in by_type.items():
        changed: dict[str, set[str]] = defaultdict(set)
        for row in group:
            changed[row.object_id].update([row.property_name] if row.property_name else [])
        # The batch's span links to each event's webhook trace; the leads' routing continues those.
        members = {row.object_id: row.trace_context for row in group}
        with tracing.batch_span("intake.batch", members, tracing.batch_attributes(connection.pk, len(group))):
            outcomes = hand_over(
                connection, object_type, [row.object_id for row in group], source, properties=changed
            )
        for row in group:
            result = outcomes.get(row.object_id)
            row.outcome = result.outcome if result else EventOutcome.IGNORED
            row.outcome_detail = result.detail if result else NOBODY
            row.result_ref = result.result_ref if result else ""
            row.claim_token, row.claimed_at = "", None
        update_each(group, ["outcome", "outcome_detail", "result_ref", "claim_token", "claimed_at"])


def settle(delivery: WebhookDelivery) -> dict[str, int]:
    """The delivery's status from its events' outcomes (not saved); the outcomes counted."""
    counts: dict[str, int] = {}
    for outcome in delivery.events.values_list("outcome", flat=True):
        counts[outcome] = counts.get(outcome, 0) + 1
    detail = ", ".join(f"{n} {name}" for name, n in sorted(counts.items())) or "no events"
    if counts.get(EventOutcome.ERROR):
        delivery.status = DeliveryStatus.FAILED
    elif counts.get(EventOutcome.PENDING):
        delivery.status = DeliveryStatus.QUEUED
        detail += " (taken in with the next intake batch)"
    else:
        delivery.status = DeliveryStatus.PROCESSED
    delivery.status_detail = detail
    delivery.processed_at = None if delivery.status == DeliveryStatus.QUEUED else timezone.now()
    return counts


def take_in_stale() -> int:
    """Beat: connections whose events were left pending past ``CLAIM_TIMEOUT`` (a lost trailing
    task) are taken in; how many events were."""
    before = timezone.now() - CLAIM_TIMEOUT
    connections = set(
        WebhookEvent.objects.filter(outcome=EventOutcome.PENDING, created_at__lt=before)
        .exclude(connection=None)
        .values_list("connection_id", flat=True)
        .distinct()
    )
    return sum(sum(take_in_pending(connection_id).values()) for connection_id in connections)
