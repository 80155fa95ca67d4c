"""Rolls the raw provider call records (``ProviderApiCall``) up into ``ApiCallRollup`` rows per
account, endpoint template, method and status class, per minute and per hour, so the provider
health history outlives the raw rows (pruned after ``API_CALL_DAYS`` by crm_integrations/retention.py).

Works a whole hour at a time, from ``ApiCallRollupCursor.rolled_up_until`` on, once the hour
ended ``GRACE`` ago (a record is written when its attempt ends). Each hour's rollups are computed
from all its raw rows and upserted on the bucket's unique key, so rolling an hour up again gives
the same rows; the cursor moves in the same transaction. Percentiles are nearest-rank.

``roll_up_recent`` (beat, every minute) fills the minute buckets of the hour still under way, so
the provider health page (crm_integrations/health_data.py) reads the last minutes from rollups too:
it recomputes the minutes from ``minutes_rolled_up_until - MINUTE_GRACE`` to now (the current
minute included, recomputed again next time) and never more than ``RECENT_MAX`` back.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from .models import (
    ApiCallRollup,
    ApiCallRollupCursor,
    BucketSize,
    ConnectionStatus,
    OrganizationIntegration,
    ProviderApiCall,
    StatusClass,
)

GRACE = timedelta(minutes=5)
HOUR = timedelta(hours=1)
#: A minute is recomputed until this long after it ended (an attempt is recorded when it ends).
MINUTE_GRACE = timedelta(minutes=2)
#: How far back the recent pass goes at most (after a pause, the hourly pass fills the rest).
RECENT_MAX = timedelta(hours=2)
#: Hours rolled up per run at most (a backlog is caught up over a few runs).
MAX_HOURS_PER_RUN = 48
#: Codes our own layer sets when the call was never sent (crm_integrations/core/http/recording.py).
NOT_SENT = frozenset(
    {"circuit_open", "local_rate_limit", "rate_limiter_unavailable", "weight_exceeds_budget"}
)

KEY_FIELDS = ["bucket_size", "bucket_start", "provider", "account", "method", "endpoint", "status_class"]
VALUE_FIELDS = [
    "connection",
    "calls",
    "errors",
    "retries",
    "latency_sum_ms",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_max_ms",
    "units",
    "queued",
    "queued_ms_sum",
]
#: HTTP statuses that mean the CRM refused our credentials.
AUTH_STATUSES = frozenset({401, 403})


def status_class(status_code: int | None, error_kind: str) -> str:
    if status_code is None:
        if error_kind == "timeout":
            return StatusClass.TIMEOUT
        if error_kind == "connection_error":
            return StatusClass.CONNECTION_ERROR
        return StatusClass.NOT_SENT if error_kind in NOT_SENT else StatusClass.OTHER
    if status_code == 429:
        return StatusClass.RATE_LIMITED
    if status_code in AUTH_STATUSES:
        return StatusClass.AUTH
    return {2: StatusClass.SUCCESS, 3: StatusClass.REDIRECT, 4: StatusClass.CLIENT_ERROR}.get(
        status_code // 100, StatusClass.SERVER_ERROR
    )


def percentile(ordered: list[int], fraction: float) -> int:
    """Nearest-rank percentile of an ascending list."""
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)] if ordered else 0


@dataclass
class _Bucket:
    latencies: list[int] = field(default_factory=list)
    errors: int = 0
    retries: int = 0
    units: int = 0
    queued: int = 0
    queued_ms: int = 0


def rolled_up_until() -> datetime | None:
    return ApiCallRollupCursor.objects.values_list("rolled_up_until", flat=True).first()


def _floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def roll_up(*, now: datetime | None = None, max_hours: int = MAX_HOURS_PER_RUN) -> int:
    """Roll up the whole hours not rolled up yet; returns how many hours it did."""
    now = now or timezone.now()
    start = rolled_up_until()
    if start is None:
        first = ProviderApiCall.objects.order_by("created_at").values_list("created_at", flat=True).first()
        if first is None:
            return 0
        start = _floor_hour(first)
    hours = 0
    while hours < max_hours and start + HOUR <= now - GRACE:
        roll_up_hour(start)
        start, hours = start + HOUR, hours + 1
    return hours


def roll_up_hour(start: datetime) -> int:
    """Compute and upsert the minute and hour rollups of ``[start, start + 1 h)``; move the cursor there."""
    end = start + HOUR
    rows = _rows(start, end, hourly=True)
    with transaction.atomic():
        _upsert(rows)
        ApiCallRollupCursor.objects.update_or_create(pk=1, defaults={"rolled_up_until": end})
    return len(rows)


def roll_up_recent(*, now: datetime | None = None) -> int:
    """Recompute the minute buckets of the last minutes (idempotent); returns the rows written."""
    now = now or timezone.now()
    cursor = ApiCallRollupCursor.objects.first()
    floor = _floor_minute(now - RECENT_MAX)
    start = floor
    if cursor is not None:
        start = max(floor, cursor.rolled_up_until)
        if cursor.minutes_rolled_up_until:
            start = max(start, cursor.minutes_rolled_up_until - MINUTE_GRACE)
    rows = _rows(_floor_minute(start), now, hourly=False)
    with transaction.atomic():
        _upsert(rows)
        if cursor is not None:
            ApiCallRollupCursor.objects.filter(pk=cursor.pk).update(
                minutes_rolled_up_until=_floor_minute(now)
            )
    return len(rows)


def _floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _upsert(rows: list[ApiCallRollup]) -> None:
    ApiCallRollup.objects.bulk_create(
        rows, batch_size=1000, update_conflicts=True, unique_fields=KEY_FIELDS, update_fields=VALUE_FIELDS
    )


def _rows(start: datetime, end: datetime, *, hourly: bool) -> list[ApiCallRollup]:
    """The rollups of the raw rows in ``[start, end)``: per minute, and per hour when ``hourly``
    (``start`` is then the hour)."""
    buckets: dict[tuple, _Bucket] = defaultdict(_Bucket)
    calls = ProviderApiCall.objects.filter(created_at__gte=start, created_at__lt=end).values_list(
        "provider",
        "account",
        "method",
        "endpoint",
        "status_code",
        "error_kind",
        "latency_ms",
        "attempt",
        "units",
        "queued_ms",
        "created_at",
    )
    for (
        provider,
        account,
        method,
        endpoint,
        code,
        kind,
        latency,
        attempt,
        units,
        queued_ms,
        at,
    ) in calls.iterator(chunk_size=5000):
        group = (provider, account, method, endpoint, status_class(code, kind))
        targets = [buckets[(BucketSize.MINUTE, _floor_minute(at), *group)]]
        if hourly:
            targets.append(buckets[(BucketSize.HOUR, start, *group)])
        for bucket in targets:
            bucket.latencies.append(latency)
            bucket.errors += bool(kind)
            bucket.retries += attempt > 1
            bucket.units += units
            bucket.queued += queued_ms > 0
            bucket.queued_ms += queued_ms
    connections = _connections({(key[2], key[3]) for key in buckets})
    return [_row(key, bucket, connections) for key, bucket in buckets.items()]


def _row(key: tuple, bucket: _Bucket, connections: dict[tuple[str, str], object]) -> ApiCallRollup:
    size, bucket_start, provider, account, method, endpoint, status = key
    ordered = sorted(bucket.latencies)
    return ApiCallRollup(
        bucket_size=size,
        bucket_start=bucket_start,
        provider=provider,
        account=account,
        method=method,
        endpoint=endpoint,
        status_class=status,
        connection_id=connections.get((provider, account)),
        calls=len(ordered),
        errors=bucket.errors,
        retries=bucket.retries,
        latency_sum_ms=sum(ordered),
        latency_p50_ms=percentile(ordered, 0.50),
        latency_p95_ms=percentile(ordered, 0.95),
        latency_max_ms=ordered[-1],
        units=bucket.units,
        queued=bucket.queued,
        queued_ms_sum=bucket.queued_ms,
    )


def _connections(accounts: set[tuple[str, str]]) -> dict[tuple[str, str], object]:
    """(provider, account) -> the live connection holding that account, where one does."""
    if not accounts:
        return {}
    rows = (
        OrganizationIntegration.objects.filter(external_account_id__in={account for _, account in accounts})
        .exclude(status=ConnectionStatus.DISCONNECTED)
        .values_list("integration__provider", "external_account_id", "pk")
    )
    return {(provider, account): pk for provider, account, pk in rows if (provider, account) in accounts}
