"""One encoding for the change cursors providers hand to polling (``ChangedRecords.next_cursor``).

A cursor is opaque to the intake (crm_integrations/intake/polling.py stores it in ``SyncCursor``)
but each provider's change feed keeps its own state in it: HubSpot's search cursor
(crm_integrations/hubspot/search.py) and monday's feed cursor (crm_integrations/monday/feed.py)
both say "records changed at ``ts`` or later are still to come, except ``ids`` already returned
at ``ts``", plus fields of their own. This module gives them one text form — compact JSON with a
version, default-valued fields left out — and one decoder that also takes a starting point
typed by staff or a backfill (an ISO 8601 datetime or epoch milliseconds).
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, ClassVar, Self

from .datetimes import parse_moment
from .errors import InvalidRequest

VERSION = 1


@dataclass(frozen=True)
class ChangeCursor:
    """Records changed at ``ts`` or later are still to come, except ``ids`` (returned at ``ts``).

    Subclasses add fields (plain ints, floats, strings, optional ones or tuples of strings) and say
    what unit ``ts`` counts in through ``ts_from``.
    """

    ts: int = 0
    ids: tuple[str, ...] = ()

    #: Named in the error a foreign cursor gets ("This is not a HubSpot change cursor.").
    crm_name: ClassVar[str] = "CRM"

    @classmethod
    def ts_from(cls, moment: datetime) -> int:
        """``ts`` for a starting point: epoch seconds here; a feed counting milliseconds overrides."""
        return int(moment.timestamp())

    def encode(self) -> str:
        body: dict[str, Any] = {"v": VERSION, "ts": self.ts}
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name != "ts" and value != field.default:
                body[field.name] = list(value) if isinstance(value, tuple) else value
        return json.dumps(body, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str | None) -> Self:
        """Our own cursor, or a starting point: an ISO 8601 datetime or epoch milliseconds."""
        if not text:
            return cls()
        text = text.strip()
        if text.startswith("{"):
            try:
                return cls._from_body(json.loads(text))
            except (ValueError, KeyError, TypeError, AttributeError):
                pass
        else:
            moment = parse_moment(text)
            if moment is not None:
                return cls(ts=cls.ts_from(moment))
        raise InvalidRequest(f"This is not a {cls.crm_name} change cursor.", code="invalid_cursor")

    @classmethod
    def _from_body(cls, body: dict[str, Any]) -> Self:
        hints = typing.get_type_hints(cls)
        values = {"ts": int(body["ts"])}
        for field in fields(cls):
            if field.name != "ts" and body.get(field.name) is not None:
                values[field.name] = _coerce(hints[field.name], body[field.name])
        return cls(**values)


def _coerce(hint: Any, value: Any) -> Any:
    """A JSON value as the field's type: int, float, str, ``X | None`` or ``tuple[str, ...]``."""
    if isinstance(hint, types.UnionType):
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    if typing.get_origin(hint) is tuple:
        if not isinstance(value, list):
            raise TypeError("a list was expected")
        return tuple(str(item) for item in value)
    return hint(value)
