"""Celery tasks for connections: thin wrappers over ``crm_integrations.core.tokens``; they take ids."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from crm_integrations import selectors
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


@shared_task(bind=True, max_retries=5, acks_late=True)
def process_webhook_delivery(self, delivery_id: int) -> dict[str, int]:  # noqa: ANN001
    """Process a stored webhook delivery (idempotent: events already done are not redone)."""
    from crm_integrations import webhooks

    try:
        return webhooks.process(delivery_id)
    except RetryLater as error:
        raise self.retry(countdown=max(error.retry_after, 2**self.request.retries)) from None


@shared_task(bind=True, max_retries=5, acks_late=True)
def take_in_pending_events(self, connection_id: str) -> dict[str, int]:  # noqa: ANN001
    """The trailing intake batch of a window: every pending webhook event of the connection
    (``intake_batches``; idempotent: only pending events are taken)."""
    from crm_integrations import intake_batches

    try:
        return dict(intake_batches.take_in_pending(connection_id))
    except RetryLater as error:
        raise self.retry(countdown=max(error.retry_after, 2**self.request.retries)) from None


@shared_task
def take_in_stale_events() -> int:
    """Beat: webhook events left pending by a lost trailing task."""
    from crm_integrations import intake_batches

    return intake_batches.take_in_stale()


@shared_task(bind=True, max_retries=5, acks_late=True)
def poll_connection(self, connection_id: str, object_type: str) -> str:  # noqa: ANN001
    """Take in what changed at the CRM since the stored cursor (idempotent: intake upserts)."""
    from crm_integrations import polling
    from crm_integrations.models import OrganizationIntegration

    connection = OrganizationIntegration.objects.select_related("integration", "organization").get(
        pk=connection_id
    )
    if connection.status != "connected":
        return f"skipped: the connection is {connection.status}"  # paused until staff reconnect
    try:
        result = polling.poll(connection, object_type)
    except AuthRevoked:
        return "needs_reauth"
    except (RetryLater, polling.IntakeFailed) as error:
        countdown = getattr(error, "retry_after", 0) or 2**self.request.retries * 10
        raise self.retry(countdown=countdown) from None
    return f"{result.records} record(s), {result.pages} page(s)"


@shared_task
def poll_due_connections() -> int:
    """Beat, every minute: start the polls whose interval (set per connection in the admin) is due."""
    due = selectors.connections_due_for_poll()
    for connection_id, object_type in due:
        poll_connection.delay(str(connection_id), object_type)
    return len(due)


@shared_task
def replay_webhook_delivery(delivery_id: int) -> dict[str, int]:
    """The debugger's Replay: the stored body through the pipeline again (idempotent)."""
    from crm_integrations import webhooks

    return webhooks.replay(delivery_id)


@shared_task
def forget_old_own_writes() -> int:
    """Beat: drop remembered writes too old to come back as webhooks."""
    from crm_integrations import echoes

    return echoes.forget_old()


@shared_task
def roll_up_api_calls() -> int:
    """Beat: roll the provider call records of the hours just ended up into minute and hour rollups."""
    from crm_integrations import rollups

    return rollups.roll_up()


@shared_task
def prune_old_data() -> dict[str, int]:
    """Beat, daily: roll up what is left, then apply every retention in small batches (idempotent)."""
    from crm_integrations import pruning, rollups

    rollups.roll_up()
    return pruning.run_all()
