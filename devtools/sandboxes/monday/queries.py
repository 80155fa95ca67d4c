"""``ItemsQuery`` (``items_page(query_params:)``): the rules, groups and ordering the sandbox evaluates.

Supported (what a lead integration uses: crm_integrations/monday/feed.py reads the board with these): the
``__last_updated__`` / ``__creation_log__`` pseudo-columns with ``compare_attribute`` and ``["EXACT",
"YYYY-MM-DD"]`` / ``["TODAY"]`` / ``["YESTERDAY"]`` compare values (day granularity, UTC), status by index,
people by ``person-<id>`` (``person-0`` = blank), text equality and ``contains_text``, ``is_empty`` /
``is_not_empty``, ``ids``, and ``order_by`` on those pseudo-columns, ``name`` or any column's text. Anything
else is refused with an ``InvalidArgumentException`` rather than silently answered wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .errors import field_error
from .state import Board, Item, SandboxState
from .values import render

Predicate = Callable[[Item], bool]
TIME_COLUMNS = {"__last_updated__": "updated_ms", "__creation_log__": "created_ms"}


def _invalid(message: str) -> Exception:
    return field_error(message, "InvalidArgumentException", 400)


def _day(value: Any) -> date:
    if isinstance(value, list) and value:
        head = str(value[0]).upper()
        today = datetime.now(UTC).date()
        if head == "EXACT" and len(value) > 1:
            return _day(value[1])
        if head == "TODAY":
            return today
        if head == "YESTERDAY":
            return today - timedelta(days=1)
        if head == "TOMORROW":
            return today + timedelta(days=1)
        return _day(value[0])
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise _invalid(f"Invalid date compare value: {value!r}") from None


def _time_rule(attribute: str, operator: str, compare: Any) -> Predicate:
    def day_of(item: Item) -> date:
        return datetime.fromtimestamp(getattr(item, attribute) / 1000, tz=UTC).date()

    if operator == "between":
        if not (isinstance(compare, list) and len(compare) == 2):
            raise _invalid("between takes two dates")
        low, high = _day(compare[0]), _day(compare[1])
        return lambda item: low <= day_of(item) <= high
    if operator in {"any_of", "not_any_of"}:
        days = {_day(value) for value in (compare if isinstance(compare, list) else [compare])}
        if isinstance(compare, list) and compare and str(compare[0]).upper() == "EXACT":
            days = {_day(compare)}
        return (
            (lambda item: day_of(item) in days)
            if operator == "any_of"
            else (lambda item: day_of(item) not in days)
        )
    day = _day(compare)
    comparisons: dict[str, Callable[[date], bool]] = {
        "greater_than": lambda d: d > day,
        "greater_than_or_equals": lambda d: d >= day,
        "lower_than": lambda d: d < day,
        "lower_than_or_equal": lambda d: d <= day,
    }
    if operator not in comparisons:
        raise _invalid(f"The operator {operator} is not supported for {attribute}")
    check = comparisons[operator]
    return lambda item: check(day_of(item))


def _column_rule(state: SandboxState, board: Board, rule: dict[str, Any]) -> Predicate:
    column_id = str(rule["column_id"])
    operator = str(rule.get("operator") or "any_of")
    compare = rule.get("compare_value")
    if column_id in TIME_COLUMNS:
        return _time_rule(TIME_COLUMNS[column_id], operator, compare)
    if column_id == "name":
        column_type = "name"
    elif column_id in board.columns:
        column_type = board.columns[column_id].type
    else:
        raise _invalid(f"Column {column_id} does not exist on board {board.id}")
    values = compare if isinstance(compare, list) else [compare]

    def text(item: Item) -> str:
        if column_type == "name":
            return item.name
        return render(state, board.columns[column_id], item)["text"] or ""

    if operator == "is_empty":
        return lambda item: not text(item)
    if operator == "is_not_empty":
        return lambda item: bool(text(item))
    if operator in {"contains_text", "not_contains_text"}:
        needle = str(values[0]).lower() if values else ""
        positive = operator == "contains_text"
        return lambda item: (needle in text(item).lower()) == positive
    if operator not in {"any_of", "not_any_of"}:
        raise _invalid(f"The operator {operator} is not supported by this sandbox for {column_type} columns")
    positive = operator == "any_of"
    if column_type == "status":
        wanted = {int(value) for value in values}
        return lambda item: ((item.values.get(column_id) or {}).get("index") in wanted) == positive
    if column_type == "people":
        wanted_people = {str(value).removeprefix("person-") for value in values}

        def people_match(item: Item) -> bool:
            ids = {str(e["id"]) for e in (item.values.get(column_id) or {}).get("personsAndTeams", [])}
            return bool(ids & wanted_people) or ("0" in wanted_people and not ids)

        return lambda item: people_match(item) == positive
    wanted_text = {str(value) for value in values}
    return lambda item: (text(item) in wanted_text) == positive


def _group(state: SandboxState, board: Board, spec: dict[str, Any]) -> Predicate:
    parts = [_column_rule(state, board, rule) for rule in spec.get("rules") or []]
    parts += [_group(state, board, group) for group in spec.get("groups") or []]
    if spec.get("ids"):
        if len(spec["ids"]) > 100:
            raise _invalid("query_params.ids takes at most 100 ids")
        ids = {int(i) for i in spec["ids"]}
        parts.append(lambda item: item.id in ids)
    if not parts:
        return lambda item: True
    if str(spec.get("operator") or "and") == "or":
        return lambda item: any(part(item) for part in parts)
    return lambda item: all(part(item) for part in parts)


def _sort_key(state: SandboxState, board: Board, column_id: str) -> Callable[[Item], Any]:
    if column_id in TIME_COLUMNS:
        attribute = TIME_COLUMNS[column_id]
        # The API prints seconds; ties are broken by item id so the order is total.
        return lambda item: (getattr(item, attribute) // 1000, item.id)
    if column_id == "name":
        return lambda item: (item.name.lower(), item.id)
    if column_id in board.columns:
        column = board.columns[column_id]
        return lambda item: ((render(state, column, item)["text"] or "").lower(), item.id)
    raise _invalid(f"Cannot order by unknown column {column_id}")


def matching_ids(
    state: SandboxState, board: Board, query: dict[str, Any] | None, group_ids: set[str] | None = None
) -> list[int]:
    """Active items of ``board`` matching ``query``, in the requested order (default: by id)."""
    query = query or {}
    predicate = _group(state, board, query)
    items = [
        item
        for item in board.items.values()
        if item.state == "active" and predicate(item) and (group_ids is None or item.group_id in group_ids)
    ]
    orders = query.get("order_by") or []
    items.sort(key=lambda item: item.id)
    for order in reversed(orders):  # stable sorts: the first order_by entry ends up primary
        items.sort(
            key=_sort_key(state, board, str(order["column_id"])),
            reverse=str(order.get("direction") or "asc") == "desc",
        )
    return [item.id for item in items]
