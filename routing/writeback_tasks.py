"""Services: the rep's follow-up task in the CRM for each assignment written, and never two.

Each task carries its assignment's key (``decision-<id>``, ``FollowUpTask.key``). A batch create
that gets no answer (``OutcomeUnknown``) is not sent again blindly: the CRM is asked which of these
assignments already have their task (``CrmClient.find_follow_up_tasks``, through
``crm_integrations/core/write_once.py``), those count as created and only the others are created.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.utils import timezone

from crm_integrations.core.client import CrmClient
from crm_integrations.core.errors import CrmError
from crm_integrations.core.types import BatchCreateResult, CrmRecord, FollowUpTask
from crm_integrations.core.write_once import send_once
from crm_integrations.models import OrganizationIntegration

from . import journey
from .models import JourneyKind, OwnerWrite, RoutingPolicy


def task_key(row: OwnerWrite) -> str:
    """What makes a task this assignment's (kept with the task at the CRM)."""
    return f"decision-{row.decision_id}"


def follow_up_task(row: OwnerWrite, due: datetime) -> FollowUpTask:
    return FollowUpTask(
        record_id=row.record_id,
        owner_id=row.owner_external_id,
        subject=f"Follow up: {row.decision.lead.name or row.decision.lead.email or 'new lead'}",
        due_at=due,
        body=f"Routed to you by rule '{row.decision.rule_name}'.",
        key=task_key(row),
    )


def create_tasks(
    connection: OrganizationIntegration, client: CrmClient, object_type: str, rows: Sequence[OwnerWrite]
) -> None:
    """The rep's follow-up task in the CRM, due within the lead's SLA (when the organization asks)."""
    policy = RoutingPolicy.objects.filter(organization_id=connection.organization_id).first()
    if not rows or policy is None or not policy.create_tasks:
        return
    if not client.supports_tasks:
        OwnerWrite.objects.filter(pk__in=[row.pk for row in rows]).update(task_status="unsupported")
        return
    due = timezone.now() + timedelta(minutes=policy.task_due_minutes)
    tasks = {row: follow_up_task(row, due) for row in rows}

    def send(batch: list[OwnerWrite]) -> BatchCreateResult:
        return client.create_follow_up_tasks(object_type, [tasks[row] for row in batch])

    def read_back(batch: list[OwnerWrite]) -> dict[OwnerWrite, CrmRecord]:
        found = client.find_follow_up_tasks(object_type, [tasks[row] for row in batch])
        return {row: found[task_key(row)] for row in batch if task_key(row) in found}

    landed: dict[OwnerWrite, CrmRecord] = {}
    try:
        sent = send_once(list(rows), send, read_back, landed=landed)
    except CrmError as error:
        outcomes = {row: _created(landed[row]) if row in landed else _failure(str(error)) for row in rows}
    else:
        outcomes = {row: _created(task) for row, task in landed.items()}
        if sent.answer is not None:
            outcomes.update(_answered(object_type, sent.answered, sent.answer))
        for row in sent.unknown:
            outcomes[row] = _failure(
                f"{sent.error}; no task found for this assignment yet. It is not sent again, so the rep "
                "never gets two: if the CRM applied it late, the task is there all the same"
            )
    _record(outcomes, due)


def _created(task: CrmRecord) -> tuple[str, str, str]:
    return ("created", task.id, "")


def _failure(message: str) -> tuple[str, str, str]:
    return ("failed", "", message)


def _answered(
    object_type: str, rows: Sequence[OwnerWrite], result: BatchCreateResult
) -> dict[OwnerWrite, tuple[str, str, str]]:
    """Each row's outcome in the CRM's answer: its failure, or the task made for its record."""
    failed = {failure.id: failure.message for failure in result.failed}
    made = {
        record_id: task for task in result.created for record_id in task.associations.get(object_type, ())
    }
    outcomes: dict[OwnerWrite, tuple[str, str, str]] = {}
    for row in rows:
        if row.record_id in failed:
            outcomes[row] = _failure(failed[row.record_id])
        else:
            task = made.get(row.record_id)
            outcomes[row] = ("created", task.id if task else "", "")
    return outcomes


def _record(outcomes: dict[OwnerWrite, tuple[str, str, str]], due: datetime) -> None:
    events = []
    for row, (status, task_id, error) in outcomes.items():
        row.task_status, row.task_id, row.task_error = status, task_id, error[:2000]
        row.save(update_fields=["task_status", "task_id", "task_error"])
        summary = (
            f"follow-up task {task_id} due {due:%Y-%m-%d %H:%M} UTC"
            if status == "created"
            else f"follow-up task failed: {error}"
        )
        events.append(journey.event(row.decision.lead_id, JourneyKind.TASK, summary))
    journey.record(events)
