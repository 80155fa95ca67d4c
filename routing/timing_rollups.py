"""Rolls owner write-backs up per connection and minute/hour (``LeadTimingRollup``) and answers the
provider health page's lead figures (crm_integrations/health_hooks.py, registered in routing/apps.py).

"Created → owner written" runs from the record's creation in the CRM (``Lead.crm_created_at``; the
lead first stored here when the CRM gives no creation time) to its owner written in the CRM
(``OwnerWrite.written_at``); a write counts in the minute it was written. A lead the CRM made long
before we took it in (an existing lead routed later) is left out: its wait is not the pipeline's. Like
crm_integrations/webhook_rollups.py, buckets are recomputed from the rows and upserted (the beat
recomputes the last minutes and the current and previous hours), so a repeated run changes nothing.
Write-backs pending and failed are counted now, on the ``owner_write_due`` index.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from crm_integrations.models import BucketSize
from crm_integrations.rollups import percentile

from .models import LeadTimingRollup, OwnerWrite, WriteStatus

RECENT_MINUTES = 5
#: A lead taken in more than this after the CRM made it was an existing one, not a new lead.
NEW_LEAD_WINDOW = timedelta(hours=1)


def created_to_owner_start(created: datetime | None, stored: datetime | None) -> datetime | None:
    """Where a new lead's "created → owner written" starts (None: not a new lead, leave it out).
    Shared with the home's median (routing/dashboard.py)."""
    if created is None:
        return stored
    if stored is not None and stored - created > NEW_LEAD_WINDOW:
        return None
    return created


UNFINISHED = (WriteStatus.PENDING, WriteStatus.SENDING, WriteStatus.RETRYING)


def roll_up_recent(now: datetime | None = None) -> int:
    now = now or timezone.now()
    minute = now.replace(second=0, microsecond=0)
    hour = minute.replace(minute=0)
    written = roll_up_range(minute - timedelta(minutes=RECENT_MINUTES), now, size=BucketSize.MINUTE)
    return written + roll_up_range(hour - timedelta(hours=1), now, size=BucketSize.HOUR)


def _floor(moment: datetime, size: str) -> datetime:
    moment = moment.replace(second=0, microsecond=0)
    return moment.replace(minute=0) if size == BucketSize.HOUR else moment


def roll_up_range(start: datetime, end: datetime, *, size: str) -> int:
    """Recompute the ``size`` buckets starting in ``[start, end)`` (``start`` on a bucket edge)."""
    waits: dict[tuple, list[int]] = defaultdict(list)
    failed: dict[tuple, int] = defaultdict(int)
    counts: dict[tuple, int] = defaultdict(int)
    written = OwnerWrite.objects.filter(written_at__gte=start, written_at__lt=end).values_list(
        "connection_id", "written_at", "decision__lead__crm_created_at", "decision__lead__first_received_at"
    )
    for connection_id, written_at, created, stored in written.iterator(chunk_size=5000):
        key = (connection_id, _floor(written_at, size))
        counts[key] += 1
        began = created_to_owner_start(created, stored)
        if began is not None:
            waits[key].append(max(0, int((written_at - began).total_seconds() * 1000)))
    gave_up = OwnerWrite.objects.filter(
        status=WriteStatus.FAILED, created_at__gte=start, created_at__lt=end
    ).values_list("connection_id", "created_at")
    for connection_id, created_at in gave_up:
        failed[(connection_id, _floor(created_at, size))] += 1
    rows = []
    for key in counts.keys() | failed.keys():
        ordered = sorted(waits.get(key, []))
        rows.append(
            LeadTimingRollup(
                connection_id=key[0],
                bucket_size=size,
                bucket_start=key[1],
                owners_written=counts.get(key, 0),
                to_owner_p50_ms=percentile(ordered, 0.50),
                to_owner_p95_ms=percentile(ordered, 0.95),
                writes_failed=failed.get(key, 0),
            )
        )
    with transaction.atomic():
        LeadTimingRollup.objects.bulk_create(
            rows,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["connection", "bucket_size", "bucket_start"],
            update_fields=["owners_written", "to_owner_p50_ms", "to_owner_p95_ms", "writes_failed"],
        )
    return len(rows)


def lead_figures(
    connection_ids: Collection[Any], since: datetime, now: datetime
) -> dict[Any, dict[str, Any]]:
    """Per connection: owners written and created → owner written over ``[since, now)`` (the
    calls-weighted mean of the buckets' percentiles), write-backs pending and failed now."""
    size = BucketSize.MINUTE if now - since <= timedelta(hours=1) else BucketSize.HOUR
    figures: dict[Any, dict[str, Any]] = defaultdict(dict)
    rows = (
        LeadTimingRollup.objects.filter(
            connection__in=connection_ids, bucket_size=size, bucket_start__gte=since
        )
        .values("connection_id")
        .annotate(
            written=Sum("owners_written"),
            p50=Sum(F("to_owner_p50_ms") * F("owners_written")),
            p95=Sum(F("to_owner_p95_ms") * F("owners_written")),
        )
        .order_by()
    )
    for row in rows:
        written = row["written"] or 0
        figures[row["connection_id"]].update(
            owners_written=written,
            to_owner_p50_ms=round(row["p50"] / written) if written else None,
            to_owner_p95_ms=round(row["p95"] / written) if written else None,
        )
    counts = (
        OwnerWrite.objects.filter(connection__in=connection_ids)
        .filter(Q(status__in=UNFINISHED) | Q(status=WriteStatus.FAILED))
        .values("connection_id")
        .annotate(
            pending=Count("pk", filter=Q(status__in=UNFINISHED)),
            failed=Count("pk", filter=Q(status=WriteStatus.FAILED)),
            failed_recent=Count(
                "pk", filter=Q(status=WriteStatus.FAILED, next_attempt_at__gte=now - timedelta(hours=1))
            ),
        )
        .order_by()
    )
    for row in counts:
        figures[row["connection_id"]].update(
            writes_pending=row["pending"],
            writes_failed=row["failed"],
            writes_failed_recent=row["failed_recent"],
        )
    return dict(figures)
