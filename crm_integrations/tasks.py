"""Celery tasks for connections: thin wrappers over ``crm_integrations.core.tokens``; they take ids."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from crm_integrations import selectors
from crm_integrations.alerts import incidents, notices
from crm_integrations.core import tokens
from crm_integrations.core.errors import AuthRevoked, RetryLater

SWEEP_INTERVAL = timedelta(minutes=5)  # keep in step with config/schedule.py
KEEP_ALIVE_AFTER = timedelta(hours=20)


@shared_task(bind=True, max_retries=8, acks_late=True)
def refresh_connection_tokens(self, connection_id: str, force: bool = False) -> str:  # noqa: ANN001
    """Refresh one connection (idempotent: skipped when another process just refreshed it)."""
    try:
        connection = tokens.refresh_tokens(connection_id, force=force)
    except AuthRevoked:
        return "needs_reauth"  # already marked and shown to staff; never retried in a loop
    except RetryLater as error:
        raise self.retry(countdown=max(error.retry_after, 2**self.request.retries)) from None
    return f"expires_at={connection.expires_at.isoformat() if connection.expires_at else None}"


@shared_task
def refresh_expiring_tokens() -> int:
    """Beat: refresh every access token that would expire before the next sweep."""
    margin = timedelta(seconds=settings.CRM_TOKEN_REFRESH_MARGIN) + SWEEP_INTERVAL
    due = selectors.connections_due_for_refresh(within=margin)
    for connection_id in due:
        refresh_connection_tokens.delay(str(connection_id))
    return len(due)


@shared_task
def keep_idle_connections_alive() -> int:
    """Beat, daily: refresh connections nobody used lately, so their grants stay alive."""
    idle = selectors.connections_idle_since(since=KEEP_ALIVE_AFTER)
    for connection_id in idle:
        refresh_connection_tokens.delay(str(connection_id), force=True)
    return len(idle)


@shared_task
def roll_up_api_calls() -> int:
    """Beat: roll the provider call records of the hours just ended up into minute and hour rollups."""
    from crm_integrations import rollups

    return rollups.roll_up()


@shared_task
def roll_up_recent_health() -> int:
    """Beat, every minute: the last minutes of call records, webhooks and the apps' lead timings
    into their rollups, for the provider health page (idempotent: recomputed from the raw rows)."""
    from django.utils import timezone

    from crm_integrations import health_hooks, rollups, webhook_rollups

    now = timezone.now()
    calls = rollups.roll_up_recent(now=now)
    return calls + webhook_rollups.roll_up_recent(now=now) + health_hooks.roll_up(now)


@shared_task
def prune_old_data() -> dict[str, int]:
    """Beat, daily: roll up what is left, then apply every retention in small batches (idempotent)."""
    from crm_integrations import pruning, rollups

    rollups.roll_up()
    return pruning.run_all()


@shared_task
def evaluate_alerts() -> dict[str, int]:
    """Beat, every minute: open and resolve incidents (crm_integrations/alerts/), then send the notices
    due, which the evaluation's transactions have committed by now. Idempotent."""
    counts = incidents.evaluate()
    counts["notices_sent"] = notices.send_due()
    return counts
