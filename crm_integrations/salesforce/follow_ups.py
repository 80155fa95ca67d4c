"""Follow-up Tasks for reps: ``WhoId`` = the lead, ``OwnerId`` = the rep, due within the SLA.

A Task's due date (``ActivityDate``) is a day; the hour the SLA sets is written in its description
(reminders, ``IsReminderSet``/``ReminderDateTime``, depend on the org's activity settings). Created
with sObject Collections (``POST composite/sobjects``, 200 a call, ``allOrNone: false``), so a
task Salesforce refuses (an unknown lead or user) fails alone, under its lead's id. A task's
``FollowUpTask.key`` goes into its ``Description`` as a reference line; after a create whose outcome is
unknown, ``find_follow_up_tasks`` reads the leads' tasks (SOQL on ``WhoId``, not a search index) and
finds those carrying the key, so a lead never gets a second task for one assignment
(crm_integrations/core/write_once.py does the reading back).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from crm_integrations.core.types import BatchCreateResult, CrmRecord, FollowUpTask, RecordFailure

from . import normalize, soql
from .api import SalesforceApi
from .errors import save_failure
from .objects import BATCH_LIMIT, COLLECTIONS, chunks, unique

TASKS = "tasks"
TASK_FIELDS = "Id, WhoId, OwnerId, Subject, Description, SystemModstamp"
PRIORITIES = {"HIGH": "High", "MEDIUM": "Normal", "LOW": "Low"}


def reference(key: str) -> str:
    """The line in a task's description that names its key ("" without one)."""
    return f"[lead-routing:{key}]" if key else ""


def due_line(due: datetime) -> str:
    """``ActivityDate`` holds only the day: the SLA's hour goes into the description."""
    return f"Due by {due:%Y-%m-%d %H:%M} UTC."


def task_fields(task: FollowUpTask) -> dict[str, Any]:
    due = task.due_at.astimezone(UTC)
    return {
        "WhoId": str(task.record_id),
        "OwnerId": str(task.owner_id),
        "Subject": task.subject[:255],
        "Description": "\n\n".join(part for part in (task.body, due_line(due), reference(task.key)) if part),
        "ActivityDate": due.date().isoformat(),
        "Priority": PRIORITIES[task.priority],
        "Status": "Not Started",
    }


def create_follow_up_tasks(api: SalesforceApi, kind: str, tasks: Sequence[FollowUpTask]) -> BatchCreateResult:
    created: list[CrmRecord] = []
    failed: list[RecordFailure] = []
    for chunk in chunks(list(tasks), BATCH_LIMIT):
        body = {
            "allOrNone": False,
            "records": [{"attributes": {"type": "Task"}, **task_fields(task)} for task in chunk],
        }
        results = api.json("POST", COLLECTIONS, json=body) or []
        answers = [item for item in results if isinstance(item, Mapping)] if isinstance(results, list) else []
        for index, task in enumerate(chunk):
            result = answers[index] if index < len(answers) else {}
            record_id = str(task.record_id)
            if result.get("success") and result.get("id"):
                fields = {**task_fields(task), "Id": str(result["id"])}
                created.append(CrmRecord(TASKS, str(result["id"]), fields, associations={kind: (record_id,)}))
            else:
                code, message = save_failure(result)
                failed.append(RecordFailure(record_id, message, code))
    return BatchCreateResult(created=tuple(created), failed=tuple(failed))


def find_follow_up_tasks(
    api: SalesforceApi, kind: str, tasks: Sequence[FollowUpTask]
) -> dict[str, CrmRecord]:
    """The tasks already on each item's lead carrying its key's reference, by key: one query per 200 leads."""
    wanted = [task for task in tasks if task.key]
    leads = [record_id for record_id in unique([task.record_id for task in wanted]) if soql.is_id(record_id)]
    by_lead: dict[str, list[CrmRecord]] = {}
    for chunk in chunks(leads, BATCH_LIMIT):
        query = soql.select(
            TASK_FIELDS, "Task", f"WhoId IN {soql.id_list(chunk)}", " ORDER BY CreatedDate, Id"
        )
        for body in api.query(query):
            record = normalize.record(TASKS, body)
            by_lead.setdefault(str(record.properties.get("WhoId") or ""), []).append(record)
    found: dict[str, CrmRecord] = {}
    for task in wanted:
        record_id = str(task.record_id)
        for record in by_lead.get(record_id, ()):
            if reference(task.key) in str(record.properties.get("Description") or ""):
                found[task.key] = replace(record, associations={kind: (record_id,)})
                break
    return found
