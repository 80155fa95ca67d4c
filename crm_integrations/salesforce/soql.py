"""SOQL text built safely: quoted string literals, datetime literals, id lists, field lists.

Values from outside (ids from an Outbound Message, domains from a lead's email) only ever reach a
query through ``quote``/``id_list``; an id that is not 15 or 18 letters and digits is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from crm_integrations.core.errors import InvalidRequest

_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*$")


def quote(value: str) -> str:
    """A SOQL string literal: backslash and single quote escaped, control characters refused."""
    text = str(value)
    if any(ord(char) < 32 for char in text):
        raise InvalidRequest("A SOQL value may not hold control characters.", code="soql_value")
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def like_fragment(value: str) -> str:
    """A value placed inside a LIKE pattern: its ``%`` and ``_`` taken literally."""
    return str(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def datetime_literal(moment: datetime) -> str:
    """An unquoted SOQL datetime literal in UTC: ``2026-11-20T10:00:00.000Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def is_id(value: object) -> bool:
    return isinstance(value, str) and bool(_ID.match(value))


def id_list(ids: Iterable[str]) -> str:
    """``('00Q…', '00Q…')``; raises ``InvalidRequest`` for anything that is not a Salesforce id."""
    values = list(ids)
    bad = [value for value in values if not is_id(value)]
    if bad:
        raise InvalidRequest(f"Not a Salesforce id: {str(bad[0])[:40]!r}.", code="INVALID_ID")
    return "(" + ", ".join(quote(value) for value in values) + ")"


def field_list(fields: Sequence[str]) -> str:
    """Fields for a SELECT, each checked (``Owner.Type`` is fine), duplicates dropped, order kept."""
    names = list(dict.fromkeys(fields))
    bad = [name for name in names if not _FIELD.match(name)]
    if bad:
        raise InvalidRequest(f"Not a Salesforce field: {bad[0][:60]!r}.", code="INVALID_FIELD")
    return ", ".join(names)


def select(fields: str, sobject: str, where: str, tail: str = "") -> str:
    """``SELECT fields FROM sobject WHERE where tail``: SOQL, every value in it built by the helpers
    above (``field_list``, ``id_list``, ``quote``), never pasted in."""
    return f"SELECT {fields} FROM {sobject} WHERE {where}{tail}"  # noqa: S608 - SOQL, values quoted
