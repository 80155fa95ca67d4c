"""CRM objects v3: get, list, create, update, archive, batch read/create/update/upsert/archive, search."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from . import records
from .errors import ApiError, validation_error
from .guard import SEARCH, guard, sandbox
from .http import (
    batch_error,
    batch_reply,
    bool_param,
    check_batch_size,
    int_param,
    json_body,
    list_param,
    no_content,
    paging,
    reply,
)
from .object_types import ObjectType, object_type
from .search import parse_search, run_search
from .state import API_SOURCE, Portal, Record, SandboxState

BATCH_LIMIT = 100
LIST_LIMIT = 100
TRACE_ID = "objectWriteTraceId"

blueprint = Blueprint("crm_objects", __name__)


def _read(otype_key: str) -> tuple[ObjectType, Portal]:
    otype = object_type(otype_key)
    return otype, guard(otype.read_scopes).portal


def _write(otype_key: str) -> tuple[ObjectType, Portal]:
    otype = object_type(otype_key)
    return otype, guard(otype.write_scopes).portal


def _full(portal: Portal, otype: ObjectType, record: Record) -> dict[str, Any]:
    """Create/update answers carry every property that has a value."""
    return records.serialize(portal, otype, record, [k for k, v in record.properties.items() if v])


@blueprint.get("/<object_type_key>")
def list_objects(object_type_key: str) -> Response:
    otype, portal = _read(object_type_key)
    limit = int_param("limit", 10, LIST_LIMIT)
    after = request.args.get("after") or "0"
    if not after.isdigit():
        raise validation_error(f"after must be a record id cursor, got {after!r}.")
    archived = bool_param("archived")
    with sandbox().lock:
        candidates = [
            r
            for r in portal.records.get(otype.name, {}).values()
            if r.archived == archived and r.id >= int(after)
        ]
        page = sorted(candidates, key=lambda r: r.id)[: limit + 1]
        wanted = (list_param("properties"), list_param("propertiesWithHistory"), list_param("associations"))
        results = [records.serialize(portal, otype, r, *wanted) for r in page[:limit]]
    next_after = str(page[limit].id) if len(page) > limit else None
    return reply({"results": results, **paging(next_after)})


@blueprint.get("/<object_type_key>/<object_id>")
def get_object(object_type_key: str, object_id: str) -> Response:
    otype, portal = _read(object_type_key)
    with sandbox().lock:
        record = records.require_record(
            portal,
            otype,
            object_id,
            id_property=request.args.get("idProperty"),
            archived=bool_param("archived"),
        )
        body = records.serialize(
            portal,
            otype,
            record,
            list_param("properties"),
            list_param("propertiesWithHistory"),
            list_param("associations"),
        )
    return reply(body)


@blueprint.post("/<object_type_key>")
def create_object(object_type_key: str) -> Response:
    otype, portal = _write(object_type_key)
    body = json_body()
    state = sandbox()
    with state.lock:
        record = records.create_record(
            state, portal, otype, body.get("properties") or {}, body.get("associations"), API_SOURCE
        )
        return reply(_full(portal, otype, record), 201)


@blueprint.patch("/<object_type_key>/<object_id>")
def update_object(object_type_key: str, object_id: str) -> Response:
    otype, portal = _write(object_type_key)
    body = json_body()
    state = sandbox()
    with state.lock:
        record = records.require_record(portal, otype, object_id, id_property=request.args.get("idProperty"))
        records.update_record(state, portal, otype, record, body.get("properties") or {}, API_SOURCE)
        return reply(_full(portal, otype, record))


@blueprint.delete("/<object_type_key>/<object_id>")
def archive_object(object_type_key: str, object_id: str) -> Response:
    otype, portal = _write(object_type_key)
    state = sandbox()
    with state.lock:
        record = records.find_record(portal, otype, object_id)
        if record is not None:  # HubSpot answers 204 for ids that are already gone
            records.archive_record(state, portal, otype, record, API_SOURCE)
    return no_content()


def _not_found_error(otype: ObjectType, verb: str, ids: list[str]) -> dict[str, Any]:
    kind = otype.singular.upper()
    message = (
        f"Could not {verb} some {kind} objects, they may be deleted or not exist. Check that ids are valid."
    )
    return batch_error("OBJECT_NOT_FOUND", message, {"ids": ids})


@blueprint.post("/<object_type_key>/batch/read")
def batch_read(object_type_key: str) -> Response:
    otype, portal = _read(object_type_key)
    body = json_body()
    started = sandbox().clock.now_ms()
    inputs = check_batch_size(body.get("inputs"), BATCH_LIMIT)
    archived = bool_param("archived")
    with sandbox().lock:
        found, missing = [], []
        for item in inputs:
            record_id = str(item.get("id", ""))
            record = records.find_record(portal, otype, record_id, body.get("idProperty"), archived=archived)
            if record is None:
                missing.append(record_id)
            else:
                found.append(
                    records.serialize(
                        portal, otype, record, body.get("properties"), body.get("propertiesWithHistory")
                    )
                )
    errors = [_not_found_error(otype, "get", missing)] if missing else []
    return batch_reply(found, errors, started)


@blueprint.post("/<object_type_key>/batch/create")
def batch_create(object_type_key: str) -> Response:
    """All or nothing (one bad input: 400, nothing created), unless every input has its own
    ``objectWriteTraceId``: then each input stands alone and the failed ones come back in a 207
    (HubSpot's error-handling guide, "Multi-status"), which the app's batch create relies on
    (crm_integrations/hubspot/batch_create.py)."""
    otype, portal = _write(object_type_key)
    inputs = check_batch_size(json_body().get("inputs"), BATCH_LIMIT)
    started = sandbox().clock.now_ms()
    state = sandbox()
    traces = [str(item.get(TRACE_ID) or "") for item in inputs]
    if all(traces) and len(set(traces)) == len(traces):
        with state.lock:
            results, errors = _create_each(state, portal, otype, inputs, traces)
        return batch_reply(results, errors, started, ok_status=201)
    with state.lock:
        prepared = [_prepare(portal, otype, item) for item in inputs]
        created = [records.commit_create(state, portal, item, API_SOURCE) for item in prepared]
        results = [_full(portal, otype, record) for record in created]
    return batch_reply(results, [], started, ok_status=201)


def _prepare(portal: Portal, otype: ObjectType, item: dict[str, Any]) -> records.PreparedCreate:
    return records.prepare_create(portal, otype, item.get("properties") or {}, item.get("associations"))


def _create_each(
    state: SandboxState, portal: Portal, otype: ObjectType, inputs: list[dict[str, Any]], traces: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Multi-status create: results echo their trace id; each error names it in ``context``
    (``context.objectWriteTraceId`` is ours: HubSpot documents no exact error shape)."""
    results, errors = [], []
    for item, trace in zip(inputs, traces, strict=True):
        try:
            prepared = _prepare(portal, otype, item)
        except ApiError as error:
            entry = batch_error(error.body["category"], error.body["message"], {TRACE_ID: [trace]})
            errors.append({**entry, "errors": error.body.get("errors", [])})
            continue
        record = records.commit_create(state, portal, prepared, API_SOURCE)
        results.append({**_full(portal, otype, record), TRACE_ID: trace})
    return results, errors


@blueprint.post("/<object_type_key>/batch/update")
def batch_update(object_type_key: str) -> Response:
    otype, portal = _write(object_type_key)
    inputs = check_batch_size(json_body().get("inputs"), BATCH_LIMIT)
    started = sandbox().clock.now_ms()
    state = sandbox()
    with state.lock:
        planned, missing = [], []
        for item in inputs:
            record = records.find_record(portal, otype, str(item.get("id", "")), item.get("idProperty"))
            if record is None:
                missing.append(str(item.get("id", "")))
                continue
            planned.append(
                (record, records.prepare_update(portal, otype, record, item.get("properties") or {}))
            )
        results = [
            _full(portal, otype, records.commit_update(state, portal, otype, record, clean, API_SOURCE))
            for record, clean in planned
        ]
    errors = [_not_found_error(otype, "update", missing)] if missing else []
    return batch_reply(results, errors, started)


@blueprint.post("/<object_type_key>/batch/upsert")
def batch_upsert(object_type_key: str) -> Response:
    """Create-or-update by a unique ``idProperty`` (e.g. contacts by ``email``)."""
    otype, portal = _write(object_type_key)
    inputs = check_batch_size(json_body().get("inputs"), BATCH_LIMIT)
    started = sandbox().clock.now_ms()
    state = sandbox()
    with state.lock:
        plans = []
        for item in inputs:
            id_property, key = item.get("idProperty") or "hs_object_id", str(item.get("id", ""))
            record = records.find_record(portal, otype, key, id_property)
            values = item.get("properties") or {}
            if record is not None:
                plans.append((record, records.prepare_update(portal, otype, record, values)))
            else:
                values = {**values, id_property: key} if id_property != "hs_object_id" else values
                plans.append((None, records.prepare_create(portal, otype, values, item.get("associations"))))
        results = []
        for record, plan in plans:
            if record is None:
                stored = records.commit_create(state, portal, plan, API_SOURCE)
            else:
                stored = records.commit_update(state, portal, otype, record, plan, API_SOURCE)
            results.append({**_full(portal, otype, stored), "new": record is None})
    return batch_reply(results, [], started)


@blueprint.post("/<object_type_key>/batch/archive")
def batch_archive(object_type_key: str) -> Response:
    otype, portal = _write(object_type_key)
    inputs = check_batch_size(json_body().get("inputs"), BATCH_LIMIT)
    state = sandbox()
    with state.lock:
        for item in inputs:
            record = records.find_record(portal, otype, str(item.get("id", "")))
            if record is not None:
                records.archive_record(state, portal, otype, record, API_SOURCE)
    return no_content()


@blueprint.post("/<object_type_key>/search")
def search(object_type_key: str) -> Response:
    otype = object_type(object_type_key)
    portal = guard(otype.read_scopes, bucket=SEARCH).portal
    body = json_body()
    with sandbox().lock:
        parsed = parse_search(body, otype, portal)
        total, page, next_after = run_search(portal, otype, parsed)
        results = [records.serialize(portal, otype, record, parsed.properties) for record in page]
    return reply({"total": total, "results": results, **paging(str(next_after) if next_after else None)})
