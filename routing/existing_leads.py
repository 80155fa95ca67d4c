"""Services of the "Existing leads" step: the leads a CRM already holds, counted, then routed.

A new connection's polling starts from the last 24 hours (crm_integrations/intake/polling.py), so
older unowned leads were never routed. This is the staff's way to bring them in without the
command line (``manage.py backfill_leads`` does the intake part from a terminal):

1. ``count`` (task ``count_existing_leads``): the intake's backfill for the last N days, with
   routing held back (``holding_routing``), then the open, unowned, undecided leads counted.
2. The page shows how the published rules would give them out (routing/existing_leads_preview.py).
3. ``route_batch`` (task ``route_existing_leads``, one batch per task, re-queued until none is
   left): ``assign.route_leads`` on ``BATCH_SIZE`` leads at a time, which writes the owners back in
   the usual batched write-back. ``cancel`` stops it between batches; routing again resumes it,
   since only leads without a decision are taken (re-running a batch routes nobody twice).

Both steps can wait: before each page of the count (crm_integrations/intake/polling.py) and before
each batch of routing, the CRM's provider is asked whether work that can wait must stop
(``registry.non_urgent_paused``: e.g. Salesforce past ``SALESFORCE_NON_URGENT_SHARE`` of its daily
API allocation). Then no call is spent: the run keeps its status, says why (``paused_reason``) and
its task is queued again ``PAUSE_SECONDS`` later (``_wait``); it goes on by itself once the CRM allows.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from crm_integrations import selectors as crm_selectors
from crm_integrations.core import registry
from crm_integrations.core.context_flags import ContextFlag
from crm_integrations.intake import polling
from crm_integrations.models import OrganizationIntegration
from field_mapping.models import Lead, LeadState
from field_mapping.models import Outcome as LeadOutcome

from .assign import route_leads
from .models import Decision, DecisionOutcome, DecisionTrigger, ExistingLeadsRun, RunStatus

DEFAULT_DAYS = 30
MAX_DAYS = 365
BATCH_SIZE = 50
MAX_PAGES = 10_000
#: How long a paused run waits before it asks the CRM's provider again.
PAUSE_SECONDS = 15 * 60

_HOLDING = ContextFlag("routing_held_back")


class Cancelled(Exception):
    """Staff stopped the run."""


def holding_routing() -> AbstractContextManager[None]:
    """Leads taken in inside this block are stored but not routed (routing/receivers.py asks
    ``routing_held_back``): the count must not route what staff have not yet chosen to route."""
    return _HOLDING.raised()


def routing_held_back() -> bool:
    return _HOLDING.is_raised()


def start(
    *, connection: OrganizationIntegration, days: int = DEFAULT_DAYS, user: Any = None
) -> ExistingLeadsRun:
    """A new run for ``connection`` (the caller queues ``count_existing_leads`` on commit)."""
    return ExistingLeadsRun.objects.create(
        organization_id=connection.organization_id,
        connection=connection,
        days=max(1, min(int(days), MAX_DAYS)),
        started_by=user if getattr(user, "pk", None) else None,
    )


def candidates(run: ExistingLeadsRun) -> QuerySet[Lead]:
    """The run's leads still to route: the connection's well-mapped, open, unowned leads changed
    in the last ``days`` days that have no decision yet."""
    since = run.created_at - timedelta(days=run.days)
    decided = Decision.objects.filter(lead=OuterRef("pk"), is_current=True)
    return (
        Lead.objects.filter(connection_id=run.connection_id, state=LeadState.OK, owner_external_id="")
        .filter(Q(status__isnull=True) | Q(status=LeadOutcome.OPEN))
        .filter(Q(crm_updated_at__gte=since) | Q(crm_updated_at__isnull=True, first_received_at__gte=since))
        .exclude(Exists(decided))
        .order_by("first_received_at", "pk")
    )


def count(run_id: int) -> ExistingLeadsRun:
    """Take in the last ``days`` days of the CRM's leads without routing them, then count them.
    Idempotent: the intake upserts, so counting again reads the same leads again."""
    run = ExistingLeadsRun.objects.select_related("connection__integration", "connection__organization").get(
        pk=run_id
    )
    if run.status != RunStatus.COUNTING:
        return run
    connection = run.connection

    def progress(records: int) -> None:
        ExistingLeadsRun.objects.filter(pk=run.pk).update(taken_in=run.taken_in + records)
        run.taken_in += records
        if ExistingLeadsRun.objects.filter(pk=run.pk, cancel_requested=True).exists():
            raise Cancelled

    _go_on(run)
    try:
        with holding_routing():
            polling.poll(
                connection,
                crm_selectors.lead_object_type(connection),
                since=run.created_at - timedelta(days=run.days),
                source="backfill",
                max_pages=MAX_PAGES,
                on_page=progress,
            )
    except Cancelled:
        return _finish(run, RunStatus.CANCELLED)
    except polling.NonUrgentPaused as paused:
        return _wait(run, paused.reason)
    except Exception as error:  # a CRM failure, shown on the page; the task does not retry it
        run.error = _message(error)
        return _finish(run, RunStatus.FAILED)
    run.to_route = candidates(run).count()
    run.status = RunStatus.COUNTED
    run.save(update_fields=["to_route", "status", "updated_at"])
    return run


def begin_routing(run: ExistingLeadsRun) -> ExistingLeadsRun:
    """Route (or resume routing) a counted or stopped run; the caller queues the task on commit."""
    if run.status not in (RunStatus.COUNTED, RunStatus.CANCELLED, RunStatus.ROUTING):
        raise ValueError(f"This run is {run.get_status_display().lower()}: count the leads first.")
    run.status, run.cancel_requested, run.finished_at = RunStatus.ROUTING, False, None
    run.to_route = run.decided + candidates(run).count()
    run.save(update_fields=["status", "cancel_requested", "finished_at", "to_route", "updated_at"])
    return run


def cancel(run: ExistingLeadsRun) -> ExistingLeadsRun:
    """Stop between batches (a counting run stops after the page being read); a waiting run stops
    at once (its queued task then finds it stopped)."""
    if run.active and run.paused_reason:
        return _finish(run, RunStatus.CANCELLED)
    if run.active:
        ExistingLeadsRun.objects.filter(pk=run.pk).update(cancel_requested=True)
        run.cancel_requested = True
    return run


def route_batch(run_id: int) -> bool:
    """Route the next ``BATCH_SIZE`` leads of the run; True when more remain (queue another).
    The row is locked while a batch runs, so two tasks of one run never route side by side."""
    with transaction.atomic():
        run = ExistingLeadsRun.objects.select_for_update().select_related("connection").get(pk=run_id)
        if run.status != RunStatus.ROUTING:
            return False
        if run.cancel_requested:
            _finish(run, RunStatus.CANCELLED)
            return False
        batch = list(candidates(run).select_related("connection")[:BATCH_SIZE])
        if not batch:
            _finish(run, RunStatus.DONE)
            return False
        reason = registry.non_urgent_paused(run.connection)
        if reason:
            _wait(run, reason)
            return False
        _go_on(run)
        decisions = route_leads(
            run.connection, batch, trigger=DecisionTrigger.INTAKE, reason="existing lead routed by staff"
        )
        assigned = sum(1 for d in decisions if d.outcome == DecisionOutcome.ASSIGNED)
        run.routed += assigned
        run.not_assigned += len(decisions) - assigned
        run.save(update_fields=["routed", "not_assigned", "updated_at"])
        if not decisions:  # nothing could be decided (no published rules): stop rather than spin
            run.error = "No lead could be routed: publish the rules first."
            _finish(run, RunStatus.FAILED)
            return False
        return True


def _finish(run: ExistingLeadsRun, status: str) -> ExistingLeadsRun:
    run.status, run.finished_at, run.cancel_requested = status, timezone.now(), False
    run.paused_reason, run.paused_until = "", None
    run.save(
        update_fields=[
            "status",
            "finished_at",
            "cancel_requested",
            "error",
            "paused_reason",
            "paused_until",
            "updated_at",
        ]
    )
    return run


def _wait(run: ExistingLeadsRun, reason: str) -> ExistingLeadsRun:
    """Spend no call now: say why on the run and queue its task again in ``PAUSE_SECONDS`` (the run
    keeps its status, so the task carries on from where it stopped; running it twice is harmless)."""
    from .tasks import count_existing_leads, route_existing_leads

    run.paused_reason, run.paused_until = reason, timezone.now() + timedelta(seconds=PAUSE_SECONDS)
    run.save(update_fields=["paused_reason", "paused_until", "updated_at"])
    task = count_existing_leads if run.status == RunStatus.COUNTING else route_existing_leads
    run_id = run.pk
    transaction.on_commit(lambda: task.apply_async((run_id,), countdown=PAUSE_SECONDS))
    return run


def _go_on(run: ExistingLeadsRun) -> None:
    """The CRM allows work again: clear what the page said about waiting."""
    if run.paused_reason or run.paused_until:
        run.paused_reason, run.paused_until = "", None
        run.save(update_fields=["paused_reason", "paused_until", "updated_at"])


def _message(error: Exception) -> str:
    return str(getattr(error, "message", "") or error.__class__.__name__)[:500]
