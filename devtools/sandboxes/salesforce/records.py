"""Creating, updating and deleting records as Salesforce's API does: fields checked against the schema
(schema.py) with Salesforce's error codes, system fields stamped, the lead assignment rule applied, and
a :class:`Change` returned for Outbound Messages (outbound.py). Call under ``state.lock``."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from .errors import SfError, not_found
from .ids import normalise, object_of
from .schema import NUMBER_TYPES, SObject, sobject
from .state import Change, SandboxState

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CLOSED_STAGES = {"Closed Won": True, "Closed Lost": False}
FILE_TYPES = {"pdf": "PDF", "docx": "WORD_X", "doc": "WORD", "txt": "TEXT", "png": "PNG", "jpg": "JPG"}


def object_or_404(name: str) -> SObject:
    obj = sobject(name)
    if obj is None:
        raise SfError(404, "NOT_FOUND", f"The requested resource does not exist: sObject type '{name}'")
    return obj


def get(state: SandboxState, obj: SObject, record_id: str) -> dict[str, Any]:
    record = state.records[obj.name].get(normalise(record_id))
    if record is None or record.get("IsDeleted"):
        raise not_found()
    return record


def create(
    state: SandboxState, obj: SObject, values: dict[str, Any], *, user_id: str, auto_assign: bool = True
) -> Change:
    if not obj.createable:
        raise SfError(400, "INVALID_TYPE", f"entity type {obj.name} does not support insert")
    cleaned = _clean(state, obj, values, creating=True)
    missing = [
        f.name
        for f in obj.fields.values()
        if not f.nillable and f.createable and f.name not in cleaned and not _defaulted(obj, f.name)
    ]
    if missing:
        raise SfError(
            400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing
        )
    now = state.now()
    record: dict[str, Any] = {"Id": state.new_id(obj.name), **_defaults(state, obj, user_id), **cleaned}
    record.update(IsDeleted=False, SystemModstamp=now)
    if "CreatedDate" in obj.fields:
        record.update(CreatedDate=now, CreatedById=user_id, LastModifiedDate=now, LastModifiedById=user_id)
    _assign(state, obj, record, auto_assign)
    derive(state, obj, record)
    state.records[obj.name][record["Id"]] = record
    track_history(state, obj, record, {}, user_id=user_id)
    return Change(obj.name, record["Id"], True)


def update(
    state: SandboxState,
    obj: SObject,
    record_id: str,
    values: dict[str, Any],
    *,
    user_id: str,
    auto_assign: bool = True,
) -> Change:
    record = get(state, obj, record_id)
    if not obj.updateable:
        raise SfError(400, "INVALID_TYPE", f"entity type {obj.name} does not support update")
    if obj.name == "Lead" and record.get("IsConverted") and state.config.converted_leads_read_only:
        raise SfError(400, "CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead")
    cleaned = _clean(state, obj, values, creating=False)
    before = dict(record)
    record.update(cleaned)
    now = state.now()
    record["SystemModstamp"] = now
    if "LastModifiedDate" in obj.fields:
        record.update(LastModifiedDate=now, LastModifiedById=user_id)
    _assign(state, obj, record, auto_assign)
    derive(state, obj, record)
    track_history(state, obj, record, before, user_id=user_id)
    return Change(obj.name, record["Id"], False, before)


def delete(state: SandboxState, obj: SObject, record_id: str) -> None:
    record = get(state, obj, record_id)
    record.update(IsDeleted=True, SystemModstamp=state.now())


# --- checks ---------------------------------------------------------------------------------------------
def _clean(state: SandboxState, obj: SObject, values: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    locked: list[str] = []
    for name, value in values.items():
        if name in ("attributes", "Id", "id"):
            continue
        definition = obj.field(name)
        if definition is None:
            raise SfError(
                400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {obj.name}", [name]
            )
        if not (definition.createable if creating else definition.updateable):
            locked.append(definition.name)
            continue
        cleaned[definition.name] = _value(state, obj, definition.name, value)
    if locked:
        action = "create" if creating else "update"
        raise SfError(
            400,
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            f"Unable to {action} fields: {locked}. Please check the security settings of this field and "
            "verify that it is read/write for your profile or permission set.",
            locked,
        )
    return cleaned


def _value(state: SandboxState, obj: SObject, name: str, value: Any) -> Any:
    definition = obj.fields[name]
    if value is None or value == "":
        if not definition.nillable:
            raise SfError(400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{name}]", [name])
        return None
    kind = definition.type
    if kind == "boolean" and not isinstance(value, bool):
        raise _json_error(value, "boolean")
    if kind in NUMBER_TYPES and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise _json_error(value, "double")
    if kind == "date" and not (isinstance(value, str) and DATE.match(value)):
        raise _json_error(value, "date")
    if kind == "picklist":
        allowed = picklist_values(state, obj, name)
        if definition.restricted and value not in allowed:
            label = definition.label or name
            raise SfError(
                400,
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"{label}: bad value for restricted picklist field: {value}",
                [name],
            )
    if kind == "reference":
        return _reference(state, obj, name, str(value))
    if kind == "base64":
        try:
            base64.b64decode(str(value), validate=True)
        except (binascii.Error, ValueError):
            raise _json_error(value, "base64") from None
    return value


def _json_error(value: Any, kind: str) -> SfError:
    return SfError(400, "JSON_PARSER_ERROR", f"Cannot deserialize instance of {kind} from value {value!r}")


def _reference(state: SandboxState, obj: SObject, name: str, value: str) -> str:
    definition = obj.fields[name]
    record_id = normalise(value)
    target = object_of(record_id)
    record = state.records.get(target or "", {}).get(record_id)
    if target not in definition.reference_to or record is None or record.get("IsDeleted"):
        raise SfError(
            400,
            "INVALID_CROSS_REFERENCE_KEY" if name == "OwnerId" else "FIELD_INTEGRITY_EXCEPTION",
            f"{definition.label or name}: id value of incorrect type: {value}",
            [name],
        )
    if target == "User" and name == "OwnerId" and not record.get("IsActive"):
        raise SfError(
            400,
            "INACTIVE_OWNER_OR_USER",
            f"operation performed with inactive user [{record_id}] as owner of {obj.name.lower()}",
        )
    if target == "Group" and record.get("Type") != "Queue":
        raise SfError(400, "INVALID_CROSS_REFERENCE_KEY", f"invalid cross reference id: {value}", [name])
    return record_id


def picklist_values(state: SandboxState, obj: SObject, name: str) -> tuple[str, ...]:
    """A picklist's values; the Lead Status values come from the org's ``LeadStatus`` records."""
    if obj.name == "Lead" and name == "Status":
        rows = sorted(state.records["LeadStatus"].values(), key=lambda row: row["SortOrder"])
        return tuple(row["ApiName"] for row in rows)
    return obj.fields[name].picklist


# --- what Salesforce fills in ----------------------------------------------------------------------------
def _defaulted(obj: SObject, name: str) -> bool:
    """Required fields Salesforce fills in itself on create (``_defaults``)."""
    return name == "OwnerId" or (obj.name, name) in {
        ("Lead", "Status"),
        ("Task", "Status"),
        ("Task", "Priority"),
    }


def _defaults(state: SandboxState, obj: SObject, user_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {name: None for name in obj.fields if name != "Id"}
    out.update({name: False for name, f in obj.fields.items() if f.type == "boolean"})
    if "OwnerId" in obj.fields:
        out["OwnerId"] = user_id
    if obj.name == "Lead":
        default = next((row for row in state.records["LeadStatus"].values() if row["IsDefault"]), None)
        out["Status"] = default["ApiName"] if default else "Open - Not Contacted"
    if obj.name == "Task":
        out.update(Status="Not Started", Priority="Normal")
    return out


def _assign(state: SandboxState, obj: SObject, record: dict[str, Any], auto_assign: bool) -> None:
    """The org's active lead assignment rule: it sets the owner unless ``Sforce-Auto-Assign: FALSE``."""
    if obj.name == "Lead" and auto_assign and state.config.assignment_rule:
        record["OwnerId"] = state.config.assignment_rule_owner_id


