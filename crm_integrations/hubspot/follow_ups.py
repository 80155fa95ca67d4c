"""Follow-up tasks for reps: one HubSpot task per item, associated inline with its record.

Tasks are created with ``POST /crm/v3/objects/tasks/batch/create`` (100 per call). The task ->
record association type comes from the one table in ``object_types`` (tasks -> leads, contacts,
companies or deals). HubSpot checks ``hubspot_owner_id`` against the portal's owners, so an
unknown owner fails its task alone (see ``batch_create``).

A task's ``FollowUpTask.key`` goes into its body as a reference line. After a create whose
outcome is unknown, ``find_follow_up_tasks`` reads each record's associated tasks (associations
v4, then a batch read of their bodies; no search, whose index lags behind) and finds the tasks
carrying those references, so a record never gets a second task for one key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from crm_integrations.core.types import BatchCreateResult, CrmRecord, FollowUpTask

from .api import HubSpotApi
from .associations import AssociationsApi
from .batch_create import NewRecord, batch_create
from .object_types import object_type
from .objects import ObjectsApi, unique

TASKS = "tasks"
BODY = "hs_task_body"


def hubspot_time(moment: datetime) -> str:
    """An aware datetime as HubSpot writes datetimes: ``2026-01-06T09:12:33.120Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def reference(key: str) -> str:
    """The line in a task's body that names its key ("" without one)."""
    return f"[lead-routing:{key}]" if key else ""


def task_properties(task: FollowUpTask) -> dict[str, str]:
    return {
        "hs_timestamp": hubspot_time(task.due_at),  # a task's due date
        "hs_task_subject": task.subject,
        BODY: "\n\n".join(part for part in (task.body, reference(task.key)) if part),
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


def find_follow_up_tasks(
    associations: AssociationsApi, objects: ObjectsApi, kind: str, tasks: Sequence[FollowUpTask]
) -> dict[str, CrmRecord]:
    """The tasks already associated with each item's record and carrying its key's reference, by
    key: one associations read per 1,000 records and one batch read per 100 tasks."""
    name = object_type(kind).name
    wanted = [task for task in tasks if task.key]
    if not wanted:
        return {}
    linked = associations.batch_read(name, TASKS, unique([task.record_id for task in wanted]))
    task_ids = unique([task_id for ids in linked.values() for task_id in ids])
    if not task_ids:
        return {}
    existing = {record.id: record for record in objects.batch_read(TASKS, task_ids, properties=[BODY])}
    found: dict[str, CrmRecord] = {}
    for task in wanted:
        record_id = str(task.record_id)
        for task_id in linked.get(record_id, ()):
            record = existing.get(task_id)
            if record is not None and reference(task.key) in (record.properties.get(BODY) or ""):
                found[task.key] = replace(record, associations={name: (record_id,)})
                break
    return found
