"""Celery task routing: every CRM account's pipeline work on one of a small, fixed set of queues.

One first-in, first-out queue shared by every organization made one portal's burst (its deliveries,
intake rounds, owner write-backs and the echo webhooks they cause) queue ahead of every other
organization's single leads for as long as the burst took. Here the tasks that carry one account's
work are routed to ``account-<n>``, ``n`` a stable hash of "provider:account id" modulo
``CELERY_ACCOUNT_QUEUES``; every worker consumes every queue (a worker started without ``-Q``
listens to all of ``CELERY_TASK_QUEUES``) and kombu takes the next message from the queues in
turn (the ``FairCycle`` of its virtual transports: the filesystem broker; on Redis the BRPOP keys
rotate after each message). So an organization's next task waits for at most one task of each
other busy queue, not for their backlog. Both brokers support it, unlike priorities (the
filesystem broker has none). Two accounts that hash onto the same queue share its order; with
``CELERY_ACCOUNT_QUEUES`` queues, that is one chance in that many for a given pair.

A task is routed by the account its message header names (a new webhook delivery's, from its events:
crm_integrations/intake/deliveries.py) or else its arguments (``ACCOUNT_TASKS``): a stored
delivery's, or a connection's. The look-up is one indexed query, made when the task is queued. Everything else
(beat jobs, contracts, admin work) stays on the default queue.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from django.conf import settings

from crm_integrations.core.giving_way import ACCOUNT_QUEUE_PREFIX


def _delivery_account(args: Sequence[Any]) -> str | None:
    """A stored delivery's account: the signature's, else its first event's (an app webhook names
    the account in its events; a first run is queued with the ``ACCOUNT_HEADER`` instead)."""
    from crm_integrations.models import WebhookDelivery, WebhookEvent

    row = WebhookDelivery.objects.filter(pk=args[0]).values_list("provider", "account_id").first()
    if not row:
        return None
    account = (
        row[1]
        or WebhookEvent.objects.filter(delivery_id=args[0]).values_list("account_id", flat=True).first()
    )
    return f"{row[0]}:{account}" if account else None


@lru_cache(maxsize=4096)
def _connection_account(connection_id: str) -> str | None:
    """A connection's account never changes (a reconnect to another portal is a new connection)."""
    from crm_integrations.models import OrganizationIntegration

    row = (
        OrganizationIntegration.objects.filter(pk=connection_id)
        .values_list("integration__provider", "external_account_id")
        .first()
    )
    return f"{row[0]}:{row[1]}" if row and row[1] else None


def _connection_arg(args: Sequence[Any]) -> str | None:
    return _connection_account(str(args[0]))


#: Tasks that carry one account's work, and how their first argument names the account.
ACCOUNT_TASKS: dict[str, Callable[[Sequence[Any]], str | None]] = {
    "crm_integrations.tasks.process_webhook_delivery": _delivery_account,
    "crm_integrations.tasks.replay_webhook_delivery": _delivery_account,
    "crm_integrations.tasks.take_in_pending_events": _connection_arg,
    "crm_integrations.tasks.poll_connection": _connection_arg,
    "routing.tasks.flush_owner_writes": _connection_arg,
}


def account_queue_names(count: int) -> list[str]:
    return [f"{ACCOUNT_QUEUE_PREFIX}{n}" for n in range(count)]


def queue_for_account(account: str, count: int | None = None) -> str:
    """The queue of ``account`` ("provider:account id"): stable across processes and restarts."""
    count = count or int(settings.CELERY_ACCOUNT_QUEUES)
    return f"{ACCOUNT_QUEUE_PREFIX}{zlib.crc32(account.encode()) % count}"


def route_task(
    name: str,
    args: Sequence[Any],
    kwargs: dict[str, Any],
    options: dict[str, Any],
    task: Any = None,
    **kw: Any,
) -> dict[str, str] | None:
    """Celery router (``CELERY_TASK_ROUTES``): an account task to its account's queue; else None
    (the next router, then the default queue)."""
    from crm_integrations.intake.deliveries import ACCOUNT_HEADER

    naming = ACCOUNT_TASKS.get(name)
    if naming is None or not args or int(getattr(settings, "CELERY_ACCOUNT_QUEUES", 0)) < 1:
        return None
    account = (options.get("headers") or {}).get(ACCOUNT_HEADER) or naming(args)
    return {"queue": queue_for_account(account)} if account else None
