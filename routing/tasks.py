"""Celery tasks for routing: thin, take ids, idempotent.

Tasks call services, and import them at the top of this module. A service that queues a task
imports it inside the function that queues it (``routing/writeback.py``'s ``request_flush``,
``routing/existing_leads.py``'s ``_wait``): the house rule that keeps services and their tasks free of
import cycles (docs/routing.md, "House rules"), and the imports ``pyproject.toml``'s acyclic contract
for ``routing`` lets through.
"""

from __future__ import annotations

from celery import shared_task

from crm_integrations.models import OrganizationIntegration

from . import existing_leads, reps_sync, sweeps, writeback


@shared_task(acks_late=True)
def flush_owner_writes(connection_id: str) -> None:
    """Write the due owners of one connection (rows are claimed: running it twice is harmless)."""
    writeback.flush_queued(connection_id)


@shared_task
def flush_due_owner_writes() -> int:
    """Beat: retries whose backoff has passed, and rows a lost flush left behind."""
    return writeback.flush_everything_due()


@shared_task(acks_late=True)
def sync_connection_reps(connection_id: str) -> str:
    return str(reps_sync.sync_reps(OrganizationIntegration.objects.get(pk=connection_id)))


@shared_task
def sync_all_reps() -> int:
    """Beat: re-read every connected CRM's owners (new reps, leavers deactivated)."""
    ids = sweeps.connected_connection_ids()
    for connection_id in ids:
        sync_connection_reps.delay(str(connection_id))
    return len(ids)


@shared_task
def sweep_routing() -> dict[str, int]:
    """Beat: SLA re-routing of untouched leads, and leads nobody could take (or that missed routing)."""
    return sweeps.sweep()


@shared_task(acks_late=True)
def count_existing_leads(run_id: int) -> str:
    """The "Existing leads" count: the CRM's last N days taken in, not routed (idempotent)."""
    return existing_leads.count(run_id).status


@shared_task(acks_late=True)
def route_existing_leads(run_id: int) -> bool:
    """One batch of a run's existing leads, then the next batch as a new task (so a cancel is seen
    between batches and one run never holds a worker); idempotent: only undecided leads are routed."""
    more = existing_leads.route_batch(run_id)
    if more:
        route_existing_leads.delay(run_id)
    return more
