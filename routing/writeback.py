"""Services: the owner write-back, micro-batched into the provider's batch update.

``request_flush`` sends a flush at once when none went out in the last window (a single lead is
written without waiting) and otherwise schedules one trailing flush at the end of the window, which
takes everything that piled up meanwhile: a burst costs about N / batch size calls. A flush claims
due rows with a token (a conditional UPDATE, so concurrent flushes on any database never send a row
twice), writes them in batches, and records each result; failures retry with backoff and show in
the admin and the lead's journey until they are written or given up.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from crm_integrations import echoes
from crm_integrations.core import registry
from crm_integrations.core.errors import CrmError
from crm_integrations.core.types import FollowUpTask, RecordUpdate
from crm_integrations.models import OrganizationIntegration

from . import journey
from .models import JourneyKind, OwnerWrite, RoutingPolicy, WriteStatus

logger = logging.getLogger(__name__)

#: Attempts before a write-back is given up (and shown as failed); backoff 5 s x 4^(attempt - 1).
MAX_ATTEMPTS = 6
CLAIM_TIMEOUT = timedelta(minutes=2)


def window_seconds() -> float:
    return float(getattr(settings, "ROUTING_WRITEBACK_WINDOW", 1.0))


def backoff(attempt: int) -> timedelta:
    return timedelta(seconds=min(5 * 4 ** (attempt - 1), 3600))


def request_flush(connection_id: object) -> None:
    """Flush now, in this process, if nothing was flushed in the current window (no broker hop
    between the decision and the write); else once, by a task, at the window's end."""
    from .tasks import flush_owner_writes

    window = window_seconds()
    key = f"routing:flush:{connection_id}"
    if cache.add(key, 1, timeout=window):
        try:
            flush(connection_id)
        except Exception:  # the rows stay due: a task (and else the beat) takes them
            logger.exception("Inline owner write-back of connection %s failed; queued instead", connection_id)
            flush_owner_writes.delay(str(connection_id))
    elif cache.add(f"{key}:trailing", 1, timeout=window):
        flush_owner_writes.apply_async((str(connection_id),), countdown=window)


def _due(now: datetime) -> Q:
    """Due rows: pending, retries whose time came, and claims a crashed flush left behind."""
    return Q(next_attempt_at__lte=now) & (
        Q(status__in=[WriteStatus.PENDING, WriteStatus.RETRYING])
        | Q(status=WriteStatus.SENDING, next_attempt_at__lte=now - CLAIM_TIMEOUT)
    )


def due_rows(connection_id: object, now: datetime) -> Q:
    return Q(connection_id=connection_id) & _due(now)


