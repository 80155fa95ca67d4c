"""The REST API under ``/services/data``: versions, limits, describe, sObject rows and sObject
Collections, in Salesforce's shapes (queries: rest_query.py). guard.py has already checked
the token, the version and the allocation; errors are :class:`SfError` arrays (app.py renders them)."""

from __future__ import annotations

import base64
import copy
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from . import records, soql_run
from .config import API_VERSIONS
from .errors import SfError, json_error, not_found
from .guard import api_version as _version
from .guard import sandbox
from .ids import PREFIXES, normalise
from .records import object_or_404
from .schema import OBJECTS, SObject
from .state import Change, SandboxState

blueprint = Blueprint("salesforce_rest", __name__)
MAX_COLLECTION = 200


def _json_body() -> Any:
    body = request.get_json(silent=True)
    if body is None:
        raise json_error("Unexpected character: the request body is not valid JSON")
    return body


def _auto_assign() -> bool:
    """``Sforce-Auto-Assign``: FALSE turns the assignment rule off; TRUE, a rule id or no header keep it."""
    return request.headers.get("Sforce-Auto-Assign", "TRUE").strip().upper() != "FALSE"


def _emit(state: SandboxState, changes: list[Change]) -> None:
    for change in changes:
        state.emit(change)


# --- versions, resources, limits ---------------------------------------------------------------------
@blueprint.get("/services/data/", strict_slashes=False)
def versions() -> Response:
    return jsonify([{"label": f"API {v}", "url": f"/services/data/v{v}", "version": v} for v in API_VERSIONS])


@blueprint.get("/services/data/v<version>/", strict_slashes=False)
def resources(version: str) -> Response:
    base = f"/services/data/v{_version()}"
    names = ("query", "queryAll", "sobjects", "composite", "limits")
    return jsonify({name: f"{base}/{name}" for name in names})


@blueprint.get("/services/data/v<version>/limits", strict_slashes=False)
def limits(version: str) -> Response:
    state = sandbox()
    limit = state.config.daily_api_limit
    used = state.usage.used()
    return jsonify({"DailyApiRequests": {"Max": limit, "Remaining": max(limit - used, 0)}})


# --- describe ------------------------------------------------------------------------------------------
@blueprint.get("/services/data/v<version>/sobjects", strict_slashes=False)
def describe_global(version: str) -> Response:
    objects = [_object_summary(obj) for obj in OBJECTS.values()]
    return jsonify({"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": objects})


