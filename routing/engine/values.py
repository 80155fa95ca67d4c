"""Lead field values as conditions read them (folded text, numbers) and as reasons show them.

:class:`LeadView` prepares one lead's fields for many conditions: each form of a field is computed
on first use and kept for the rest of the decision.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from .types import as_decimal

#: Lists in reasons show at most this many items, then "+N more".
MAX_LISTED = 12
#: Text values in reasons are cut to this many characters.
MAX_SHOWN = 60
EMPTY = "(empty)"


def is_numeric(value: Any) -> bool:
    """A number type (Decimal, int, float; not bool): such a field compares as a number."""
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def number(value: Any) -> Decimal | None:
    """``value`` as a finite Decimal, or None (booleans, text that is no number, NaN, infinity)."""
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, bool) or value is None:
        return None
    try:
        result = as_decimal(value)
    except (TypeError, ValueError):
        return None
    return result if result is not None and result.is_finite() else None


def show_number(value: Decimal) -> str:
    """``Decimal("5000.00")`` -> ``"5000"``, ``Decimal("0.50")`` -> ``"0.5"`` (never an exponent)."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def fold(value: Any) -> str:
    """The text form that comparisons use: stripped and case-folded; numbers normalized; None -> ""."""
    if value is None:
        return ""
    if is_numeric(value):
        parsed = number(value)
        return show_number(parsed) if parsed is not None else str(value).strip().casefold()
    return str(value).strip().casefold()


def show(value: Any) -> str:
    """A value as reasons show it: ``'FR'``, ``5000``, ``(empty)``."""
    if value is None:
        return EMPTY
    if is_numeric(value):
        parsed = number(value)
        return show_number(parsed) if parsed is not None else str(value)
    text = str(value).strip()
    if not text:
        return EMPTY
    if len(text) > MAX_SHOWN:
        text = text[: MAX_SHOWN - 3] + "..."
    return f"'{text}'"


def _bare(value: Any) -> str:
    """A list item as reasons show it: ``DE`` (no quotes)."""
    if is_numeric(value):
        parsed = number(value)
        return show_number(parsed) if parsed is not None else str(value)
    return str(value).strip()


def show_list(values: Iterable[Any]) -> str:
    """``[DE, AT]``; long lists end with ``+N more``."""
    items = [_bare(v) for v in values]
    if len(items) > MAX_LISTED:
        items = [*items[:MAX_LISTED], f"+{len(items) - MAX_LISTED} more"]
    return "[" + ", ".join(items) + "]"


class _Unhashable:
    """The memo key of a value that cannot key a dict: never stored, never found."""

    __slots__ = ()


UNHASHABLE = _Unhashable()


def memo_key(value: Any) -> Any:
    """A key under which results computed from ``value`` alone can be kept: ``(type, value)`` (the
    type keeps ``True``, ``1`` and ``Decimal(1)`` apart), or :data:`UNHASHABLE`."""
    key = (type(value), value)
    try:
        hash(key)
    except TypeError:
        return UNHASHABLE
    return key


class _PerField(dict):
    """field name -> ``form(raw value)``, computed on first lookup (a missing field reads as None)."""

    __slots__ = ("_form", "_raw")

    def __init__(self, raw: Mapping[str, Any], form: Callable[[Any], Any]) -> None:
        super().__init__()
        self._raw, self._form = raw, form

    def __missing__(self, name: str) -> Any:
        value = self[name] = self._form(self._raw.get(name))
        return value


class LeadView:
    """One lead's fields as conditions read them, each form computed once per field on first use:
    ``text`` (folded), ``shown`` (for reasons), ``numeric`` (is a number type), ``numbers``
    (:func:`number`) and ``keys`` (:func:`memo_key`). Every form depends on the field's value alone."""

    __slots__ = ("keys", "numbers", "numeric", "raw", "shown", "text")

    def __init__(self, fields: Mapping[str, Any]) -> None:
        self.raw = fields
        self.text: dict[str, str] = _PerField(fields, fold)
        self.shown: dict[str, str] = _PerField(fields, show)
        self.numeric: dict[str, bool] = _PerField(fields, is_numeric)
        self.numbers: dict[str, Decimal | None] = _PerField(fields, number)
        self.keys: dict[str, Any] = _PerField(fields, memo_key)
