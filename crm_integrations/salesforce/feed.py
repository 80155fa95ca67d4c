"""Leads changed since a cursor: SOQL on ``SystemModstamp``, ordered by ``SystemModstamp, Id``.

Each poll re-reads a small overlap before the last stamp (``SALESFORCE_POLL_OVERLAP_SECONDS``: a
transaction committed late can carry an earlier stamp than one already read) and drops what it has
seen, keyed by ``(Id, SystemModstamp)``: a record changed again comes back, a record read once does
not. Only leads with ``IsConverted = false`` are taken in (a converted lead is never routed). The
cursor is opaque JSON: ``{"since": <last stamp>, "start": <where the next read starts>, "seen":
["<Id>|<stamp>", ...]}`` (the keys read from ``start`` on); a bare ISO datetime (the intake's first poll)
works to start.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from crm_integrations.core.datetimes import parse_moment
from crm_integrations.core.types import ChangedRecords, CrmRecord

from . import soql
from .config import poll_overlap_seconds
from .normalize import LEADS
from .objects import ObjectsApi

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: SOQL's own cap on LIMIT is 50,000; one page never asks for more than this.
MAX_PAGE = 2000
#: About the most seen keys a cursor keeps: past it (a burst stamped within the overlap), the next
#: read starts at the stamp of the 1,000th newest key rather than a full overlap back, so the cursor
#: stays small and every key it drops lies before where the next read starts (no record read twice,
#: no loop; only a record committed late with a stamp before that start would be missed: the price
#: of a burst larger than this within the overlap).
MAX_SEEN = 1000


def _key(record: CrmRecord) -> str:
    return f"{record.id}|{record.properties.get('SystemModstamp') or ''}"


def _stamp(key: str) -> datetime:
    return parse_moment(key.split("|", 1)[-1], epoch_ms=False) or EPOCH


def read_cursor(cursor: str | None) -> tuple[datetime, datetime | None, set[str]]:
    """``(since, start, seen)``: the newest stamp read, where the next read starts (None: ``since``
    minus the overlap), and the keys already read from ``start`` on."""
    if not cursor:
        return EPOCH, None, set()
    try:
        data = json.loads(cursor)
    except ValueError:
        data = None
    if isinstance(data, dict):
        since = parse_moment(data.get("since"), epoch_ms=False) or EPOCH
        start = parse_moment(data.get("start"), epoch_ms=False)
        return since, start, {str(key) for key in data.get("seen") or []}
    return parse_moment(cursor, epoch_ms=False) or EPOCH, None, set()


def write_cursor(since: datetime, start: datetime, seen: set[str]) -> str:
    return json.dumps(
        {
            "since": since.astimezone(UTC).isoformat(),
            "start": start.astimezone(UTC).isoformat(),
            "seen": sorted(seen),
        }
    )


class ChangeFeed:
    def __init__(self, objects: ObjectsApi) -> None:
        self.objects = objects

    def changed_since(
        self, kind: str, cursor: str | None, *, properties: Sequence[str] = (), limit: int = 100
    ) -> ChangedRecords:
        limit = max(1, min(limit, MAX_PAGE))
        since, start, seen = read_cursor(cursor)
        overlap = timedelta(seconds=poll_overlap_seconds())
        begin = start or (since - overlap if since > EPOCH else EPOCH)
        where = f"SystemModstamp >= {soql.datetime_literal(begin)}"
        if kind == LEADS:
            where = f"IsConverted = false AND {where}"
        asked = limit + len(seen) + 1
        rows = self.objects.select(
            kind, properties, where, tail=f" ORDER BY SystemModstamp, Id LIMIT {min(asked, 50_000)}"
        )
        fresh = [record for record in rows if _key(record) not in seen]
        page = fresh[:limit]
        has_more = len(fresh) > limit or len(rows) >= asked
        newest = max((record.updated_at for record in page if record.updated_at), default=since)
        stamps = {key: _stamp(key) for key in seen}
        stamps.update({_key(record): record.updated_at or EPOCH for record in page})
        floor = max(newest - overlap, begin)
        recent = sorted((stamp for stamp in stamps.values() if stamp >= floor), reverse=True)
        if len(recent) > MAX_SEEN:  # a burst within the overlap: the next read starts later instead
            floor = recent[MAX_SEEN - 1]
        kept = {key for key, stamp in stamps.items() if stamp >= floor}
        return ChangedRecords(
            records=tuple(page), next_cursor=write_cursor(newest, floor, kept), has_more=has_more
        )
