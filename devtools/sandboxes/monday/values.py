"""Column values: what the API reads back (``ColumnValue`` implementations) and what writes accept.

Shapes follow monday's column-types reference: a write is a JSON value keyed by column id (``{"label":
"Done"}``, ``{"personsAndTeams": [...]}``, ``"42"``...) or monday's simple string form (``"Done"``, ``"123,
456"``, ``"2026-01-15"``); ``value`` reads back as a JSON *string*; an unknown status label is a
``ColumnValueException`` listing the valid ones unless ``create_labels_if_missing``; a people write replaces
the whole list. Empty (``null``, ``""``, ``{}``) clears a column.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Any

from .errors import field_error
from .state import Column, Item, SandboxState

TYPENAMES = {
    "text": "TextValue",
    "long_text": "LongTextValue",
    "email": "EmailValue",
    "phone": "PhoneValue",
    "numbers": "NumbersValue",
    "status": "StatusValue",
    "dropdown": "DropdownValue",
    "people": "PeopleValue",
    "date": "DateValue",
    "checkbox": "CheckboxValue",
    "link": "LinkValue",
    "last_updated": "LastUpdatedValue",
    "creation_log": "CreationLogValue",
}
READ_ONLY = frozenset({"last_updated", "creation_log", "formula", "mirror", "item_id", "auto_number"})
MAX_STATUS_LABELS = 40
DONE_LABELS = frozenset({"Won", "Done"})


def iso(ms: int) -> str:
    """monday's ``Date`` scalar as the API prints it: ``2026-01-06T09:12:33Z`` (second precision)."""
    return datetime.fromtimestamp(ms // 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def column_view(column: Column) -> dict[str, Any]:
    return {
        "id": column.id,
        "title": column.title,
        "type": column.type,
        "description": column.description,
        "archived": column.archived,
        "settings": column.settings,
        "settings_str": json.dumps(column.settings, separators=(",", ":")),
        "width": None,
        "revision": "1",
        "capabilities": {},
    }


# --- reading --------------------------------------------------------------------------------------


def render(state: SandboxState, column: Column, item: Item) -> dict[str, Any]:
    """One ``ColumnValue`` (its concrete type in ``__typename``) for the GraphQL resolvers."""
    stored = item.values.get(column.id)
    changed = item.changed_ms.get(column.id)
    base: dict[str, Any] = {
        "__typename": TYPENAMES.get(column.type, "TextValue"),
        "id": column.id,
        "type": column.type,
        "column": column_view(column),
        "is_leaf": True,
        "updated_at": iso(changed) if changed else None,
        "value": None if stored is None else json.dumps(stored, separators=(",", ":")),
        "text": None,
    }
    kind = column.type
    if kind == "text":
        base["text"] = stored or ""
    elif kind == "long_text":
        base["text"] = (stored or {}).get("text", "")
    elif kind == "email":
        base |= {"email": (stored or {}).get("email"), "label": (stored or {}).get("text")}
        base["text"] = base["email"] or ""
    elif kind == "phone":
        base |= {
            "phone": (stored or {}).get("phone"),
            "country_short_name": (stored or {}).get("countryShortName"),
        }
        base["text"] = base["phone"] or ""
    elif kind == "numbers":
        number = float(stored) if stored not in (None, "") else None
        base |= {
            "number": number,
            "symbol": (column.settings.get("unit") or {}).get("symbol"),
            "direction": None,
        }
        base["text"] = "" if stored is None else str(stored)
    elif kind == "status":
        labels = column.status_labels()
        index = (stored or {}).get("index")
        label = labels.get(index) if index is not None else None
        base |= {"index": index, "label": label, "is_done": label in DONE_LABELS, "label_style": None}
        base["text"] = label or ""
    elif kind == "dropdown":
        labels = column.dropdown_labels()
        ids = [i for i in (stored or {}).get("ids", []) if i in labels]
        base["values"] = [{"id": str(i), "label": labels[i]} for i in ids]
        base["text"] = ", ".join(labels[i] for i in ids)
    elif kind == "people":
        entries = (stored or {}).get("personsAndTeams", [])
        base["persons_and_teams"] = [{"id": str(e["id"]), "kind": e.get("kind", "person")} for e in entries]
        names = [
            state.users[e["id"]].name for e in entries if e.get("kind") == "person" and e["id"] in state.users
        ]
        base["text"] = ", ".join(names)
    elif kind == "date":
        base |= {"date": (stored or {}).get("date"), "time": (stored or {}).get("time"), "icon": None}
        base["text"] = " ".join(part for part in (base["date"], base["time"]) if part)
    elif kind == "checkbox":
        checked = str((stored or {}).get("checked", "")).lower() == "true"
        base["checked"] = checked
        base["text"] = "v" if checked else ""
    elif kind == "link":
        base |= {"url": (stored or {}).get("url"), "url_text": (stored or {}).get("text")}
        base["text"] = base["url"] or ""
    elif kind == "last_updated":
        base |= {"updated_at": iso(item.updated_ms), "updater_id": str(item.updater_id or item.creator_id)}
        base["value"] = json.dumps({"updated_at": iso(item.updated_ms), "updater_id": item.updater_id})
        base["text"] = datetime.fromtimestamp(item.updated_ms / 1000, tz=UTC).strftime(
            "%Y-%m-%d %H:%M:%S UTC"
        )
    elif kind == "creation_log":
        base |= {"created_at": iso(item.created_ms), "creator_id": str(item.creator_id)}
        base["text"] = iso(item.created_ms)
    return base


# --- writing --------------------------------------------------------------------------------------


def _bad(column: Column, message: str, raw: Any) -> Exception:
    return field_error(
        message,
        "ColumnValueException",
        200,
        column_type=column.type,
        column_id=column.id,
        column_value=raw if isinstance(raw, str) else json.dumps(raw),
    )


def is_empty(raw: Any) -> bool:
    return raw is None or raw == "" or raw == {} or raw == []


def parse_write(state: SandboxState, column: Column, raw: Any, *, create_labels: bool = False) -> Any:
    """The value to store for a write of ``raw`` to ``column`` (None clears), or a ColumnValueException."""
    if column.type in READ_ONLY:
        raise _bad(column, f"Column '{column.id}' of type {column.type} is read only", raw)
    if is_empty(raw):
        return None
    parser = _PARSERS.get(column.type)
    if parser is None:
        raise _bad(column, f"This sandbox does not write {column.type} columns", raw)
    return parser(state, column, raw, create_labels)


def _text(state: SandboxState, column: Column, raw: Any, create: bool) -> Any:
    if not isinstance(raw, str | int | float):
        raise _bad(column, 'A text column takes a plain string (not {"text": ...})', raw)
    return str(raw)


def _long_text(state: SandboxState, column: Column, raw: Any, create: bool) -> Any:
    text = raw.get("text") if isinstance(raw, dict) else raw
    if not isinstance(text, str):
        raise _bad(column, 'A long text column takes {"text": "..."} or a string', raw)
    return {"text": text}


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(state: SandboxState, column: Column, raw: Any, create: bool) -> Any:
    if isinstance(raw, str):
        parts = raw.split(" ", 1)
        raw = {"email": parts[0], "text": parts[1] if len(parts) > 1 else parts[0]}
    if not isinstance(raw, dict) or not EMAIL.match(str(raw.get("email", ""))):
        raise _bad(column, 'An email column takes {"email": "a@b.com", "text": "..."}', raw)
    return {"email": raw["email"], "text": str(raw.get("text") or raw["email"])}


def _phone(state: SandboxState, column: Column, raw: Any, create: bool) -> Any:
    if isinstance(raw, str):
        raw = {"phone": raw}
    if not isinstance(raw, dict) or not str(raw.get("phone", "")).strip():
        raise _bad(column, 'A phone column takes {"phone": "+15551234567", "countryShortName": "US"}', raw)
    value = {"phone": str(raw["phone"])}
    if raw.get("countryShortName"):
        value["countryShortName"] = str(raw["countryShortName"])
    return value


def _numbers(state: SandboxState, column: Column, raw: Any, create: bool) -> Any:
    if isinstance(raw, dict):
        raise _bad(column, 'A numbers column takes a string such as "42", not {"value": 42}', raw)
    try:
        float(str(raw))
    except ValueError:
        raise _bad(column, f"'{raw}' is not a number", raw) from None
    return str(raw)


def _status(state: SandboxState, column: Column, raw: Any, create: bool) -> Any:
    labels = column.status_labels()
    by_label = {label: index for index, label in labels.items()}
    if isinstance(raw, dict) and "index" in raw:
        index = raw["index"]
        if not isinstance(index, int) or index not in labels:
            raise _bad(column, f"The status index {index} does not exist on this column", raw)
        return {"index": index}
    label = raw.get("label") if isinstance(raw, dict) else raw
    if not isinstance(label, str | int):
        raise _bad(column, 'A status column takes {"label": "..."} or {"index": n}', raw)
    label = str(label)
    if label in by_label:
        return {"index": by_label[label]}
    if label.isdigit() and not isinstance(raw, dict) and int(label) in labels:
        return {"index": int(label)}
    if create and len(labels) < MAX_STATUS_LABELS:
        index = max(labels, default=-1) + 1
        column.settings.setdefault("labels", {})[str(index)] = label
        return {"index": index}
    available = ", ".join(labels[i] for i in sorted(labels))
    raise _bad(column, f"This status label doesn't exist, possible statuses are: {{{available}}}", raw)


def _dropdown(state: SandboxState, column: Column, raw: Any, create: bool) -> Any:
    labels = column.dropdown_labels()
    by_label = {label: index for index, label in labels.items()}
    if isinstance(raw, dict) and "ids" in raw:
        ids = [int(i) for i in raw["ids"]]
        if any(i not in labels for i in ids):
            raise _bad(column, "A dropdown id does not exist on this column", raw)
        return {"ids": ids}
    names = raw.get("labels") if isinstance(raw, dict) else str(raw).split(",")
    ids = []
    for name in (str(n).strip() for n in names or []):
        if name not in by_label:
            if not create:
                raise _bad(column, f"The dropdown label '{name}' does not exist", raw)
            new_id = max(labels, default=0) + 1
            column.settings.setdefault("labels", []).append({"id": new_id, "name": name})
            labels[new_id], by_label[name] = name, new_id
        ids.append(by_label[name])
    return {"ids": ids}


def _people(state: SandboxState, column: Column, raw: Any, create: bool) -> Any:
    if isinstance(raw, str | int):
        entries = [{"id": part.strip(), "kind": "person"} for part in str(raw).split(",") if part.strip()]
    elif isinstance(raw, dict) and isinstance(raw.get("personsAndTeams"), list):
        entries = raw["personsAndTeams"]
    else:
        raise _bad(column, 'A people column takes {"personsAndTeams": [{"id": 1, "kind": "person"}]}', raw)
    result = []
    for entry in entries:
        try:
            entity_id = int(entry["id"])
        except (KeyError, TypeError, ValueError):
            raise _bad(column, "A person or team id must be a number", raw) from None
        kind = entry.get("kind", "person")
        known = state.users if kind == "person" else state.teams if kind == "team" else {}
        if entity_id not in known:
            raise _bad(column, f"The {kind} {entity_id} does not exist in this account", raw)
        result.append({"id": entity_id, "kind": kind})
    return {"personsAndTeams": result}


def _date(state: SandboxState, column: Column, raw: Any, create: bool) -> Any:
    if isinstance(raw, str):
        day, _, moment = raw.partition(" ")
        raw = {"date": day, **({"time": moment} if moment else {})}
    if not isinstance(raw, dict):
        raise _bad(column, 'A date column takes {"date": "YYYY-MM-DD"}', raw)
    try:
        date.fromisoformat(str(raw.get("date")))
        if raw.get("time"):
            datetime.strptime(str(raw["time"]), "%H:%M:%S")
    except ValueError:
        raise _bad(column, "A date is YYYY-MM-DD and a time HH:MM:SS (UTC)", raw) from None
    value = {"date": raw["date"]}
    if raw.get("time"):
        value["time"] = raw["time"]
    return value


def _checkbox(state: SandboxState, column: Column, raw: Any, create: bool) -> Any:
    checked = raw.get("checked") if isinstance(raw, dict) else raw
    if str(checked).lower() not in {"true", "false"}:
        raise _bad(column, 'A checkbox column takes {"checked": "true"}', raw)
    return {"checked": "true"} if str(checked).lower() == "true" else None


def _link(state: SandboxState, column: Column, raw: Any, create: bool) -> Any:
    if isinstance(raw, str):
        url, _, text = raw.partition(" ")
        raw = {"url": url, "text": text or url}
    if not isinstance(raw, dict) or not raw.get("url"):
        raise _bad(column, 'A link column takes {"url": "...", "text": "..."}', raw)
    return {"url": raw["url"], "text": raw.get("text") or raw["url"]}


_PARSERS = {
    "text": _text,
    "long_text": _long_text,
    "email": _email,
    "phone": _phone,
    "numbers": _numbers,
    "status": _status,
    "dropdown": _dropdown,
    "people": _people,
    "date": _date,
    "checkbox": _checkbox,
    "link": _link,
}


def webhook_value(state: SandboxState, column: Column, stored: Any) -> Any:
    """A value in a webhook payload (monday's webhook docs for status and date; the other shapes are ours)."""
    if stored is None:
        return None
    kind = column.type
    if kind == "status":
        index = stored.get("index")
        label = column.status_labels().get(index, "")
        return {
            "label": {
                "index": index,
                "text": label,
                "style": {"color": "#579bfc", "border": "#4387e8"},
                "is_done": label in DONE_LABELS,
            },
            "post_id": None,
        }
    if kind == "date":
        return {"date": stored.get("date"), "icon": None, "time": stored.get("time")}
    if kind == "people":
        return {"personsAndTeams": stored.get("personsAndTeams", []), "changed_at": None}
    if kind == "dropdown":
        labels = column.dropdown_labels()
        return {"chosenValues": [{"id": i, "name": labels.get(i, "")} for i in stored.get("ids", [])]}
    if kind in {"text", "numbers"}:
        return {"value": stored}
    return stored
