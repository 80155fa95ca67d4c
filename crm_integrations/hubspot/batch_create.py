"""Batch create (CRM objects v3) in chunks of 100, with per-input failures instead of all-or-nothing.

Every input carries an ``objectWriteTraceId`` (its position), which asks HubSpot for a multi-status
answer: a 207 creates the valid inputs and lists the others in ``errors`` instead of a 400 that creates
none (HubSpot's "Error handling" guide, "Multi-status errors"). Created records echo their trace id
(``SimplePublicObject.objectWriteTraceId``), which pairs them with their inputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from crm_integrations.core.errors import InvalidRequest
from crm_integrations.core.types import BatchCreateResult, CrmRecord, RecordFailure

from . import normalize
from .api import HubSpotApi
from .errors import batch_errors, failures_for
from .object_types import object_type
from .objects import BATCH_LIMIT, chunks, create_input, unique

BATCH_CREATE = "/crm/v3/objects/{objectType}/batch/create"
TRACE_ID = "objectWriteTraceId"


@dataclass(frozen=True)
class NewRecord:
    """One input; ``key`` names it in ``failed`` (e.g. the lead a task is for)."""

    key: str
    properties: Mapping[str, Any]
    associations: Mapping[str, Sequence[str]] = field(default_factory=dict)


def batch_create(api: HubSpotApi, kind: str, items: Sequence[NewRecord]) -> BatchCreateResult:
    """Create ``items`` with their inline associations; each created record's ``associations``
    are those it was created with. A 400 (a malformed chunk) fails its whole chunk."""
    name = object_type(kind).name
    created: list[CrmRecord] = []
    failed: list[RecordFailure] = []
    for chunk in chunks([(str(index), item) for index, item in enumerate(items)], BATCH_LIMIT):
        done, errors = _create_chunk(api, name, chunk)
        created.extend(done)
        failed.extend(errors)
    return BatchCreateResult(created=tuple(created), failed=tuple(failed))


def _create_chunk(
    api: HubSpotApi, name: str, chunk: Sequence[tuple[str, NewRecord]]
) -> tuple[list[CrmRecord], list[RecordFailure]]:
    inputs = [
        {**create_input(name, item.properties, item.associations), TRACE_ID: trace} for trace, item in chunk
    ]
    try:
        response = api.call(
            "POST", BATCH_CREATE, path_params={"objectType": name}, json={"inputs": inputs}, write=True
        )
    except InvalidRequest as error:
        if error.status != 400:
            raise
        return [], [RecordFailure(item.key, error.message, error.code or "") for _, item in chunk]
    body = response.json() if response.content else {}
    answers = _by_trace(chunk, body.get("results") or [])
    records = [
        replace(
            normalize.record(name, answers[trace]),
            associations={to_kind: tuple(unique(ids)) for to_kind, ids in item.associations.items()},
        )
        for trace, item in chunk
        if trace in answers
    ]
    keys = {trace: item.key for trace, item in chunk}
    missing = [trace for trace, _ in chunk if trace not in answers]
    failures = failures_for(missing, batch_errors(body, TRACE_ID)) if missing else []
    return records, [replace(failure, id=keys[failure.id]) for failure in failures]


def _by_trace(chunk: Sequence[tuple[str, NewRecord]], results: list[dict[str, Any]]) -> dict[str, dict]:
    """Created records by the trace id they echo. An answer that echoes none but holds every input
    is paired in order, so nothing created is reported failed (and retried into a duplicate)."""
    traced = {str(item[TRACE_ID]): item for item in results if item.get(TRACE_ID) not in (None, "")}
    if len(traced) < len(results) and len(results) == len(chunk):
        return {trace: item for (trace, _), item in zip(chunk, results, strict=True)}
    return traced