def claim(connection_id: object, limit: int) -> list[OwnerWrite]:
    """Take up to ``limit`` due rows for this flush only (others skip them)."""
    now = timezone.now()
    token = uuid.uuid4().hex
    ids = list(
        OwnerWrite.objects.filter(due_rows(connection_id, now))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return []
    OwnerWrite.objects.filter(due_rows(connection_id, now), pk__in=ids).update(
        status=WriteStatus.SENDING, claim_token=token, next_attempt_at=now
    )
    return list(
        OwnerWrite.objects.filter(claim_token=token, status=WriteStatus.SENDING).select_related(
            "decision__lead", "decision__rep"
        )
    )


def flush(connection_id: object) -> int:
    """Write every due owner of this connection; returns how many were written."""
    connection = OrganizationIntegration.objects.select_related("integration").get(pk=connection_id)
    client = registry.get_client(connection)
    written = 0
    while rows := claim(connection_id, client.batch_size):
        written += _send(connection, client, rows)
    return written


def _send(connection: OrganizationIntegration, client: object, rows: list[OwnerWrite]) -> int:
    by_type: dict[tuple[str, str], list[OwnerWrite]] = {}
    for row in rows:
        by_type.setdefault((row.object_type, row.owner_property), []).append(row)
    written = 0
    for (object_type, owner_property), group in by_type.items():
        updates = [RecordUpdate(row.record_id, {owner_property: row.owner_external_id}) for row in group]
        echoes.remember(
            connection.pk,
            object_type,
            [(row.record_id, owner_property, row.owner_external_id) for row in group],
        )
        try:
            result = client.batch_update(object_type, updates)
        except CrmError as error:
            _failed(group, f"{type(error).__name__}: {error}")
            continue
        failures = {failure.id: failure for failure in result.failed}
        done = [row for row in group if row.record_id not in failures]
        _written(done, len(group))
        _failed_each([(row, failures[row.record_id].message) for row in group if row.record_id in failures])
        written += len(done)
        _create_tasks(connection, client, object_type, done)
    return written


def _written(rows: Sequence[OwnerWrite], batch_size: int) -> None:
    now = timezone.now()
    with transaction.atomic():
        for row in rows:
            row.status, row.written_at, row.batch_size = WriteStatus.WRITTEN, now, batch_size
            row.attempts, row.last_error = row.attempts + 1, ""
        OwnerWrite.objects.bulk_update(rows, ["status", "written_at", "batch_size", "attempts", "last_error"])
        journey.record(
            journey.event(
                row.decision.lead_id,
                JourneyKind.WRITTEN,
                f"owner {row.owner_external_id} ({row.decision.rep}) written to the CRM in "
                f"{row.latency_ms:.0f} ms (batch of {batch_size})",
                {"latency_ms": row.latency_ms, "batch_size": batch_size, "attempt": row.attempts},
                row.decision,
            )
            for row in rows
        )


def _failed(rows: Sequence[OwnerWrite], message: str) -> None:
    _failed_each([(row, message) for row in rows])


def _failed_each(failures: Sequence[tuple[OwnerWrite, str]]) -> None:
    now = timezone.now()
    with transaction.atomic():
        for row, message in failures:
            row.attempts += 1
            row.last_error = message[:2000]
            gave_up = row.attempts >= MAX_ATTEMPTS
            row.status = WriteStatus.FAILED if gave_up else WriteStatus.RETRYING
            row.next_attempt_at = now + backoff(row.attempts)
            row.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
        journey.record(
            journey.event(
                row.decision.lead_id,
                JourneyKind.WRITE_FAILED,
                f"owner write failed (attempt {row.attempts}): {message}"
                + (
                    "; gave up: routed here but NOT owned in the CRM"
                    if row.status == WriteStatus.FAILED
                    else f"; retrying at {row.next_attempt_at:%H:%M:%S}"
                ),
                {"attempt": row.attempts, "error": message},
                row.decision,
            )
            for row, message in failures
        )
    for row, message in failures:
        logger.warning(
            "Owner write of %s %s failed (attempt %d): %s",
            row.object_type,
            row.record_id,
            row.attempts,
            message,
        )


def _create_tasks(
    connection: OrganizationIntegration, client: object, object_type: str, rows: list[OwnerWrite]
) -> None:
    """The rep's follow-up task in the CRM, due within the lead's SLA (when the organization asks)."""
    policy = RoutingPolicy.objects.filter(organization_id=connection.organization_id).first()
    if not rows or policy is None or not policy.create_tasks:
        return
    if not getattr(client, "supports_tasks", False):
        OwnerWrite.objects.filter(pk__in=[row.pk for row in rows]).update(task_status="unsupported")
        return
    due = timezone.now() + timedelta(minutes=policy.task_due_minutes)
    tasks = [
        FollowUpTask(
            record_id=row.record_id,
            owner_id=row.owner_external_id,
            subject=f"Follow up: {row.decision.lead.name or row.decision.lead.email or 'new lead'}",
            due_at=due,
            body=f"Routed to you by rule '{row.decision.rule_name}'.",
        )
        for row in rows
    ]
    try:
        result = client.create_follow_up_tasks(object_type, tasks)
    except CrmError as error:
        OwnerWrite.objects.filter(pk__in=[row.pk for row in rows]).update(
            task_status="failed", task_error=str(error)
        )
        journey.record(
            journey.event(row.decision.lead_id, JourneyKind.TASK, f"follow-up task failed: {error}")
            for row in rows
        )
        return
    failed = {failure.id: failure.message for failure in result.failed}
    created = iter(result.created)
    events = []
    for row in rows:
        if row.record_id in failed:
            row.task_status, row.task_error = "failed", failed[row.record_id]
            events.append(
                journey.event(
                    row.decision.lead_id, JourneyKind.TASK, f"follow-up task failed: {row.task_error}"
                )
            )
        else:
            task = next(created, None)
            row.task_status, row.task_id = "created", task.id if task else ""
            events.append(
                journey.event(
                    row.decision.lead_id,
                    JourneyKind.TASK,
                    f"follow-up task {row.task_id} due {due:%Y-%m-%d %H:%M} UTC",
                )
            )
        row.save(update_fields=["task_status", "task_id", "task_error"])
    journey.record(events)


def flush_everything_due() -> int:
    """Flush every connection with due rows (the beat's safety net for retries and lost flushes)."""
    now = timezone.now()
    due = OwnerWrite.objects.filter(_due(now)).values_list("connection_id", flat=True).distinct()
    return sum(flush(connection_id) for connection_id in list(due))
