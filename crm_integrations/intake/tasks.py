"""Celery tasks of the intake: thin wrappers that take ids (idempotent, see each docstring).

Their names stay ``crm_integrations.tasks.*`` (where they were first defined), so beat entries in
config/schedule.py and messages already queued keep working.
"""

from __future__ import annotations

from celery import shared_task

from crm_integrations import selectors
from crm_integrations.core.errors import AuthRevoked, RetryLater
from crm_integrations.models import OrganizationIntegration

from . import batches, echoes, polling, processing


@shared_task(bind=True, max_retries=5, acks_late=True, name="crm_integrations.tasks.process_webhook_delivery")
def process_webhook_delivery(self, delivery_id: int) -> dict[str, int]:  # noqa: ANN001
    """Process a stored webhook delivery (idempotent: events already done are not redone)."""
    try:
        return processing.process(delivery_id)
    except RetryLater as error:
        raise self.retry(countdown=max(error.retry_after, 2**self.request.retries)) from None


@shared_task(bind=True, max_retries=5, acks_late=True, name="crm_integrations.tasks.take_in_pending_events")
def take_in_pending_events(self, connection_id: str) -> dict[str, int]:  # noqa: ANN001
    """The next intake round of the connection, queued by the round before it (``batches.request``:
    one bounded round, then the next as a new task; an exhausted budget queues it with a countdown
    instead of waiting in a worker). Idempotent: only pending events are taken."""
    return dict(batches.request(connection_id))


@shared_task(name="crm_integrations.tasks.take_in_stale_events")
def take_in_stale_events() -> int:
    """Beat: webhook events left pending by a lost trailing task."""
    return batches.take_in_stale()


@shared_task(bind=True, max_retries=5, acks_late=True, name="crm_integrations.tasks.poll_connection")
def poll_connection(self, connection_id: str, object_type: str) -> str:  # noqa: ANN001
    """Take in what changed at the CRM since the stored cursor (idempotent: intake upserts)."""
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


@shared_task(name="crm_integrations.tasks.poll_due_connections")
def poll_due_connections() -> int:
    """Beat, every minute: start the polls whose interval (set per connection in the admin) is due."""
    due = selectors.connections_due_for_poll()
    for connection_id, object_type in due:
        poll_connection.delay(str(connection_id), object_type)
    return len(due)


@shared_task(name="crm_integrations.tasks.replay_webhook_delivery")
def replay_webhook_delivery(delivery_id: int) -> dict[str, int]:
    """The debugger's Replay: the stored body through the pipeline again (idempotent)."""
    return processing.replay(delivery_id)


@shared_task(name="crm_integrations.tasks.forget_old_own_writes")
def forget_old_own_writes() -> int:
    """Beat: drop remembered writes too old to come back as webhooks."""
    return echoes.forget_old()
