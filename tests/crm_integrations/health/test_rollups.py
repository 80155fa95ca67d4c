"""The health rollups: minute buckets of the last minutes (crm_integrations/rollups.py's recent
pass), webhook rollups, idempotence, breaker transitions and the retention of each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crm_integrations import pruning, rollups, webhook_rollups
from crm_integrations.core.http.breaker import CLOSED, HALF_OPEN, OPEN, ModelBreakerStorage
from crm_integrations.models import (
    ApiCallRollup,
    ApiCallRollupCursor,
    BucketSize,
    CircuitBreakerTransition,
    DeliveryStatus,
    EventOutcome,
    StatusClass,
    WebhookDelivery,
    WebhookEvent,
    WebhookRollup,
)

from .factories import calls, connection

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 12, 30, 20, tzinfo=UTC)


def minute_rows() -> list[tuple]:
    return sorted(
        ApiCallRollup.objects.filter(bucket_size=BucketSize.MINUTE).values_list(
            "bucket_start", "status_class", "calls", "errors", "units", "queued", "latency_p95_ms"
        )
    )


def test_the_recent_pass_rolls_up_this_hours_minutes_including_the_current_one(organization):
    conn = connection(organization)
    calls(NOW - timedelta(minutes=3), [200, 200, 429, 503, 401])
    calls(NOW - timedelta(seconds=10), [200, 403], units=7, queued_ms=250)
    rollups.roll_up_recent(now=NOW)
    rows = minute_rows()
    three_ago = datetime(2026, 6, 1, 12, 27, tzinfo=UTC)
    this_minute = datetime(2026, 6, 1, 12, 30, tzinfo=UTC)
    by_class = {(start, status): (n, units, queued) for start, status, n, _, units, queued, _ in rows}
    assert by_class[(three_ago, StatusClass.SUCCESS)] == (2, 2, 0)
    assert by_class[(three_ago, StatusClass.RATE_LIMITED)] == (1, 1, 0)
    assert by_class[(three_ago, StatusClass.SERVER_ERROR)] == (1, 1, 0)
    assert by_class[(three_ago, StatusClass.AUTH)] == (1, 1, 0)  # 401: its own kind, not "4xx"
    assert by_class[(this_minute, StatusClass.AUTH)] == (1, 7, 1)
    assert set(ApiCallRollup.objects.values_list("connection", flat=True)) == {conn.pk}
    assert not ApiCallRollup.objects.filter(bucket_size=BucketSize.HOUR).exists()  # the hour is not over


def test_the_recent_pass_is_idempotent_and_picks_up_later_calls_of_an_open_minute(organization):
    connection(organization)
    calls(NOW - timedelta(seconds=15), [200, 200])
    rollups.roll_up_recent(now=NOW)
    rollups.roll_up_recent(now=NOW)
    assert [row[2] for row in minute_rows()] == [2]
    calls(NOW - timedelta(seconds=5), [200])
    rollups.roll_up_recent(now=NOW + timedelta(seconds=30))
    assert [row[2] for row in minute_rows()] == [3]


def test_the_recent_pass_starts_after_the_hourly_cursor_and_agrees_with_the_hourly_pass(organization):
    connection(organization)
    calls(NOW - timedelta(hours=1, minutes=5), [200, 503, 200])
    calls(NOW - timedelta(minutes=1), [200])
    rollups.roll_up(now=NOW)  # rolls up 11:00-12:00
    hourly = minute_rows()
    ApiCallRollup.objects.filter(bucket_size=BucketSize.MINUTE).delete()
    ApiCallRollupCursor.objects.update(minutes_rolled_up_until=None)
    rollups.roll_up_recent(now=NOW)
    recent = minute_rows()
    assert len(recent) == 1  # only the minute after the cursor
    rollups.roll_up_hour(datetime(2026, 6, 1, 11, tzinfo=UTC))
    assert minute_rows() == sorted(hourly + recent)


def test_webhook_rollups_count_deliveries_refusals_duplicates_and_intake_lag(organization):
    conn = connection(organization)
    received = NOW - timedelta(minutes=2)

    def delivery(status, processed_after=None):
        return WebhookDelivery.objects.create(
            provider="hubspot",
            method="POST",
            url="https://example.test/hook",
            status=status,
            organization=organization,
            environment="production",
            received_at=received,
            processed_at=received + processed_after if processed_after else None,
        )

    taken = delivery(DeliveryStatus.PROCESSED, timedelta(seconds=4))
    delivery(DeliveryStatus.REJECTED)
    for i, outcome in enumerate([EventOutcome.INGESTED, EventOutcome.INGESTED, EventOutcome.DUPLICATE]):
        WebhookEvent.objects.create(
            delivery=taken,
            connection=conn,
            dedupe_key=f"k{i}",
            outcome=outcome,
            occurred_at=received - timedelta(seconds=i),
            duplicate_of=None,
        )
    webhook_rollups.roll_up_recent(now=NOW)
    webhook_rollups.roll_up_recent(now=NOW)  # idempotent
    minute = WebhookRollup.objects.get(bucket_size=BucketSize.MINUTE)
    assert (minute.deliveries, minute.refused, minute.events, minute.duplicates) == (2, 1, 3, 1)
    assert (minute.lag_count, minute.lag_p50_ms, minute.lag_p95_ms) == (2, 4000, 5000)
    hour = WebhookRollup.objects.get(bucket_size=BucketSize.HOUR)
    assert (hour.deliveries, hour.bucket_start) == (2, datetime(2026, 6, 1, 12, tzinfo=UTC))


def test_a_breaker_records_each_change_of_state_once(db):
    storage = ModelBreakerStorage("hubspot", "12345")
    storage.state = OPEN
    storage.state = OPEN  # another process already opened it: no second record
    ModelBreakerStorage("hubspot", "12345").state = OPEN
    assert storage.claim_probe(reset_timeout=0, lease=30)
    storage.state = CLOSED
    changes = list(CircuitBreakerTransition.objects.order_by("pk").values_list("from_state", "to_state"))
    assert changes == [(CLOSED, OPEN), (OPEN, HALF_OPEN), (HALF_OPEN, CLOSED)]


def test_the_health_rollups_and_breaker_changes_join_the_daily_prune(organization, settings):
    settings.DATA_RETENTION = {
        **settings.DATA_RETENTION,
        "HEALTH_ROLLUP_MINUTE_DAYS": 30,
        "HEALTH_ROLLUP_HOUR_DAYS": 400,
        "BREAKER_TRANSITION_DAYS": 90,
    }
    conn = connection(organization)
    old, recent = NOW - timedelta(days=31), NOW - timedelta(days=1)
    for start in (old, recent):
        WebhookRollup.objects.create(connection=conn, bucket_size=BucketSize.MINUTE, bucket_start=start)
        WebhookRollup.objects.create(connection=conn, bucket_size=BucketSize.HOUR, bucket_start=start)
    CircuitBreakerTransition.objects.create(
        provider="hubspot", account="1", from_state=CLOSED, to_state=OPEN, at=NOW - timedelta(days=91)
    )
    CircuitBreakerTransition.objects.create(
        provider="hubspot", account="1", from_state=OPEN, to_state=CLOSED, at=recent
    )
    done = pruning.run_all(now=NOW)
    assert done["webhook_rollups_minute"] == 1 and done["webhook_rollups_hour"] == 0
    assert done["breaker_transitions"] == 1
    assert {"lead_timing_rollups_minute", "lead_timing_rollups_hour"} <= set(done)
    assert WebhookRollup.objects.count() == 3
