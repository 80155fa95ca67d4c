"""Celery tasks for routing: thin, take ids, idempotent."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def flush_owner_writes(connection_id: str) -> int:
    """Write the due owners of one connection (rows are claimed: running it twice is harmless)."""
    from . import writeback

    return writeback.flush(connection_id)


@shared_task
def flush_due_owner_writes() -> int:
    """Beat: retries whose backoff has passed, and rows a lost flush left behind."""
    from . import writeback

    return writeback.flush_everything_due()


@shared_task(acks_late=True)
def sync_connection_reps(connection_id: str) -> str:
    from crm_integrations.models import OrganizationIntegration

    from .reps_sync import sync_reps

    return str(sync_reps(OrganizationIntegration.objects.get(pk=connection_id)))


@shared_task
def sync_all_reps() -> int:
    """Beat: re-read every connected CRM's owners (new reps, leavers deactivated)."""
    from .sweeps import connected_connection_ids

    ids = connected_connection_ids()
    for connection_id in ids:
        sync_connection_reps.delay(str(connection_id))
    return len(ids)


@shared_task
def sweep_routing() -> dict[str, int]:
    """Beat: SLA re-routing of untouched leads, and leads nobody could take (or that missed routing)."""
    from . import sweeps

    return sweeps.sweep()
