"""Rule conditions in the CRM's words: "Source is one of Partner, Website", not "source in PARTNER,WEBSITE".

Conditions store canonical values (what the engine compares); staff read them through the
organization's label book (``field_mapping.selectors.organization_label_book``: the option labels of
every connection's mapping), on the rule set page and each rule's page (routing/admin/rules.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from field_mapping.labels import LabelBook

from .engine.types import Op
from .models import Condition, Rule

#: Operators whose value is a list of canonical values, each shown by its label.
_LISTS = (Op.IN, Op.NOT_IN)
#: Operators whose value is a number or text fragment: shown as typed, never relabelled.
_AS_TYPED = (Op.CONTAINS, Op.NOT_CONTAINS, Op.STARTS_WITH, Op.GT, Op.GTE, Op.LT, Op.LTE)


def value_text(condition: Condition, book: LabelBook) -> str:
    """The condition's value as staff read it ("" for "is empty" and "is not empty")."""
    op, value = condition.op, condition.value.strip()
    if op in (Op.IS_EMPTY, Op.IS_NOT_EMPTY):
        return ""
    if op == Op.BETWEEN:
        low, _, high = value.partition("..")
        return f"{low.strip()} and {high.strip()}"
    if op in _AS_TYPED:
        return value
    if op in _LISTS:
        return ", ".join(
            book.show(condition.field, item.strip()) for item in value.split(",") if item.strip()
        )
    return book.show(condition.field, value)


def condition_text(condition: Condition, book: LabelBook) -> str:
    """``Source is one of Partner, Website``: the field, the operator and the values in words."""
    parts = (condition.get_field_display(), condition.get_op_display(), value_text(condition, book))
    return " ".join(part for part in parts if part)


def conditions_text(rule: Rule, conditions: Iterable[Condition], book: LabelBook) -> str:
    """A rule's conditions on one line: "every lead", one condition, or "All of: …; …"."""
    shown = [condition_text(condition, book) for condition in conditions]
    if len(shown) > 1:
        return f"{'Any' if rule.match == 'any' else 'All'} of: {'; '.join(shown)}"
    return shown[0] if shown else "every lead"


def value_suggestions(book: LabelBook) -> list[tuple[str, str]]:
    """(canonical value, "Label · Field") for every labelled value, for the condition value's list."""
    fields = dict(Condition._meta.get_field("field").choices)
    return sorted(
        (value, f"{label} · {fields[field]}")
        for field, labels in book.labels.items()
        if field in fields
        for value, label in labels.items()
    )


_REASON = re.compile(r"^(?P<field>[a-z_]+) '(?P<value>[^']*)'(?P<rest>.*)$")
_LIST = re.compile(r"\[(?P<items>[^\]]*)\]")


def reason_text(reason: str, book: LabelBook) -> str:
    """An engine reason with the lead's value and the rule's list in the CRM's words:
    "source 'WEBSITE' is not excluded" → "source 'Website' is not excluded" (the engine, which knows
    no labels, writes codes: routing/engine/conditions.py and filters.py)."""
    found = _REASON.match(reason)
    if not found:
        return reason
    field = found["field"]

    def items(listed: re.Match[str]) -> str:
        shown = (book.show(field, item.strip()) for item in listed["items"].split(","))
        return f"[{', '.join(shown)}]"

    rest = _LIST.sub(items, found["rest"])
    return f"{field} '{book.show(field, found['value'])}'{rest}"
