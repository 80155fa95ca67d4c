"""Incremental reads: a board's items created or changed since an opaque cursor, oldest first.

What monday offers (its "Querying board items" and ``items_page`` docs): ``items_page`` ordered
by the ``__last_updated__`` pseudo-column and filtered on it with **day** granularity, then
``next_items_page(cursor)`` pages whose cursor lives 60 minutes from the *initial* request. So:

* a fresh read asks for items updated on or after the watermark's day (minus one day of overlap, the
  day boundary's time zone being monday's), oldest first, and skips what the watermark already covers:
  items updated before it, and the ids already returned at its very second;
* the watermark (``ts`` in epoch seconds + ``ids``) moves past every item returned, so a record comes
  back once per change, and ``next_cursor`` is safe to store only after the page is stored;
* the monday cursor rides along in our cursor (``mc``, with its expiry ``exp``) so the next call
  continues where the last stopped instead of re-reading the day. A page cut short keeps the cursor that
  *fetched* it and how many of its items were read (``sk``): fetching it again re-reads those (the
  watermark skips them) and asks for just enough more. While the watermark is still skipping old items
  pages are 500; once new records flow, pages are sized to what the caller wants. An expired cursor
  (``CursorExpired``, or older than ``exp``) falls back to a fresh read from the watermark.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from crm_integrations.core.cursors import ChangeCursor
from crm_integrations.core.types import ChangedRecords, CrmRecord

from .errors import CursorExpired
from .items import PAGE_MAX, ItemsApi, ItemSelection, Page

CURSOR_TTL = 3600  # monday: 60 minutes from the initial request
CURSOR_MARGIN = 300  # do not start a page with a cursor younger than this of its end
OVERLAP = timedelta(days=1)


@dataclass(frozen=True)
class FeedCursor(ChangeCursor):
    """Items updated at ``ts`` (epoch seconds) or later are still to come, except ``ids`` (returned at
    ``ts``); ``mc`` is monday's cursor of the next page to read (until ``exp``, epoch seconds)."""

    mc: str | None = None
    exp: float = 0.0
    #: How many items of the page at ``mc`` were already read (a page cut short is fetched again).
    sk: int = 0

    crm_name: ClassVar[str] = "monday"

    def seen(self, record: CrmRecord) -> bool:
        ts = _seconds(record)
        return ts is not None and (ts < self.ts or (ts == self.ts and record.id in self.ids))

    def after(self, record: CrmRecord) -> FeedCursor:
        ts = _seconds(record)
        if ts is None or ts < self.ts:
            return self
        if ts > self.ts:
            return replace(self, ts=ts, ids=(record.id,))
        return replace(self, ids=(*self.ids, record.id))


def _seconds(record: CrmRecord) -> int | None:
    return int(record.updated_at.timestamp()) if record.updated_at else None


class ChangeFeed:
    """``changed_since`` for one board. ``page_size`` is per instance so tests can make it small."""

    page_size = PAGE_MAX

    def __init__(self, items: ItemsApi, *, clock: Callable[[], float] = time.time) -> None:
        self.items = items
        self.clock = clock

    def changed_since(
        self, board_id: str, cursor: str | None, *, properties: Sequence[str] = (), limit: int = 100
    ) -> ChangedRecords:
        wanted = max(1, limit)
        selection = ItemSelection.of(properties)
        state = FeedCursor.decode(cursor)
        records: list[CrmRecord] = []
        followed: set[str] = set()
        # Past the items the watermark skips, pages hold only new records: ask for just what is wanted.
        flowing = bool(state.mc)
        while len(records) < wanted:
            fetching = state.mc if state.mc and self.clock() < state.exp - CURSOR_MARGIN else None
            remaining = wanted - len(records)
            try:
                if fetching:
                    size = min(self.page_size, state.sk + remaining) if flowing else self.page_size
                    page = self.items.next_page(fetching, selection, limit=size, board_id=board_id)
                else:
                    state = replace(state, mc=None, sk=0, exp=self.clock() + CURSOR_TTL)
                    # The first page asks only for what is wanted: a page taken whole needs no re-read.
                    page = self.items.first_page(
                        board_id,
                        selection,
                        limit=min(self.page_size, remaining + len(state.ids)),
                        query_params=self._query(state),
                    )
            except CursorExpired:
                state = replace(state, mc=None, sk=0, exp=0.0)  # start again from the watermark
                flowing = False
                continue
            taken_before = len(records)
            state, cut_at = self._take(page, state, wanted, records)
            flowing = flowing or len(records) > taken_before
            if cut_at is not None:
                # Unread items remain on this page: keep the cursor that fetched it and how far it was
                # read (a first page has none: the next call reads fresh from the watermark).
                done = replace(state, mc=fetching, sk=cut_at if fetching else 0)
                return ChangedRecords(tuple(records), done.encode(), True)
            if page.cursor is None:
                return ChangedRecords(tuple(records), replace(state, mc=None, sk=0, exp=0.0).encode(), False)
            if page.cursor in followed:  # a cursor that repeats would loop forever
                return ChangedRecords(tuple(records), replace(state, mc=None, sk=0, exp=0.0).encode(), True)
            followed.add(page.cursor)
            state = replace(state, mc=page.cursor, sk=0)
        return ChangedRecords(tuple(records), state.encode(), True)

    @staticmethod
    def _query(state: FeedCursor) -> dict[str, Any]:
        order = [{"column_id": "__last_updated__", "direction": "asc"}]
        if not state.ts:
            return {"order_by": order}
        day = (datetime.fromtimestamp(state.ts, tz=UTC) - OVERLAP).date().isoformat()
        rule = {
            "column_id": "__last_updated__",
            "compare_value": ["EXACT", day],
            "operator": "greater_than_or_equals",
            "compare_attribute": "UPDATED_AT",
        }
        return {"rules": [rule], "order_by": order}

    @staticmethod
    def _take(
        page: Page, state: FeedCursor, wanted: int, records: list[CrmRecord]
    ) -> tuple[FeedCursor, int | None]:
        """Append the page's unseen records until ``wanted``; returns (cursor, index of the first
        unread record when the page is cut short, else None)."""
        for index, record in enumerate(page.records):
            if state.seen(record):
                continue
            if len(records) >= wanted:
                return state, index
            records.append(record)
            state = state.after(record)
        return state, None
