"""Incremental reads with the CRM search API: records modified since an opaque cursor, oldest first.

Every page is a fresh search "modified >= cursor time, oldest first" (HubSpot allows one sort),
never an ``after`` offset: an offset over a result set that changes while it is paged skips a
record each time an earlier one is modified (it moves to the end and the rest shift down), and
offsets stop at 10,000 results. Moving the cursor on every page avoids both; records already
returned at the cursor's own timestamp are remembered in the cursor and skipped.

When more records share one timestamp than a page holds (a bulk import), the cursor switches to
reading that instant by record id (``hs_object_id > last id``), then moves past it.

Only records modified at least ``lag`` ago are returned, so a record HubSpot has not indexed
yet is not passed by the cursor (HubSpot's "Search the CRM" guide warns that new and updated
records take a few moments to show up in search).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, ClassVar

from crm_integrations.core.cursors import ChangeCursor
from crm_integrations.core.types import ChangedRecords, CrmRecord

from . import normalize
from .api import HubSpotApi, next_after, paged
from .object_types import ObjectType, object_type

SEARCH = "/crm/v3/objects/{objectType}/search"
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class SearchCursor(ChangeCursor):
    """Records modified at ``ts`` (epoch ms) or later are still to come, except ``ids`` (already
    returned at ``ts``) and, while reading a crowded instant by id, ids up to ``gt``."""

    gt: int | None = None

    crm_name: ClassVar[str] = "HubSpot"

    @classmethod
    def ts_from(cls, moment: datetime) -> int:
        return normalize.epoch_ms(moment)

    def seen(self, record_id: str, ts: int | None) -> bool:
        if ts != self.ts:
            return False
        return record_id in self.ids or (
            self.gt is not None and record_id.isdigit() and int(record_id) <= self.gt
        )

    def after(self, record_id: str, ts: int | None) -> SearchCursor:
        """The cursor once ``record_id`` (modified at ``ts``) has been returned."""
        if ts is None or ts < self.ts:
            return self
        if self.gt is not None:  # reading the crowded instant ``ts`` by id
            return replace(self, gt=max(self.gt, int(record_id)) if record_id.isdigit() else self.gt)
        if ts > self.ts:
            return SearchCursor(ts, (record_id,))
        return replace(self, ids=(*self.ids, record_id))


class ChangeFeed:
    """``changed_since`` for one connection. ``page_size`` and ``lag_seconds`` are per instance
    so tests can make them small."""

    page_size = MAX_PAGE_SIZE
    lag_seconds = 30.0

    def __init__(self, api: HubSpotApi, *, clock: Callable[[], float] = time.time) -> None:
        self.api = api
        self.clock = clock

    def changed_since(
        self, kind: str, cursor: str | None, *, properties: Sequence[str] = (), limit: int = 100
    ) -> ChangedRecords:
        otype = object_type(kind)
        wanted = max(1, limit)
        names = list(dict.fromkeys([*properties, otype.modified_property]))
        upper = int((self.clock() - self.lag_seconds) * 1000)
        state = SearchCursor.decode(cursor)
        records: list[CrmRecord] = []
        more = True
        while more and len(records) < wanted:
            if state.gt is None:
                state, more, crowded = self._page_by_time(otype, state, upper, names, wanted, records)
                if crowded:  # a whole page modified at the cursor's instant: read that instant by id
                    state = replace(state, gt=0)
            else:
                state, rest_of_instant = self._page_by_id(otype, state, names, wanted, records)
                if not rest_of_instant:
                    state = SearchCursor(state.ts + 1)  # the instant is done: carry on after it
        return ChangedRecords(records=tuple(records), next_cursor=state.encode(), has_more=more)

    def _page_by_time(
        self, otype: ObjectType, state: SearchCursor, upper: int, names: list[str], wanted: int, records: list
    ) -> tuple[SearchCursor, bool, bool]:
        """One page modified from ``state.ts`` on (and not after ``upper``).

        Returns (cursor, more?, crowded?): crowded when the page is full and every record on it
        was modified at the cursor's instant, so the next page by time could only repeat them.
        """
        prop = otype.modified_property
        filters = [_filter(prop, "GTE", state.ts), _filter(prop, "LTE", upper)]
        body = self._search(otype, filters, prop, names, self._size(state, wanted - len(records)))
        state, cut = _take(otype, body, state, wanted, records, advance_skipped=False)
        full = next_after(body) is not None
        instants = {_modified_ms(otype, item) for item in body.get("results") or []}
        return state, cut or full, full and instants == {state.ts}

    def _page_by_id(
        self, otype: ObjectType, state: SearchCursor, names: list[str], wanted: int, records: list
    ) -> tuple[SearchCursor, bool]:
        """One page of the instant ``state.ts`` in id order; returns (cursor, more at this instant?)."""
        filters = [
            _filter(otype.modified_property, "EQ", state.ts),
            _filter("hs_object_id", "GT", state.gt or 0),
        ]
        body = self._search(otype, filters, "hs_object_id", names, self._size(state, wanted - len(records)))
        state, cut = _take(otype, body, state, wanted, records, advance_skipped=True)
        return state, cut or next_after(body) is not None

    def _size(self, state: SearchCursor, remaining: int) -> int:
        """Records already returned at the cursor's instant come back first: ask for that many more."""
        return max(1, min(self.page_size, remaining + len(state.ids)))

    def _search(
        self, otype: ObjectType, filters: list[dict], sort: str, properties: list[str], size: int
    ) -> dict[str, Any]:
        return search(self.api, otype.name, [filters], sort=sort, properties=properties, limit=size)