def _object_summary(obj: SObject) -> dict[str, Any]:
    base = f"/services/data/v{_version()}/sobjects/{obj.name}"
    return {
        "name": obj.name,
        "label": obj.label,
        "labelPlural": obj.plural,
        "createable": obj.createable,
        "updateable": obj.updateable,
        "queryable": True,
        "custom": False,
        "keyPrefix": PREFIXES.get(obj.name),
        "urls": {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"},
    }


@blueprint.get("/services/data/v<version>/sobjects/<name>/describe", strict_slashes=False)
def describe(version: str, name: str) -> Response:
    obj = object_or_404(name)
    state = sandbox()
    with state.lock:
        fields = [
            f.describe(records.picklist_values(state, obj, f.name) if f.type == "picklist" else None)
            for f in obj.fields.values()
        ]
    return jsonify({**_object_summary(obj), "fields": fields})


@blueprint.get("/services/data/v<version>/sobjects/<name>", strict_slashes=False)
def object_info(version: str, name: str) -> Response:
    obj = object_or_404(name)
    state = sandbox()
    with state.lock:
        recent = sorted(state.records[obj.name].values(), key=lambda r: r.get("SystemModstamp") or "")[-5:]
        rows = [
            {"attributes": soql_run.attributes(obj.name, r["Id"], _version()), "Id": r["Id"]} for r in recent
        ]
    return jsonify({"objectDescribe": _object_summary(obj), "recentItems": rows})


# --- rows ----------------------------------------------------------------------------------------------
def _row(obj: SObject, record: dict[str, Any], fields: list[str] | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {"attributes": soql_run.attributes(obj.name, record["Id"], _version())}
    names = fields or list(obj.fields)
    for name in names:
        definition = obj.field(name)
        if definition is None:
            raise SfError(400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {obj.name}")
        value = record.get(definition.name)
        if definition.type == "base64" and value is not None:
            value = f"/services/data/v{_version()}/sobjects/{obj.name}/{record['Id']}/{definition.name}"
        row[definition.name] = value
    return row


@blueprint.get("/services/data/v<version>/sobjects/<name>/<record_id>", strict_slashes=False)
def get_row(version: str, name: str, record_id: str) -> Response:
    obj = object_or_404(name)
    fields = [f for f in request.args.get("fields", "").split(",") if f.strip()]
    state = sandbox()
    with state.lock:
        return jsonify(_row(obj, records.get(state, obj, record_id), [f.strip() for f in fields] or None))


@blueprint.get("/services/data/v<version>/sobjects/<name>/<record_id>/<field_name>", strict_slashes=False)
def get_blob(version: str, name: str, record_id: str, field_name: str) -> Response:
    obj = object_or_404(name)
    definition = obj.field(field_name)
    if definition is None or definition.type != "base64":
        raise not_found()
    state = sandbox()
    with state.lock:
        data = base64.b64decode(records.get(state, obj, record_id).get(definition.name) or "")
    return Response(data, mimetype="application/octet-stream")


@blueprint.post("/services/data/v<version>/sobjects/<name>", strict_slashes=False)
def create_row(version: str, name: str) -> tuple[Response, int]:
    obj = object_or_404(name)
    body = _json_body()
    if not isinstance(body, dict):
        raise json_error("Expected a JSON object")
    state = sandbox()
    with state.lock:
        change = records.create(state, obj, body, user_id=g.token.user_id, auto_assign=_auto_assign())
        _emit(state, [change])
    return jsonify({"id": change.record_id, "success": True, "errors": []}), 201


@blueprint.patch("/services/data/v<version>/sobjects/<name>/<record_id>", strict_slashes=False)
def update_row(version: str, name: str, record_id: str) -> Response:
    obj = object_or_404(name)
    body = _json_body()
    if not isinstance(body, dict):
        raise json_error("Expected a JSON object")
    state = sandbox()
    with state.lock:
        change = records.update(
            state, obj, record_id, body, user_id=g.token.user_id, auto_assign=_auto_assign()
        )
        _emit(state, [change])
    return Response(status=204)


@blueprint.delete("/services/data/v<version>/sobjects/<name>/<record_id>", strict_slashes=False)
def delete_row(version: str, name: str, record_id: str) -> Response:
    obj = object_or_404(name)
    state = sandbox()
    with state.lock:
        records.delete(state, obj, record_id)
    return Response(status=204)


# --- sObject Collections ------------------------------------------------------------------------------------
@blueprint.get("/services/data/v<version>/composite/sobjects/<name>", strict_slashes=False)
def collection_get(version: str, name: str) -> Response:
    obj = object_or_404(name)
    ids = [i.strip() for i in request.args.get("ids", "").split(",") if i.strip()]
    fields = [f.strip() for f in request.args.get("fields", "").split(",") if f.strip()]
    if not ids or not fields:
        raise SfError(400, "MISSING_ARGUMENT", "ids and fields are required")
    if len(ids) > 2000:
        raise SfError(400, "EXCEEDED_ID_LIMIT", "more than 2000 ids")
    state = sandbox()
    with state.lock:
        table = state.records[obj.name]
        rows = []
        for record_id in ids:
            record = table.get(normalise(record_id))
            rows.append(None if record is None or record.get("IsDeleted") else _row(obj, record, fields))
    return jsonify(rows)


@blueprint.route(
    "/services/data/v<version>/composite/sobjects", methods=["POST", "PATCH"], strict_slashes=False
)
def collection_write(version: str) -> Response:
    body = _json_body()
    items = body.get("records") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise json_error("records must be a non-empty array")
    if len(items) > MAX_COLLECTION:
        raise SfError(
            400,
            "EXCEEDED_ID_LIMIT",
            "record limit reached. cannot submit more than 200 records into this call",
        )
    all_or_none = bool(body.get("allOrNone"))
    creating = request.method == "POST"
    state = sandbox()
    with state.lock:
        saved = copy.deepcopy(state.records) if all_or_none else None
        counters = dict(state.counters)
        results, changes = [], []
        for item in items:
            try:
                change = _collection_item(state, item, creating)
            except SfError as error:
                result: dict[str, Any] = {"success": False, "errors": [error.save_error()]}
                if not creating and isinstance(item, dict) and item.get("id"):
                    result = {"id": item["id"], **result}
                results.append(result)
                continue
            changes.append(change)
            results.append({"id": change.record_id, "success": True, "errors": []})
        if saved is not None and any(not r["success"] for r in results):
            state.records, state.counters = saved, counters
            rolled_back = SfError(
                400,
                "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                "Record rolled back because not all records were valid and the request was using AllOrNone "
                "header",
            ).save_error()
            results = [
                r if not r["success"] else {"id": r["id"], "success": False, "errors": [rolled_back]}
                for r in results
            ]
            changes = []
        _emit(state, changes)
    return jsonify(results)


def _collection_item(state: SandboxState, item: Any, creating: bool) -> Change:
    if not isinstance(item, dict):
        raise json_error("each record must be a JSON object")
    type_name = (item.get("attributes") or {}).get("type")
    if not type_name:
        raise SfError(400, "INVALID_TYPE", "Must send a concrete entity type.")
    obj = object_or_404(type_name)
    values = {key: value for key, value in item.items() if key not in ("attributes", "id", "Id")}
    user = g.token.user_id
    if creating:
        if item.get("id") or item.get("Id"):
            raise SfError(400, "INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
        return records.create(state, obj, values, user_id=user, auto_assign=_auto_assign())
    record_id = item.get("id") or item.get("Id")
    if not record_id:
        raise SfError(400, "MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])
    try:
        return records.update(state, obj, str(record_id), values, user_id=user, auto_assign=_auto_assign())
    except SfError as error:
        if error.code != "NOT_FOUND":
            raise
        if state.records[obj.name].get(normalise(str(record_id)), {}).get("IsDeleted"):
            raise SfError(400, "ENTITY_IS_DELETED", "entity is deleted") from None
        raise SfError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id") from None
