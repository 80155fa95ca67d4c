"""Rolls webhook deliveries up per connection and minute/hour (``WebhookRollup``), so the provider
health page (crm_integrations/health_data.py) charts deliveries, refusals, duplicates and intake
lag without reading the deliveries themselves, and the history outlives ``WEBHOOK_DAYS``.

Recomputed from the raw rows (deliveries and their events) and upserted on the bucket's key, so a
run repeated gives the same rows. The beat (``roll_up_recent_health``, every minute) recomputes
the last ``RECENT_MINUTES`` minutes and the current and previous hours; ``roll_up_range`` does any
span (the benchmark, a backfill). Intake lag is the event's time in the CRM (``occurred_at``) to
its delivery being taken in (``processed_at``); a delivery counts in the minute it was received.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from .models import (
    BucketSize,
    ConnectionStatus,
    DeliveryStatus,
    EventOutcome,
    OrganizationIntegration,
    WebhookDelivery,
    WebhookEvent,
    WebhookRollup,
)
from .rollups import percentile

RECENT_MINUTES = 5
VALUE_FIELDS = ["deliveries", "refused", "events", "duplicates", "lag_count", "lag_p50_ms", "lag_p95_ms"]


@dataclass
class _Bucket:
    deliveries: int = 0
    refused: int = 0
    events: int = 0
    duplicates: int = 0
    lags: list[int] = field(default_factory=list)


def roll_up_recent(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    minute = now.replace(second=0, microsecond=0)
    hour = now.replace(minute=0, second=0, microsecond=0)
    written = roll_up_range(minute - timedelta(minutes=RECENT_MINUTES), now, sizes=(BucketSize.MINUTE,))
    return written + roll_up_range(hour - timedelta(hours=1), now, sizes=(BucketSize.HOUR,))


def roll_up_range(start: datetime, end: datetime, *, sizes: tuple[str, ...]) -> int:
    """Recompute the buckets of ``sizes`` that start in ``[start, end)`` (``start`` on a bucket edge)."""
    buckets: dict[tuple, _Bucket] = defaultdict(_Bucket)
    resolve = _connection_resolver()
    deliveries = WebhookDelivery.objects.filter(received_at__gte=start, received_at__lt=end).values_list(
        "pk", "organization_id", "provider", "environment", "account_id", "status", "received_at"
    )
    delivery_keys: dict[int, list[tuple]] = {}
    for pk, organization_id, provider, environment, account, status, received in deliveries.iterator(
        chunk_size=5000
    ):
        connection = resolve(organization_id, provider, environment, account)
        keys = [(connection, size, _floor(received, size)) for size in sizes] if connection else []
        delivery_keys[pk] = keys
        for key in keys:
            buckets[key].deliveries += 1
            buckets[key].refused += status == DeliveryStatus.REJECTED
    events = WebhookEvent.objects.filter(
        delivery__received_at__gte=start, delivery__received_at__lt=end
    ).values_list("delivery_id", "connection_id", "outcome", "occurred_at", "delivery__processed_at")
    for delivery_id, connection_id, outcome, occurred, processed in events.iterator(chunk_size=5000):
        keys = delivery_keys.get(delivery_id) or []
        if connection_id is not None:
            keys = [(connection_id, size, bucket_start) for _, size, bucket_start in keys]
        for key in keys:
            bucket = buckets[key]
            bucket.events += 1
            bucket.duplicates += outcome == EventOutcome.DUPLICATE
            if outcome == EventOutcome.INGESTED and occurred and processed:
                bucket.lags.append(max(0, int((processed - occurred).total_seconds() * 1000)))
    rows = [_row(key, bucket) for key, bucket in buckets.items()]
    with transaction.atomic():
        WebhookRollup.objects.bulk_create(
            rows,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["connection", "bucket_size", "bucket_start"],
            update_fields=VALUE_FIELDS,
        )
    return len(rows)


def _floor(moment: datetime, size: str) -> datetime:
    moment = moment.replace(second=0, microsecond=0)
    return moment.replace(minute=0) if size == BucketSize.HOUR else moment


def _row(key: tuple, bucket: _Bucket) -> WebhookRollup:
    connection_id, size, bucket_start = key
    lags = sorted(bucket.lags)
    return WebhookRollup(
        connection_id=connection_id,
        bucket_size=size,
        bucket_start=bucket_start,
        deliveries=bucket.deliveries,
        refused=bucket.refused,
        events=bucket.events,
        duplicates=bucket.duplicates,
        lag_count=len(lags),
        lag_p50_ms=percentile(lags, 0.50),
        lag_p95_ms=percentile(lags, 0.95),
    )


def _connection_resolver() -> Callable[[int | None, str, str, str], object]:
    """(organization, provider, environment, account) -> the live connection a delivery was for."""
    by_organization: dict[tuple, object] = {}
    by_account: dict[tuple, object] = {}
    live = OrganizationIntegration.objects.exclude(status=ConnectionStatus.DISCONNECTED).values_list(
        "pk", "organization_id", "integration__provider", "environment", "external_account_id"
    )
    for pk, organization_id, provider, environment, account in live:
        by_organization[(organization_id, provider, environment)] = pk
        if account:
            by_account[(provider, account)] = pk

    def resolve(organization_id: int | None, provider: str, environment: str, account: str) -> object:
        return by_organization.get((organization_id, provider, environment)) or by_account.get(
            (provider, account)
        )

    return resolve