def search(
    api: HubSpotApi,
    name: str,
    filter_groups: Sequence[Sequence[dict[str, Any]]],
    *,
    sort: str,
    properties: Sequence[str],
    limit: int = MAX_PAGE_SIZE,
    descending: bool = False,
    after: str | None = None,
) -> dict[str, Any]:
    """One search call (the search budget): groups are OR-ed, the filters in a group AND-ed."""
    body: dict[str, Any] = {
        "filterGroups": [{"filters": list(filters)} for filters in filter_groups],
        "sorts": [{"propertyName": sort, "direction": "DESCENDING" if descending else "ASCENDING"}],
        "properties": list(properties),
        "limit": limit,
    }
    if after:
        body["after"] = after
    return api.json("POST", SEARCH, path_params={"objectType": name}, json=body, search=True)


def search_all(
    api: HubSpotApi, name: str, filter_groups: Sequence[Sequence[dict[str, Any]]], **kwargs: Any
) -> Iterator[dict[str, Any]]:
    """Every result of a search, page by page (``after``); for small result sets (offsets stop at
    10,000 results, so large reads use ``ChangeFeed``)."""
    return paged(lambda after: search(api, name, filter_groups, after=after, **kwargs))


def _take(
    otype: ObjectType, body: dict, state: SearchCursor, wanted: int, records: list, *, advance_skipped: bool
) -> tuple[SearchCursor, bool]:
    """Append the page's unseen records until ``wanted``, moving the cursor past each; returns
    (cursor, whether unread records were left on the page)."""
    for item in body.get("results") or []:
        record = normalize.record(otype.name, item)
        ts = _modified_ms(otype, item)
        if state.seen(record.id, ts):
            if advance_skipped:
                state = state.after(record.id, ts)
            continue
        if len(records) >= wanted:
            return state, True
        records.append(record)
        state = state.after(record.id, ts)
    return state, False


def _filter(name: str, operator: str, value: int) -> dict[str, str]:
    return {"propertyName": name, "operator": operator, "value": str(value)}


def _modified_ms(otype: ObjectType, item: dict[str, Any]) -> int | None:
    properties = item.get("properties") or {}
    moment = normalize.parse_datetime(properties.get(otype.modified_property) or item.get("updatedAt"))
    return normalize.epoch_ms(moment) if moment else None
