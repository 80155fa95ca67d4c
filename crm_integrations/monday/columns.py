"""A board's columns: the mapping wizard's fields, and how a plain value is written to each column type.

Writes follow monday's column-type docs ("Status", "People", "Dropdown"...):
``change_multiple_column_values`` takes a JSON string keyed by column id; status takes
``{"label": ...}`` (``{"index": n}`` for an int), people ``{"personsAndTeams": [...]}`` (replacing the
whole list), numbers a string, email ``{"email", "text"}``, date ``{"date"[, "time"]}``, dropdown
``{"ids": [...]}`` (labels resolved from the column's settings), the item name the key ``name``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from crm_integrations.core.errors import InvalidRequest, NotFound
from crm_integrations.core.types import CrmField, CrmOwner

from . import normalize
from .api import COMPLEXITY_FIELD, MondayApi
from .complexity import TYPICAL_COLUMNS
from .process_cache import LAYOUT_TTL, ExpiringCache

COLUMNS_QUERY = f"""
query BoardColumns($board: [ID!]) {{
  {COMPLEXITY_FIELD}
  boards(ids: $board) {{
    id name
    columns {{ id title type settings_str archived description }}
    groups {{ id title }}
  }}
}}"""


@dataclass(frozen=True)
class Column:
    id: str
    title: str
    type: str
    settings: dict[str, Any]

    @property
    def read_only(self) -> bool:
        return self.type in normalize.READ_ONLY_TYPES


@dataclass(frozen=True)
class BoardLayout:
    board_id: str
    name: str
    columns: dict[str, Column]
    groups: tuple[dict[str, Any], ...]
    raw_columns: tuple[dict[str, Any], ...]


#: Board layouts per (connection, board) in this process, shared by the connection's clients.
LAYOUTS: ExpiringCache[BoardLayout] = ExpiringCache(LAYOUT_TTL)


class ColumnsApi:
    """Reads a board's columns at most once per ``LAYOUT_TTL`` per connection in a process (a client
    lives for one task: crm_integrations/monday/process_cache.py) and encodes writes."""

    def __init__(self, api: MondayApi) -> None:
        self.api = api
        self._layouts: dict[str, BoardLayout] = {}  # read by this client: fresh, or taken from LAYOUTS
        self._read_here: set[str] = set()

    def _shared_key(self, board_id: str) -> tuple[object, str] | None:
        pk = self.api.connection.pk
        return (pk, board_id) if pk else None

    def layout(self, board_id: str, *, refresh: bool = False) -> BoardLayout:
        key = self._shared_key(board_id)
        if not refresh and board_id not in self._layouts and key is not None:
            shared = LAYOUTS.get(key)
            if shared is not None:
                self._layouts[board_id] = shared
        if refresh or board_id not in self._layouts:
            self._layouts[board_id] = self._read(board_id)
            self._read_here.add(board_id)
            if key is not None:
                LAYOUTS.put(key, self._layouts[board_id])
        return self._layouts[board_id]

    def _read(self, board_id: str) -> BoardLayout:
        estimate = self.api.meter.estimate("board_columns", TYPICAL_COLUMNS, 10)
        data = self.api.query(COLUMNS_QUERY, {"board": [board_id]}, estimate=estimate)
        boards = data.get("boards") or []
        if not boards:
            raise NotFound(f"monday board {board_id} does not exist or is not shared with this token.")
        board = boards[0]
        raw = tuple(column for column in board.get("columns") or [] if not column.get("archived"))
        columns = {
            str(c["id"]): Column(
                str(c["id"]),
                str(c.get("title") or c["id"]),
                str(c.get("type") or ""),
                normalize.settings_of(c),
            )
            for c in raw
        }
        return BoardLayout(
            str(board["id"]), str(board.get("name") or ""), columns, tuple(board.get("groups") or ()), raw
        )

    def column_count(self, board_id: str) -> int | None:
        """The board's column count when known here or in ``LAYOUTS`` (pricing reads; never a call)."""
        key = self._shared_key(board_id)
        layout = self._layouts.get(board_id) or (LAYOUTS.get(key) if key is not None else None)
        return len(layout.columns) if layout else None

    def list_fields(self, board_id: str, owners: Sequence[CrmOwner]) -> list[CrmField]:
        layout = self.layout(board_id, refresh=True)
        fields = [normalize.field(column, owners) for column in layout.raw_columns]
        return [*fields, normalize.group_field(layout.groups)]

    def encode(self, board_id: str, properties: Mapping[str, Any]) -> dict[str, Any]:
        """``{column id: plain value}`` -> the ``column_values`` object (raises ``InvalidRequest``).

        A value the kept layout refuses (a column or dropdown label added in monday since it was
        read) is checked once more against the board's columns read now."""
        try:
            return self._encode(self.layout(board_id), board_id, properties)
        except InvalidRequest:
            if board_id in self._read_here:
                raise
        return self._encode(self.layout(board_id, refresh=True), board_id, properties)

    @staticmethod
    def _encode(layout: BoardLayout, board_id: str, properties: Mapping[str, Any]) -> dict[str, Any]:
        encoded: dict[str, Any] = {}
        for name, value in properties.items():
            if name == "name":
                if not value:
                    raise InvalidRequest("An item's name cannot be empty.", code="invalid_value")
                encoded["name"] = str(value)
                continue
            column = layout.columns.get(name)
            if column is None:
                raise InvalidRequest(f"Board {board_id} has no column '{name}'.", code="unknown_column")
            if column.read_only:
                raise InvalidRequest(
                    f"Column '{name}' ({column.type}) is read only.", code="read_only_column"
                )
            encoded[name] = encode_value(column, value)
        return encoded


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _ids(value: Any) -> list[int]:
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    try:
        return [int(str(item).strip()) for item in items if str(item).strip()]
    except ValueError:
        raise InvalidRequest(
            f"People are written as user ids, not {value!r}.", code="invalid_value"
        ) from None


