"""Record operations shared by the API, the control API and seeding: validate, write, associate, serialise.

Callers hold ``state.lock``. Writes through :func:`create_record`, :func:`update_record` and
:func:`archive_record` emit :class:`RecordChange` events (which drive webhooks); :func:`insert_record`
(seeding) does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .association_types import AssociationType, association_type
from .errors import api_error, not_found, property_errors, validation_error
from .object_types import ObjectType, find_object_type, object_type
from .property_defs import check_value, problem
from .state import ChangeSource, HistoryEntry, Portal, Record, RecordChange, SandboxState
from .timeutil import iso

PIPELINE_PROPERTIES = {"deals": ("pipeline", "dealstage"), "leads": ("hs_pipeline", "hs_pipeline_stage")}
DEFAULT_PIPELINES = {"deals": "default", "leads": "lead-pipeline-id"}
LEAD_CONTACT_TYPES = {578, 608}


# --- reading --------------------------------------------------------------------------------------
def find_record(
    portal: Portal, otype: ObjectType, record_id: str, id_property: str | None = None, archived: bool = False
) -> Record | None:
    """A record by id (or by a unique property with ``id_property``); archived ones only when asked."""
    records = portal.records.get(otype.name, {})
    if id_property and id_property != "hs_object_id":
        prop = portal.properties[otype.name].get(id_property)
        if prop is None or not prop.has_unique_value:
            raise validation_error(f"{id_property} is not a unique property of {otype.name}")
        wanted = record_id.lower()
        found = next(
            (r for r in records.values() if r.properties.get(id_property, "").lower() == wanted), None
        )
    else:
        found = records.get(int(record_id)) if record_id.isdigit() else None
    if found is None or found.archived != archived:
        return None
    return found


def live_targets(portal: Portal, from_type: str, from_id: int, to_type: str) -> list[tuple[int, list[int]]]:
    """Associations of a record to non-archived records of ``to_type``."""
    targets = portal.records.get(to_type, {})
    return [
        (to_id, type_ids)
        for to_id, type_ids in portal.associations.targets(from_type, from_id, to_type)
        if to_id in targets and not targets[to_id].archived
    ]


def serialize(
    portal: Portal,
    otype: ObjectType,
    record: Record,
    properties: list[str] | None = None,
    with_history: list[str] | None = None,
    associations: list[str] | None = None,
) -> dict[str, Any]:
    """The API shape of a record. Unknown property / association names are ignored, as HubSpot does."""
    known = portal.properties[otype.name]
    names = [name for name in (properties or otype.default_properties) if name]
    shown = [name for name in dict.fromkeys([*names, *otype.always_returned]) if name in known]
    body: dict[str, Any] = {
        "id": str(record.id),
        "properties": {name: record.properties.get(name) for name in shown},
        "createdAt": iso(record.created_ms),
        "updatedAt": iso(record.updated_ms),
        "archived": record.archived,
    }
    if record.archived_ms is not None:
        body["archivedAt"] = iso(record.archived_ms)
    if with_history:
        body["propertiesWithHistory"] = {
            name: [_history_item(entry) for entry in record.history.get(name, [])]
            for name in with_history
            if name in known
        }
    if associations:
        body["associations"] = _v3_associations(portal, otype, record, associations)
    return body


def _history_item(entry: HistoryEntry) -> dict[str, Any]:
    item: dict[str, Any] = {
        "value": entry.value,
        "timestamp": iso(entry.timestamp_ms),
        "sourceType": entry.source_type,
    }
    if entry.source_id:
        item["sourceId"] = entry.source_id
    return item


def _v3_associations(portal: Portal, otype: ObjectType, record: Record, wanted: list[str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key in wanted:
        target = find_object_type(key)
        if target is None:
            continue
        items = [
            {"id": str(to_id), "type": kind.name}
            for to_id, type_ids in live_targets(portal, otype.name, record.id, target.name)
            for kind in map(association_type, type_ids)
            if kind is not None
        ]
        if items:
            result[target.name] = {"results": items}
    return result


# --- validation -----------------------------------------------------------------------------------
def check_properties(
    portal: Portal, otype: ObjectType, values: dict[str, Any], *, allow_read_only: bool = False
) -> dict[str, str]:
    """Normalised values, or a 400 listing every unknown/read-only/invalid property as HubSpot does."""
    known = portal.properties[otype.name]
    problems: list[dict[str, Any]] = []
    clean: dict[str, str] = {}
    for name, raw in values.items():
        prop = known.get(name)
        if prop is None or prop.archived:
            message = f'Property "{name}" does not exist'
            problems.append(problem(name, "PROPERTY_DOESNT_EXIST", message, portal.portal_id))
            continue
        if prop.read_only and not allow_read_only:
            message = f'"{name}" is a read only property; its value cannot be set.'
            problems.append(problem(name, "READ_ONLY_VALUE", message, portal.portal_id))
            continue
        value = _as_text(raw)
        stored, issue = check_value(prop, value, portal.options_for(prop, otype.name), portal.portal_id)
        if issue:
            problems.append(issue)
        clean[name] = stored
    if problems:
        raise property_errors(problems)
    return clean


def _as_text(raw: Any) -> str:
    """JSON values as HubSpot stores them: strings; ``null`` clears; booleans as ``true``/``false``."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return str(raw).lower()
    return raw if isinstance(raw, str) else str(raw)