#: The opportunity fields whose change adds an ``OpportunityHistory`` row (Salesforce's stage history).
HISTORY_FIELDS = ("StageName", "Amount", "CloseDate", "Probability")


def track_history(
    state: SandboxState, obj: SObject, record: dict[str, Any], before: dict[str, Any], *, user_id: str
) -> None:
    """An opportunity created, or changed in a tracked field, gets an ``OpportunityHistory`` row, as
    Salesforce keeps its stage history (by whom and when)."""
    if obj.name != "Opportunity" or all(before.get(name) == record.get(name) for name in HISTORY_FIELDS):
        return
    history_id = state.new_id("OpportunityHistory")
    state.records["OpportunityHistory"][history_id] = {
        "Id": history_id,
        "IsDeleted": False,
        "OpportunityId": record["Id"],
        **{name: record.get(name) for name in HISTORY_FIELDS},
        "CreatedDate": record["SystemModstamp"],
        "CreatedById": user_id,
        "SystemModstamp": record["SystemModstamp"],
    }


def derive(state: SandboxState, obj: SObject, record: dict[str, Any]) -> None:
    if obj.name in ("Lead", "User"):
        record["Name"] = " ".join(part for part in (record.get("FirstName"), record.get("LastName")) if part)
    if obj.name == "Opportunity":
        stage = record.get("StageName")
        record["IsClosed"] = stage in CLOSED_STAGES
        record["IsWon"] = CLOSED_STAGES.get(stage, False)
    if obj.name == "ContentVersion":
        _file_fields(state, record)


def _file_fields(state: SandboxState, version: dict[str, Any]) -> None:
    """A new ContentVersion without a document creates its ContentDocument, as Salesforce does."""
    data = base64.b64decode(version.get("VersionData") or "")
    extension = (version.get("PathOnClient") or "").rpartition(".")[2].lower()
    version.update(
        ContentSize=len(data), FileExtension=extension or None, FileType=FILE_TYPES.get(extension, "UNKNOWN")
    )
    version["IsLatest"] = True
    documents = state.records["ContentDocument"]
    document = documents.get(version.get("ContentDocumentId") or "")
    now = state.now()
    if document is None:
        document_id = state.new_id("ContentDocument")
        document = {
            "Id": document_id,
            "OwnerId": version.get("OwnerId"),
            "IsDeleted": False,
            "CreatedDate": now,
            "CreatedById": version.get("CreatedById"),
            "LastModifiedById": version.get("LastModifiedById"),
        }
        documents[document_id] = document
        version["ContentDocumentId"] = document_id
    else:
        for other in state.records["ContentVersion"].values():
            if other["ContentDocumentId"] == document["Id"] and other["Id"] != version["Id"]:
                other["IsLatest"] = False
    document.update(
        Title=version.get("Title"),
        FileExtension=version["FileExtension"],
        FileType=version["FileType"],
        ContentSize=version["ContentSize"],
        LatestPublishedVersionId=version["Id"],
        LastModifiedDate=now,
        SystemModstamp=now,
    )