def encode_value(column: Column, value: Any) -> Any:
    """One plain value -> monday's JSON value for ``column`` (dicts are sent as they are)."""
    if isinstance(value, dict) and value:
        return value
    kind = column.type
    if _empty(value):
        return {"personsAndTeams": []} if kind == "people" else ""
    if kind == "people":
        return {"personsAndTeams": [{"id": user_id, "kind": "person"} for user_id in _ids(value)]}
    if kind == "status":
        return (
            {"index": value}
            if isinstance(value, int) and not isinstance(value, bool)
            else {"label": str(value)}
        )
    if kind == "numbers":
        if isinstance(value, bool):
            raise InvalidRequest("A numbers column takes a number.", code="invalid_value")
        return normalize.format_number(value) if isinstance(value, int | float) else str(value)
    if kind == "email":
        return {"email": str(value), "text": str(value)}
    if kind == "phone":
        return {"phone": str(value)}
    if kind == "date":
        return _date(value)
    if kind == "dropdown":
        labels = dict((label, index) for index, label in normalize.dropdown_labels(column.settings))
        names = value if isinstance(value, list | tuple) else [part.strip() for part in str(value).split(",")]
        unknown = [name for name in names if name not in labels]
        if unknown:
            raise InvalidRequest(
                f"Column '{column.id}' has no dropdown label {', '.join(map(repr, unknown))}.",
                code="invalid_value",
            )
        return {"ids": [labels[name] for name in names]}
    if kind == "checkbox":
        truthy = value is True or str(value).lower() in {"true", "1", "yes", "v"}
        return {"checked": "true"} if truthy else ""
    if kind == "long_text":
        return {"text": str(value)}
    if kind == "link":
        return {"url": str(value), "text": str(value)}
    return str(value)


def _date(value: Any) -> dict[str, str]:
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo else value
        return {"date": moment.strftime("%Y-%m-%d"), "time": moment.strftime("%H:%M:%S")}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    text = str(value).strip()
    if "T" in text or " " in text:
        moment = normalize.parse_datetime(text.replace(" ", "T", 1))
        if moment is None:
            raise InvalidRequest(f"{value!r} is not a date.", code="invalid_value")
        return _date(moment)
    try:
        return {"date": date.fromisoformat(text).isoformat()}
    except ValueError:
        raise InvalidRequest(f"{value!r} is not a date (YYYY-MM-DD).", code="invalid_value") from None
