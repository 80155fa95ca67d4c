"""Follow-up tasks for reps: one HubSpot task per item, associated inline with its record.

Tasks are created with ``POST /crm/v3/objects/tasks/batch/create`` (100 per call). The task ->
record association type comes from the one table in ``object_types`` (tasks -> leads, contacts,
companies or deals). HubSpot checks ``hubspot_owner_id`` against the portal's owners, so an
unknown owner fails its task alone (see ``batch_create``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from crm_integrations.core.types import BatchCreateResult, FollowUpTask

from .api import HubSpotApi
from .batch_create import NewRecord, batch_create
from .object_types import object_type

TASKS = "tasks"


def hubspot_time(moment: datetime) -> str:
    """An aware datetime as HubSpot writes datetimes: ``2026-01-06T09:12:33.120Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def task_properties(task: FollowUpTask) -> dict[str, str]:
    return {
        "hs_timestamp": hubspot_time(task.due_at),  # a task's due date
        "hs_task_subject": task.subject,
        "hs_task_body": task.body,
        "hs_task_status": "NOT_STARTED",
        "hs_task_priority": task.priority,
        "hs_task_type": "TODO",
        "hubspot_owner_id": str(task.owner_id),
    }


def create_follow_up_tasks(api: HubSpotApi, kind: str, tasks: Sequence[FollowUpTask]) -> BatchCreateResult:
    """Failures are keyed by ``FollowUpTask.record_id``; created tasks carry ``associations[kind]``."""
    name = object_type(kind).name
    items = [
        NewRecord(str(task.record_id), task_properties(task), {name: [str(task.record_id)]}) for task in tasks
    ]
    return batch_create(api, TASKS, items)
