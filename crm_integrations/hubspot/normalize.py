"""HubSpot JSON -> the contract's dataclasses (records, owners, fields); nothing HubSpot-shaped leaks out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from crm_integrations.core.datetimes import parse_moment
from crm_integrations.core.types import (
    CrmField,
    CrmOwner,
    CrmRecord,
    FieldOption,
    FieldType,
    PropertyChange,
    PropertyHistory,
)


def parse_datetime(value: Any) -> datetime | None:
    """HubSpot's ISO 8601 (``2026-01-06T09:12:33.120Z``) or epoch-millisecond strings -> aware datetime."""
    return parse_moment(value)


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def record(object_type: str, body: Mapping[str, Any]) -> CrmRecord:
    """A ``SimplePublicObject`` (v3 objects, batch and search answers)."""
    properties = dict(body.get("properties") or {})
    updated = (
        body.get("updatedAt") or properties.get("hs_lastmodifieddate") or properties.get("lastmodifieddate")
    )
    return CrmRecord(
        object_type=object_type,
        id=str(body["id"]),
        properties=properties,
        updated_at=parse_datetime(updated),
        archived=bool(body.get("archived", False)),
        created_at=parse_datetime(body.get("createdAt") or properties.get("hs_createdate")),
    )


def history(body: Mapping[str, Any]) -> PropertyHistory:
    """``propertiesWithHistory`` (``ValueWithTimestamp`` items), each newest first."""
    result: PropertyHistory = {}
    for name, items in (body.get("propertiesWithHistory") or {}).items():
        changes = [
            PropertyChange(
                value="" if item.get("value") is None else str(item["value"]),
                changed_at=changed_at,
                source=str(item.get("sourceType") or ""),
                source_id=str(item.get("sourceId") or ""),
            )
            for item in items or []
            if (changed_at := parse_datetime(item.get("timestamp"))) is not None
        ]
        result[name] = tuple(sorted(changes, key=lambda change: change.changed_at, reverse=True))
    return result


def owner(body: Mapping[str, Any]) -> CrmOwner:
    """A ``PublicOwner``; archived owners (deactivated users) come back inactive."""
    user_id = body.get("userId") or body.get("userIdIncludingInactive")
    return CrmOwner(
        id=str(body["id"]),
        email=str(body.get("email") or ""),
        first_name=str(body.get("firstName") or ""),
        last_name=str(body.get("lastName") or ""),
        active=not body.get("archived", False),
        user_id=str(user_id) if user_id not in (None, "") else None,
        teams=tuple(str(team.get("name") or team.get("id")) for team in body.get("teams") or []),
        is_queue=body.get("type") == "QUEUE",
    )


_FIELD_TYPES = {
    "string": FieldType.STRING,
    "phone_number": FieldType.STRING,
    "number": FieldType.NUMBER,
    "bool": FieldType.BOOLEAN,
    "date": FieldType.DATE,
    "datetime": FieldType.DATETIME,
    "enumeration": FieldType.ENUMERATION,
}


def field_type(body: Mapping[str, Any]) -> FieldType:
    """Owner references (``hubspot_owner_id`` and its kin) are enumerations HubSpot fills with owners."""
    if body.get("referencedObjectType") == "OWNER" or body.get("name") == "hubspot_owner_id":
        return FieldType.OWNER
    if (
        body.get("type") == "enumeration"
        and body.get("fieldType") == "booleancheckbox"
        and not body.get("options")
    ):
        return FieldType.BOOLEAN
    return _FIELD_TYPES.get(str(body.get("type")), FieldType.OTHER)


def field(object_type: str, body: Mapping[str, Any]) -> CrmField:
    """A Properties API ``Property``; hidden options are left out, read-only covers calculated ones."""
    metadata = body.get("modificationMetadata") or {}
    options = tuple(
        FieldOption(
            value=str(option.get("value", "")), label=str(option.get("label") or option.get("value", ""))
        )
        for option in sorted(body.get("options") or [], key=lambda option: option.get("displayOrder", 0))
        if not option.get("hidden")
    )
    return CrmField(
        object_type=object_type,
        name=str(body["name"]),
        label=str(body.get("label") or body["name"]),
        type=field_type(body),
        provider_type=f"{body.get('type', '')}/{body.get('fieldType', '')}",
        options=options,
        read_only=bool(metadata.get("readOnlyValue") or body.get("calculated")),
        group=str(body.get("groupName") or ""),
    )