def _check_pipeline(portal: Portal, otype: ObjectType, values: dict[str, str]) -> None:
    """A stage must belong to the record's pipeline."""
    names = PIPELINE_PROPERTIES.get(otype.name)
    if not names or not values.get(names[1]):
        return
    pipeline_id = values.get(names[0]) or DEFAULT_PIPELINES[otype.name]
    pipeline = next((p for p in portal.pipelines.get(otype.name, []) if p["id"] == pipeline_id), None)
    stages = [stage["id"] for stage in pipeline["stages"]] if pipeline else []
    if values[names[1]] not in stages:
        message = f"{values[names[1]]} is not a valid stage of pipeline {pipeline_id}: [{', '.join(stages)}]"
        raise property_errors([problem(names[1], "INVALID_OPTION", message, portal.portal_id)])


def _check_create_rules(
    portal: Portal, otype: ObjectType, values: dict[str, str], links: list[tuple[AssociationType, int]]
) -> None:
    if otype.name == "contacts":
        if not any(values.get(name) for name in ("email", "firstname", "lastname")):
            raise validation_error("A contact needs at least one of email, firstname or lastname.")
        email = values.get("email", "").lower()
        duplicate = email and next(
            (
                r
                for r in portal.records.get("contacts", {}).values()
                if r.properties.get("email", "").lower() == email
            ),
            None,
        )
        if duplicate:
            raise api_error(409, "CONFLICT", f"Contact already exists. Existing ID: {duplicate.id}")
    if otype.name == "leads":
        if not values.get("hs_lead_name"):
            raise property_errors(
                [problem("hs_lead_name", "REQUIRED", "hs_lead_name is required", portal.portal_id)]
            )
        if not any(kind.type_id in LEAD_CONTACT_TYPES for kind, _ in links):
            raise validation_error(
                "A lead must be created with an association to an existing contact "
                "(associationTypeId 578, lead to primary contact)."
            )
    # Notes (HubSpot's notes guide: the note's date) and tasks (its tasks guide: the due date) need
    # hs_timestamp.
    if otype.name in ("notes", "tasks") and not values.get("hs_timestamp"):
        raise property_errors(
            [problem("hs_timestamp", "REQUIRED", "hs_timestamp is required", portal.portal_id)]
        )


def resolve_links(
    portal: Portal, otype: ObjectType, associations: list[dict[str, Any]] | None
) -> list[tuple[AssociationType, int]]:
    """Inline create associations -> ``[(AssociationType, to_id)]``; 400 for unknown types or records."""
    links = []
    for item in associations or []:
        to_id = str(item.get("to", {}).get("id", ""))
        for spec in item.get("types", []):
            kind = association_type(int(spec.get("associationTypeId", 0)))
            if kind is None or kind.from_type != otype.name:
                raise validation_error(
                    f"associationTypeId {spec.get('associationTypeId')} is not valid from {otype.name}",
                    subCategory="crm-object-associations.INVALID_ASSOCIATION_TYPE",
                )
            if find_record(portal, object_type(kind.to_type), to_id) is None:
                raise validation_error(f"{kind.to_type} {to_id} does not exist, so it cannot be associated.")
            links.append((kind, int(to_id)))
    return links


# --- writing --------------------------------------------------------------------------------------
def _write(record: Record, values: dict[str, str], source: ChangeSource, moment: int) -> list[str]:
    """Set values with history; returns the names whose value changed."""
    changed = []
    for name, value in values.items():
        if record.properties.get(name) != value:
            changed.append(name)
        record.properties[name] = value
        record.history.setdefault(name, []).insert(
            0, HistoryEntry(value, moment, source.source_type, source.source_id)
        )
    return changed


def _touch(otype: ObjectType, record: Record, source: ChangeSource, moment: int) -> None:
    record.updated_ms = moment
    _write(record, {otype.modified_property: iso(moment)}, source, moment)


def insert_record(
    portal: Portal, otype: ObjectType, values: dict[str, str], created_ms: int, source: ChangeSource
) -> Record:
    """Store a record without checks or events (seeding)."""
    record_id = portal.new_id(otype.name, otype.id_base)
    record = Record(record_id, otype.name, {}, created_ms, created_ms)
    system = {
        "hs_object_id": str(record_id),
        "createdate": iso(created_ms),
        otype.modified_property: iso(created_ms),
    }
    _write(record, {**values, **system}, source, created_ms)
    portal.records.setdefault(otype.name, {})[record_id] = record
    return record


