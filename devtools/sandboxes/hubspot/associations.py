"""Associations v4: read a record's associations, batch read, create (labelled/default), remove, labels."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from . import records
from .association_types import HUBSPOT_DEFINED, AssociationType, association_type, default_type, types_between
from .errors import validation_error
from .guard import EXEMPT, guard, sandbox
from .http import batch_error, batch_reply, check_batch_size, int_param, json_body, no_content, paging, reply
from .object_types import ObjectType, object_type
from .state import Portal

BATCH_READ_LIMIT = 1000
BATCH_WRITE_LIMIT = 100

blueprint = Blueprint("associations_v4", __name__)


def _types(from_key: str, to_key: str) -> tuple[ObjectType, ObjectType]:
    return object_type(from_key), object_type(to_key)


def _spec(kind: AssociationType) -> dict[str, Any]:
    """``AssociationSpecWithLabel``: unlabeled types have no ``label`` key."""
    spec: dict[str, Any] = {"category": HUBSPOT_DEFINED, "typeId": kind.type_id}
    if kind.label:
        spec["label"] = kind.label
    return spec


def _associated(
    portal: Portal, source: ObjectType, record_id: int, target: ObjectType
) -> list[dict[str, Any]]:
    return [
        {
            "toObjectId": str(to_id),
            "associationTypes": [_spec(k) for k in map(association_type, type_ids) if k],
        }
        for to_id, type_ids in records.live_targets(portal, source.name, record_id, target.name)
    ]


def _page(
    items: list[dict[str, Any]], after: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Cursor paging over associations ordered by target id (``after`` = first target id of the next page)."""
    start = int(after) if after and after.isdigit() else 0
    remaining = [item for item in items if int(item["toObjectId"]) >= start]
    next_after = remaining[limit]["toObjectId"] if len(remaining) > limit else None
    return remaining[:limit], next_after


def _after_change(portal: Portal, *kinds: ObjectType) -> None:
    """Keep lead helper properties (primary company) in step with association changes."""
    if any(kind.name == "leads" for kind in kinds):
        leads = object_type("leads")
        for record in portal.records.get("leads", {}).values():
            records.refresh_derived(portal, leads, record)


@blueprint.get("/objects/<from_key>/<object_id>/associations/<to_key>")
def read_associations(from_key: str, object_id: str, to_key: str) -> Response:
    source, target = _types(from_key, to_key)
    portal = guard(source.read_scopes, target.read_scopes).portal
    limit = int_param("limit", 500, 500)
    with sandbox().lock:
        record = records.require_record(portal, source, object_id)
        items, next_after = _page(
            _associated(portal, source, record.id, target), request.args.get("after"), limit
        )
    return reply({"results": items, **paging(next_after)})


@blueprint.put("/objects/<from_key>/<from_id>/associations/default/<to_key>/<to_id>")
def associate_default(from_key: str, from_id: str, to_key: str, to_id: str) -> Response:
    source, target = _types(from_key, to_key)
    portal = guard(source.write_scopes, target.write_scopes).portal
    started = sandbox().clock.now_ms()
    with sandbox().lock:
        results = _link_default(portal, source, target, from_id, to_id)
        _after_change(portal, source, target)
    return batch_reply(results, [], started)


def _link_default(
    portal: Portal, source: ObjectType, target: ObjectType, from_id: str, to_id: str
) -> list[dict]:
    kind = default_type(source.name, target.name)
    if kind is None:
        raise validation_error(f"{source.name} cannot be associated with {target.name}.")
    first = records.require_record(portal, source, from_id)
    second = records.require_record(portal, target, to_id)
    portal.associations.add(source.name, first.id, target.name, second.id, kind.type_id)
    return [
        {
            "from": {"id": str(a)},
            "to": {"id": str(b)},
            "associationSpec": {"associationCategory": HUBSPOT_DEFINED, "associationTypeId": type_id},
        }
        for a, b, type_id in ((first.id, second.id, kind.type_id), (second.id, first.id, kind.reverse_id))
    ]


def _link_labelled(
    portal: Portal, source: ObjectType, target: ObjectType, from_id: str, to_id: str, specs: list[Any]
) -> dict[str, Any]:
    first = records.require_record(portal, source, from_id)
    second = records.require_record(portal, target, to_id)
    kinds = []
    for spec in specs:
        kind = association_type(int(spec.get("associationTypeId", 0))) if isinstance(spec, dict) else None
        if kind is None or kind.from_type != source.name or kind.to_type != target.name:
            raise validation_error(f"Invalid association type for {source.name} to {target.name}: {spec}")
        kinds.append(kind)
    for kind in kinds:
        portal.associations.add(source.name, first.id, target.name, second.id, kind.type_id)
    return {
        "fromObjectTypeId": source.type_id,
        "fromObjectId": str(first.id),
        "toObjectTypeId": target.type_id,
        "toObjectId": str(second.id),
        "labels": [kind.label for kind in kinds if kind.label],
    }


