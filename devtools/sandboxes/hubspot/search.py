"""CRM search: filter groups, one sort, free-text query, ``after`` offsets and HubSpot's limits.

Limits (HubSpot's search guide; crm_integrations/hubspot/search.py keeps within them): ≤5 filter groups,
≤6 filters per group, ≤18 filters in all, ``limit`` ≤200, ``query`` ≤3,000 characters, and no paging past
10,000 results (HTTP 400).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import validation_error
from .object_types import ObjectType, find_object_type
from .property_defs import PropertyDef
from .state import Portal, Record
from .timeutil import parse_ms

MAX_GROUPS, MAX_FILTERS_PER_GROUP, MAX_FILTERS = 5, 6, 18
MAX_LIMIT, RESULT_CAP, MAX_QUERY = 200, 10_000, 3000
OPERATORS = {
    "EQ",
    "NEQ",
    "LT",
    "LTE",
    "GT",
    "GTE",
    "BETWEEN",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
    "CONTAINS_TOKEN",
    "NOT_CONTAINS_TOKEN",
}
_TOKEN_SPLIT = re.compile(r"[^0-9a-zA-Z]+")


@dataclass(frozen=True)
class SearchRequest:
    filter_groups: list[list[dict[str, Any]]]
    sort: tuple[str, bool] | None  # (property, descending)
    query: str
    properties: list[str]
    limit: int
    after: int


def parse_search(body: dict[str, Any], otype: ObjectType, portal: Portal) -> SearchRequest:
    groups = [list(group.get("filters") or []) for group in body.get("filterGroups") or []]
    if len(groups) > MAX_GROUPS:
        raise validation_error(f"Too many filter groups ({len(groups)}). The maximum is {MAX_GROUPS}.")
    if any(len(group) > MAX_FILTERS_PER_GROUP for group in groups):
        raise validation_error(f"Too many filters in a filter group. The maximum is {MAX_FILTERS_PER_GROUP}.")
    total_filters = sum(len(group) for group in groups)
    if total_filters > MAX_FILTERS:
        raise validation_error(
            f"Too many filters ({total_filters}). The maximum is {MAX_FILTERS} in all groups."
        )
    for group in groups:
        for item in group:
            _check_filter(item, otype, portal)
    query = body.get("query") or ""
    if len(query) > MAX_QUERY:
        raise validation_error(f"query is too long; the maximum is {MAX_QUERY} characters.")
    limit = int(body.get("limit") or 10)
    if not 0 < limit <= MAX_LIMIT:
        raise validation_error(f"limit must be between 1 and {MAX_LIMIT}.")
    after_text = str(body.get("after") or "0")
    if not after_text.isdigit():
        raise validation_error(f"after must be a non-negative integer, got {after_text!r}.")
    after = int(after_text)
    if after >= RESULT_CAP:
        raise validation_error(
            f"The search endpoints return at most {RESULT_CAP} results for a query; "
            f"after={after} pages past that. "
            "Narrow the query (e.g. by hs_lastmodifieddate) instead."
        )
    sorts = body.get("sorts") or []
    if len(sorts) > 1:
        raise validation_error("Only one sort is supported.")
    return SearchRequest(
        groups, _parse_sort(sorts[0]) if sorts else None, query, body.get("properties") or [], limit, after
    )


def _parse_sort(item: Any) -> tuple[str, bool]:
    if isinstance(item, str):  # "createdate" / "-createdate"
        return item.lstrip("-"), item.startswith("-")
    return str(item.get("propertyName", "")), str(item.get("direction", "ASCENDING")).upper() == "DESCENDING"


def _check_filter(item: dict[str, Any], otype: ObjectType, portal: Portal) -> None:
    operator, name = item.get("operator"), str(item.get("propertyName", ""))
    if operator not in OPERATORS:
        raise validation_error(f"Unknown filter operator {operator!r}.")
    if not name.startswith("associations.") and name not in portal.properties[otype.name]:
        raise validation_error(
            f"Property {name!r} does not exist on {otype.name}; it cannot be used in a filter."
        )
    if operator in {"IN", "NOT_IN"} and not isinstance(item.get("values"), list):
        raise validation_error(f"Operator {operator} needs a 'values' list.")
    if operator == "BETWEEN" and ("value" not in item or "highValue" not in item):
        raise validation_error("Operator BETWEEN needs 'value' and 'highValue'.")
    if operator not in {"IN", "NOT_IN", "HAS_PROPERTY", "NOT_HAS_PROPERTY"} and "value" not in item:
        raise validation_error(f"Operator {operator} needs a 'value'.")


def run_search(
    portal: Portal, otype: ObjectType, request: SearchRequest
) -> tuple[int, list[Record], int | None]:
    """``(total matches, this page, next after or None)``."""
    props = portal.properties[otype.name]
    matchers = [[_matcher(item, props, portal, otype) for item in group] for group in request.filter_groups]
    query_tokens = [token.lower() for token in request.query.split()]
    found = [
        record
        for record in portal.records.get(otype.name, {}).values()
        if not record.archived
        and (not matchers or any(all(match(record) for match in group) for group in matchers))
        and (not query_tokens or _matches_query(record, otype, query_tokens))
    ]
    found.sort(key=lambda r: (r.created_ms, r.id))
    if request.sort:
        name, descending = request.sort
        key = _sort_key(props.get(name))
        present = [r for r in found if r.properties.get(name)]
        missing = [r for r in found if not r.properties.get(name)]
        present.sort(key=lambda r: key(r.properties[name]), reverse=descending)
        found = present + missing
    end = min(request.after + request.limit, RESULT_CAP, len(found))
    page = found[request.after : end]
    return len(found), page, end if end < min(len(found), RESULT_CAP) else None


def _matches_query(record: Record, otype: ObjectType, tokens: list[str]) -> bool:
    words = [
        word.lower() for name in otype.text_properties for word in _tokens(record.properties.get(name, ""))
    ]
    values = [record.properties.get(name, "").lower() for name in otype.text_properties]
    return all(any(w.startswith(t) for w in words) or any(t in v for v in values) for t in tokens)


def _tokens(value: str) -> list[str]:
    return [token for token in _TOKEN_SPLIT.split(value) if token]


def _sort_key(prop: PropertyDef | None) -> Callable[[str], Any]:
    kind = prop.type if prop else "string"
    if kind == "number":
        return lambda value: _number(value) or 0.0
    if kind in {"datetime", "date"}:
        return lambda value: parse_ms(value) or 0
    return lambda value: value.lower()


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _comparable(prop: PropertyDef | None, value: str | None) -> Any:
    """Values compare as numbers, epoch ms, case-sensitive enumerations or lower-cased strings."""
    if value in (None, ""):
        return None
    kind = prop.type if prop else "string"
    if kind == "number":
        return _number(value)
    if kind in {"datetime", "date"}:
        return parse_ms(value)
    if kind == "enumeration":
        return value
    return value.lower()


def _matcher(
    item: dict[str, Any], props: dict[str, PropertyDef], portal: Portal, otype: ObjectType
) -> Callable[[Record], bool]:
    name, operator = item["propertyName"], item["operator"]
    if name.startswith("associations."):
        return _association_matcher(name, operator, str(item.get("value", "")), portal, otype)
    prop = props.get(name)
    wanted = _comparable(prop, str(item.get("value", "")))
    high = _comparable(prop, str(item.get("highValue", "")))
    # IN / NOT_IN compare raw values: HubSpot wants lower-case values for string properties.
    values = {str(v) for v in item.get("values") or []}

    def value_of(record: Record) -> Any:
        return _comparable(prop, record.properties.get(name))

    def raw_in(record: Record) -> bool:
        raw = record.properties.get(name) or ""
        key = raw if prop is not None and prop.type == "enumeration" else raw.lower()
        return bool(raw) and (
            key in values or (prop is not None and prop.type == "number" and _num_in(raw, values))
        )

    def token_match(record: Record) -> bool:
        pattern = str(item.get("value", "")).lower()
        raw = (record.properties.get(name) or "").lower()
        return fnmatch.fnmatchcase(raw, pattern) or any(fnmatch.fnmatchcase(t, pattern) for t in _tokens(raw))

    def ordered(test: Callable[[Any, Any], bool]) -> Callable[[Record], bool]:
        def check(record: Record) -> bool:
            current = value_of(record)
            return current is not None and wanted is not None and test(current, wanted)

        return check

    table: dict[str, Callable[[Record], bool]] = {
        "EQ": lambda r: value_of(r) is not None and value_of(r) == wanted,
        "NEQ": lambda r: value_of(r) != wanted,
        "LT": ordered(lambda a, b: a < b),
        "LTE": ordered(lambda a, b: a <= b),
        "GT": ordered(lambda a, b: a > b),
        "GTE": ordered(lambda a, b: a >= b),
        "BETWEEN": lambda r: (
            (v := value_of(r)) is not None and wanted is not None and high is not None and wanted <= v <= high
        ),
        "IN": raw_in,
        "NOT_IN": lambda r: not raw_in(r),
        "HAS_PROPERTY": lambda r: bool(r.properties.get(name)),
        "NOT_HAS_PROPERTY": lambda r: not r.properties.get(name),
        "CONTAINS_TOKEN": token_match,
        "NOT_CONTAINS_TOKEN": lambda r: not token_match(r),
    }
    return table[operator]


def _num_in(raw: str, values: set[str]) -> bool:
    number = _number(raw)
    return number is not None and any(_number(v) == number for v in values)


def _association_matcher(
    name: str, operator: str, value: str, portal: Portal, otype: ObjectType
) -> Callable[[Record], bool]:
    """``associations.contact EQ <id>``: records associated with that record."""
    target = find_object_type(name.split(".", 1)[1])
    if target is None or operator not in {"EQ", "NEQ"}:
        raise validation_error(f"Unsupported association filter {name} {operator}.")

    def linked(record: Record) -> bool:
        ids = {str(to_id) for to_id, _ in portal.associations.targets(otype.name, record.id, target.name)}
        return value in ids

    return linked if operator == "EQ" else (lambda record: not linked(record))
