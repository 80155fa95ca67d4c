"""monday JSON -> the contract's dataclasses; nothing monday-shaped leaks out except on purpose.

``CrmRecord.properties`` of an item, keyed by column id, holds plain values: ``name`` (the item name),
text/long text -> the text, email -> the address, phone -> the number, numbers -> the number as a string
(``"1500"``), status -> the label, dropdown -> the labels joined with ", ", people -> the person ids joined
with "," (teams left out), date -> ISO ``YYYY-MM-DD`` (``YYYY-MM-DDTHH:MM:SSZ`` with a time), checkbox ->
``"true"``/``None``, link -> the URL, last updated / creation log -> ISO datetime; empty columns are
``None``. ``__group__`` is the item's group id. ``__raw__`` keeps each column's ``{"type", "text",
"value"}`` (``value`` parsed from monday's JSON string) for anything the plain value loses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from crm_integrations.core.datetimes import parse_moment
from crm_integrations.core.types import CrmField, CrmOwner, CrmRecord, FieldOption, FieldType

OBJECT_TYPE = "items"
GROUP_PROPERTY = "__group__"
RAW_PROPERTY = "__raw__"

FIELD_TYPES = {
    "name": FieldType.STRING,
    "text": FieldType.STRING,
    "long_text": FieldType.STRING,
    "email": FieldType.STRING,
    "phone": FieldType.STRING,
    "link": FieldType.STRING,
    "country": FieldType.STRING,
    "location": FieldType.STRING,
    "numbers": FieldType.NUMBER,
    "rating": FieldType.NUMBER,
    "status": FieldType.ENUMERATION,
    "dropdown": FieldType.ENUMERATION,
    "people": FieldType.OWNER,
    "date": FieldType.DATE,
    "checkbox": FieldType.BOOLEAN,
    "last_updated": FieldType.DATETIME,
    "creation_log": FieldType.DATETIME,
}
READ_ONLY_TYPES = frozenset(
    {"last_updated", "creation_log", "formula", "mirror", "item_id", "auto_number", "button", "subtasks"}
)


def parse_datetime(value: Any) -> datetime | None:
    """monday's ``Date`` (``2026-01-06T09:12:33Z``, sometimes with fractions) -> aware datetime."""
    return parse_moment(value, epoch_ms=False)


def iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_value(value: Any) -> Any:
    """``value`` reads back as a JSON *string* that must be parsed a second time (monday's column
    docs, e.g. "People", show it so)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _blank(value: Any) -> Any:
    return None if value in (None, "", [], {}) else value


def column_value(entry: Mapping[str, Any]) -> Any:
    """One ``ColumnValue`` (with the typed fragments the client asks for) -> its plain value."""
    kind = str(entry.get("type") or "")
    text = entry.get("text")
    raw = parse_value(entry.get("value"))
    raw_map = raw if isinstance(raw, Mapping) else {}
    if kind == "status":
        return _blank(entry.get("label") or text)
    if kind == "people":
        people = entry.get("persons_and_teams")
        if people is None:
            people = [
                {"id": p.get("id"), "kind": p.get("kind")} for p in raw_map.get("personsAndTeams") or []
            ]
        return _blank(",".join(str(p["id"]) for p in people if (p.get("kind") or "person") == "person"))
    if kind == "numbers":
        number = entry.get("number")
        if number is None:
            return _blank(raw if isinstance(raw, str | int | float) and not isinstance(raw, bool) else None)
        return format_number(number)
    if kind == "email":
        return _blank(entry.get("email") or raw_map.get("email") or text)
    if kind == "phone":
        return _blank(entry.get("phone") or raw_map.get("phone") or text)
    if kind == "date":
        day = entry.get("date") or raw_map.get("date")
        moment = entry.get("time") or raw_map.get("time")
        if not day:
            return None
        return f"{day}T{moment}Z" if moment else str(day)
    if kind == "dropdown":
        values = entry.get("values")
        if values is not None:
            return _blank(", ".join(str(v.get("label")) for v in values))
        return _blank(text)
    if kind == "checkbox":
        checked = entry.get("checked")
        if checked is None:
            checked = str(raw_map.get("checked", "")).lower() == "true"
        return "true" if checked else None
    if kind == "link":
        return _blank(entry.get("url") or raw_map.get("url") or text)
    if kind == "long_text":
        return _blank(raw_map.get("text") or text)
    if kind == "last_updated":
        moment = parse_datetime(entry.get("updated_at") or raw_map.get("updated_at"))
        return iso_z(moment) if moment else _blank(text)
    if kind == "creation_log":
        moment = parse_datetime(entry.get("created_at") or raw_map.get("created_at"))
        return iso_z(moment) if moment else _blank(text)
    if kind == "country":
        return _blank(raw_map.get("countryName") or text)
    return _blank(text if text is not None else raw if isinstance(raw, str) else None)


def format_number(number: Any) -> str:
    """``1500.0`` -> ``"1500"``, ``12.5`` -> ``"12.5"``."""
    value = float(number)
    return str(int(value)) if value.is_integer() else repr(value)


def record(body: Mapping[str, Any]) -> CrmRecord:
    """One ``Item`` (as the client's item fields ask for it)."""
    properties: dict[str, Any] = {"name": body.get("name")}
    raw: dict[str, dict[str, Any]] = {}
    for entry in body.get("column_values") or []:
        column_id = str(entry.get("id"))
        properties[column_id] = column_value(entry)
        raw[column_id] = {
            "type": entry.get("type"),
            "text": entry.get("text"),
            "value": parse_value(entry.get("value")),
        }
    group = body.get("group") or {}
    properties[GROUP_PROPERTY] = group.get("id") if isinstance(group, Mapping) else None
    properties[RAW_PROPERTY] = raw
    return CrmRecord(
        object_type=OBJECT_TYPE,
        id=str(body["id"]),
        properties=properties,
        updated_at=parse_datetime(body.get("updated_at")),
        archived=str(body.get("state") or "active") != "active",
        created_at=parse_datetime(body.get("created_at")),
    )


def board_id_of(body: Mapping[str, Any]) -> str | None:
    board = body.get("board")
    return str(board["id"]) if isinstance(board, Mapping) and board.get("id") is not None else None


def owner(body: Mapping[str, Any]) -> CrmOwner:
    """A ``User``: active when ``status`` is ACTIVE (deactivated and still-invited users are not)."""
    first, _, last = str(body.get("name") or "").strip().partition(" ")
    return CrmOwner(
        id=str(body["id"]),
        email=str(body.get("email") or ""),
        first_name=first,
        last_name=last,
        active=str(body.get("status") or "ACTIVE") == "ACTIVE" and not body.get("is_deleted", False),
        user_id=str(body["id"]),
        teams=tuple(str(team.get("name") or team.get("id")) for team in body.get("teams") or []),
    )


def settings_of(body: Mapping[str, Any]) -> dict[str, Any]:
    settings = body.get("settings_str")
    parsed = parse_value(settings) if settings else body.get("settings")
    return parsed if isinstance(parsed, dict) else {}


def status_labels(settings: Mapping[str, Any]) -> list[tuple[int, str]]:
    """A status column's labels in index order (monday keeps them as ``{"index": "label"}``)."""
    labels = settings.get("labels") or {}
    pairs = labels.items() if isinstance(labels, Mapping) else enumerate(labels)
    found = []
    for index, label in pairs:
        try:
            found.append((int(index), str(label)))
        except (TypeError, ValueError):
            continue
    return sorted((index, label) for index, label in found if label)


def dropdown_labels(settings: Mapping[str, Any]) -> list[tuple[int, str]]:
    found = []
    for option in settings.get("labels") or []:
        if isinstance(option, Mapping) and option.get("name") and option.get("id") is not None:
            found.append((int(option["id"]), str(option["name"])))
    return found


def field(body: Mapping[str, Any], owners: Sequence[CrmOwner] = ()) -> CrmField:
    """A ``Column``; status/dropdown come with their labels as options, people with the users."""
    kind = str(body.get("type") or "")
    settings = settings_of(body)
    options: tuple[FieldOption, ...] = ()
    if kind == "status":
        options = tuple(FieldOption(value=label, label=label) for _, label in status_labels(settings))
    elif kind == "dropdown":
        options = tuple(FieldOption(value=label, label=label) for _, label in dropdown_labels(settings))
    elif kind == "people":
        options = tuple(FieldOption(value=o.id, label=o.name) for o in owners if o.active)
    return CrmField(
        object_type=OBJECT_TYPE,
        name=str(body["id"]),
        label=str(body.get("title") or body["id"]),
        type=FIELD_TYPES.get(kind, FieldType.OTHER),
        provider_type=kind,
        options=options,
        read_only=kind in READ_ONLY_TYPES,
        group="columns",
    )


def group_field(groups: Sequence[Mapping[str, Any]]) -> CrmField:
    """The item's group (``__group__``), as an enumeration of the board's groups; moving is not a write."""
    return CrmField(
        object_type=OBJECT_TYPE,
        name=GROUP_PROPERTY,
        label="Group",
        type=FieldType.ENUMERATION,
        provider_type="group",
        options=tuple(FieldOption(value=str(g["id"]), label=str(g.get("title") or g["id"])) for g in groups),
        read_only=True,
        group="board",
    )