@blueprint.put("/objects/<from_key>/<from_id>/associations/<to_key>/<to_id>")
def associate(from_key: str, from_id: str, to_key: str, to_id: str) -> Response:
    source, target = _types(from_key, to_key)
    portal = guard(source.write_scopes, target.write_scopes).portal
    specs = request.get_json(silent=True)
    if not isinstance(specs, list) or not specs:
        raise validation_error("The body must be a non-empty list of association specs.")
    with sandbox().lock:
        body = _link_labelled(portal, source, target, from_id, to_id, specs)
        _after_change(portal, source, target)
    return reply(body, 201)


@blueprint.delete("/objects/<from_key>/<from_id>/associations/<to_key>/<to_id>")
def remove(from_key: str, from_id: str, to_key: str, to_id: str) -> Response:
    source, target = _types(from_key, to_key)
    portal = guard(source.write_scopes, target.write_scopes).portal
    with sandbox().lock:
        _remove_pair(portal, source, target, from_id, to_id)
        _after_change(portal, source, target)
    return no_content()


@blueprint.post("/associations/<from_key>/<to_key>/batch/read")
def batch_read(from_key: str, to_key: str) -> Response:
    source, target = _types(from_key, to_key)
    portal = guard(source.read_scopes, target.read_scopes, bucket=EXEMPT).portal
    inputs = check_batch_size(json_body().get("inputs"), BATCH_READ_LIMIT)
    started = sandbox().clock.now_ms()
    results, missing, empty = [], [], []
    with sandbox().lock:
        for item in inputs:
            record_id = str(item.get("id", ""))
            record = records.find_record(portal, source, record_id)
            if record is None:
                missing.append(record_id)
                continue
            items, next_after = _page(_associated(portal, source, record.id, target), item.get("after"), 500)
            if not items:
                empty.append(record_id)
                continue
            results.append({"from": {"id": record_id}, "to": items, **paging(next_after)})
    errors = []
    if missing:
        errors.append(
            batch_error(
                "OBJECT_NOT_FOUND", f"Could not find {source.name} with ids {missing}.", {"ids": missing}
            )
        )
    for record_id in empty:
        message = f"No {target.name} is associated with {source.singular} {record_id}."
        errors.append(
            batch_error(
                "OBJECT_NOT_FOUND", message, {"fromObjectId": [record_id], "toObjectType": [target.name]}
            )
        )
    return batch_reply(results, errors, started)


@blueprint.post("/associations/<from_key>/<to_key>/batch/create")
def batch_create(from_key: str, to_key: str) -> Response:
    source, target = _types(from_key, to_key)
    portal = guard(source.write_scopes, target.write_scopes, bucket=EXEMPT).portal
    inputs = check_batch_size(json_body().get("inputs"), BATCH_WRITE_LIMIT)
    started = sandbox().clock.now_ms()
    with sandbox().lock:
        results = [
            _link_labelled(
                portal,
                source,
                target,
                str(item.get("from", {}).get("id", "")),
                str(item.get("to", {}).get("id", "")),
                item.get("types") or [],
            )
            for item in inputs
        ]
        _after_change(portal, source, target)
    return batch_reply(results, [], started, ok_status=201)


@blueprint.post("/associations/<from_key>/<to_key>/batch/associate/default")
def batch_associate_default(from_key: str, to_key: str) -> Response:
    source, target = _types(from_key, to_key)
    portal = guard(source.write_scopes, target.write_scopes, bucket=EXEMPT).portal
    inputs = check_batch_size(json_body().get("inputs"), BATCH_WRITE_LIMIT)
    started = sandbox().clock.now_ms()
    with sandbox().lock:
        results = [
            result
            for item in inputs
            for result in _link_default(
                portal,
                source,
                target,
                str(item.get("from", {}).get("id", "")),
                str(item.get("to", {}).get("id", "")),
            )
        ]
        _after_change(portal, source, target)
    return batch_reply(results, [], started)


@blueprint.post("/associations/<from_key>/<to_key>/batch/archive")
def batch_archive(from_key: str, to_key: str) -> Response:
    source, target = _types(from_key, to_key)
    portal = guard(source.write_scopes, target.write_scopes, bucket=EXEMPT).portal
    inputs = check_batch_size(json_body().get("inputs"), BATCH_WRITE_LIMIT)
    with sandbox().lock:
        for item in inputs:
            from_id = str(item.get("from", {}).get("id", ""))
            for to in item.get("to") or []:
                _remove_pair(portal, source, target, from_id, str(to.get("id", "")))
        _after_change(portal, source, target)
    return no_content()


@blueprint.get("/associations/<from_key>/<to_key>/labels")
def labels(from_key: str, to_key: str) -> Response:
    source, target = _types(from_key, to_key)
    guard(source.read_scopes)
    return reply({"results": [_spec(kind) for kind in types_between(source.name, target.name)]})


def _remove_pair(portal: Portal, source: ObjectType, target: ObjectType, from_id: str, to_id: str) -> None:
    """Unlink two records; ids that are not numbers name no record, so there is nothing to unlink."""
    if from_id.isdigit() and to_id.isdigit():
        portal.associations.remove(source.name, int(from_id), target.name, int(to_id))
