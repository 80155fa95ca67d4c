"""Retention (crm_integrations/retention.py, routing/retention.py): call records rolled up then
pruned in batches, webhook bodies and deliveries, and the dry-run report."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from crm_integrations import pruning, rollups
from crm_integrations.models import (
    ApiCallRollup,
    ApiCallRollupCursor,
    ProviderApiCall,
    WebhookDelivery,
    WebhookEvent,
)
from crm_integrations.services import upsert_organization_integration

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
OLD_START = NOW - timedelta(days=20)
OLD_ROWS, RECENT_ROWS = 20_000, 500
#: Rows a pruning batch deletes: a hundredth of the old rows, so runs stop part-way many batches in.
BATCH = 200


def policy(name: str) -> pruning.RetentionPolicy:
    return next(p for p in pruning.all_policies() if p.name == name)


@pytest.fixture
def retention_settings(settings):
    settings.DATA_RETENTION = {
        **settings.DATA_RETENTION,
        "API_CALL_DAYS": 14,
        "WEBHOOK_BODY_DAYS": 30,
        "WEBHOOK_DAYS": 180,
        "BATCH_SIZE": BATCH,
    }
    return settings.DATA_RETENTION


def _calls() -> None:
    """20,000 calls in the 10 hours from OLD_START (one every 1.8 s), then 500 two days ago."""
    codes = [200, 200, 200, 404, 429, 503, None]
    rows = [
        ProviderApiCall(
            provider="hubspot",
            account="12345",
            method="GET",
            endpoint="/crm/v3/objects/{objectType}/{objectId}",
            status_code=codes[i % 7],
            error_kind="" if codes[i % 7] in (200,) else ("timeout" if codes[i % 7] is None else "x"),
            latency_ms=i % 1000,
            attempt=1 + (i % 3 == 0),
            created_at=OLD_START + timedelta(milliseconds=1800 * i),
        )
        for i in range(OLD_ROWS)
    ]
    rows += [
        ProviderApiCall(
            provider="hubspot", account="12345", method="POST", endpoint="/x", status_code=200,
            created_at=NOW - timedelta(days=2, seconds=i),
        )
        for i in range(RECENT_ROWS)
    ]  # fmt: skip
    ProviderApiCall.objects.bulk_create(rows, batch_size=5000)


def test_call_records_are_rolled_up_then_pruned_in_batches_interrupted_and_resumed(
    db, organization, retention_settings
):
    connection = upsert_organization_integration(
        organization, "hubspot", "production", status="connected", external_account_id="12345"
    )
    _calls()
    api_calls = policy("api_calls")

    # Nothing is rolled up yet: pruning refuses to delete a single record.
    assert pruning.run_policy(api_calls, now=NOW) == 0
    assert ProviderApiCall.objects.count() == OLD_ROWS + RECENT_ROWS

    # Every whole hour that ended GRACE ago: all but the one ending at NOW.
    assert rollups.roll_up(now=NOW, max_hours=1000) == 20 * 24 - 1
    hourly = ApiCallRollup.objects.filter(bucket_size="hour")
    assert sum(hourly.values_list("calls", flat=True)) == OLD_ROWS + RECENT_ROWS
    assert sum(ApiCallRollup.objects.filter(bucket_size="minute").values_list("calls", flat=True)) == (
        OLD_ROWS + RECENT_ROWS
    )
    assert set(ApiCallRollup.objects.values_list("connection_id", flat=True)) == {connection.pk}
    # One bucket checked against the raw rows: the first minute's successes.
    first = ApiCallRollup.objects.get(bucket_size="minute", bucket_start=OLD_START, status_class="2xx")
    latencies = sorted(
        ProviderApiCall.objects.filter(
            created_at__lt=OLD_START + timedelta(minutes=1), status_code=200
        ).values_list("latency_ms", flat=True)
    )
    assert first.calls == len(latencies) and first.errors == 0
    assert (first.latency_p50_ms, first.latency_p95_ms, first.latency_max_ms) == (
        rollups.percentile(latencies, 0.5),
        rollups.percentile(latencies, 0.95),
        latencies[-1],
    )
    assert (
        ApiCallRollup.objects.get(bucket_size="hour", bucket_start=OLD_START, status_class="timeout").errors
        > 0
    )

    # Rolling the same hours up again gives the very same rows.
    before = list(ApiCallRollup.objects.order_by("pk").values())
    ApiCallRollupCursor.objects.update(rolled_up_until=OLD_START)
    rollups.roll_up(now=NOW, max_hours=1000)
    assert list(ApiCallRollup.objects.order_by("pk").values()) == before

    # Interrupted by a batch limit ...
    assert pruning.run_policy(api_calls, now=NOW, max_batches=30) == 30 * BATCH
    # ... and by a failure in the third batch of the next run: two batches stay done.
    acted = []

    def fail_third(rows):
        if len(acted) == 2:
            raise RuntimeError("worker lost")
        acted.append(1)
        return pruning.delete_rows(rows)

    with pytest.raises(RuntimeError):
        pruning.run_policy(dataclasses.replace(api_calls, act=fail_third), now=NOW)
    assert ProviderApiCall.objects.count() == OLD_ROWS + RECENT_ROWS - 32 * BATCH

    # Resumed: exactly the records within the retention are left, and the history stays.
    assert pruning.run_policy(api_calls, now=NOW) == OLD_ROWS - 32 * BATCH
    assert ProviderApiCall.objects.count() == RECENT_ROWS
    assert not ProviderApiCall.objects.filter(created_at__lt=NOW - timedelta(days=14)).exists()
    assert sum(hourly.values_list("calls", flat=True)) == OLD_ROWS + RECENT_ROWS


def test_call_records_past_the_rollup_cursor_are_kept(db, retention_settings):
    old = NOW - timedelta(days=20)
    ProviderApiCall.objects.bulk_create(
        ProviderApiCall(
            provider="hubspot", account="1", method="GET", endpoint="/x", created_at=old + timedelta(hours=h)
        )
        for h in range(4)
    )
    ApiCallRollupCursor.objects.create(rolled_up_until=old + timedelta(hours=2))
    assert pruning.run_policy(policy("api_calls"), now=NOW) == 2
    assert ProviderApiCall.objects.count() == 2


def _delivery(days_ago: int, status: str = "processed", body: str = '{"a": 1}', now=NOW) -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        provider="hubspot",
        method="POST",
        url="https://example.com/hook",
        body=body,
        body_size=len(body),
        status=status,
        received_at=now - timedelta(days=days_ago),
    )


def _event(delivery: WebhookDelivery, key: str, *, duplicate_of=None, outcome="ingested") -> WebhookEvent:
    return WebhookEvent.objects.create(
        delivery=delivery, dedupe_key=key, duplicate_of=duplicate_of, outcome=outcome
    )


def test_old_webhook_bodies_are_emptied_except_where_intake_still_needs_them(db, retention_settings):
    done = _delivery(40)
    pending = _delivery(40)
    _event(pending, "p1", outcome="pending")
    queued = _delivery(40, status="queued")
    recent = _delivery(10)

    assert pruning.run_policy(policy("webhook_bodies"), now=NOW) == 1
    done.refresh_from_db()
    assert (done.body, done.body_size, done.body_pruned_at is not None) == ("", 8, True)
    for kept in (pending, queued, recent):
        kept.refresh_from_db()
        assert kept.body == '{"a": 1}' and kept.body_pruned_at is None


def test_old_deliveries_go_copies_before_first_sightings_and_never_pending_ones(db, retention_settings):
    first = _delivery(200)  # its event's copy arrives in `retried`
    original = _event(first, "k1")
    retried = _delivery(199)
    _event(retried, "k1", duplicate_of=original)
    within = _delivery(200)  # a first sighting and its copy in one delivery
    _event(within, "k2", duplicate_of=_event(within, "k2"))
    referenced = _delivery(200)  # a recent delivery's copy points at it
    _event(_delivery(10), "k3", duplicate_of=_event(referenced, "k3"))
    pending = _delivery(200)
    _event(pending, "k4", outcome="pending")
    unprocessed = _delivery(200, status="received")

    deliveries = policy("webhook_deliveries")
    assert pruning.run_policy(deliveries, now=NOW) == 2  # retried, within
    assert pruning.run_policy(deliveries, now=NOW) == 1  # first, now that its copy has gone
    assert pruning.run_policy(deliveries, now=NOW) == 0
    kept = set(WebhookDelivery.objects.values_list("pk", flat=True))
    assert {referenced.pk, pending.pk, unprocessed.pk} <= kept
    assert not kept & {first.pk, retried.pk, within.pk}
    assert WebhookEvent.objects.filter(delivery__in=[first, retried, within]).count() == 0


def test_the_dry_run_says_what_each_retention_would_do_and_changes_nothing(db, retention_settings):
    retention_settings["JOURNEY_DAYS"] = 0
    _delivery(40, now=timezone.now())
    ProviderApiCall.objects.create(provider="hubspot", account="1", method="GET", endpoint="/x")
    out = StringIO()
    call_command("prune_data", "--dry-run", stdout=out)
    report = out.getvalue()
    assert "Raw webhook bodies: would empty 1 row(s) older than 30 day(s)" in report
    assert "Webhook deliveries and their events: would delete 0 row(s) older than 180 day(s)" in report
    assert "Provider call records (rolled up): would delete 0 row(s)" in report
    assert "Lead journey events: kept for ever (JOURNEY_DAYS is 0)" in report
    assert "Superseded routing decisions of closed leads: would delete 0" in report
    assert WebhookDelivery.objects.get().body == '{"a": 1}'


def test_the_beat_runs_the_rollups_and_every_retention(db, retention_settings):
    from config.schedule import BEAT_SCHEDULE
    from crm_integrations import tasks

    assert {"crm_integrations.tasks.roll_up_api_calls", "crm_integrations.tasks.prune_old_data"} <= {
        entry["task"] for entry in BEAT_SCHEDULE.values()
    }
    ProviderApiCall.objects.create(
        provider="hubspot",
        account="1",
        method="GET",
        endpoint="/x",
        created_at=timezone.now() - timedelta(days=30),
    )
    result = tasks.prune_old_data.apply().get()
    assert set(result) == {policy.name for policy in pruning.all_policies()}
    assert result["api_calls"] == 1 and ApiCallRollup.objects.filter(bucket_size="hour").get().calls == 1