@dataclass
class PreparedCreate:
    """A create that passed every check; :func:`commit_create` stores it (so batches are all-or-nothing)."""

    otype: ObjectType
    values: dict[str, str]
    links: list[tuple[AssociationType, int]]


def prepare_create(
    portal: Portal, otype: ObjectType, values: dict[str, Any], associations: list[dict[str, Any]] | None
) -> PreparedCreate:
    clean = check_properties(portal, otype, values)
    if otype.name in PIPELINE_PROPERTIES:
        pipeline_name, stage_name = PIPELINE_PROPERTIES[otype.name]
        clean.setdefault(pipeline_name, DEFAULT_PIPELINES[otype.name])
        if not clean.get(stage_name):
            pipeline = next(
                (p for p in portal.pipelines[otype.name] if p["id"] == clean[pipeline_name]), None
            )
            if pipeline:
                clean[stage_name] = pipeline["stages"][0]["id"]
    _check_pipeline(portal, otype, clean)
    links = resolve_links(portal, otype, associations)
    _check_create_rules(portal, otype, clean, links)
    return PreparedCreate(otype, clean, links)


def commit_create(
    state: SandboxState, portal: Portal, prepared: PreparedCreate, source: ChangeSource
) -> Record:
    otype = prepared.otype
    moment = state.clock.now_ms()
    record = insert_record(portal, otype, prepared.values, moment, source)
    for kind, to_id in prepared.links:
        portal.associations.add(otype.name, record.id, kind.to_type, to_id, kind.type_id)
    refresh_derived(portal, otype, record)
    state.emit(RecordChange(portal.portal_id, otype.name, record.id, "creation", moment, source))
    return record


def create_record(
    state: SandboxState,
    portal: Portal,
    otype: ObjectType,
    values: dict[str, Any],
    associations: list[dict[str, Any]] | None,
    source: ChangeSource,
) -> Record:
    return commit_create(state, portal, prepare_create(portal, otype, values, associations), source)


def prepare_update(
    portal: Portal, otype: ObjectType, record: Record, values: dict[str, Any]
) -> dict[str, str]:
    """Checked, normalised values for an update (nothing is written yet)."""
    clean = check_properties(portal, otype, values)
    if otype.name in PIPELINE_PROPERTIES:
        pipeline_name, stage_name = PIPELINE_PROPERTIES[otype.name]
        merged = {pipeline_name: record.properties.get(pipeline_name, ""), **clean}
        merged.setdefault(stage_name, "")
        _check_pipeline(portal, otype, merged)
    return clean


def commit_update(
    state: SandboxState,
    portal: Portal,
    otype: ObjectType,
    record: Record,
    clean: dict[str, str],
    source: ChangeSource,
) -> Record:
    moment = state.clock.now_ms()
    changed = _write(record, clean, source, moment)
    _touch(otype, record, source, moment)
    for name in changed:
        change = RecordChange(
            portal.portal_id,
            otype.name,
            record.id,
            "propertyChange",
            moment,
            source,
            name,
            record.properties[name],
        )
        state.emit(change)
    return record


def update_record(
    state: SandboxState,
    portal: Portal,
    otype: ObjectType,
    record: Record,
    values: dict[str, Any],
    source: ChangeSource,
) -> Record:
    return commit_update(state, portal, otype, record, prepare_update(portal, otype, record, values), source)


def archive_record(
    state: SandboxState, portal: Portal, otype: ObjectType, record: Record, source: ChangeSource
) -> None:
    moment = state.clock.now_ms()
    record.archived = True
    record.archived_ms = moment
    record.updated_ms = moment
    state.emit(RecordChange(portal.portal_id, otype.name, record.id, "deletion", moment, source))


def refresh_derived(portal: Portal, otype: ObjectType, record: Record) -> None:
    """Leads: follow the contact's primary company and fill the read-only company helper properties."""
    if otype.name != "leads":
        return
    company_id = portal.associations.first_target("leads", record.id, "companies")
    if company_id is None:
        contact_id = portal.associations.first_target("leads", record.id, "contacts", 578)
        contact_id = contact_id or portal.associations.first_target("leads", record.id, "contacts")
        company_id = contact_id and portal.associations.first_target("contacts", contact_id, "companies", 1)
        if company_id:
            portal.associations.add("leads", record.id, "companies", company_id, 610)
            portal.associations.add("leads", record.id, "companies", company_id, 580)
    company = portal.records.get("companies", {}).get(company_id) if company_id else None
    if company is not None:
        record.properties["hs_primary_company_id"] = str(company.id)
        record.properties["hs_associated_company_name"] = company.properties.get("name", "")
        record.properties["hs_associated_company_domain"] = company.properties.get("domain", "")


def require_json_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise validation_error("Invalid input JSON: expected an object.")
    return body


def require_record(portal: Portal, otype: ObjectType, record_id: str, **kwargs: Any) -> Record:
    found = find_record(portal, otype, record_id, **kwargs)
    if found is None:
        raise not_found()
    return found
