"""Batch create's edge cases, scripted: what we send, answers that do not echo trace ids, a 400."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import responses

from crm_integrations.core.types import FollowUpTask

from .conftest import OFFLINE_API, sent_json

TASKS_CREATE = f"{OFFLINE_API}/crm/v3/objects/tasks/batch/create"
DUE = datetime(2030, 1, 2, 9, 0, tzinfo=UTC)


def created(task_id: str, **extra: str) -> dict:
    return {
        "id": task_id,
        "properties": {"hs_object_id": task_id},
        "archived": False,
        "createdAt": "2030-01-01T00:00:00.000Z",
        "updatedAt": "2030-01-01T00:00:00.000Z",
        **extra,
    }


def tasks(*lead_ids: str) -> list[FollowUpTask]:
    return [FollowUpTask(lead_id, "70000001", f"Call {lead_id}", DUE, body="Hi") for lead_id in lead_ids]


def test_each_input_carries_its_properties_its_lead_and_a_trace_id(offline_client, mocked):
    mocked.add(
        responses.POST,
        TASKS_CREATE,
        json={"status": "COMPLETE", "results": [created("9", objectWriteTraceId="0")]},
        status=201,
    )

    result = offline_client.create_follow_up_tasks("leads", tasks("41"))

    (sent,) = sent_json(mocked.calls[0])["inputs"]
    assert sent == {
        "properties": {
            "hs_timestamp": "2030-01-02T09:00:00.000Z",
            "hs_task_subject": "Call 41",
            "hs_task_body": "Hi",
            "hs_task_status": "NOT_STARTED",
            "hs_task_priority": "HIGH",
            "hs_task_type": "TODO",
            "hubspot_owner_id": "70000001",
        },
        "associations": [
            {
                "to": {"id": "41"},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 647}],
            }
        ],
        "objectWriteTraceId": "0",
    }
    assert [(task.id, task.associations) for task in result.created] == [("9", {"leads": ("41",)})]


def test_a_complete_answer_without_trace_ids_is_paired_in_order(offline_client, mocked):
    body = {"status": "COMPLETE", "results": [created("9"), created("10")]}
    mocked.add(responses.POST, TASKS_CREATE, json=body, status=201)

    result = offline_client.create_follow_up_tasks("leads", tasks("41", "42"))

    assert [(task.id, task.associations["leads"]) for task in result.created] == [
        ("9", ("41",)),
        ("10", ("42",)),
    ]
    assert result.failed == ()


def test_an_error_naming_no_input_still_fails_the_inputs_not_created(offline_client, mocked):
    body = {
        "status": "COMPLETE",
        "results": [created("9", objectWriteTraceId="1")],
        "numErrors": 1,
        "errors": [
            {"status": "error", "category": "VALIDATION_ERROR", "message": "Bad owner", "context": {}}
        ],
    }
    mocked.add(responses.POST, TASKS_CREATE, json=body, status=207)

    result = offline_client.create_follow_up_tasks("leads", tasks("41", "42"))

    assert [task.associations["leads"] for task in result.created] == [("42",)]
    assert [(f.id, f.code, f.message) for f in result.failed] == [("41", "VALIDATION_ERROR", "Bad owner")]


def test_a_rejected_chunk_fails_its_tasks_instead_of_raising(offline_client, mocked):
    error = {"status": "error", "message": "Invalid input JSON", "category": "VALIDATION_ERROR"}
    mocked.add(responses.POST, TASKS_CREATE, body=json.dumps(error), status=400)

    result = offline_client.create_follow_up_tasks("contacts", tasks("7", "8"))

    assert result.created == ()
    assert [(f.id, f.code) for f in result.failed] == [("7", "VALIDATION_ERROR"), ("8", "VALIDATION_ERROR")]
    types = sent_json(mocked.calls[0])["inputs"][0]["associations"][0]["types"]
    assert types == [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204}]
